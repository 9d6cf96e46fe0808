"""send_reminders: a request waiting longer than the school's response time (in school days)
reminds its deciders once per wait."""

import datetime as dt
import io
from unittest import mock

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from contacts.notifications.models import Notification
from contacts.planned import services
from contacts.planned.models import ContactRequest
from safeguard.audit.models import AuditEvent
from tests.factories_requests import future, make_request

REMINDER = "Reminder: "


def _send():
    out = io.StringIO()
    call_command("send_reminders", stdout=out)
    return out.getvalue()


def _waiting_since(req, when):
    ContactRequest.objects.filter(pk=req.pk).update(submitted_at=when)


def _reminders():
    return list(Notification.objects.filter(message__startswith=REMINDER))


def _remind_events(req=None):
    rows = AuditEvent.objects.filter(action="request.remind")
    if req is not None:
        rows = rows.filter(object_id=str(req.pk))
    return list(rows)


def _at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


@pytest.fixture
def waiting(teacher, pupil, head):
    return make_request(teacher, [pupil], starts_at=future(60))


def test_request_waiting_too_long_reminds_the_deciders(
    waiting, head, pupil, django_capture_on_commit_callbacks
):
    _waiting_since(waiting, timezone.now() - dt.timedelta(days=10))
    with django_capture_on_commit_callbacks(execute=True):
        output = _send()
    assert "1 reminder(s) sent" in output
    assert ContactRequest.objects.get(pk=waiting.pk).reminded_at is not None
    (notice,) = _reminders()
    assert notice.recipient == head
    assert notice.message == f"Reminder: {waiting.reference} is still waiting for your decision"
    (event,) = _remind_events(waiting)
    assert (event.actor, event.actor_role) == (None, "system")
    assert event.reason == "waiting longer than the response time"
    (message,) = mail.outbox
    assert message.to == [head.email]
    assert waiting.reference in message.subject
    for name in (pupil.first_name, pupil.last_name):
        assert name not in message.subject
        assert name not in message.body


def test_running_twice_reminds_once(waiting, head, django_capture_on_commit_callbacks):
    _waiting_since(waiting, timezone.now() - dt.timedelta(days=10))
    with django_capture_on_commit_callbacks(execute=True):
        _send()
    with django_capture_on_commit_callbacks(execute=True):
        assert "0 reminder(s) sent" in _send()
    assert len(_reminders()) == 1
    assert len(_remind_events(waiting)) == 1
    assert len(mail.outbox) == 1


def test_recent_request_is_not_reminded(waiting, django_capture_on_commit_callbacks):
    _waiting_since(waiting, timezone.now() - dt.timedelta(hours=3))
    with django_capture_on_commit_callbacks(execute=True):
        assert "0 reminder(s) sent" in _send()
    assert ContactRequest.objects.get(pk=waiting.pk).reminded_at is None
    assert _reminders() == []
    assert _remind_events() == []
    assert mail.outbox == []


@pytest.mark.parametrize(("days_later", "reminded"), [(4, False), (5, True)])
def test_weekends_do_not_count(days_later, reminded, waiting, school):
    """Submitted on a Friday with two school days to answer: Tuesday is still in time,
    Wednesday is late."""
    school.response_days = 2
    school.save(update_fields=["response_days"])
    today = timezone.localdate()
    friday = today + dt.timedelta(days=(4 - today.weekday()) % 7 + 7)
    assert friday.weekday() == 4
    _waiting_since(waiting, _at(friday, 10))
    checked = _at(friday + dt.timedelta(days=days_later), 9)
    with mock.patch("django.utils.timezone.now", return_value=checked):
        _send()
    saved = ContactRequest.objects.get(pk=waiting.pk)
    assert (saved.reminded_at == checked) is reminded
    assert len(_remind_events(waiting)) == int(reminded)


def test_schools_response_time_is_used(waiting, school):
    school.response_days = 5
    school.save(update_fields=["response_days"])
    today = timezone.localdate()
    monday = today + dt.timedelta(days=(0 - today.weekday()) % 7 + 7)
    _waiting_since(waiting, _at(monday, 10))
    with mock.patch("django.utils.timezone.now", return_value=_at(monday, 10) + dt.timedelta(7)):
        _send()  # five school days later: still in time
    assert _remind_events() == []
    with mock.patch("django.utils.timezone.now", return_value=_at(monday, 10) + dt.timedelta(8)):
        _send()
    assert len(_remind_events(waiting)) == 1


def test_only_requests_waiting_for_a_decision_are_reminded(teacher, pupil, head):
    asked = make_request(teacher, [pupil])
    services.request_decide(
        actor=head,
        contact_request=asked,
        decision="ask",
        expected_version=asked.version,
        reason="When?",
    )
    approved = make_request(teacher, [pupil])
    services.request_decide(
        actor=head, contact_request=approved, decision="approve", expected_version=approved.version
    )
    draft = make_request(teacher, [pupil], submit=False)
    long_ago = timezone.now() - dt.timedelta(days=30)
    ContactRequest.objects.filter(pk__in=[asked.pk, approved.pk, draft.pk]).update(
        submitted_at=long_ago
    )
    assert "0 reminder(s) sent" in _send()
    assert _remind_events() == []


def test_resubmission_starts_a_new_wait(waiting, teacher, head):
    _waiting_since(waiting, timezone.now() - dt.timedelta(days=10))
    _send()
    req = ContactRequest.objects.get(pk=waiting.pk)
    req = services.request_decide(
        actor=head, contact_request=req, decision="ask", expected_version=req.version, reason="Who?"
    )
    req = services.request_submit(
        actor=teacher, contact_request=req, expected_version=req.version, answer="Only me."
    )
    assert ContactRequest.objects.get(pk=req.pk).reminded_at is None
    _send()
    assert len(_remind_events(req)) == 1  # the new wait has only just begun
    _waiting_since(req, timezone.now() - dt.timedelta(days=10))
    _send()
    assert len(_remind_events(req)) == 2
    assert len(_reminders()) == 2


def test_reminder_during_an_absence_goes_to_head_and_deputy(waiting, head, deputy):
    today = timezone.localdate()
    services.absence_record(actor=head, school=head.school, starts_on=today, ends_on=today)
    _waiting_since(waiting, timezone.now() - dt.timedelta(days=10))
    _send()
    assert {n.recipient for n in _reminders()} == {head, deputy}


def test_reminder_for_the_heads_own_request_goes_to_the_chair(head, pupil, chair):
    req = make_request(head, [pupil])
    _waiting_since(req, timezone.now() - dt.timedelta(days=10))
    _send()
    assert [n.recipient for n in _reminders()] == [chair]
