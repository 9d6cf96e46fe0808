"""Single sign-on (safeguard.accounts.sso and .adapters), through allauth's real sign-in and
callback against a provider stubbed at the transport level (tests/safeguard/accounts/sso_stub.py).

What a person sees, and what the database holds: who is signed in, the audit events.
"""

from __future__ import annotations

import time

import pytest
import requests
from django.contrib.auth import SESSION_KEY
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from safeguard.accounts import sso
from safeguard.accounts.middleware import SESSION_BEGAN_KEY
from safeguard.audit.models import AuditEvent
from safeguard.core.models import School
from safeguard.core.reauth import SIGNED_IN_AT_KEY
from tests.factories import TEST_PASSWORD, StaffFactory
from tests.helpers import field_error, sign_in, text

from . import sso_stub
from .sso_stub import DOMAIN, OTHER_TENANT, TENANT, Stub, sign_in_via, start


@pytest.fixture
def stub(settings, monkeypatch):
    sso_stub.sso_settings(settings)
    answers = Stub()
    monkeypatch.setattr(
        requests.adapters.HTTPAdapter, "send", lambda self, request, **kw: answers.answer(request)
    )
    return answers


@pytest.fixture
def sso_school(school):
    school.sso_microsoft_tenant = TENANT
    school.sso_google_domain = DOMAIN
    school.save()
    return school


def microsoft(email: str, **claims) -> dict:
    return {"email": email, "tid": TENANT, "xms_edov": True} | claims


def google(email: str, **claims) -> dict:
    return {"email": email, "hd": DOMAIN, "email_verified": True} | claims


def signed_in_pk(client) -> int | None:
    value = client.session.get(SESSION_KEY)
    return int(value) if value is not None else None


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


def assert_refused(response, client, *, reason: str = "") -> None:
    assert response.status_code == 403, response.content[:500]
    assert "could not be signed in" in text(response)
    assert signed_in_pk(client) is None
    if reason:
        refusals = events("account.sso_refused")
        assert refusals, "the refusal is in the trail"
        assert reason in refusals[-1].reason, refusals[-1].reason


# --- Signing in ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider_id", "claims"),
    [("microsoft", microsoft("teacher@test.example")), ("google", google("teacher@test.example"))],
)
def test_a_teacher_signs_in_with_each_provider(
    client, stub, sso_school, teacher, sign_in_events, provider_id, claims
):
    stub.claims = claims
    response = sign_in_via(client, provider_id)
    assert response.status_code == 302
    assert signed_in_pk(client) == teacher.pk
    # The middleware's clocks start at this sign-in, as for a password.
    assert isinstance(client.session[SESSION_BEGAN_KEY], int)
    assert isinstance(client.session[SIGNED_IN_AT_KEY], int)
    event = events("account.sign_in")[-1]
    assert event.actor_id == teacher.pk
    assert f"with {provider_id.title()} (single sign-on)" in event.reason
    assert "MFA" not in event.reason
    page = client.get(response["Location"], follow=True)
    assert page.status_code == 200
    assert "Sign out" in text(page)


def test_no_socialaccount_or_token_is_stored(client, stub, sso_school, teacher):
    from allauth.socialaccount.models import SocialAccount, SocialToken

    stub.claims = microsoft("teacher@test.example")
    sign_in_via(client, "microsoft")
    assert signed_in_pk(client) == teacher.pk
    assert SocialAccount.objects.count() == 0
    assert SocialToken.objects.count() == 0


def test_the_email_matches_whatever_its_case(client, stub, sso_school, teacher):
    stub.claims = microsoft("Teacher@TEST.example")
    sign_in_via(client, "microsoft")
    assert signed_in_pk(client) == teacher.pk


def test_the_next_page_is_kept_but_only_on_this_site(client, stub, sso_school, teacher):
    stub.claims = microsoft("teacher@test.example")
    response = sign_in_via(client, "microsoft", next_url="/account/two-factor/")
    assert response["Location"] == "/account/two-factor/"
    client.logout()
    response = sign_in_via(client, "microsoft", next_url="https://evil.example/")
    assert response["Location"] != "https://evil.example/"


