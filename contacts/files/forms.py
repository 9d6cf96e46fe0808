"""The printed file's choices: which kinds of entry, between which dates."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from safeguard.core.forms import DATE_INPUT

KIND_CHOICES = [
    ("request", "Requests"),
    ("record", "Records"),
    ("disclosure", "Disclosures"),
]


class ChronologyForm(forms.Form):
    kinds = forms.MultipleChoiceField(
        label="Show",
        required=False,
        choices=KIND_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every kind.",
    )
    since = forms.DateField(label="From", required=False, widget=DATE_INPUT)
    until = forms.DateField(label="To", required=False, widget=DATE_INPUT)

    def __init__(self, *args: Any, kinds: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast("forms.MultipleChoiceField", self.fields["kinds"])
        field.choices = [choice for choice in KIND_CHOICES if choice[0] in kinds]

    def clean(self) -> dict[str, Any]:
        data = cast("dict[str, Any]", super().clean())  # Django returns cleaned_data
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", "The last day cannot be before the first.")
        return data

    def describe(self) -> str:
        """The choices in words, for the printed page's heading and the audit trail."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        labels = dict(KIND_CHOICES)
        kinds = ", ".join(labels[k].lower() for k in data.get("kinds") or []) or "every entry"
        since, until = data.get("since"), data.get("until")
        dates = (f" from {since:%-d %b %Y}" if since else "") + (
            f" to {until:%-d %b %Y}" if until else ""
        )
        return f"{kinds}{dates}"
