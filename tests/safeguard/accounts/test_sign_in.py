"""Signing in safely: lockout after failed attempts (django-axes), idle and absolute session
limits, deactivated accounts signed out, and messages that never reveal whether an account exists.
"""

import datetime as dt
import time
from urllib.parse import urlsplit

import pytest
from axes.models import AccessAttempt
from axes.utils import reset
from django.db import connection
from django.urls import reverse

from contacts.people.models import Staff
from contacts.people.services import staff_set_active
from safeguard import settings as settings_module
from safeguard.accounts.middleware import LAST_ACTIVITY_KEY, SESSION_BEGAN_KEY
from safeguard.audit.models import AuditEvent
from safeguard.audit.selectors import audit_events_for, audit_history
from tests.factories import TEST_PASSWORD, StaffFactory
from tests.helpers import field_error, sign_in, text

LOCKED = (
    "Too many attempts from this address for this account. Try again in 30 minutes, "
    "or ask your school administrator."
)
NO_MATCH = "Your email and password did not match. Please try again."
HERE = "192.0.2.10"
ELSEWHERE = "198.51.100.20"


@pytest.fixture(autouse=True)
def axes_on(settings):
    """The suite runs with axes off (the test client's login() passes no request): on here."""
    settings.AXES_ENABLED = True


def _sign_in(client, username, password=TEST_PASSWORD, address=HERE):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def _fail(client, username, times=5, address=HERE):
    for _ in range(times):
        _sign_in(client, username, "wrong password", address)


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


# --- lockout ----------------------------------------------------------------------------------


def test_four_failures_still_show_the_ordinary_message(client, head):
    for _ in range(4):
        response = _sign_in(client, head.email, "wrong password")
        assert response.status_code == 200
        assert NO_MATCH in text(response)
    assert _signed_in(client) is False
    assert _sign_in(client, head.email).status_code == 302
    assert _signed_in(client)


def test_five_failures_lock_the_account_from_that_address_even_with_the_right_password(
    client, head
):
    _fail(client, head.email)
    response = _sign_in(client, head.email)
    assert response.status_code == 429
    assert LOCKED in text(response)
    assert NO_MATCH not in text(response)
    assert _signed_in(client) is False


def test_case_variants_of_the_email_share_one_count(client, head):
    for variant in ["HEAD@test.example", "Head@Test.Example", "head@TEST.example"]:
        _sign_in(client, variant, "wrong password")
    _fail(client, head.email, times=2)
    assert _sign_in(client, head.email).status_code == 429
    assert _signed_in(client) is False


def test_the_same_account_can_still_sign_in_from_another_address(client, head):
    _fail(client, head.email, address=ELSEWHERE)
    assert _sign_in(client, head.email, address=ELSEWHERE).status_code == 429
    response = _sign_in(client, head.email, address=HERE)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(head.pk)


def test_another_account_can_still_sign_in_from_the_same_address(client, head, teacher):
    _fail(client, head.email)
    response = _sign_in(client, teacher.email)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(teacher.pk)


def test_an_unknown_email_is_locked_out_with_the_identical_page(client, head):
    _fail(client, head.email)
    real = _sign_in(client, head.email)
    _fail(client, "nobody@test.example")
    unknown = _sign_in(client, "nobody@test.example")
    assert real.status_code == unknown.status_code == 429
    assert LOCKED in text(unknown)
    assert text(real) == text(unknown)


def test_the_lockout_ends_after_the_cool_off(client, head, settings):
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=30)
    _fail(client, head.email)
    assert _sign_in(client, head.email).status_code == 429
    # Thirty-one minutes later: move the recorded attempt back in time.
    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=31))
    response = _sign_in(client, head.email)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(head.pk)


def test_an_administrator_reset_lifts_the_lockout(client, head):
    _fail(client, head.email)
    assert _sign_in(client, head.email).status_code == 429
    reset(username=head.email)
    assert _sign_in(client, head.email).status_code == 302
    assert _signed_in(client)


def test_a_successful_sign_in_resets_the_failure_count(client, head):
    _fail(client, head.email, times=4)
    assert _sign_in(client, head.email).status_code == 302
    client.post(reverse("logout"))
    _fail(client, head.email, times=4)
    response = _sign_in(client, head.email)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(head.pk)


