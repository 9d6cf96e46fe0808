"""Every free-text answer has a limit, and going over it is a message beside the field.

A reason of 57,000 characters was once accepted. Every text field of every form in the project
now has a maximum length (safeguard.core.forms.LONG_TEXT for writing, DOCUMENT_TEXT for a
policy's text); a new form that forgets one fails here.
"""

from __future__ import annotations

import importlib
import inspect

import pytest
from django import forms
from django.urls import reverse

from contacts.planned.models import ContactRequest
from safeguard.core.forms import DOCUMENT_TEXT, LONG_TEXT
from tests.contacts.planned.test_views import _answers
from tests.helpers import REPO_ROOT, field_error, sign_in

PACKAGES = ("contacts", "policies", "safeguard")


def _form_classes() -> list[type[forms.BaseForm]]:
    found = []
    for package in PACKAGES:
        for path in sorted((REPO_ROOT / package).rglob("forms.py")):
            name = ".".join(path.relative_to(REPO_ROOT).with_suffix("").parts)
            module = importlib.import_module(name)
            found += [
                cls
                for cls in vars(module).values()
                if inspect.isclass(cls)
                and issubclass(cls, forms.BaseForm)
                and cls.__module__ == name
            ]
    return found


def test_every_text_field_of_every_form_has_a_limit():
    classes = _form_classes()
    assert len(classes) > 40  # the walk found the project's forms
    unbounded = [
        f"{cls.__module__}.{cls.__name__}.{name}"
        for cls in classes
        for name, field in cls.base_fields.items()
        if type(field) is forms.CharField
        and field.max_length is None
        and not isinstance(field.widget, forms.PasswordInput)
    ]
    assert unbounded == []


def test_writing_is_limited_to_about_four_pages_and_a_policy_to_a_long_document():
    from contacts.planned.forms import RequestForm
    from policies.forms import PolicyVersionForm

    assert RequestForm.base_fields["reasons"].max_length == LONG_TEXT
    assert PolicyVersionForm.base_fields["text"].max_length == DOCUMENT_TEXT


@pytest.mark.django_db
def test_a_reason_too_long_is_refused_beside_it_and_nothing_is_saved(client, teacher, pupil):
    sign_in(client, teacher)
    response = client.post(
        reverse("request_new"), _answers([pupil], reasons="I would like to meet. " * 2_600)
    )
    assert response.status_code == 200
    assert "at most 10000 characters (it has 57199)" in field_error(response, "reasons")
    assert not ContactRequest.objects.exists()
