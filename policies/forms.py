from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from crispy_forms.helper import FormHelper
from django import forms
from django.utils import timezone

from contacts.people.pupil_picker import PupilPickerForm
from policies import engine
from policies.engine import CLAUSES
from safeguard.core.forms import DATE_INPUT, DOCUMENT_TEXT, LONG_TEXT
from safeguard.core.roles import DEFAULT_POLICY_SIGNATORIES, POLICY_SIGNATORY_ORDER, Role

if TYPE_CHECKING:
    from contacts.people.models import Pupil

KIND_CHOICES = [(k, engine.KIND_LABELS[k]) for k in engine.KINDS]
PURPOSE_CHOICES = [(p, engine.PURPOSE_LABELS[p]) for p in engine.PURPOSES]
EXEMPTION_CHOICES = [("", "None of these")] + [
    (e, engine.EXEMPTION_LABELS[e]) for e in engine.EXEMPTIONS
]
WITH_WHOM_CHOICES = [
    ("pupil", "The pupil"),
    ("family", "Only their parent, carer or family"),
]
PLANNED_CHOICES = [
    ("yes", "I am asking before it happens"),
    ("no", "It has already happened"),
]


class ContactQuestionForm(PupilPickerForm):
    """The questions that decide what the policies say about a contact.

    Shared by "Can I do this?" and the planned-contact request form.
    """

    pupil: forms.ModelChoiceField[Pupil] = forms.ModelChoiceField(
        queryset=None,
        help_text="The pupil, or the pupil whose family you are in contact with.",
    )
    with_whom = forms.ChoiceField(
        label="Who is the contact with?",
        choices=WITH_WHOM_CHOICES,
        initial="pupil",
        widget=forms.RadioSelect,
    )
    kind = forms.ChoiceField(label="Kind of contact", choices=KIND_CHOICES)
    purpose = forms.ChoiceField(
        label="Purpose", choices=PURPOSE_CHOICES, initial="work", widget=forms.RadioSelect
    )
    contact_date = forms.DateField(label="Date of the contact", widget=DATE_INPUT)
    planned = forms.ChoiceField(
        label="Is this planned?", choices=PLANNED_CHOICES, initial="yes", widget=forms.RadioSelect
    )
    exemption = forms.ChoiceField(
        label="Does one of these apply?", choices=EXEMPTION_CHOICES, required=False
    )
    parent_organised = forms.BooleanField(
        label="A parent or carer organised this specific meeting", required=False
    )
    school_channel = forms.BooleanField(
        label="It uses the school's own email, phone or equipment", required=False
    )
    vulnerable_context = forms.BooleanField(
        label="The contact could leave the pupil vulnerable", required=False
    )

    def __init__(self, *args: Any, pupils: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        # The request form asks for several pupils instead, and sets its own picker up.
        if self.pupil_field == "pupil":
            self.pick_pupils(pupils)

    def clean(self) -> dict[str, Any]:
        data = cast("dict[str, Any]", super().clean())  # Django returns cleaned_data
        on = data.get("contact_date")
        planned = data.get("planned") == "yes"
        today = timezone.localdate()
        if on and planned and on < today:
            self.add_error("contact_date", "A planned contact must be today or later.")
        if on and not planned and on > today:
            self.add_error(
                "contact_date", "Something that has already happened cannot be in the future."
            )
        return data

    def request_answers(self) -> dict[str, Any]:
        """The cleaned answers a request for approval starts from ("Ask for approval" after
        "Can I do this?"), named as the request form's fields; a query string carries them."""
        data = self.cleaned_data
        answers: dict[str, Any] = {
            "pupils": [data["pupil"].pk],
            "with_whom": data["with_whom"],
            "kind": data["kind"],
            "purpose": data["purpose"],
            "contact_date": data["contact_date"].isoformat(),
            "exemption": data["exemption"],
        }
        ticked = ("parent_organised", "school_channel", "vulnerable_context")
        return answers | {name: "on" for name in ticked if data[name]}

    def fact_arguments(self) -> dict[str, Any]:
        """The cleaned answers, named as policies.facts.contact_facts takes them."""
        data = self.cleaned_data
        return {
            "pupil": data["pupil"],
            "with_family_only": data["with_whom"] == "family",
            "on": data["contact_date"],
            "kind": data["kind"],
            "purpose": data["purpose"],
            "planned": data["planned"] == "yes",
            "exemption": data["exemption"] or None,
            "parent_organised": data["parent_organised"],
            "school_channel": data["school_channel"],
            "vulnerable_context": data["vulnerable_context"],
        }


CLAUSE_FORM_CHOICES = [(cid, f"{c.citation}: {c.text}") for cid, c in CLAUSES.items()]
OWNER_CHOICES = [(r.value, r.label) for r in Role if r != Role.STAFF]
SIGNATORY_CHOICES = [(str(r), Role(r).label) for r in POLICY_SIGNATORY_ORDER]


class _Helper:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class PolicyForm(_Helper, forms.Form):
    title = forms.CharField(max_length=200)
    owner_role = forms.ChoiceField(label="Owner", choices=OWNER_CHOICES)
    summary = forms.CharField(
        max_length=LONG_TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What the policy asks of staff, in the school's own words.",
    )
    requires_acknowledgement = forms.BooleanField(
        label="Staff must confirm they have read each new version", required=False, initial=True
    )
    signatories = forms.MultipleChoiceField(
        label="Signed by",
        choices=SIGNATORY_CHOICES,
        initial=[str(r) for r in DEFAULT_POLICY_SIGNATORIES],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose who signs each version to adopt it."},
        help_text="Each new version is adopted, and staff asked to read it, once all of them "
        "have signed it in Safeguard. A change here applies to versions added from now on.",
    )
    clauses = forms.MultipleChoiceField(
        label="Rules this policy stands behind",
        choices=CLAUSE_FORM_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Staff asking 'Can I do this?' see this policy next to each rule ticked.",
    )


class PolicyVersionForm(_Helper, forms.Form):
    last_reviewed = forms.DateField(widget=DATE_INPUT)
    next_review = forms.DateField(label="Next review due", widget=DATE_INPUT)
    text = forms.CharField(
        max_length=DOCUMENT_TEXT,
        label="Policy text",
        required=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text="Paste the policy as adopted, or upload it as a PDF instead.",
    )
    document = forms.FileField(
        label="PDF of the policy", required=False, help_text="PDF only, at most 10 MB."
    )
    change_note = forms.CharField(label="What changed", max_length=300, required=False)


class NewPolicyForm(PolicyForm, PolicyVersionForm):
    """A policy and its first version on one page."""

    field_order = [
        "title",
        "owner_role",
        "summary",
        "requires_acknowledgement",
        "signatories",
        "last_reviewed",
        "next_review",
        "text",
        "document",
        "clauses",
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["change_note"]
