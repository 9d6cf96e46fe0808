"""The base of every list's search (django-filter): it searches only what the page's selector
gave the reader, and a search matches only rows whose content the reader may read, so that no
search tells anyone about a restricted entry they may only know exists."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet


class ReaderFilterSet(django_filters.FilterSet):
    def __init__(self, data: Any, queryset: QuerySet, *, reader: Any) -> None:
        super().__init__(data, queryset=queryset)
        self.reader = reader

    def readable(self) -> Q:
        """The rows whose content this reader may read (each subject says which)."""
        raise NotImplementedError

    def is_valid(self) -> bool:
        """The fields' own checks, and each pair of dates (`<name>_from`, `<name>_to`) in
        order, the mistake shown beside the last day."""
        valid = bool(super().is_valid())
        data = self.form.cleaned_data if valid else {}
        for first in (name for name in self.filters if name.endswith("_from")):
            last = first.removesuffix("_from") + "_to"
            if data.get(first) and data.get(last) and data[last] < data[first]:
                if last not in self.form.errors:
                    self.form.add_error(last, "The last day cannot be before the first.")
                valid = False
        return valid

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        found = super().filter_queryset(queryset)
        return found.filter(self.readable()) if self.is_filtering() else found

    def is_filtering(self) -> bool:
        return self.is_bound and any(self.data.get(name) for name in self.filters)
