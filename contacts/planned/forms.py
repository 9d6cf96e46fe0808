"""Forms of the planned-contact workflow. They validate input; the services decide."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from crispy_forms.helper import FormHelper
from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils import timezone

from contacts.planned.models import ContactRequest, PlanDecision
from policies.forms import ContactQuestionForm
from safeguard.core.forms import (
    DATE_INPUT,
    LONG_TEXT,
    TIME_INPUT,
    BoundedModelMultipleChoiceField,
)

# The plan of involvement's fields on the request form, and what each is when left out.
PLAN_FIELDS = (
    "plan_outcomes",
    "plan_timescales",
    "plan_support",
    "plan_agencies",
    "plan_signposting",
    "plan_review_date",
)
NO_PLAN: dict[str, Any] = dict.fromkeys(PLAN_FIELDS, "") | {"plan_review_date": None}


class RequestForm(ContactQuestionForm):
    """The "Can I do this?" questions plus what a record of planned contact must hold."""

    # The form refuses a past date itself; the service refuses a time already gone today.
    service_fields = {"starts_at": "contact_time"}

    pupils = BoundedModelMultipleChoiceField(
        queryset=None,
        help_text="The pupil, or the pupils whose family you will be in contact with. "
        "Tick each one; find more by name to add them.",
    )
    contact_time = forms.TimeField(label="Time", widget=TIME_INPUT)
    # A new request's one-time key, made when the blank form is shown (the service refuses
    # the same form sent twice).
    submission_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=40)
    place = forms.CharField(max_length=200, help_text="Where the contact will take place.")
    reasons = forms.CharField(
        max_length=LONG_TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Why the contact is needed. The policies require the record to give reasons.",
    )
    plan_outcomes = forms.CharField(
        max_length=LONG_TEXT,
        label="Plan of involvement: expected outcomes",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Needed for a former pupil: what the contact is meant to achieve. Not for a "
        "close relationship, which the headteacher takes to the LADO instead.",
    )
    plan_timescales = forms.CharField(
        max_length=LONG_TEXT,
        label="Plan of involvement: timescales",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed for a former pupil: how long the involvement lasts, and how often.",
    )
    plan_support = forms.CharField(
        max_length=LONG_TEXT,
        label="Plan of involvement: support or supervision for you",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed for a former pupil: who supports or supervises you while it lasts, "
        "for example a fortnightly meeting with your line manager.",
    )
    plan_agencies = forms.CharField(
        max_length=LONG_TEXT,
        label="Plan of involvement: other agencies involved",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Any other service working with them (a leaving-care team, a college's "
        "student support), if there is one.",
    )
    plan_signposting = forms.CharField(
        max_length=LONG_TEXT,
        label="Plan of involvement: signposting given to services outside school",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Help that lies outside school is signposted to the services that give it: "
        "say which you pointed them to, if any.",
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
        *PLAN_FIELDS,
    ]

    def __init__(self, *args: Any, pupils: Any, **kwargs: Any) -> None:
        super().__init__(*args, pupils=pupils, **kwargs)
        del self.fields["pupil"]
        del self.fields["planned"]
        self.order_fields(self.field_order)
        self.pick_pupils(pupils)
        self.asks_plan = True

    def without_plan(self) -> None:
        """Leave out the plan of involvement: the policies ask the head to consult the LADO
        instead (a close relationship is not a plan with outcomes to expect)."""
        self.asks_plan = False
        for name in PLAN_FIELDS:
            self.fields.pop(name, None)
            if hasattr(self, "cleaned_data"):
                self.cleaned_data.pop(name, None)

    def clean(self) -> dict[str, Any]:
        data = cast("dict[str, Any]", forms.Form.clean(self))  # Django returns cleaned_data
        on = data.get("contact_date")
        if on and on < timezone.localdate():
            self.add_error("contact_date", "A planned contact must be today or later.")
        return data

    # The answers "Ask for approval" carries over from "Can I do this?" (its request_answers).
    CARRIED = (
        "with_whom",
        "kind",
        "purpose",
        "contact_date",
        "exemption",
        "parent_organised",
        "school_channel",
        "vulnerable_context",
    )

    @classmethod
    def initial_from_query(cls, query: QueryDict) -> dict[str, Any]:
        """A new request's starting answers from a query string. Each is checked as its field
        checks it and dropped if wrong; pupils are ids the picker shows only if this person
        may choose them, so a made-up link fills in nothing it should not."""
        initial: dict[str, Any] = {}
        for name in cls.CARRIED:
            if name in query:
                try:
                    initial[name] = cls.base_fields[name].clean(query.get(name))
                except ValidationError:
                    continue
        # ASCII digits only: "²" is a digit to str.isdigit() and not to int().
        pupils = [
            v for v in query.getlist("pupils")[:20] if v.isascii() and v.isdigit() and len(v) < 19
        ]
        if pupils:
            initial["pupils"] = [int(value) for value in pupils]
        return initial

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
            **{name: getattr(request, name) for name in PLAN_FIELDS},
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
            **{name: data.get(name, NO_PLAN[name]) for name in PLAN_FIELDS},
            "submission_key": data.get("submission_key", ""),
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

    def __init__(self, *args: Any, only_ask: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if only_ask:
            # Approving or rejecting waits (for the LADO's advice): asking does not.
            field = cast(forms.ChoiceField, self.fields["decision"])
            field.choices = [("ask", "Ask for more information")]
            field.initial = "ask"

    conditions = forms.CharField(
        max_length=LONG_TEXT,
        label="Conditions (if approving)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    reason = forms.CharField(
        max_length=LONG_TEXT,
        label="Reason, or what more you need to know",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required when rejecting or asking for more information.",
    )


class ReasonForm(_Plain):
    reason = forms.CharField(max_length=LONG_TEXT, widget=forms.Textarea(attrs={"rows": 2}))


class AnswerForm(_Plain):
    answer = forms.CharField(
        max_length=LONG_TEXT,
        label="Your answer, or what you changed",
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class OutcomeForm(_Plain):
    outcome = forms.CharField(
        max_length=LONG_TEXT, label="What happened", widget=forms.Textarea(attrs={"rows": 3})
    )
    concerns = forms.CharField(
        max_length=LONG_TEXT,
        label="Anything of concern",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The headteacher is told if you write anything here.",
    )


class NoteForm(_Plain):
    text = forms.CharField(
        max_length=LONG_TEXT, label="Note", widget=forms.Textarea(attrs={"rows": 2})
    )


class ReviewForm(_Plain):
    note = forms.CharField(
        max_length=LONG_TEXT,
        label="Monitoring note (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class SessionForm(_Plain):
    # Sessions are added, never changed: there is no version to check.
    version = None  # type: ignore[assignment]  # how Django removes an inherited field
    held_on = forms.DateField(label="Date of the session", widget=DATE_INPUT)
    what_happened = forms.CharField(
        max_length=LONG_TEXT,
        label="What happened",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What you did together, and how it went against the plan's expected outcomes.",
    )
    concerns = forms.CharField(
        max_length=LONG_TEXT,
        label="Anything of concern",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The headteacher is told, and it needs their attention, if you write "
        "anything here.",
    )


class PlanReviewForm(_Plain):
    """A review of a plan of involvement. The plan's parts come filled in as they stand: a
    change is made by changing them here and choosing "change the plan"."""

    reviewed_on = forms.DateField(label="Date of the review", widget=DATE_INPUT)
    decision = forms.ChoiceField(
        label="The plan", choices=PlanDecision.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        max_length=LONG_TEXT,
        label="What the review found",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="How the sessions went against the expected outcomes, and why the plan "
        "continues, changes or ends.",
    )
    next_review_date = forms.DateField(
        label="Next review",
        required=False,
        widget=DATE_INPUT,
        help_text="Needed unless the plan ends.",
    )
    plan_outcomes = forms.CharField(
        max_length=LONG_TEXT,
        label="Expected outcomes",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    plan_timescales = forms.CharField(
        max_length=LONG_TEXT,
        label="Timescales",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    plan_support = forms.CharField(
        max_length=LONG_TEXT,
        label="Support or supervision for the member of staff",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    plan_agencies = forms.CharField(
        max_length=LONG_TEXT,
        label="Other agencies involved",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    plan_signposting = forms.CharField(
        max_length=LONG_TEXT,
        label="Signposting given to services outside school",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )

    PLAN_PARTS = (
        "plan_outcomes",
        "plan_timescales",
        "plan_support",
        "plan_agencies",
        "plan_signposting",
    )

    @classmethod
    def initial_from(cls, request: ContactRequest) -> dict[str, Any]:
        return {"version": request.version, "reviewed_on": timezone.localdate()} | {
            name: getattr(request, name) for name in cls.PLAN_PARTS
        }

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        # A part left out of the POST is left as it is.
        plan = {name: data[name] for name in self.PLAN_PARTS if name in self.data}
        return {
            "expected_version": data["version"],
            "reviewed_on": data["reviewed_on"],
            "decision": data["decision"],
            "note": data["note"],
            "next_review_date": data["next_review_date"],
            "plan": plan,
        }


class AbsenceForm(_Plain):
    # No request behind it, so no version to check: an error there would be invisible.
    version = None  # type: ignore[assignment]  # how Django removes an inherited field
    starts_on = forms.DateField(label="First day away", widget=DATE_INPUT)
    ends_on = forms.DateField(label="Last day away", widget=DATE_INPUT)
    note = forms.CharField(max_length=200, required=False)