# --- the sign-in message ----------------------------------------------------------------------


def test_unknown_email_and_wrong_password_read_the_same(client, head):
    wrong_password = _sign_in(client, head.email, "wrong password")
    unknown = _sign_in(client, "nobody@test.example", "wrong password")
    assert wrong_password.status_code == unknown.status_code == 200
    assert NO_MATCH in text(wrong_password)
    assert text(wrong_password) == text(unknown)


def test_a_missing_password_or_a_nul_in_the_email_is_said_next_to_the_field(client, head):
    # These never reach the password check, so the general message does not appear: the page
    # once came back with no error at all.
    missing = client.post(reverse("login"), {"username": head.email})
    assert missing.status_code == 200
    assert "This field is required." in field_error(missing, "password")
    nul = _sign_in(client, "head\x00@test.example")
    assert "Null characters are not allowed." in field_error(nul, "username")
    assert _signed_in(client) is False


def test_an_email_longer_than_any_account_is_refused_before_the_password_check(client, head):
    # Django only hints the limit to the browser; the lockout then recorded the failure in a
    # 255-character column, a server error on PostgreSQL.
    response = _sign_in(client, "a" * 300 + "@test.example", "wrong password")
    assert response.status_code == 200
    assert "at most 254 characters" in field_error(response, "username")
    assert AccessAttempt.objects.count() == 0


# --- sessions ---------------------------------------------------------------------------------


def _page(teacher):
    return reverse("staff_detail", args=[teacher.pk])


def _idle_for(client, minutes):
    session = client.session
    session[LAST_ACTIVITY_KEY] -= minutes * 60
    session.save()


def test_a_session_idle_for_31_minutes_is_signed_out_with_a_message(client, teacher):
    client.force_login(teacher)
    assert client.get(_page(teacher)).status_code == 200
    _idle_for(client, 31)
    response = client.get(_page(teacher))
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == reverse("login")
    assert _signed_in(client) is False
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "You were signed out after 30 minutes without activity." in text(page)
    # And the page asked for stays closed.
    assert client.get(_page(teacher)).status_code == 302


def test_a_form_sent_after_the_idle_limit_is_not_saved_and_says_so(client, teacher, pupil):
    from contacts.records.models import ContactRecord

    client.force_login(teacher)
    client.get(_page(teacher))
    _idle_for(client, 31)
    answers = {"record_type": "unplanned", "kind": "meeting", "purpose": "work",
               "occurred_at": "2026-01-05T10:00", "details": "Met by chance.",
               "pupils": [pupil.pk]}  # fmt: skip
    response = client.post(reverse("record_new"), answers, follow=True)
    page = text(response)
    assert "You were signed out after 30 minutes without activity." in page
    assert "What you sent was not saved: sign in, then send it again." in page
    assert not ContactRecord.objects.exists()


def test_a_form_sent_with_no_session_says_it_was_not_saved(client, teacher, pupil):
    from contacts.records.models import ContactRecord

    response = client.post(reverse("record_new"), {"details": "Met by chance."}, follow=True)
    page = text(response)
    assert urlsplit(response.redirect_chain[-1][0]).path == reverse("login")
    assert "You are not signed in: your session has ended." in page
    assert "What you sent was not saved" in page
    assert not ContactRecord.objects.exists()
    # Only a form says so: opening a page while signed out is simply the sign-in page.
    assert "not saved" not in text(client.get(_page(teacher), follow=True))


def test_a_session_idle_for_29_minutes_carries_on(client, teacher):
    client.force_login(teacher)
    assert client.get(_page(teacher)).status_code == 200
    _idle_for(client, 29)
    response = client.get(_page(teacher))
    assert response.status_code == 200
    assert teacher.email in text(response)
    assert "without activity" not in text(response)
    assert _signed_in(client)


def test_the_idle_limit_comes_from_the_setting(client, teacher, settings):
    settings.SESSION_IDLE_TIMEOUT = 10 * 60
    client.force_login(teacher)
    client.get(_page(teacher))
    _idle_for(client, 11)
    response = client.get(_page(teacher), follow=True)
    assert "You were signed out after 10 minutes without activity." in text(response)