@pytest.mark.parametrize(
    ("email", "why"),
    [
        ("teacher@test.examp1e", "names no account"),
        # A dotless ı: a look-alike names nobody, however the database folds case.
        ("teacher@test.exampıe", "names no account"),
        ("nobody@test.example", "names no account"),
        ("", "gave no email address"),
    ],
)
def test_an_address_that_names_no_account_is_refused(client, stub, sso_school, teacher, email, why):
    stub.claims = microsoft(email)
    assert_refused(sign_in_via(client, "microsoft"), client, reason=why)
    # The school the tenant names is told, with no account named.
    assert events("account.sso_refused")[-1].school_id == sso_school.pk


def test_a_person_of_another_school_is_refused_when_that_school_has_no_sso(
    client, stub, sso_school, outsider
):
    stub.claims = microsoft(outsider.email)
    assert_refused(sign_in_via(client, "microsoft"), client, reason="not set up for the school")
    assert events("account.sso_refused")[-1].school_id == outsider.school_id


def test_another_tenant_is_refused(client, stub, sso_school, teacher):
    stub.claims = microsoft("teacher@test.example", tid=OTHER_TENANT)
    response = sign_in_via(client, "microsoft")
    assert_refused(response, client, reason=f"tenant {OTHER_TENANT} is not the school's")
    assert "Ask your school's administrator" in text(response)
    event = events("account.sso_refused")[-1]
    assert event.object_id == str(teacher.pk)
    assert event.actor_id is None


def test_a_school_with_another_tenant_does_not_let_its_staff_in_through_ours(
    client, stub, sso_school, outsider
):
    other = outsider.school
    other.sso_microsoft_tenant = OTHER_TENANT
    other.save()
    stub.claims = microsoft(outsider.email)  # our tenant, their member of staff
    assert_refused(sign_in_via(client, "microsoft"), client, reason="is not the school's")


@pytest.mark.parametrize(
    "claims",
    [
        google("teacher@test.example", hd="elsewhere.example"),
        {"email": "teacher@test.example", "email_verified": True},  # a personal Google account
    ],
)
def test_another_google_domain_is_refused(client, stub, sso_school, teacher, claims):
    stub.claims = claims
    assert_refused(sign_in_via(client, "google"), client, reason="is not the school's")


def test_an_address_outside_the_domain_is_refused_even_from_the_schools_workspace(
    client, stub, sso_school, school
):
    StaffFactory(school=school, email="someone@gmail.example")
    stub.claims = google("someone@gmail.example")
    assert_refused(sign_in_via(client, "google"), client, reason="is not the school's")


@pytest.mark.parametrize(
    ("provider_id", "claims"),
    [
        ("google", google("teacher@test.example", email_verified=False)),
        ("google", {"email": "teacher@test.example", "hd": DOMAIN}),
        ("microsoft", {"email": "teacher@test.example", "tid": TENANT}),
        ("microsoft", microsoft("teacher@test.example", xms_edov=False)),
    ],
)
def test_an_unverified_email_is_refused(client, stub, sso_school, teacher, provider_id, claims):
    stub.claims = claims
    assert_refused(sign_in_via(client, provider_id), client, reason="did not vouch")


def test_a_deactivated_teacher_is_refused(client, stub, sso_school, teacher):
    teacher.is_active = False
    teacher.save()
    stub.claims = microsoft("teacher@test.example")
    response = sign_in_via(client, "microsoft")
    assert_refused(response, client, reason="deactivated")
    assert "switched off" in text(response)


def test_someone_locked_out_by_the_lockout_is_refused(client, stub, sso_school, teacher, settings):
    settings.AXES_ENABLED = True
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": teacher.email, "password": "wrong"})
    stub.claims = microsoft("teacher@test.example")
    response = sign_in_via(client, "microsoft")
    assert_refused(response, client, reason="locked after too many attempts")
    assert "locked" in text(response)


def test_a_school_without_the_provider_refuses_it(client, stub, school, teacher):
    stub.claims = microsoft("teacher@test.example")
    assert_refused(sign_in_via(client, "microsoft"), client, reason="not set up")


def test_a_provider_the_installation_has_not_set_up_has_no_button_and_no_address(
    client, settings, sso_school
):
    settings.SSO_PROVIDERS = {
        pid: app | {"client_id": ""} for pid, app in settings.SSO_PROVIDERS.items()
    }
    page = client.get(reverse("login"))
    assert "Sign in with Microsoft" not in text(page)
    url = reverse("openid_connect_login", kwargs={"provider_id": "microsoft"})
    assert client.post(url).status_code == 404


