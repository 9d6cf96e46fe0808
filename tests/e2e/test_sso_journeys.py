"""Single sign-on in Chromium, against a real OpenID Connect provider on loopback (npm's
oidc-provider, tests/e2e/oidc/provider.mjs) standing in for Microsoft Entra ID and Google.

A teacher signs in through the provider; a user of another tenant and a deactivated teacher are
refused; the head still meets Safeguard's second factor, unless the school accepts the
provider's multi-factor sign-in and the ID token says it was used.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from safeguard.audit.models import AuditEvent
from tests.e2e.browser import Person, current_code
from tests.e2e.conftest import authenticator_for
from tests.factories import TEST_PASSWORD, StaffFactory

REPO = Path(__file__).resolve().parents[2]
PROVIDER_SCRIPT = REPO / "tests" / "e2e" / "oidc" / "provider.mjs"
TENANT = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
OTHER_TENANT = "99999999-8888-7777-6666-555555555555"
DOMAIN = "test.example"
CLIENTS = {"microsoft": "safeguard-microsoft", "google": "safeguard-google"}
SECRET = "e2e-only-secret"


def _claims(tid: str = TENANT) -> dict:
    return {"tid": tid, "hd": DOMAIN, "email_verified": True, "xms_edov": True}


# The test school's people as the provider knows them; the head's sign-in asserts MFA.
ACCOUNTS = {
    "teacher@test.example": {"claims": _claims(), "amr": ["pwd"]},
    "head@test.example": {"claims": _claims(), "amr": ["pwd", "mfa"]},
    "leaver@test.example": {"claims": _claims(), "amr": ["pwd"]},
    # In the school's directory, but signing in from another organisation's tenant.
    "supply@test.example": {"claims": _claims(OTHER_TENANT), "amr": ["pwd"]},
}


@pytest.fixture
def provider(live_server, settings, tmp_path):
    """The provider, on a free port of 127.0.0.1, with a client for each provider id; the
    installation's settings point both providers at it. Stopped afterwards."""
    node = shutil.which("node")
    if node is None or not (REPO / "node_modules" / "oidc-provider").is_dir():
        pytest.skip("Node.js and the npm package oidc-provider are needed (make e2e installs it)")
    config = tmp_path / "provider.json"
    config.write_text(
        json.dumps(
            {
                "port": 0,
                "clients": [
                    {
                        "client_id": client_id,
                        "client_secret": SECRET,
                        "redirect_uris": [f"{live_server.url}/sso/{pid}/login/callback/"],
                    }
                    for pid, client_id in CLIENTS.items()
                ],
                "accounts": ACCOUNTS,
            }
        )
    )
    log_path = tmp_path / "provider.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(  # noqa: S603  (our own script, run with node)
            [node, str(PROVIDER_SCRIPT), str(config)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        try:
            issuer = ""
            assert process.stdout is not None
            for line in process.stdout:
                if line.startswith("listening "):
                    issuer = line.split(" ", 1)[1].strip()
                    break
            if not issuer:
                pytest.fail(f"the OpenID provider did not start: {log_path.read_text()[-2000:]}")
            _point_at(settings, issuer)
            yield issuer
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def _point_at(settings, issuer: str) -> None:
    apps = {
        pid: {"name": pid.title(), "client_id": cid, "secret": SECRET, "server_url": issuer}
        for pid, cid in CLIENTS.items()
    }
    settings.SSO_PROVIDERS = apps
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "OAUTH_PKCE_ENABLED": True,
            "APPS": [
                {
                    "provider_id": pid,
                    "name": app["name"],
                    "client_id": app["client_id"],
                    "secret": SECRET,
                    "settings": {"server_url": issuer, "fetch_userinfo": False},
                }
                for pid, app in apps.items()
            ],
        }
    }
    # As settings.py does from the environment: the buttons' POST may lead to the provider.
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["form-action"] = ["'self'", issuer]
    settings.CONTENT_SECURITY_POLICY = policy


@pytest.fixture
def sso_school(school):
    school.sso_microsoft_tenant = TENANT
    school.sso_google_domain = DOMAIN
    school.save()
    return school


