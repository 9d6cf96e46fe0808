"""Forms for alerts and cases. They validate input; the services decide."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crispy_forms.helper import FormHelper
from django import forms

from contacts.alerts.models import Agency
from safeguard.core.forms import DATE_INPUT, LONG_TEXT

if TYPE_CHECKING:  # the form is handed its people; it never reads them itself
    from contacts.people.models import Staff


class _Helper(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class NoteForm(_Helper):
    text = forms.CharField(
        label="Note",
        max_length=LONG_TEXT,
        error_messages={"required": "Write the note."},
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="A discussion, a decision and its reason: dated and signed with your name.",
    )


class CloseForm(_Helper):
    outcome = forms.CharField(
        label="Outcome",
        max_length=200,
        required=False,
        help_text="For example: referred to children's social care; no further action; "
        "support in school.",
    )
    rationale = forms.CharField(
        label="Why it can be closed",
        max_length=LONG_TEXT,
        error_messages={"required": "Say why it can be closed."},
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReopenForm(_Helper):
    reason = forms.CharField(
        label="Why it is reopened",
        max_length=LONG_TEXT,
        error_messages={"required": "Say why it is reopened."},
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ActionForm(_Helper):
    description = forms.CharField(
        label="What is to be done", max_length=LONG_TEXT, widget=forms.Textarea(attrs={"rows": 2})
    )
    assigned_to: forms.ModelChoiceField[Staff] = forms.ModelChoiceField(
        label="Who does it", queryset=None, empty_label="Choose a member of staff"
    )
    due_on = forms.DateField(label="By when", widget=DATE_INPUT)

    def __init__(self, *args: Any, staff: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].queryset = staff  # type: ignore[attr-defined]


class ReferralForm(_Helper):
    agency = forms.ChoiceField(label="Referred to", choices=Agency.choices)
    agency_other = forms.CharField(
        label="Which agency", max_length=200, required=False, help_text="If Other."
    )
    referred_on = forms.DateField(label="Date of the referral", widget=DATE_INPUT)
    reference = forms.CharField(label="Their reference", max_length=100, required=False)
    contact = forms.CharField(label="Who you spoke to", max_length=200, required=False)
    response = forms.CharField(
        label="Their response, if known",
        max_length=LONG_TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ResponseForm(_Helper):
    response = forms.CharField(
        label="Their response",
        max_length=LONG_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
