"""Choosing pupils in a form by finding them by name, without listing the school's whole roll.

A school keeps its former pupils on file for years, so a list of every pupil grows without end:
at 17,000 pupils a form that listed them all was a megabyte and took seconds to draw. A form with
a picker shows only the pupils already chosen and those whose name matches what was typed in the
"Find a pupil" box; the Find button posts the whole form back, so nothing typed elsewhere is lost,
and the page comes back with the matches to tick and no errors, having saved nothing. Validation
still accepts any pupil the user may name, so a choice made on an earlier page stays valid.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Field, Layout
from django import forms
from django.db.models import F, QuerySet
from django.forms.utils import ErrorDict

from contacts.people.models import Pupil
from contacts.people.selectors import pupils_named

FIND_INPUT = "find_pupil"
FIND_BUTTON = "find_pupils"
TEMPLATE = "contacts/_pupil_picker.html"
# Enough to pick from, few enough to read; more matches ask for more of the name.
MOST_SHOWN = 25
FIND_MAX_LENGTH = 100
LARGEST_ID = 2**63 - 1
WITHHELD = "Pupils' names are not shown to your role, so no pupil can be chosen here."


def pupil_choice_label(pupil: Pupil) -> str:
    # Names and year only: choosing a pupil must not reveal their file (no date of birth).
    if pupil.is_current():
        year = pupil.get_year_group_display() if pupil.year_group is not None else "on roll"
        return f"{pupil.full_name} ({year})"
    return f"{pupil.full_name} (former pupil, left {pupil.leaving_date:%Y})"


def _possible_id(value: Any) -> int | None:
    # Hand-made posts may carry anything; only what could be a pupil's id is looked up.
    text = str(value)
    # 19 digits hold any 64-bit id; longer text is refused before int() is asked to read it.
    if isinstance(value, int | str) and len(text) <= 19 and text.isascii() and text.isdigit():
        return int(text) if 0 < int(text) <= LARGEST_ID else None
    return None


@dataclass(frozen=True)
class Picker:
    """What the picker's template shows besides the field itself."""

    find: str
    message: str
    input_name: str
    button_name: str
    max_length: int = FIND_MAX_LENGTH


class PupilPickerForm(forms.Form):
    """A form whose `pupil_field` is chosen with a picker; call `pick_pupils` in `__init__`."""

    pupil_field = "pupil"
    searching = False

    def pick_pupils(self, selectable: QuerySet[Pupil], *, empty_label: str = "") -> None:
        """Make the pupil field a picker over `selectable`, once every field is in its place.

        `empty_label` adds a choice of no pupil, for a field that may be left empty.
        """
        field = cast("forms.ModelChoiceField[Pupil]", self.fields[self.pupil_field])
        multiple = isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = selectable
        field.widget = forms.CheckboxSelectMultiple() if multiple else forms.RadioSelect()
        field.widget.is_required = field.required
        field.error_messages["required"] = (
            "Find the pupil by name, then tick them."
            if multiple
            else "Find the pupil by name, then choose them."
        )
        input_name, button_name = self.add_prefix(FIND_INPUT), self.add_prefix(FIND_BUTTON)
        self.searching = self.is_bound and button_name in self.data
        find = str(self.data.get(input_name) or "") if self.is_bound else ""
        # A NUL cannot be searched for (PostgreSQL refuses it): it is dropped like spaces.
        find = find.replace("\x00", "")[:FIND_MAX_LENGTH].strip()
        # Every pupil chosen stays chosen: a form shown again must not drop any.
        chosen = list(
            selectable.filter(pk__in=self._chosen_ids(field)).order_by("last_name", "first_name")
        )
        if chosen and not self.searching:
            # Sent with pupils ticked: the name typed has done its work.
            find = ""
        found: list[Pupil]
        if selectable.query.is_empty():
            # Nobody to choose from (a governor): say so, rather than "no pupil matches".
            found, message = [], WITHHELD
        else:
            found, message = self._find(selectable, find, chosen=[p.pk for p in chosen])
        choices = [(p.pk, pupil_choice_label(p)) for p in chosen + found]
        field.widget.choices = [("", empty_label), *choices] if empty_label else choices
        self.pupil_picker = Picker(
            find=find, message=message, input_name=input_name, button_name=button_name
        )
        self._lay_out()

    def _chosen_ids(self, field: forms.Field) -> list[int]:
        name = self.pupil_field
        if self.is_bound:
            raw = field.widget.value_from_datadict(self.data, self.files, self.add_prefix(name))
        else:
            raw = self.get_initial_for_field(field, name)
        values = raw if isinstance(raw, list | tuple) else [raw]
        ids = [_possible_id(getattr(value, "pk", value)) for value in values]
        return [i for i in ids if i is not None]

    @staticmethod
    def _find(selectable: QuerySet[Pupil], find: str, *, chosen: list[int]) -> tuple[list, str]:
        if not find:
            return [], ""
        if len(find) < 2:
            return [], "Type at least two letters of the pupil's name."
        matches = list(
            pupils_named(selectable, find)
            # Pupils on roll first, then the most recent leavers.
            .order_by(F("leaving_date").desc(nulls_first=True), "last_name", "first_name")[
                : MOST_SHOWN + 1 + len(chosen)
            ]
        )
        rows = [p for p in matches if p.pk not in chosen]
        if matches and not rows:
            return [], f"Every pupil whose name matches “{find}” is ticked already."
        if not rows:
            return [], f"No pupil's name matches “{find}”."
        if len(rows) > MOST_SHOWN:
            return rows[:MOST_SHOWN], (
                f"More than {MOST_SHOWN} pupils match “{find}”; the first {MOST_SHOWN} are shown "
                "(pupils on roll first). Type more of the name to narrow it down."
            )
        count = "1 pupil matches" if len(rows) == 1 else f"{len(rows)} pupils match"
        return rows, f"{count} “{find}”."

    def _lay_out(self) -> None:
        if not hasattr(self, "helper"):
            self.helper = FormHelper()
            self.helper.form_tag = False
        self.helper.layout = Layout(
            *(Field(n, template=TEMPLATE) if n == self.pupil_field else n for n in self.fields)
        )

    def full_clean(self) -> None:
        # Finding pupils is not sending the form: nothing is checked, so nothing is flagged.
        if self.searching:
            self._errors = ErrorDict()
            self.cleaned_data = {}
            return
        super().full_clean()

    def is_valid(self) -> bool:
        return not self.searching and super().is_valid()
