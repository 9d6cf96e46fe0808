"""A notice's email: a greeting, the school's name, what happened, what to do and by when, the
link; never a pupil's name; from the school's name at DEFAULT_FROM_EMAIL."""

from __future__ import annotations

from django.core import mail
from django.urls import reverse
from django.utils import timezone

from contacts.notifications.services import OPEN_IT, notify
from tests.factories_requests import make_request


def test_a_request_waiting_for_a_decision_emails_the_head_what_to_do_and_by_when(
    head, teacher, pupil, settings, django_capture_on_commit_callbacks
):
    settings.DEFAULT_FROM_EMAIL = "safeguard@oakfield.example"
    settings.SITE_URL = "https://safeguard.oakfield.example"
    with django_capture_on_commit_callbacks(execute=True):
        item = make_request(teacher, [pupil])
    (email,) = [m for m in mail.outbox if m.to == [head.email]]
    school = head.school.name
    assert email.subject == f"{school}: {item.reference} is waiting for your decision"
    assert email.from_email == f"{school} <safeguard@oakfield.example>"
    assert email.body.startswith(f"Dear {head.first_name},")
    when = timezone.localtime(item.starts_at)
    assert (
        "What to do: Approve it, reject it or ask for more information, before the contact on "
        f"{when:%A %-d %B %Y at %H:%M}." in email.body
    )
    link = f"https://safeguard.oakfield.example{reverse('request_detail', args=[item.pk])}"
    assert link in email.body
    assert f'<a href="{link}">' in email.alternatives[0][0]
    assert f"Safeguard at {school}" in email.body
    for secret in (pupil.first_name, pupil.last_name, item.reasons):
        assert secret not in email.subject and secret not in email.body


def test_a_notice_with_nothing_particular_to_do_says_to_open_it(
    teacher, head, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[teacher], message="Something happened", path="/")
    (email,) = mail.outbox
    assert f"What to do: {OPEN_IT}" in email.body


def test_nobody_inactive_is_emailed(teacher, django_capture_on_commit_callbacks):
    teacher.is_active = False
    with django_capture_on_commit_callbacks(execute=True):
        assert notify(recipients=[teacher], message="Something happened", path="/") == []
    assert mail.outbox == []
