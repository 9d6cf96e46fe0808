"""Search and filters on the records list (django-filter), over what the records selectors
already let the reader see: nothing here widens who sees what."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet

from contacts.people.models import Pupil, Staff
from contacts.people.selectors import pupils_named, staff_visible_to
from contacts.records.models import ContactRecord, RecordType
from contacts.records.selectors import readable_records
from safeguard.core.filters import ReaderFilterSet
from safeguard.core.forms import DATE_INPUT


class RecordFilter(ReaderFilterSet):
    pupil = django_filters.CharFilter(
        label="Pupil's name", method="by_pupil", max_length=100, help_text="Part of a name."
    )
    record_type = django_filters.ChoiceFilter(
        label="Type", choices=RecordType.choices, empty_label="Any type"
    )
    author = django_filters.ModelChoiceFilter(
        label="Recorded by", queryset=Staff.objects.none(), empty_label="Anyone"
    )
    occurred_from = django_filters.DateFilter(
        label="From", field_name="occurred_at", lookup_expr="date__gte", widget=DATE_INPUT
    )
    occurred_to = django_filters.DateFilter(
        label="To", field_name="occurred_at", lookup_expr="date__lte", widget=DATE_INPUT
    )

    class Meta:
        model = ContactRecord
        fields: list[str] = []

    def __init__(self, data: Any, queryset: QuerySet[ContactRecord], *, reader: Staff) -> None:
        super().__init__(data, queryset, reader=reader)
        self.filters["author"].queryset = staff_visible_to(reader).order_by(
            "last_name", "first_name"
        )

    def readable(self) -> Q:
        """A search matches only records the reader may read: a restricted record they may
        only know exists never answers one, by a pupil's name or by who wrote it."""
        return readable_records(self.reader)

    def by_pupil(
        self, queryset: QuerySet[ContactRecord], name: str, value: str
    ) -> QuerySet[ContactRecord]:
        # Any pupil of the school by name; `filter_queryset` keeps to readable records.
        pupils = pupils_named(Pupil.objects.filter(school_id=self.reader.school_id), value)
        return queryset.filter(pupils__in=pupils).distinct()