def test_the_sign_in_page_shows_a_button_for_each_provider(client, stub, db):
    page = text(client.get(reverse("login")))
    assert "Sign in with Microsoft" in page
    assert "Sign in with Google" in page


def test_a_get_of_the_providers_address_starts_nothing(client, stub, db):
    response = client.get(reverse("openid_connect_login", kwargs={"provider_id": "microsoft"}))
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert stub.requests_seen == []


def test_allauths_own_account_pages_are_not_reachable(client, db):
    for path in ["/accounts/signup/", "/accounts/login/", "/accounts/password/reset/"]:
        assert client.get(path).status_code in (302, 404)
        assert "login" in client.get(path).get("Location", "login")
    from django.urls import NoReverseMatch

    for name in ["account_signup", "account_login", "account_reset_password"]:
        with pytest.raises(NoReverseMatch):
            reverse(name)


# --- Provider errors: the library refuses, the page says so, the trail has it -----------------


def test_a_tampered_signature_is_refused(client, stub, sso_school, teacher):
    stub.claims = microsoft("teacher@test.example")
    stub.sign_with = sso_stub.OTHER_SIGNING_KEY
    assert_refused(sign_in_via(client, "microsoft"), client, reason="signature is not valid")


def test_a_token_for_another_application_is_refused(client, stub, sso_school, teacher):
    stub.claims = microsoft("teacher@test.example", aud="someone-else")
    assert_refused(sign_in_via(client, "microsoft"), client, reason="another application")


def test_an_expired_token_is_refused(client, stub, sso_school, teacher):
    past = int(time.time()) - 3600
    stub.claims = microsoft("teacher@test.example", iat=past - 600, exp=past)
    assert_refused(sign_in_via(client, "microsoft"), client, reason="has expired")


def test_a_token_from_another_issuer_is_refused(client, stub, sso_school, teacher):
    stub.claims = microsoft("teacher@test.example", iss="https://idp.evil.test")
    assert_refused(sign_in_via(client, "microsoft"), client, reason="another provider")


def test_entra_multi_tenant_issuer_is_filled_with_the_tokens_tenant(
    client, stub, sso_school, teacher
):
    stub.issuer_template = True
    stub.claims = microsoft("teacher@test.example")
    sign_in_via(client, "microsoft")
    assert signed_in_pk(client) == teacher.pk


def test_a_state_that_does_not_match_is_refused(client, stub, sso_school, teacher):
    stub.claims = microsoft("teacher@test.example")
    start(client, "microsoft")
    response = sso_stub.come_back(client, "microsoft", "forged-state")
    assert response.status_code == 403
    assert "could not be signed in" in text(response)
    assert signed_in_pk(client) is None


def test_a_state_from_another_browser_is_refused(client, stub, sso_school, teacher):
    from django.test import Client

    stub.claims = microsoft("teacher@test.example")
    state = start(Client(), "microsoft")
    response = sso_stub.come_back(client, "microsoft", state)
    assert response.status_code == 403
    assert signed_in_pk(client) is None


def test_denied_consent_is_refused_with_the_same_page(client, stub, sso_school, teacher):
    state = start(client, "microsoft")
    response = sso_stub.come_back(client, "microsoft", state, error="access_denied")
    assert response.status_code == 403
    assert "could not be signed in" in text(response)
    assert signed_in_pk(client) is None


def test_a_refused_code_is_refused(client, stub, sso_school, teacher):
    stub.token_status = 400
    response = sign_in_via(client, "microsoft")
    assert response.status_code == 403
    assert signed_in_pk(client) is None


def test_a_provider_that_does_not_answer_is_a_page_not_a_server_error(client, stub, sso_school):
    stub.down = True
    response = client.post(reverse("openid_connect_login", kwargs={"provider_id": "microsoft"}))
    assert response.status_code == 403
    assert "could not be signed in" in text(response)


def test_a_signed_in_persons_provider_error_goes_to_their_schools_trail(
    client, stub, sso_school, teacher
):
    sign_in(client, teacher)
    state = start(client, "microsoft")
    sso_stub.come_back(client, "microsoft", state, error="access_denied")
    refusal = events("account.sso_refused")[-1]
    assert refusal.school_id == sso_school.pk
    assert "cancelled" in refusal.reason


# --- The second factor -----------------------------------------------------------------------


def _with_app(person):
    TOTPDevice.objects.create(user=person, name="Authenticator app", confirmed=True)
    return person


