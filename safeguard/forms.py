from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.forms import Form
from django.http import HttpRequest, QueryDict


def add_service_errors(form: Form, error: ValidationError) -> None:
    """Show a service's ValidationError next to the fields it names (or above the form)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def posted(request: HttpRequest) -> QueryDict | None:
    """Form data to bind, even when the POST is empty (so an empty POST shows its errors)."""
    return request.POST if request.method == "POST" else None


def posted_text(request: HttpRequest, name: str) -> str:
    """One free-text answer of a POST without a form of its own, checked as a form would check
    it (stripped; ValidationError for a NUL character, which PostgreSQL cannot store)."""
    return forms.CharField(required=False).clean(request.POST.get(name, ""))


class SignInForm(AuthenticationForm):
    """Django's sign-in form with the email's length checked, not only hinted to the browser.

    Django sets the username field's max_length after building it, so no validator enforces it:
    a 10,000-character email reached authenticate(), and recording the failure for the lockout
    (in a 255-character column) was a server error on PostgreSQL.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["username"]
        field.validators.append(MaxLengthValidator(field.max_length))


class BoundedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Several rows chosen by id, where an id no column could hold is an invalid choice.

    Django looks the chosen ids up with `pk__in`, and SQLite raises OverflowError for an integer
    past 64 bits: without this check, a hand-made POST of such an id is a server error.
    """

    def _check_values(self, value):
        if isinstance(value, list | tuple):
            key = self.to_field_name or "pk"
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
        return super()._check_values(value)
