from django.core.exceptions import ValidationError
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
