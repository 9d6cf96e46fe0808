"""Search and filters on the decision and monitoring queues (django-filter), over what the
planned-contact selectors already give the reader: nothing here widens who sees what."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet

from contacts.people.models import Pupil, Staff
from contacts.people.selectors import pupils_named, staff_named, staff_visible_to
from contacts.planned.models import ContactRequest, Status
from contacts.planned.selectors import readable_requests
from policies.engine import KIND_LABELS
from safeguard.core.filters import ReaderFilterSet
from safeguard.core.forms import DATE_INPUT


class RequestFilter(ReaderFilterSet):
    pupil = django_filters.CharFilter(
        label="Pupil's name", method="by_pupil", max_length=100, help_text="Part of a name."
    )
    # A name, not a list of the school's staff: a list of hundreds is slow to render and to use.
    requester = django_filters.CharFilter(
        label="Member of staff", method="by_requester", max_length=100, help_text="Part of a name."
    )
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
        return queryset.filter(requester__in=staff_named(staff_visible_to(self.reader), value))

    def by_pupil(
        self, queryset: QuerySet[ContactRequest], name: str, value: str
    ) -> QuerySet[ContactRequest]:
        pupils = pupils_named(Pupil.objects.filter(school_id=self.reader.school_id), value)
        # A subquery rather than a join, so a request naming two such pupils counts once.
        return queryset.filter(pk__in=ContactRequest.objects.filter(pupils__in=pupils).values("pk"))


class MyRequestFilter(RequestFilter):
    """A member of staff's own requests: by pupil, kind, status and dates."""

    status = django_filters.ChoiceFilter(
        label="Status", choices=Status.choices, empty_label="Any status"
    )

    def __init__(self, data: Any, queryset: QuerySet[ContactRequest], *, reader: Staff) -> None:
        super().__init__(data, queryset, reader=reader)
        del self.filters["requester"]  # they are all the reader's own