def test_a_session_lasts_eight_hours_at_most(client, teacher, settings):
    assert settings.SESSION_COOKIE_AGE == 8 * 60 * 60
    response = _sign_in(client, teacher.email)
    assert response.status_code == 302
    # Fixed at the second of signing in, so a moment later a second less may remain.
    assert 8 * 60 * 60 - 2 <= client.session.get_expiry_age() <= 8 * 60 * 60
    assert 8 * 60 * 60 - 2 <= response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] <= 8 * 3600


def _signed_in_hours_ago(client, hours, minutes=0):
    """Move the sign-in back in time, keeping the session busy (activity a minute ago)."""
    session = client.session
    moved = (hours * 60 + minutes) * 60
    session[SESSION_BEGAN_KEY] -= moved
    session[LAST_ACTIVITY_KEY] = int(time.time()) - 60
    session.save()


def test_a_busy_session_still_ends_eight_hours_after_signing_in(client, teacher):
    # Finding 8: each activity write re-saved the session with eight more hours.
    assert _sign_in(client, teacher.email).status_code == 302
    _signed_in_hours_ago(client, 7, 59)
    assert client.get(_page(teacher)).status_code == 200
    _signed_in_hours_ago(client, 0, 1)
    response = client.get(_page(teacher))
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == reverse("login")
    assert _signed_in(client) is False
    page = client.get(response["Location"])
    assert "You were signed out: a session lasts 8 hours at most." in text(page)
    assert client.get(_page(teacher)).status_code == 302


def test_activity_does_not_move_the_end_of_the_session(client, teacher):
    assert _sign_in(client, teacher.email).status_code == 302
    ends = client.session.get_expiry_date()
    _signed_in_hours_ago(client, 2)
    # Activity is written (the last one was over a minute ago) and the session saved again.
    _idle_for(client, 2)
    assert client.get(_page(teacher)).status_code == 200
    assert abs((client.session.get_expiry_date() - ends).total_seconds()) < 1


def test_a_session_with_no_sign_in_time_is_ended(client, teacher):
    client.force_login(teacher)
    session = client.session
    del session[SESSION_BEGAN_KEY]
    session.save()
    response = client.get(_page(teacher))
    assert response.status_code == 302
    assert _signed_in(client) is False


def test_deactivation_ends_the_session_at_once(client, head, teacher):
    client.force_login(teacher)
    assert client.get(_page(teacher)).status_code == 200
    staff_set_active(actor=head, staff=teacher, active=False)
    response = client.get(_page(teacher))
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == reverse("login")
    # Nor can the account sign in again.
    response = _sign_in(client, teacher.email)
    assert response.status_code == 200
    assert NO_MATCH in text(response)
    assert client.get(_page(teacher)).status_code == 302


# --- the address behind a proxy ----------------------------------------------------------------


def test_a_forged_forwarded_for_header_is_ignored_without_a_proxy(client, head):
    for n in range(5):
        client.post(
            reverse("login"),
            {"username": head.email, "password": "wrong password"},
            REMOTE_ADDR=HERE,
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
        )
    assert _sign_in(client, head.email, address=HERE).status_code == 429


def test_behind_one_proxy_the_client_is_the_right_most_forwarded_address(client, head, settings):
    settings.AXES_IPWARE_PROXY_COUNT = 1
    proxy = "10.0.0.1"
    for n in range(5):
        client.post(
            reverse("login"),
            {"username": head.email, "password": "wrong password"},
            REMOTE_ADDR=proxy,
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}, {HERE}",  # the left part is the client's own
        )
    locked = client.post(
        reverse("login"),
        {"username": head.email, "password": TEST_PASSWORD},
        REMOTE_ADDR=proxy,
        HTTP_X_FORWARDED_FOR=HERE,
    )
    assert locked.status_code == 429
    other = client.post(
        reverse("login"),
        {"username": head.email, "password": TEST_PASSWORD},
        REMOTE_ADDR=proxy,
        HTTP_X_FORWARDED_FOR=ELSEWHERE,
    )
    assert other.status_code == 302


# --- one normal form for an address (finding 7) -------------------------------------------------

LOOKALIKE = "pe@oakf\u0131eld.example"  # a dotless ı where the i should be


@pytest.fixture
def pe(school):
    return StaffFactory(school=school, email="pe@oakfield.example", job_title="PE teacher")


