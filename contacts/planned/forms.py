"""Forms of the planned-contact workflow. They validate input; the services decide."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from crispy_forms.helper import FormHelper
from django import forms
from django.utils import timezone

from contacts.planned.models import ContactRequest
from policies.forms import ContactQuestionForm
from safeguard.core.forms import DATE_INPUT, TIME_INPUT, BoundedModelMultipleChoiceField


class RequestForm(ContactQuestionForm):
    """The "Can I do this?" questions plus what a record of planned contact must hold."""

    pupils = BoundedModelMultipleChoiceField(
        queryset=None,
        help_text="The pupil, or the pupils whose family you will be in contact with. "
        "Tick each one; find more by name to add them.",
    )
    contact_time = forms.TimeField(label="Time", widget=TIME_INPUT)
    place = forms.CharField(max_length=200, help_text="Where the contact will take place.")
    reasons = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Why the contact is needed. The policies require the record to give reasons.",
    )
    plan_outcomes = forms.CharField(
        label="Plan of involvement: expected outcomes",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Needed for a former pupil: what the contact is meant to achieve.",
    )
    plan_timescales = forms.CharField(
        label="Plan of involvement: timescales",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed for a former pupil: how long the involvement lasts, and how often.",
    )
    plan_review_date = forms.DateField(
        label="Plan of involvement: review date", required=False, widget=DATE_INPUT
    )

    pupil_field = "pupils"
    field_order = [
        "pupils",
        "with_whom",
        "kind",
        "purpose",
        "contact_date",
        "contact_time",
        "place",
        "exemption",
        "parent_organised",
        "school_channel",
        "vulnerable_context",
        "reasons",
        "plan_outcomes",
        "plan_timescales",
        "plan_review_date",
    ]

    def __init__(self, *args: Any, pupils: Any, **kwargs: Any) -> None:
        super().__init__(*args, pupils=pupils, **kwargs)
        del self.fields["pupil"]
        del self.fields["planned"]
        self.order_fields(self.field_order)
        self.pick_pupils(pupils)

    def clean(self) -> dict[str, Any]:
        data = cast("dict[str, Any]", forms.Form.clean(self))  # Django returns cleaned_data
        on = data.get("contact_date")
        if on and on < timezone.localdate():
            self.add_error("contact_date", "A planned contact must be today or later.")
        return data

    @staticmethod
    def initial_from(request: ContactRequest) -> dict[str, Any]:
        local = timezone.localtime(request.starts_at)
        return {
            "pupils": list(request.pupils.all()),
            "with_whom": "family" if request.with_family_only else "pupil",
            "kind": request.kind,
            "purpose": request.purpose,
            "contact_date": local.date(),
            "contact_time": local.time().replace(second=0, microsecond=0),
            "place": request.place,
            "exemption": request.exemption,
            "parent_organised": request.parent_organised,
            "school_channel": request.school_channel,
            "vulnerable_context": request.vulnerable_context,
            "reasons": request.reasons,
            "plan_outcomes": request.plan_outcomes,
            "plan_timescales": request.plan_timescales,
            "plan_review_date": request.plan_review_date,
        }

    def assessment_arguments(self) -> dict[str, Any]:
        """The answers as policies.facts.assess_contact takes them."""
        data = self.cleaned_data
        return {
            "pupils": list(data["pupils"]),
            "with_family_only": data["with_whom"] == "family",
            "on": data["contact_date"],
            "kind": data["kind"],
            "purpose": data["purpose"],
            "planned": True,
            "exemption": data["exemption"] or None,
            "parent_organised": data["parent_organised"],
            "school_channel": data["school_channel"],
            "vulnerable_context": data["vulnerable_context"],
        }

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        starts_at = timezone.make_aware(
            dt.datetime.combine(data["contact_date"], data["contact_time"])
        )
        return {
            "pupils": list(data["pupils"]),
            "with_family_only": data["with_whom"] == "family",
            "kind": data["kind"],
            "purpose": data["purpose"],
            "exemption": data["exemption"] or "",
            "parent_organised": data["parent_organised"],
            "school_channel": data["school_channel"],
            "vulnerable_context": data["vulnerable_context"],
            "starts_at": starts_at,
            "place": data["place"],
            "reasons": data["reasons"],
            "plan_outcomes": data["plan_outcomes"],
            "plan_timescales": data["plan_timescales"],
            "plan_review_date": data["plan_review_date"],
        }


class _Plain(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class DecisionForm(_Plain):
    decision = forms.ChoiceField(
        choices=[
            ("approve", "Approve"),
            ("ask", "Ask for more information"),
            ("reject", "Reject"),
        ],
        widget=forms.RadioSelect,
    )
    conditions = forms.CharField(
        label="Conditions (if approving)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    reason = forms.CharField(
        label="Reason, or what more you need to know",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required when rejecting or asking for more information.",
    )


class ReasonForm(_Plain):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))


class AnswerForm(_Plain):
    answer = forms.CharField(
        label="Your answer, or what you changed",
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class OutcomeForm(_Plain):
    outcome = forms.CharField(label="What happened", widget=forms.Textarea(attrs={"rows": 3}))
    concerns = forms.CharField(
        label="Anything of concern",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The headteacher is told if you write anything here.",
    )


class NoteForm(_Plain):
    text = forms.CharField(label="Note", widget=forms.Textarea(attrs={"rows": 2}))


class ReviewForm(_Plain):
    note = forms.CharField(
        label="Monitoring note (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class AbsenceForm(_Plain):
    # No request behind it, so no version to check: an error there would be invisible.
    version = None  # type: ignore[assignment]  # how Django removes an inherited field
    starts_on = forms.DateField(label="First day away", widget=DATE_INPUT)
    ends_on = forms.DateField(label="Last day away", widget=DATE_INPUT)
    note = forms.CharField(max_length=200, required=False)
