"""Forms for contact records, disclosures and addenda. They check the shape of what was typed;
the services in contacts.records.services decide everything else."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import TYPE_CHECKING, Any, cast

from crispy_forms.helper import FormHelper
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from contacts.people.pupil_picker import PupilPickerForm
from contacts.records.models import DIRECTED, RECORD_KINDS, Direction, DisclosureType, RecordType
from policies.engine import KIND_LABELS
from policies.forms import PURPOSE_CHOICES
from safeguard.core.forms import (
    DATE_INPUT,
    LONG_TEXT,
    TIME_INPUT,
    BoundedModelMultipleChoiceField,
)

if TYPE_CHECKING:
    from contacts.people.models import Pupil

# When to use each record type, in a line, with the policy it comes from (the chooser page).
RECORD_TYPE_GUIDE: dict[str, tuple[str, str]] = {
    RecordType.UNPLANNED: (
        "You met a pupil by chance outside school and it went beyond a brief greeting, "
        "for example a conversation in a shop or at a match.",
        "000 §unplanned contact",
    ),
    RecordType.ONGOING: (
        "A pupil keeps contacting you outside any contact the school has agreed, such as "
        "repeated messages, calls, visits or friend requests.",
        "000 §correspondence",
    ),
    RecordType.CORRESPONDENCE: (
        "A pupil or former pupil wrote to you, or you wrote to them. File the letter, card or "
        "email with any reply you sent.",
        "000 §correspondence",
    ),
    RecordType.GIFT: (
        "You gave a card or present to a pupil or their family, or received one from them.",
        "004 §12",
    ),
    RecordType.MESSAGE: (
        "You texted, phoned or emailed a pupil, or they contacted you that way, on a school "
        "or a personal phone or account.",
        "001 §5.2",
    ),
    RecordType.LIFT: (
        "You had to drive a pupil somewhere for their safety without arranging it first.",
        "001 §6",
    ),
    RecordType.PERSONAL_DETAILS: (
        "A pupil has your personal phone number, address or email, whether you gave it or "
        "they found it.",
        "000 §correspondence; 004 §11",
    ),
    RecordType.PHOTOGRAPHY: (
        "Photographs or film of pupils were taken without permission given in advance, or on "
        "a personal device.",
        "003 §5",
    ),
    RecordType.FAMILY: (
        "You met or were in touch with a pupil's parent, carer or family outside school. Only "
        "the headteacher, the assistant headteacher and you will read it.",
        "002 §external contact",
    ),
    RecordType.RELATIONSHIP: (
        "A close personal, romantic or intimate relationship has developed, or may be "
        "developing, between you and a pupil or former pupil. The headteacher may need to "
        "consult the LADO.",
        "000 §contact with former pupils; 001 §6; 004 §13",
    ),
}

# What the "what happened" box asks for, where a type needs more than the general prompt.
DETAILS_HELP: dict[str, str] = {
    RecordType.LIFT: "Why the lift was needed, where you drove them from and to, and who else "
    "was in the vehicle.",
    RecordType.CORRESPONDENCE: "What was written, in brief, and anything in it that worried you.",
    RecordType.GIFT: "What the gift or card was, its rough value, and the occasion.",
    RecordType.PERSONAL_DETAILS: "Which details the pupil has, and how they came to have them.",
    RecordType.PHOTOGRAPHY: "What was photographed or filmed, why, and where the pictures are now.",
    RecordType.ONGOING: "How the pupil has been contacting you, how often, and what you have "
    "done about it.",
}
GENERAL_DETAILS_HELP = "Say what happened, who was there, and anything said that worried you."

# The record types that ask whether the school's own phone, email or equipment was used.
CHANNEL_LABELS: dict[str, str] = {
    RecordType.MESSAGE: "It used the school's own phone, email or equipment",
    RecordType.PHOTOGRAPHY: "It was taken on a school camera or device",
}


def _megabytes(limit: int) -> str:
    return f"{limit / (1024 * 1024):g} MB" if limit >= 1024 * 1024 else f"{limit / 1024:g} KB"


def _no_form_tag() -> FormHelper:
    """Crispy renders the fields only; templates write the <form> with its CSRF token."""
    helper = FormHelper()
    helper.form_tag = False
    return helper


class _DateAndTime:
    """A date and a time typed separately, combined for a service that takes one moment.

    The service names the combined moment (`when_field`) in its errors; the page shows them
    next to the date when that is in the future, otherwise next to the time.
    """

    when_field = ""
    date_field = ""
    time_field = ""

    def moment(self) -> dt.datetime:
        data = self.cleaned_data  # type: ignore[attr-defined]
        return timezone.make_aware(
            dt.datetime.combine(data[self.date_field], data[self.time_field])
        )

    def service_error(self, error: ValidationError) -> ValidationError:
        """The service's error with its field names as this form has them."""
        if not hasattr(error, "error_dict") or self.when_field not in error.error_dict:
            return error
        day = self.cleaned_data.get(self.date_field)  # type: ignore[attr-defined]
        shown = self.date_field if day and day > timezone.localdate() else self.time_field
        renamed = {
            (shown if field == self.when_field else field): errors
            for field, errors in error.error_dict.items()
        }
        return ValidationError(renamed)


