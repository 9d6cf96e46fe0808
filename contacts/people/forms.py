from __future__ import annotations

from typing import Any, cast

from crispy_forms.helper import FormHelper
from django import forms
from django.core.exceptions import ValidationError

from contacts.people.models import (
    AgreedContactMode,
    ColleagueKind,
    DeclaredContact,
    ParentCarer,
    Pupil,
    Staff,
    StaffRelative,
)
from contacts.people.pupil_picker import PupilPickerForm
from contacts.people.services import SCHOOL_FIELDS
from safeguard.core import roles
from safeguard.core.emails import LOOKALIKE_MESSAGE, is_lookalike
from safeguard.core.forms import DATE_INPUT, LONG_TEXT, TIME_INPUT
from safeguard.core.models import School
from safeguard.core.roles import Role

# The governance roles are the chair of governors' to give (docs/security.md "Separation of
# duties"), so the staff form does not offer them; it keeps those a person holds as they are.
ASSIGNABLE_ROLES = [
    (r.value, r.label) for r in Role if r != Role.STAFF and r not in roles.GOVERNANCE_ROLES
]


class _NoFormTag:
    """Crispy renders fields only; templates write the <form> with its CSRF token."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class IdentityEmailField(forms.EmailField):
    """A sign-in address: a look-alike is refused with its own message, before the general
    "Enter a valid email address" a non-ASCII local part would otherwise get."""

    def run_validators(self, value: Any) -> None:
        if value and is_lookalike(value):
            raise ValidationError(LOOKALIKE_MESSAGE, code="lookalike")
        super().run_validators(value)


class StaffForm(_NoFormTag, forms.ModelForm):
    roles = forms.MultipleChoiceField(
        choices=ASSIGNABLE_ROLES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Every member of staff can submit requests and records; tick any extra roles. "
        "The chair of governors gives the governance roles.",
    )

    class Meta:
        model = Staff
        fields = [
            "first_name",
            "last_name",
            "email",
            "job_title",
            "date_of_birth",
            "staff_type",
            "line_manager",
            "leaving_date",
        ]
        widgets = {"date_of_birth": DATE_INPUT, "leaving_date": DATE_INPUT}
        field_classes = {"email": IdentityEmailField}

    invite = forms.BooleanField(
        label="Email them an invitation to sign in",
        required=False,
        initial=True,
        help_text="A link, valid for a few days, where they choose their password.",
    )

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.school = school
        if self.instance.pk:
            del self.fields["invite"]  # an existing account is invited from the Invitations page
        # Governors are never offered: they monitor no staff (the service refuses them too).
        managers = Staff.objects.filter(school=school, is_active=True).exclude(
            role_assignments__role__in=roles.GOVERNANCE_ROLES
        )
        if self.instance.line_manager_id:
            # Keep a manager who has since left, so saving does not silently clear them.
            managers = managers | Staff.objects.filter(pk=self.instance.line_manager_id)
        if self.instance.pk:
            managers = managers.exclude(pk=self.instance.pk)
            self.initial.setdefault(
                "roles", list(self.instance.role_assignments.values_list("role", flat=True))
            )
        line_manager = cast("forms.ModelChoiceField[Staff]", self.fields["line_manager"])
        line_manager.queryset = managers
        line_manager.empty_label = "No line manager"

    def clean_roles(self) -> list[str]:
        """The roles ticked, with the governance roles the person holds (not offered here)."""
        kept = []
        if self.instance.pk:
            kept = list(
                self.instance.role_assignments.filter(role__in=roles.GOVERNANCE_ROLES).values_list(
                    "role", flat=True
                )
            )
        return [*self.cleaned_data["roles"], *kept]


class PupilForm(_NoFormTag, forms.ModelForm):
    agreed_contact_modes = forms.MultipleChoiceField(
        label="The parents have agreed staff may contact the pupil directly by",
        required=False,
        choices=AgreedContactMode.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only on school equipment (004 §11). Without it, a call or text to the pupil "
        "needs the head's approval and the parents' permission first.",
    )

    notes = forms.CharField(
        max_length=LONG_TEXT, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    class Meta:
        model = Pupil
        fields = [
            "first_name",
            "last_name",
            "date_of_birth",
            "admission_date",
            "leaving_date",
            "year_group",
            "vulnerable_adult",
            "notes",
            "agreed_contact_modes",
        ]
        widgets = {
            "date_of_birth": DATE_INPUT,
            "admission_date": DATE_INPUT,
            "leaving_date": DATE_INPUT,
        }

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.school = school


class ParentForm(_NoFormTag, forms.ModelForm):
    class Meta:
        model = ParentCarer
        fields = ["first_name", "last_name", "relationship", "email", "phone"]


class RelativeForm(_NoFormTag, PupilPickerForm, forms.ModelForm):
    contact_kinds = forms.MultipleChoiceField(
        label="The contact it involves",
        required=False,
        choices=DeclaredContact.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Once acknowledged, contact of these kinds with this pupil is recorded, not "
        "asked about each time. Anything else is assessed as usual.",
    )

    class Meta:
        model = StaffRelative
        fields = ["pupil", "relationship", "contact", "contact_kinds"]
        widgets = {"contact": forms.Textarea(attrs={"rows": 3, "maxlength": 2000})}

    def __init__(self, *args: Any, pupils: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pick_pupils(pupils)


class ColleagueRelationshipForm(forms.Form):
    colleague = forms.ModelChoiceField(
        label="Colleague",
        queryset=Staff.objects.none(),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    kind = forms.ChoiceField(
        label="Relationship",
        choices=ColleagueKind.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args: Any, colleagues: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["colleague"]).queryset = colleagues


class RelativeDecisionForm(forms.Form):
    """Conditions set when acknowledging or reviewing a declaration."""

    conditions = forms.CharField(
        label="Conditions (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RelativeEndForm(forms.Form):
    reason = forms.CharField(label="Why it ends (optional)", required=False, max_length=500)


class ImportForm(_NoFormTag, forms.Form):
    KIND_CHOICES = [("pupils", "Pupils"), ("staff", "Staff")]
    kind = forms.ChoiceField(label="What the file holds", choices=KIND_CHOICES)
    file = forms.FileField(
        label="CSV file",
        help_text="UTF-8 CSV with a header row; the columns are listed below.",
    )
    invite = forms.BooleanField(
        label="Invite everyone new",
        required=False,
        initial=True,
        help_text="Staff only: email each person in the file a link to choose their password.",
    )


class SchoolForm(_NoFormTag, forms.ModelForm):
    address = forms.CharField(
        max_length=LONG_TEXT, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    class Meta:
        model = School
        fields = list(SCHOOL_FIELDS)  # the settings the service may change, no more
        widgets = {
            "school_day_starts": TIME_INPUT,
            "school_day_ends": TIME_INPUT,
        }
        help_texts = {
            "child_age": "A former pupil under this age counts as a child (default 18).",
            "restricted_window_years": "Contact with a former pupil who is a child or a "
            "vulnerable adult is restricted for this many years after they leave (default 3; "
            "003 §2).",
            "exemption_needs_approval": "Planned contact under an exemption (sport, an organised "
            "social event, volunteering, Scouts, a family invitation) still needs approval.",
            "response_days": "School days a request may wait before the headteacher is reminded.",
            "acknowledge_within_minutes": "Counted in the school day, Monday to Friday: a "
            "child-protection disclosure not acknowledged by then goes to the deputy DSL, then "
            "the headteacher (default 60).",
            "school_day_starts": "Used only to count the time above.",
            "retention_disclosure_until_age": "Child-protection disclosures are kept until the "
            "pupil reaches this age, then flagged for review (default 25).",
            "retention_staff_retirement_age": "Allegations and boundary concerns about a member "
            "of staff are kept until they reach this age, or for the minimum below if longer.",
            "retention_allegation_min_years": "The shortest time allegations and boundary "
            "concerns are kept (default 10 years).",
            "retention_contact_years_after_leaving": "Other contact records and requests are kept "
            "this many years after the pupil leaves (default 6).",
            # The pattern view's thresholds (docs/policy-rules.md "Patterns in one adult's
            # contact"): a flag is worth a look, never a finding.
            "pattern_unplanned_count": "Unplanned contacts by one adult with the same pupil that "
            "show as worth a look (default 3).",
            "pattern_unplanned_days": "Counted within this many days (default 90).",
            "pattern_gifts_count": "Gifts, cards, letters or personal messages from one adult to "
            "the same pupil that show as worth a look (default 2).",
            "pattern_gifts_days": "Counted within this many days (default 90).",
            "pattern_concerns_count": "Boundary concerns about one adult that show as worth a "
            "look (default 2).",
            "pattern_concerns_days": "Counted within this many days (default 365, a year).",
            "concern_open_days": "A boundary concern still open after this many days is listed "
            "in the governors' report among the things that should never happen (default 30).",
            "checkpoint_copy_to": "Each signed checkpoint of the audit trail goes to the chair "
            "of governors by email; this address gets a copy too (the clerk to the governors, "
            "say). Keep them: they prove later that the trail was not rewritten.",
            "report_small_counts": "A count of 1 to 4 can point to one pupil. When ticked, the "
            'report\'s tables, summary and CSVs say "fewer than 5" instead, leave out totals '
            "that would give the number away, and leave out the charts (the DfE's usual "
            "practice).",
        }


# --- The chair of governors' governance page ----------------------------------------------


class GovernorGiveForm(_NoFormTag, forms.Form):
    staff = forms.ModelChoiceField(
        label="Make a governor",
        queryset=Staff.objects.none(),
        empty_label="Choose a member of staff",
        help_text="The school's active staff, the headteacher aside.",
    )

    def __init__(self, *args: Any, candidates: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ModelChoiceField[Staff]", self.fields["staff"]).queryset = candidates


class GovernanceEmailForm(_NoFormTag, forms.Form):
    email = IdentityEmailField(
        label="New email address",
        max_length=254,
        help_text="The old address is told of the change.",
    )


class GovernanceActiveForm(forms.Form):
    active = forms.TypedChoiceField(
        choices=[("1", "Reactivate"), ("0", "Deactivate")], coerce=lambda value: value == "1"
    )