@pytest.mark.parametrize(
    ("accept", "amr", "skips_code"),
    [
        (False, None, False),
        (False, ["pwd", "mfa"], False),
        (True, None, False),
        (True, ["pwd"], False),
        (True, ["otp"], False),  # one factor alone is not two
        (True, ["pwd", "mfa"], True),
        (True, ["pwd", "otp"], True),
        (True, ["hwk", "pin"], True),
    ],
)
def test_the_head_meets_the_second_factor_unless_the_school_accepts_the_providers_mfa(
    client, stub, sso_school, head, sign_in_events, accept, amr, skips_code
):
    _with_app(head)
    sso_school.sso_accept_provider_mfa = accept
    sso_school.save()
    stub.claims = microsoft("head@test.example") | ({"amr": amr} if amr else {})
    sign_in_via(client, "microsoft")
    assert signed_in_pk(client) == head.pk
    page = client.get(reverse("dashboard"))
    if skips_code:
        assert page.status_code == 200
        assert "MFA by the identity provider" in events("account.sign_in")[-1].reason
    else:
        assert page.status_code == 302
        assert page["Location"].startswith(reverse("two_factor_verify"))
        assert "MFA" not in events("account.sign_in")[-1].reason


def test_the_head_without_an_app_is_sent_to_set_one_up(client, stub, sso_school, head):
    stub.claims = google("head@test.example")
    sign_in_via(client, "google")
    page = client.get(reverse("dashboard"))
    assert page["Location"].startswith(reverse("two_factor_setup"))


@pytest.mark.parametrize("amr", [None, ["pwd", "mfa"]])
@pytest.mark.parametrize("accept", [False, True])
def test_a_teacher_is_never_asked_for_a_code_they_do_not_have(
    client, stub, sso_school, teacher, accept, amr
):
    sso_school.sso_accept_provider_mfa = accept
    sso_school.save()
    stub.claims = microsoft("teacher@test.example") | ({"amr": amr} if amr else {})
    sign_in_via(client, "microsoft")
    assert client.get(reverse("contact_check")).status_code == 200
    # The provider's MFA counts only where the school accepts it.
    assert client.session.get(sso.PROVIDER_MFA_SESSION_KEY, False) is bool(accept and amr)


def test_a_teacher_who_set_up_an_app_still_uses_it_unless_the_providers_mfa_counts(
    client, stub, sso_school, teacher
):
    _with_app(teacher)
    stub.claims = microsoft("teacher@test.example", amr=["pwd", "mfa"])
    sign_in_via(client, "microsoft")
    assert client.get(reverse("contact_check")).status_code == 302


def test_google_tokens_carry_no_amr_so_the_head_still_types_a_code(client, stub, sso_school, head):
    _with_app(head)
    sso_school.sso_accept_provider_mfa = True
    sso_school.save()
    stub.claims = google("head@test.example")
    sign_in_via(client, "google")
    assert client.get(reverse("dashboard"))["Location"].startswith(reverse("two_factor_verify"))


# --- The session's limits apply to single sign-on too ----------------------------------------


def test_idle_sign_out_and_the_eight_hour_limit_apply(client, stub, sso_school, teacher, settings):
    stub.claims = microsoft("teacher@test.example")
    sign_in_via(client, "microsoft")
    session = client.session
    session["last_activity"] = int(time.time()) - settings.SESSION_IDLE_TIMEOUT - 5
    session.save()
    assert client.get(reverse("contact_check"))["Location"].startswith(reverse("login"))
    assert signed_in_pk(client) is None
    sign_in_via(client, "microsoft")
    session = client.session
    session[SESSION_BEGAN_KEY] = int(time.time()) - settings.SESSION_COOKIE_AGE - 5
    session.save()
    assert client.get(reverse("contact_check"))["Location"].startswith(reverse("login"))


# --- Password sign-in off ----------------------------------------------------------------------


@pytest.fixture
def passwords_off(sso_school):
    sso_school.password_sign_in = False
    sso_school.save()
    return sso_school


def test_with_passwords_off_a_teacher_is_sent_to_the_button(
    client, stub, passwords_off, teacher, sign_in_events
):
    response = client.post(reverse("login"), {"username": teacher.email, "password": TEST_PASSWORD})
    assert response.status_code == 200
    assert "use the button below" in text(response)
    assert "Sign in with Microsoft" in text(response)
    assert signed_in_pk(client) is None
    refusal = events("account.sign_in_failed")[-1]
    assert "password sign-in is off" in refusal.reason


