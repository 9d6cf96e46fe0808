from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.utils import timezone

from safeguard.core.forms import DATE_INPUT
from safeguard.reports.selectors import Period, school_year, term

PERIOD_CHOICES = [
    ("term", "This term"),
    ("last_term", "Last term"),
    ("year", "This school year"),
    ("last_year", "Last school year"),
    ("range", "Dates of your choice"),
]


class PeriodForm(forms.Form):
    period = forms.ChoiceField(label="Period", choices=PERIOD_CHOICES, required=False)
    start = forms.DateField(label="From", required=False, widget=DATE_INPUT)
    end = forms.DateField(label="To", required=False, widget=DATE_INPUT)

    def clean(self) -> dict[str, Any]:
        data = cast("dict[str, Any]", super().clean())  # Django returns cleaned_data
        earliest = dt.date(1990, 1, 1)
        latest = timezone.localdate() + dt.timedelta(days=366)
        for name in ("start", "end"):
            day = data.get(name)
            if day and not earliest <= day <= latest:
                self.add_error(name, f"Choose a date between {earliest:%Y} and {latest:%Y}.")
                data.pop(name, None)
        if data.get("period") == "range":
            start, end = data.get("start"), data.get("end")
            if not start and "start" not in self.errors:
                self.add_error("start", "Give the first day.")
            if not end and "end" not in self.errors:
                self.add_error("end", "Give the last day.")
            if start and end and end < start:
                self.add_error("end", "The last day cannot be before the first.")
            if start and end and (end - start).days > 3 * 366:
                self.add_error("end", "Choose at most three years.")
        return data

    def period_for(self, today: dt.date | None = None) -> Period:
        today = today or timezone.localdate()
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        choice = data.get("period") or "term"
        if choice == "last_term":
            return term(term(today).start - dt.timedelta(days=1))
        if choice == "year":
            return school_year(today)
        if choice == "last_year":
            return school_year(school_year(today).start - dt.timedelta(days=1))
        if choice == "range":
            start, end = data["start"], data["end"]
            return Period(start, end, f"{start:%d %b %Y} to {end:%d %b %Y}")
        return term(today)
