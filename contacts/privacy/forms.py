"""Forms of the retention pages: legal holds and the review of disclosures at the end of their
retention period. They validate input; the services decide."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from crispy_forms.helper import FormHelper
from django import forms

from contacts.people.pupil_picker import PupilPickerForm
from safeguard.core.forms import DATE_INPUT, LONG_TEXT

if TYPE_CHECKING:
    from contacts.people.models import Pupil, Staff


class _Fields(forms.Form):
    """Crispy renders fields only; templates write the <form> with its CSRF token."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class LegalHoldForm(_Fields, PupilPickerForm):
    pupil: forms.ModelChoiceField[Pupil] = forms.ModelChoiceField(queryset=None, required=False)
    staff: forms.ModelChoiceField[Staff] = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="Member of staff",
        empty_label="No member of staff",
    )
    reason = forms.CharField(
        max_length=LONG_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The claim, investigation or inquiry that needs the records kept. Choose one "
        "pupil or one member of staff: everything about them is kept until the hold is lifted.",
    )

    def __init__(self, *args: Any, pupils: Any, staff: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ModelChoiceField[Staff]", self.fields["staff"]).queryset = staff
        self.pick_pupils(pupils, empty_label="No pupil")


class LiftForm(_Fields):
    reason = forms.CharField(label="Why the hold is lifted", max_length=500)


class ReviewForm(_Fields):
    decision = forms.ChoiceField(
        choices=[
            ("keep", "Keep it, and review it again on the date below"),
            ("delete", "Delete it now"),
        ],
        widget=forms.RadioSelect,
    )
    review_on = forms.DateField(label="Next review", required=False, widget=DATE_INPUT)
    reason = forms.CharField(
        max_length=LONG_TEXT,
        label="Why it is kept",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed to keep it; added to the disclosure as an addendum.",
    )