@pytest.mark.postgres_only
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's UPPER() maps a dotless ı to I"
)
def test_a_look_alike_address_neither_signs_in_nor_lifts_the_lockout(client, pe):
    _fail(client, pe.email)
    assert _sign_in(client, pe.email).status_code == 429
    response = _sign_in(client, LOOKALIKE)
    assert response.status_code == 200
    assert NO_MATCH in text(response)
    assert _signed_in(client) is False
    # The real address stays locked.
    assert _sign_in(client, pe.email).status_code == 429


def test_a_look_alike_address_matches_no_account_on_any_database(pe):
    with pytest.raises(Staff.DoesNotExist):
        Staff.objects.get_by_natural_key(LOOKALIKE)
    assert settings_module._axes_username(None, {"username": LOOKALIKE}) != pe.email


@pytest.mark.parametrize(
    "typed", ["PE@OAKFIELD.EXAMPLE", "  pe@oakfield.example ", "\uff50\uff45@oakfield.example"]
)
def test_what_reaches_the_account_shares_its_lockout(client, pe, typed):
    # Capitals, spaces, full-width letters: the normal form is the account's address, for the
    # lookup and for the lockout's count alike.
    assert Staff.objects.get_by_natural_key(typed) == pe
    _fail(client, typed)
    assert _sign_in(client, pe.email).status_code == 429


# --- signing in and out, in the audit trail ------------------------------------------------------

SECRET = "Tr0ub4dor&3-not-it"


def _events(action):
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


@pytest.mark.usefixtures("sign_in_events")
def test_signing_in_is_recorded_under_the_persons_name(client, teacher, head):
    assert _sign_in(client, teacher.email).status_code == 302
    [event] = _events("account.sign_in")
    assert (event.actor, event.school, event.object_id) == (
        teacher,
        teacher.school,
        str(teacher.pk),
    )
    assert event.reason == f"from {HERE}"
    shown = audit_events_for(head, withheld={}, person=teacher)
    assert event in shown
    assert event in audit_history(teacher)


@pytest.mark.usefixtures("sign_in_events")
def test_a_refused_sign_in_names_the_account_and_the_address_never_the_password(client, teacher):
    _sign_in(client, "  Teacher@TEST.example", SECRET)
    [event] = _events("account.sign_in_failed")
    assert event.actor is None  # whoever typed it is not known
    assert (event.school, event.object_id) == (teacher.school, str(teacher.pk))
    assert event.reason == f"wrong password; teacher@test.example from {HERE}"
    assert SECRET not in event.reason


@pytest.mark.usefixtures("sign_in_events")
def test_a_refused_sign_in_to_no_account_is_left_to_the_lockout(client, teacher):
    _sign_in(client, "nobody@test.example", SECRET)
    assert _events("account.sign_in_failed") == []
    assert AccessAttempt.objects.filter(username="nobody@test.example").exists()


@pytest.mark.usefixtures("sign_in_events")
def test_a_sign_in_refused_by_the_lockout_says_so(client, teacher):
    _fail(client, teacher.email)
    _sign_in(client, teacher.email)
    assert _events("account.sign_in_failed")[-1].reason.startswith("locked after too many")


@pytest.mark.usefixtures("sign_in_events")
def test_signing_out_is_recorded(client, teacher):
    _sign_in(client, teacher.email)
    client.post(reverse("logout"))
    [event] = _events("account.sign_out")
    assert (event.actor, event.object_id, event.reason) == (teacher, str(teacher.pk), "")


@pytest.mark.usefixtures("sign_in_events")
def test_being_signed_out_when_idle_is_recorded_with_the_reason(client, teacher):
    _sign_in(client, teacher.email)
    _idle_for(client, 31)
    client.get(_page(teacher))
    [event] = _events("account.sign_out")
    assert event.actor == teacher
    assert event.reason == "no activity for the idle limit"


@pytest.mark.usefixtures("sign_in_events")
def test_the_audit_trail_shows_the_events_in_words(client, head, teacher):
    _sign_in(client, teacher.email, SECRET)
    _sign_in(client, teacher.email)
    client.post(reverse("logout"))
    sign_in(client, head)
    page = text(client.get(reverse("audit_trail")))
    for words in ("Signed in", "Sign-in refused", "Signed out"):
        assert words in page