def test_with_passwords_off_the_head_keeps_the_password(client, stub, passwords_off, head):
    response = client.post(reverse("login"), {"username": head.email, "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert signed_in_pk(client) == head.pk


def test_with_passwords_off_a_wrong_password_says_only_that_it_did_not_match(
    client, stub, passwords_off, teacher
):
    response = client.post(reverse("login"), {"username": teacher.email, "password": "wrong"})
    assert "did not match" in text(response)
    assert "use the button" not in text(response)


def test_with_passwords_off_the_teacher_confirms_it_is_them_through_the_provider(
    client, stub, passwords_off, teacher
):
    stub.claims = microsoft("teacher@test.example")
    sign_in_via(client, "microsoft")
    session = client.session
    session[SIGNED_IN_AT_KEY] = int(time.time()) - 10_000
    session.save()
    page = client.get(reverse("confirm_password") + "?next=/account/two-factor/")
    assert "Confirm with Microsoft" in text(page)
    assert 'name="password"' not in page.content.decode()
    # A password posted anyway is not checked.
    client.post(reverse("confirm_password"), {"password": TEST_PASSWORD})
    assert client.session[SIGNED_IN_AT_KEY] < time.time() - 5_000
    before = client.session[SESSION_BEGAN_KEY]
    response = sign_in_via(client, "microsoft", next_url="/account/two-factor/")
    assert response["Location"] == "/account/two-factor/"
    assert client.session[SIGNED_IN_AT_KEY] >= time.time() - 5
    # The same session goes on: its 8-hour limit counts from the first sign-in.
    assert client.session[SESSION_BEGAN_KEY] == before
    assert events("account.sso_reconfirm")[-1].actor_id == teacher.pk


def test_another_persons_provider_account_replaces_the_session_not_reconfirms_it(
    client, stub, sso_school, teacher, colleague
):
    stub.claims = microsoft("teacher@test.example")
    sign_in_via(client, "microsoft")
    stub.claims = microsoft("colleague@test.example")
    sign_in_via(client, "microsoft")
    assert signed_in_pk(client) == colleague.pk
    assert not events("account.sso_reconfirm")


# --- The sign-in methods page ----------------------------------------------------------------

URL = "/school/sign-in/"


def _answers(**changes) -> dict:
    base = {
        "sso_microsoft_tenant": TENANT,
        "sso_google_domain": DOMAIN,
        "password_sign_in": "on",
    }
    return {k: v for k, v in (base | changes).items() if v is not None}


@pytest.mark.parametrize(
    ("persona", "status"),
    [("head", 200), ("admin", 200), ("teacher", 403), ("deputy", 403), ("chair", 403)],
)
def test_who_may_open_the_sign_in_methods_page(client, request, persona, status):
    person = request.getfixturevalue(persona)
    sign_in(client, person)
    assert client.get(URL).status_code == status


def test_the_head_sets_up_both_providers_and_the_change_is_audited(client, head, school):
    sign_in(client, head)
    response = client.post(
        URL,
        _answers(
            sso_microsoft_tenant=TENANT.upper(),
            sso_google_domain=" Test.Example ",
            sso_accept_provider_mfa="on",
        ),
    )
    assert response.status_code == 302
    school.refresh_from_db()
    assert school.sso_microsoft_tenant == TENANT
    assert school.sso_google_domain == DOMAIN
    assert school.sso_accept_provider_mfa
    event = events("school.sign_in_methods_change")[-1]
    assert event.actor_id == head.pk
    assert f"sso_microsoft_tenant: (none) → {TENANT}" in event.reason
    assert "sso_accept_provider_mfa: off → on" in event.reason
    assert "The sign-in methods were saved." in text(client.get(URL))


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("sso_microsoft_tenant", "not-a-guid", "directory (tenant) ID"),
        ("sso_microsoft_tenant", "https://login.microsoftonline.com/x", "directory (tenant) ID"),
        ("sso_google_domain", "@test.example", "domain only"),
        ("sso_google_domain", "https://test.example", "domain only"),
        ("sso_google_domain", "localhost", "domain only"),
    ],
)
def test_a_malformed_tenant_or_domain_is_refused_beside_the_field(
    client, head, school, field, value, words
):
    sign_in(client, head)
    response = client.post(URL, _answers(**{field: value}))
    assert response.status_code == 200
    assert words in field_error(response, field)
    assert not events("school.sign_in_methods_change")
    school.refresh_from_db()
    assert school.sso_microsoft_tenant == ""


