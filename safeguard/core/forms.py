"""Form helpers every subject uses: service errors beside their fields, checked POST values,
bounded multiple choices, and the date and time widgets."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import HttpRequest, QueryDict

# Every free-text answer has a limit, so that nothing pasted by mistake (or on purpose) fills a
# page or the database: about four pages of writing for an answer or a note, and room for a
# long policy document. tests/test_forms_limits.py checks that no text field is left without.
LONG_TEXT = 10_000
DOCUMENT_TEXT = 200_000


def add_service_errors(form: BaseForm, error: ValidationError) -> None:
    """Show a service's ValidationError next to the fields it names (or above the form). A form
    whose fields differ from the model's names the field for each in `service_fields` (a date
    and a time for one moment, say)."""
    if hasattr(error, "error_dict"):
        renamed: dict[str, str] = getattr(form, "service_fields", {})
        for field, errors in error.error_dict.items():
            field = renamed.get(field, field)
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def posted(request: HttpRequest) -> QueryDict | None:
    """Form data to bind, even when the POST is empty (so an empty POST shows its errors)."""
    return request.POST if request.method == "POST" else None


def posted_text(request: HttpRequest, name: str) -> str:
    """One free-text answer of a POST without a form of its own, checked as a form would check
    it (stripped; ValidationError for a NUL character, which PostgreSQL cannot store)."""
    return forms.CharField(required=False, max_length=LONG_TEXT).clean(request.POST.get(name, ""))


class BoundedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Several rows chosen by id, where an id no column could hold is an invalid choice.

    Django looks the chosen ids up with `pk__in`, and SQLite raises OverflowError for an integer
    past 64 bits: without this check, a hand-made POST of such an id is a server error.
    """

    def _check_values(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            key = self.to_field_name or "pk"
            assert self.queryset is not None  # set by the form before any value is checked
            meta = self.queryset.model._meta
            field = meta.pk if key == "pk" else meta.get_field(key)
            for pk in value:
                try:
                    field.run_validators(field.to_python(pk))
                except (ValidationError, TypeError, ValueError):
                    raise ValidationError(
                        self.error_messages["invalid_pk_value"],
                        code="invalid_pk_value",
                        params={"pk": pk},
                    ) from None
        return super()._check_values(value)  # type: ignore[misc]  # private: not in the stubs


DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
