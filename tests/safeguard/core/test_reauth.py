"""Sensitive actions (a decision, an export) ask for the password again when the sign-in is old."""

import time

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils.http import urlencode

from contacts.planned.models import Status
from safeguard.core.reauth import SIGNED_IN_AT_KEY
from tests.factories import TEST_PASSWORD
from tests.factories_requests import make_request
from tests.helpers import field_error, sign_in, text


@pytest.fixture
def waiting(teacher, pupil):
    return make_request(teacher, [pupil])


def _signed_in_long_ago(client) -> None:
    session = client.session
    session[SIGNED_IN_AT_KEY] = int(time.time()) - settings.SESSION_IDLE_TIMEOUT - 60
    session.save()


def _confirm_url(next_url: str) -> str:
    return f"{reverse('confirm_password')}?{urlencode({'next': next_url})}"


def _approve(client, item):
    return client.post(
        reverse("request_decide", args=[item.pk]),
        {"decision": "approve", "conditions": "", "version": item.version},
    )


def test_a_fresh_sign_in_decides_at_once(client, head, waiting):
    sign_in(client, head)
    response = _approve(client, waiting)
    assert response["Location"] == reverse("request_detail", args=[waiting.pk])
    waiting.refresh_from_db()
    assert waiting.status == Status.APPROVED


def test_an_old_sign_in_must_confirm_before_deciding(client, head, waiting):
    sign_in(client, head)
    _signed_in_long_ago(client)
    response = _approve(client, waiting)
    detail = reverse("request_detail", args=[waiting.pk])
    assert response["Location"] == _confirm_url(detail)
    waiting.refresh_from_db()
    assert waiting.status == Status.SUBMITTED  # nothing was done

    page = client.get(response["Location"])
    assert "Nothing was done yet" in text(page)
    assert "Decisions and exports need your password again" in text(page)

    wrong = client.post(reverse("confirm_password"), {"password": "not-it", "next": detail})
    assert field_error(wrong, "password") == "That is not your password."

    right = client.post(reverse("confirm_password"), {"password": TEST_PASSWORD, "next": detail})
    assert right["Location"] == detail
    _approve(client, waiting)
    waiting.refresh_from_db()
    assert waiting.status == Status.APPROVED


def test_referring_is_a_decision_too(client, head, waiting):
    sign_in(client, head)
    _signed_in_long_ago(client)
    response = client.post(reverse("request_refer", args=[waiting.pk]), {"reason": "Conflict"})
    assert response["Location"] == _confirm_url(reverse("request_detail", args=[waiting.pk]))
    waiting.refresh_from_db()
    assert waiting.status == Status.SUBMITTED
    assert waiting.route == "headteacher"


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("audit_export", {}),
        ("governors_report_download", {}),
        ("governors_report_pdf", {}),
        ("governors_report_csv", {"table": "requests-by-kind"}),
    ],
)
def test_an_old_sign_in_must_confirm_before_exporting(client, head, name, kwargs):
    sign_in(client, head)
    _signed_in_long_ago(client)
    url = reverse(name, kwargs=kwargs)
    response = client.get(url)
    assert response["Location"] == _confirm_url(url)
    confirmed = client.post(reverse("confirm_password"), {"password": TEST_PASSWORD, "next": url})
    assert confirmed["Location"] == url
    download = client.get(url)
    assert download.status_code == 200
    assert "attachment" in download["Content-Disposition"]


def test_confirming_never_sends_you_to_another_site(client, head):
    sign_in(client, head)
    response = client.post(
        reverse("confirm_password"), {"password": TEST_PASSWORD, "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_a_sign_in_without_a_recorded_time_counts_as_old(client, head):
    sign_in(client, head)
    session = client.session
    del session[SIGNED_IN_AT_KEY]
    session.save()
    assert client.get(reverse("audit_export"))["Location"].startswith(reverse("confirm_password"))


def test_an_empty_password_is_refused_next_to_the_field(client, head):
    sign_in(client, head)
    response = client.post(reverse("confirm_password"), {"password": ""})
    assert field_error(response, "password")


def test_an_old_sign_in_must_confirm_before_a_subject_access_export(client, head, pupil):
    from safeguard.audit.models import AuditEvent

    sign_in(client, head)
    _signed_in_long_ago(client)
    response = client.post(reverse("pupil_subject_access_download", args=[pupil.pk]))
    assert response["Location"] == _confirm_url(reverse("pupil_subject_access", args=[pupil.pk]))
    assert not AuditEvent.objects.filter(action="subject_access.export").exists()


def test_an_old_sign_in_must_confirm_before_changing_the_heads_account(client, chair, head):
    """The chair's governance page changes who oversees the head: it asks for the password
    again after the idle limit, like decisions and exports, and changes nothing meanwhile."""
    sign_in(client, chair)
    _signed_in_long_ago(client)
    response = client.post(
        reverse("governance_email", args=[head.pk]), {"email": "head.new@oakfield.example"}
    )
    assert response["Location"] == _confirm_url(reverse("governance"))
    head.refresh_from_db()
    assert head.email != "head.new@oakfield.example"
    response = client.post(reverse("governance_two_factor_reset", args=[head.pk]))
    assert response["Location"] == _confirm_url(reverse("governance"))
