"""Forgotten passwords: Django's reset views and tokens. The same page whether or not the address
has an account; the link works once and expires; asking is limited and the sign-in lockout
blocks it; a reset signs the person out everywhere else and is audited."""

import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client
from django.urls import reverse

from contacts.people.services import staff_set_active
from safeguard.audit.models import AuditEvent
from tests.factories import TEST_PASSWORD, StaffFactory
from tests.helpers import field_error, text

NEW = "Green-teapot-Harbour-73"
HERE = "192.0.2.10"
SENT = "If the address you gave belongs to an account that can sign in"


@pytest.fixture(autouse=True)
def axes_on(settings):
    settings.AXES_ENABLED = True


def _ask(client, email, capture, address=HERE):
    with capture(execute=True):
        return client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=address)


def _link(message) -> str:
    return re.search(r"https?://\S+/password-reset/\S+/\S+/", message.body).group(0)


def _path(link: str) -> str:
    return "/" + link.split("/", 3)[3]


def _choose(client, link, password=NEW):
    page = client.get(_path(link), follow=True)  # Django moves the token into the session
    return client.post(
        page.redirect_chain[-1][0] if page.redirect_chain else _path(link),
        {"new_password1": password, "new_password2": password},
    )


def test_the_sign_in_page_offers_it(client, db):
    page = client.get(reverse("login"))
    assert "Forgot your password?" in text(page)
    assert reverse("password_reset") in page.content.decode()


def test_a_known_address_gets_a_link_from_the_school(
    client, teacher, django_capture_on_commit_callbacks, settings
):
    settings.DEFAULT_FROM_EMAIL = "Safeguard <noreply@oakfield.example>"
    response = _ask(client, teacher.email.upper(), django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert SENT in text(client.get(response.url))
    [message] = mail.outbox
    assert message.to == [teacher.email]
    assert message.from_email == "Oakfield Test School <noreply@oakfield.example>"
    assert "Oakfield Test School" in message.subject
    assert message.body.startswith(f"Dear {teacher.first_name},")
    assert "If it was not you, you can ignore this email" in message.body
    assert "within 2 hours" in message.body
    event = AuditEvent.objects.get(action="account.password_reset_request")
    assert event.actor is None and event.object_ref == teacher.audit_ref
    assert HERE in event.reason


def test_an_unknown_address_gets_the_same_page_and_no_email(
    client, db, django_capture_on_commit_callbacks
):
    response = _ask(client, "nobody@test.example", django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert SENT in text(client.get(response.url))
    assert not mail.outbox


def test_a_deactivated_account_gets_no_link(
    admin, teacher, client, django_capture_on_commit_callbacks
):
    staff_set_active(actor=admin, staff=teacher, active=False)
    _ask(client, teacher.email, django_capture_on_commit_callbacks)
    assert not mail.outbox


def test_an_invited_account_without_a_password_gets_no_link(
    client, school, django_capture_on_commit_callbacks
):
    newcomer = StaffFactory(school=school)
    newcomer.set_unusable_password()
    newcomer.save()
    _ask(client, newcomer.email, django_capture_on_commit_callbacks)
    assert not mail.outbox


def test_the_link_sets_a_new_password_once_signs_out_everywhere_and_is_audited(
    client, teacher, django_capture_on_commit_callbacks
):
    elsewhere = Client()
    elsewhere.force_login(teacher)
    assert elsewhere.get(reverse("home")).status_code in (200, 302)
    _ask(client, teacher.email, django_capture_on_commit_callbacks)
    link = _link(mail.outbox[0])
    response = _choose(client, link)
    assert response.status_code == 302 and response.url == reverse("login")
    assert "Your password was changed" in text(client.get(response.url))
    teacher.refresh_from_db()
    assert teacher.check_password(NEW)
    # The other session has ended.
    assert elsewhere.get(reverse("home")).status_code == 302
    assert SESSION_KEY not in elsewhere.session
    event = AuditEvent.objects.get(action="account.password_reset")
    assert event.actor == teacher and "signed out of 1 session" in event.reason
    # Single use: the token is bound to the old password.
    again = client.get(_path(link), follow=True)
    assert "This link cannot be used" in text(again)


def test_a_tampered_or_expired_link_is_a_clear_page(client, teacher, settings):
    page = client.get(reverse("password_reset_confirm", args=["MQ", "set-password"]), follow=True)
    assert page.status_code == 200
    assert "This link cannot be used" in text(page)
    assert "Ask for a new link" in text(page)


def test_an_expired_link_cannot_be_used(
    client, teacher, django_capture_on_commit_callbacks, settings
):
    _ask(client, teacher.email, django_capture_on_commit_callbacks)
    settings.PASSWORD_RESET_TIMEOUT = -1
    response = client.get(_path(_link(mail.outbox[0])), follow=True)
    assert "This link cannot be used" in text(response)


def test_a_weak_new_password_is_refused_beside_the_field(
    client, teacher, django_capture_on_commit_callbacks
):
    _ask(client, teacher.email, django_capture_on_commit_callbacks)
    response = _choose(client, _link(mail.outbox[0]), password="12345678")
    assert response.status_code == 200
    assert field_error(response, "new_password2")
    teacher.refresh_from_db()
    assert teacher.check_password(TEST_PASSWORD)


def test_asking_too_often_for_one_address_is_refused_without_saying_whether_it_exists(
    client, teacher, django_capture_on_commit_callbacks
):
    for _ in range(3):
        _ask(client, teacher.email, django_capture_on_commit_callbacks)
    refused = _ask(client, teacher.email, django_capture_on_commit_callbacks)
    assert refused.status_code == 429
    assert "Too many reset links" in field_error(refused, "email")
    assert len(mail.outbox) == 3
    for _ in range(3):
        _ask(client, "nobody@test.example", django_capture_on_commit_callbacks)
    assert (
        _ask(client, "nobody@test.example", django_capture_on_commit_callbacks).status_code == 429
    )


def test_asking_too_often_from_one_network_is_refused(
    client, db, django_capture_on_commit_callbacks, settings
):
    settings.PASSWORD_RESET_PER_ADDRESS = 2
    _ask(client, "a@test.example", django_capture_on_commit_callbacks)
    _ask(client, "b@test.example", django_capture_on_commit_callbacks)
    assert _ask(client, "c@test.example", django_capture_on_commit_callbacks).status_code == 429
    other = _ask(
        client, "c@test.example", django_capture_on_commit_callbacks, address="198.51.100.7"
    )
    assert other.status_code == 302


def test_a_locked_out_address_cannot_ask_for_a_link(
    client, teacher, django_capture_on_commit_callbacks
):
    for _ in range(5):
        client.post(
            reverse("login"), {"username": teacher.email, "password": "wrong"}, REMOTE_ADDR=HERE
        )
    refused = _ask(client, teacher.email, django_capture_on_commit_callbacks)
    assert refused.status_code == 429
    assert not mail.outbox


def test_a_hostile_address_is_a_message_not_an_error(client, db):
    response = client.post(reverse("password_reset"), {"email": "x" * 5000 + "@test.example"})
    assert response.status_code == 200
    assert field_error(response, "email")


def test_no_link_where_the_school_signs_in_with_microsoft_only(
    client, teacher, school, django_capture_on_commit_callbacks
):
    school.sso_microsoft_tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
    school.password_sign_in = False
    school.save()
    response = _ask(client, teacher.email, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert not mail.outbox