def test_passwords_cannot_go_off_without_a_provider(client, head, school):
    sign_in(client, head)
    response = client.post(
        URL, _answers(sso_microsoft_tenant="", sso_google_domain="", password_sign_in=None)
    )
    assert "only once Microsoft or Google" in field_error(response, "password_sign_in")
    school.refresh_from_db()
    assert school.password_sign_in


def test_the_database_refuses_passwords_off_without_a_provider(school):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        School.objects.filter(pk=school.pk).update(password_sign_in=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        School.objects.filter(pk=school.pk).update(sso_microsoft_tenant="nope")
    with pytest.raises(IntegrityError), transaction.atomic():
        School.objects.filter(pk=school.pk).update(sso_google_domain="Test.Example")


def test_the_administrator_sets_the_tenant_but_not_the_mfa_acceptance(client, admin, head, school):
    school.sso_accept_provider_mfa = True
    school.sso_microsoft_tenant = TENANT
    school.save()
    sign_in(client, admin)
    page = client.get(URL)
    assert "Only the headteacher changes this." in text(page)
    # The disabled box is not posted: the form keeps the school's value.
    response = client.post(URL, _answers(sso_microsoft_tenant=OTHER_TENANT))
    assert response.status_code == 302
    school.refresh_from_db()
    assert school.sso_microsoft_tenant == OTHER_TENANT
    # A new directory is not trusted to stand in for the head's own code unseen.
    assert not school.sso_accept_provider_mfa
    assert "sso_accept_provider_mfa: on → off" in events("school.sign_in_methods_change")[-1].reason


def test_the_service_refuses_the_administrator_turning_on_mfa_acceptance(admin, school):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        sso.school_sign_in_update(
            actor=admin,
            school=school,
            sso_microsoft_tenant=TENANT,
            sso_google_domain="",
            sso_accept_provider_mfa=True,
            password_sign_in=True,
        )


def test_the_service_refuses_another_schools_staff_and_other_roles(outsider, teacher, school):
    from django.core.exceptions import PermissionDenied

    for actor in (outsider, teacher):
        with pytest.raises(PermissionDenied):
            sso.school_sign_in_update(
                actor=actor,
                school=school,
                sso_microsoft_tenant=TENANT,
                sso_google_domain="",
                sso_accept_provider_mfa=False,
                password_sign_in=True,
            )


def test_nothing_changed_writes_nothing(client, head, sso_school):
    sign_in(client, head)
    client.post(URL, _answers())
    assert not events("school.sign_in_methods_change")


def test_the_page_is_linked_from_the_dashboard_for_head_and_administrator(client, head, admin):
    for person in (head, admin):
        sign_in(client, person)
        assert URL in client.get(reverse("dashboard")).content.decode()


@pytest.mark.parametrize(
    "answers",
    [
        {"next": "javascript:alert(1)", "process": "login"},
        {"next": "//evil.example/", "process": "connect"},
        {"next": "\x00", "process": "\x00"},
        {"next": "A" * 10_000, "process": "<script>alert(1)</script>"},
        {"process": "redirect", "next": "https://evil.example/"},
        {},
    ],
)
def test_hostile_answers_to_the_button_start_a_sign_in_or_nothing(
    client, stub, sso_school, teacher, answers
):
    response = client.post(
        reverse("openid_connect_login", kwargs={"provider_id": "microsoft"}), answers
    )
    assert response.status_code in (302, 400, 403)
    if response.status_code == 302 and "state=" in response["Location"]:
        from urllib.parse import parse_qs, urlsplit

        state = parse_qs(urlsplit(response["Location"]).query)["state"][0]
        stub.claims = microsoft("teacher@test.example")
        back = sso_stub.come_back(client, "microsoft", state)
        assert back.status_code in (302, 403)
        assert "evil.example" not in back.get("Location", "")
        assert "javascript:" not in back.get("Location", "")
    assert SocialAccountCount() == 0


def SocialAccountCount() -> int:  # noqa: N802
    from allauth.socialaccount.models import SocialAccount

    return SocialAccount.objects.count()