class RecordForm(_DateAndTime, PupilPickerForm):
    """One form for every record type; the fields a type does not use are left out."""

    when_field = "occurred_at"
    date_field = "occurred_on"
    time_field = "occurred_time"
    pupil_field = "pupils"

    pupils = BoundedModelMultipleChoiceField(
        label="Pupil or pupils",
        queryset=None,
        help_text="Tick each pupil the record is about; find more by name to add them.",
    )
    kind = forms.ChoiceField(label="Kind of contact", widget=forms.RadioSelect)
    purpose = forms.ChoiceField(
        label="Purpose", choices=PURPOSE_CHOICES, initial="work", widget=forms.RadioSelect
    )
    occurred_on = forms.DateField(label="Date it happened", widget=DATE_INPUT)
    occurred_time = forms.TimeField(
        label="Time it happened", widget=TIME_INPUT, help_text="As near as you can remember."
    )
    place = forms.CharField(label="Where it happened", max_length=200, required=False)
    direction = forms.ChoiceField(
        label="Which way", choices=Direction.choices, widget=forms.RadioSelect
    )
    school_channel = forms.BooleanField(required=False)
    details = forms.CharField(
        max_length=LONG_TEXT, label="What happened", widget=forms.Textarea(attrs={"rows": 5})
    )
    reply = forms.CharField(
        max_length=LONG_TEXT,
        label="Any reply you sent, to be filed with it",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    signposting = forms.CharField(
        max_length=LONG_TEXT,
        label="Signposting given to services outside school",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="If they needed help that lies outside school, which services you pointed "
        "them to (000 §contact with former pupils). Leave empty if none.",
    )
    attachment = forms.FileField(label="Attachment (optional)", required=False)
    arranged = forms.TypedChoiceField(
        label="Was it arranged beforehand?",
        choices=[
            ("no", "No: we met by chance"),
            ("yes", "Yes: it was arranged beforehand, by me, the pupil or their family"),
        ],
        coerce=lambda answer: answer == "yes",
        widget=forms.RadioSelect,
        help_text="Contact arranged in advance may have needed approval first: your line "
        "manager will discuss it with you (004 §12).",
    )

    def __init__(self, *args: Any, record_type: str, pupils: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.record_type = record_type
        self.helper = _no_form_tag()
        if record_type != RecordType.UNPLANNED:
            del self.fields["arranged"]
        if record_type == RecordType.FAMILY:
            self.fields["pupils"].label = "The pupil or pupils whose family it was"
        kinds = RECORD_KINDS[record_type]
        self.only_kind = kinds[0] if len(kinds) == 1 else ""
        if self.only_kind:
            del self.fields["kind"]
        else:
            cast(forms.ChoiceField, self.fields["kind"]).choices = [
                (k, KIND_LABELS[k]) for k in kinds
            ]
        if record_type in CHANNEL_LABELS:
            self.fields["school_channel"].label = CHANNEL_LABELS[record_type]
        else:
            del self.fields["school_channel"]
        if record_type not in DIRECTED:
            del self.fields["direction"]
        if record_type != RecordType.CORRESPONDENCE:
            del self.fields["reply"]
        self.fields["details"].help_text = DETAILS_HELP.get(record_type, GENERAL_DETAILS_HELP)
        what = (
            "A scan or photo of the letter or card"
            if record_type in DIRECTED
            else "A scan or photo, if there is one"
        )
        limit = _megabytes(settings.UPLOAD_MAX_BYTES)
        self.fields["attachment"].help_text = f"{what}: PDF, PNG or JPEG, at most {limit}."
        self.fields["attachment"].widget.attrs["accept"] = ".pdf,.png,.jpg,.jpeg"
        self.pick_pupils(pupils)
        if self.searching and self.files.get("attachment"):
            # A browser never fills a file box in again: say so where the person is looking.
            again = "The attachment was not kept: choose the file again before you save."
            self.pupil_picker = replace(
                self.pupil_picker, message=f"{self.pupil_picker.message} {again}".strip()
            )
            self.fields["attachment"].help_text = f"{again} {self.fields['attachment'].help_text}"

    def service_arguments(self) -> dict[str, Any]:
        """The answers as services.record_create takes them (the attachment comes separately)."""
        data = self.cleaned_data
        return {
            "record_type": self.record_type,
            "pupils": list(data["pupils"]),
            "kind": data.get("kind") or self.only_kind,
            "purpose": data["purpose"],
            "occurred_at": self.moment(),
            "place": data["place"],
            "details": data["details"],
            "school_channel": data.get("school_channel", False),
            "direction": data.get("direction", ""),
            "reply": data.get("reply", ""),
            "arranged": data.get("arranged", False),
            "signposting": data["signposting"],
        }


DISCLOSURE_TYPE_HELP = (
    "Child protection: anything that suggests a child is being harmed or at risk. "
    "Other personal disclosure: something private that is not about harm. "
    "If you are not sure, choose child protection."
)


class DisclosureForm(_DateAndTime, PupilPickerForm):
    when_field = "disclosed_at"
    date_field = "disclosed_on"
    time_field = "disclosed_time"

    pupil: forms.ModelChoiceField[Pupil] = forms.ModelChoiceField(label="Pupil", queryset=None)
    disclosure_type = forms.ChoiceField(
        label="Kind of disclosure",
        # Child protection first: it is the one that must never be missed.
        choices=[
            (DisclosureType.CHILD_PROTECTION, DisclosureType.CHILD_PROTECTION.label),
            (DisclosureType.PERSONAL, DisclosureType.PERSONAL.label),
        ],
        widget=forms.RadioSelect,
        help_text=DISCLOSURE_TYPE_HELP,
    )
    disclosed_on = forms.DateField(label="Date it was said", widget=DATE_INPUT)
    disclosed_time = forms.TimeField(label="Time it was said", widget=TIME_INPUT)
    disclosed_by = forms.CharField(
        label="Who said it",
        max_length=120,
        required=False,
        initial="The pupil",
        help_text="Usually the pupil; otherwise who (for example a friend of theirs).",
    )
    account = forms.CharField(
        max_length=LONG_TEXT,
        label="What was said",
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Write it in the child's own words where you can. "
        "Do not investigate or ask leading questions.",
    )
    circumstances = forms.CharField(
        max_length=LONG_TEXT,
        label="Where and how",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Where it happened, what led up to it, and who else was there.",
    )
    action_taken = forms.CharField(
        max_length=LONG_TEXT,
        label="What you did next",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example: listened, told the pupil who you would pass it on to, "
        "spoke to the designated safeguarding lead.",
    )

    def __init__(self, *args: Any, pupils: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _no_form_tag()
        self.pick_pupils(pupils)

    def service_arguments(self) -> dict[str, Any]:
        """The answers as services.disclosure_record takes them."""
        data = self.cleaned_data
        return {
            "pupil": data["pupil"],
            "disclosure_type": data["disclosure_type"],
            "disclosed_at": self.moment(),
            "disclosed_by": data["disclosed_by"],
            "account": data["account"],
            "circumstances": data["circumstances"],
            "action_taken": data["action_taken"],
        }


class AddendumForm(forms.Form):
    # Not required here: the service says what an empty addendum lacks, next to this field.
    text = forms.CharField(
        max_length=LONG_TEXT,
        label="What to add or correct",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="It is dated and signed with your name, and cannot be changed once saved.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _no_form_tag()
