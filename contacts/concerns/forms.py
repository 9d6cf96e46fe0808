"""Forms for boundary concerns and LADO referrals. They validate input; services decide."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, cast

from crispy_forms.helper import FormHelper
from django import forms
from django.utils import timezone

from contacts.concerns.models import LadoOutcome, LadoType, Outcome
from safeguard.core.forms import DATE_INPUT, LONG_TEXT, TIME_INPUT

if TYPE_CHECKING:  # the form is handed its people; it never reads them itself
    from contacts.people.models import Staff


class _Helper(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class ConcernForm(_Helper):
    subject: forms.ModelChoiceField[Staff] = forms.ModelChoiceField(
        label="Who is the concern about?",
        queryset=None,
        help_text="Choose yourself for a self-referral. The person it is about will not see it.",
    )
    occurred_on = forms.DateField(label="When it happened", widget=DATE_INPUT)
    description = forms.CharField(
        max_length=LONG_TEXT,
        label="What happened, or what worries you",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Facts as you saw or heard them: what, where, who was there.",
    )
    confidential = forms.BooleanField(
        label="Keep my name from anyone but the case manager",
        required=False,
        help_text="Only the headteacher (or the chair of governors, for a concern about the "
        "headteacher) will know you raised it.",
    )

    harm_to_pupils = forms.BooleanField(
        label="It is about a relationship developing that could harm a pupil",
        required=False,
        help_text="The designated safeguarding lead is told at once and reads it (003 §3).",
    )
    tell_line_manager = forms.BooleanField(
        label="Also tell my line manager that I raised it",
        required=False,
        help_text="They are told you raised a concern, not what it says.",
    )
    whistleblowing = forms.BooleanField(
        label="Send it only to the governor for whistleblowing",
        required=False,
        help_text="The confidential route (003 §6), for what you are not comfortable taking to "
        "school management: nobody in school management sees it, and only that governor knows "
        "you raised it.",
    )

    def __init__(self, *args: Any, staff: Any, me: Staff, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Django documents replacing label_from_instance on the field; the stubs see a method.
        subject = cast("forms.ModelChoiceField[Staff]", self.fields["subject"])
        subject.queryset = staff
        subject.label_from_instance = lambda person: (  # type: ignore[method-assign,assignment]
            f"Myself (self-referral): {person.full_name}"
            if person.pk == me.pk
            else f"{person.full_name}, {person.job_title or person.get_staff_type_display()}"
        )


class RespondForm(_Helper):
    response = forms.CharField(
        max_length=LONG_TEXT, label="Your response", widget=forms.Textarea(attrs={"rows": 4})
    )
    outcome = forms.ChoiceField(
        label="Outcome", choices=[("", "Not decided yet")] + Outcome.choices, required=False
    )
    close = forms.BooleanField(label="Close the concern with this outcome", required=False)


class LadoForm(_Helper):
    subject: forms.ModelChoiceField[Staff] = forms.ModelChoiceField(
        label="Member of staff concerned",
        queryset=None,
        help_text="The person whose suitability to work with children may be in question.",
    )
    referral_type = forms.ChoiceField(
        label="Consultation or referral", choices=LadoType.choices, widget=forms.RadioSelect
    )
    contacted_on = forms.DateField(label="Date of the call", widget=DATE_INPUT)
    contacted_time = forms.TimeField(label="Time of the call", widget=TIME_INPUT)
    spoke_to = forms.CharField(label="Who you spoke to", max_length=120)
    advice = forms.CharField(
        max_length=LONG_TEXT, label="Advice given", widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args: Any, staff: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ModelChoiceField[Staff]", self.fields["subject"]).queryset = staff

    def contacted_at(self) -> dt.datetime:
        data = self.cleaned_data
        return timezone.make_aware(
            dt.datetime.combine(data["contacted_on"], data["contacted_time"])
        )


class LadoOutcomeForm(_Helper):
    outcome = forms.ChoiceField(choices=LadoOutcome.choices)
    outcome_on = forms.DateField(label="Date of the outcome", widget=DATE_INPUT)