@pytest.fixture
def visitor(browser, live_server, provider, sign_in_events):
    """`visitor(staff)`: someone at their own browser, not signed in, who may visit the
    provider. Any error page, CSP refusal or axe finding fails the test."""
    opened: list[Person] = []

    def open_for(staff) -> Person:
        person = Person(browser, live_server.url, staff, password=TEST_PASSWORD, elsewhere=provider)
        opened.append(person)
        return person

    yield open_for
    problems = [f"{p.staff.email}: {problem}" for p in opened for problem in p.problems]
    for person in opened:
        person.close()
    assert not problems, "What people met on the way:\n" + "\n".join(problems)


def _through_provider(person: Person, button: str) -> None:
    """Press the app's button, sign in on the provider's page, come back to the app."""
    page = person.page
    person.open("/login/")
    person.click(button)
    assert page.url.startswith(person.elsewhere), page.url
    page.get_by_label("Email").fill(person.staff.email)
    with page.expect_navigation(url=lambda url: url.startswith(person.base_url)):
        page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    person.arrived()


def _last(action: str) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).order_by("-pk").first()


def test_a_teacher_signs_in_through_the_provider(visitor, sso_school, teacher):
    tom = visitor(teacher)
    tom.open("/login/")
    tom.sees("Sign in with Microsoft", "Sign in with Google")
    tom.screenshot("sign-in-sso")
    _through_provider(tom, "Sign in with Microsoft")
    assert "/login/" not in tom.page.url and "/sso/" not in tom.page.url, tom.page.url
    tom.sees("Sign out", within="header")
    event = _last("account.sign_in")
    assert event.actor_id == teacher.pk
    assert "with Microsoft (single sign-on)" in event.reason


def test_google_signs_the_teacher_in_too(visitor, sso_school, teacher):
    tom = visitor(teacher)
    _through_provider(tom, "Sign in with Google")
    tom.sees("Sign out", within="header")
    assert "with Google (single sign-on)" in _last("account.sign_in").reason


def test_a_user_of_another_tenant_is_refused(visitor, sso_school, school):
    supply = StaffFactory(school=school, email="supply@test.example", job_title="Supply")
    person = visitor(supply)
    with person.expecting(403, "/sso/microsoft/login/callback/"):
        _through_provider(person, "Sign in with Microsoft")
    person.sees("You could not be signed in with Microsoft", "Ask your school's administrator")
    person.screenshot("sso-refused")
    assert person.page.get_by_role("link", name="Sign out").count() == 0
    refusal = _last("account.sso_refused")
    assert refusal.object_id == str(supply.pk)
    assert OTHER_TENANT in refusal.reason


def test_a_deactivated_teacher_is_refused(visitor, sso_school, school):
    leaver = StaffFactory(school=school, email="leaver@test.example", is_active=False)
    person = visitor(leaver)
    with person.expecting(403, "/sso/microsoft/login/callback/"):
        _through_provider(person, "Sign in with Microsoft")
    person.sees("Your Safeguard account is switched off")
    assert "deactivated" in _last("account.sso_refused").reason


def test_the_head_still_meets_the_second_factor(visitor, sso_school, head):
    device = authenticator_for(head)
    helen = visitor(head)
    _through_provider(helen, "Sign in with Microsoft")
    assert "/account/two-factor/verify/" in helen.page.url, helen.page.url
    helen.page.locator("input[name=token]").fill(current_code(device))
    helen.click("Verify")
    assert "/dashboard/" in helen.page.url, helen.page.url
    assert "MFA" not in _last("account.sign_in").reason


def test_with_the_schools_setting_on_the_providers_mfa_stands_in_for_the_code(
    visitor, sso_school, head
):
    authenticator_for(head)
    sso_school.sso_accept_provider_mfa = True
    sso_school.save()
    helen = visitor(head)
    _through_provider(helen, "Sign in with Microsoft")
    assert "/dashboard/" in helen.page.url, helen.page.url
    helen.sees("Sign-in methods")
    assert "MFA by the identity provider" in _last("account.sign_in").reason


def test_the_sign_in_methods_page(people, provider, sso_school, head):
    helen = people(head)
    helen.open("/dashboard/")
    helen.follow("Sign-in methods")
    helen.sees("Sign-in methods", "Microsoft Entra ID tenant ID", "Redirect address to register")
    helen.screenshot("sign-in-methods")
    helen.field("Google Workspace domain").fill("Not a domain")
    helen.click("Save")
    helen.sees("Type the domain only")
    helen.field("Google Workspace domain").fill("oakfield.sch.uk")
    helen.click("Save")
    helen.sees("The sign-in methods were saved.")
    assert "oakfield.sch.uk" in _last("school.sign_in_methods_change").reason
