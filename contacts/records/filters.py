"""Search and filters on the records list (django-filter), over what the records selectors
already let the reader see: nothing here widens who sees what."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet

from contacts.people.filters import by_staff_named, name_filter, naming_pupils
from contacts.records.models import ContactRecord, RecordType
from contacts.records.selectors import readable_records
from safeguard.core.filters import ReaderFilterSet
from safeguard.core.forms import DATE_INPUT


class RecordFilter(ReaderFilterSet):
    pupil = name_filter("Pupil's name", "by_pupil")
    record_type = django_filters.ChoiceFilter(
        label="Type", choices=RecordType.choices, empty_label="Any type"
    )
    author = name_filter("Recorded by", "by_author")
    occurred_from = django_filters.DateFilter(
        label="From", field_name="occurred_at", lookup_expr="date__gte", widget=DATE_INPUT
    )
    occurred_to = django_filters.DateFilter(
        label="To", field_name="occurred_at", lookup_expr="date__lte", widget=DATE_INPUT
    )

    class Meta:
        model = ContactRecord
        fields: list[str] = []

    def readable(self) -> Q:
        """A search matches only records the reader may read: a restricted record they may
        only know exists never answers one, by a pupil's name or by who wrote it."""
        return readable_records(self.reader)

    def by_author(
        self, queryset: QuerySet[ContactRecord], name: str, value: str
    ) -> QuerySet[ContactRecord]:
        return by_staff_named(queryset, self.reader, "author", value)

    def by_pupil(
        self, queryset: QuerySet[ContactRecord], name: str, value: str
    ) -> QuerySet[ContactRecord]:
        # Any pupil of the school by name; `filter_queryset` keeps to readable records.
        return naming_pupils(queryset, self.reader, value)
