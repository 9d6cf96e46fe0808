"""Search and filters on the decision and monitoring queues (django-filter), over what the
planned-contact selectors already give the reader: nothing here widens who sees what."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet

from contacts.people.filters import by_staff_named, name_filter, naming_pupils
from contacts.people.models import Staff
from contacts.planned.models import ContactRequest, Status
from contacts.planned.selectors import readable_requests
from policies.engine import KIND_LABELS
from safeguard.core.filters import ReaderFilterSet
from safeguard.core.forms import DATE_INPUT


class RequestFilter(ReaderFilterSet):
    pupil = name_filter("Pupil's name", "by_pupil")
    requester = name_filter("Member of staff", "by_requester")
    kind = django_filters.ChoiceFilter(
        label="Kind of contact", choices=list(KIND_LABELS.items()), empty_label="Any kind"
    )
    starts_from = django_filters.DateFilter(
        label="Contact from", field_name="starts_at", lookup_expr="date__gte", widget=DATE_INPUT
    )
    starts_to = django_filters.DateFilter(
        label="Contact to", field_name="starts_at", lookup_expr="date__lte", widget=DATE_INPUT
    )

    class Meta:
        model = ContactRequest
        fields: list[str] = []

    def readable(self) -> Q:
        return readable_requests(self.reader)

    def by_requester(
        self, queryset: QuerySet[ContactRequest], name: str, value: str
    ) -> QuerySet[ContactRequest]:
        return by_staff_named(queryset, self.reader, "requester", value)

    def by_pupil(
        self, queryset: QuerySet[ContactRequest], name: str, value: str
    ) -> QuerySet[ContactRequest]:
        return naming_pupils(queryset, self.reader, value)


class MyRequestFilter(RequestFilter):
    """A member of staff's own requests: by pupil, kind, status and dates."""

    status = django_filters.ChoiceFilter(
        label="Status", choices=Status.choices, empty_label="Any status"
    )

    def __init__(self, data: Any, queryset: QuerySet[ContactRequest], *, reader: Staff) -> None:
        super().__init__(data, queryset, reader=reader)
        del self.filters["requester"]  # they are all the reader's own
