"""Browser journeys: the app on pytest-django's live server, driven in Debian's Chromium.

Every test here is marked `e2e`: `make test` leaves them out and `make e2e` runs them. Without
Chromium or the Playwright packages they are skipped, and the skip says what to install.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from safeguard.core.roles import Role
from tests.conftest import _person
from tests.e2e.browser import Person, launch, missing
from tests.factories import TEST_PASSWORD, SchoolFactory

MISSING = missing()
HERE = Path(__file__).resolve().parent
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE not in Path(str(item.path)).resolve().parents:
            continue
        item.add_marker(pytest.mark.e2e)
        # The live server answers from its own thread, so the data must really be committed;
        # references (REQ-000001) start afresh in each test, whatever ran before.
        item.add_marker(pytest.mark.django_db(transaction=True, reset_sequences=True))
        if MISSING:
            item.add_marker(pytest.mark.skip(reason=f"browser journeys not run: {MISSING}"))


def pytest_terminal_summary(terminalreporter):
    """Say once, at the end of the run, why the browser journeys did not run."""
    skipped = terminalreporter.stats.get("skipped", [])
    if MISSING and any(report.nodeid.startswith("tests/e2e/") for report in skipped):
        terminalreporter.write_line(f"Browser journeys skipped: {MISSING}.", yellow=True)


# The personas of tests/conftest.py, named as in the demo school the README describes, so the
# screenshots show the same people.
@pytest.fixture
def school(db):
    return SchoolFactory(name="Oakfield Community School")


def _named(first: str, last: str) -> dict[str, str]:
    return {"first_name": first, "last_name": last}


@pytest.fixture
def head(school):
    roles = (Role.HEADTEACHER, Role.LINE_MANAGER)
    name = _named("Helen", "Ashworth")
    return _person(school, "head@test.example", "Headteacher", *roles, **name)


@pytest.fixture
def admin(school):
    title, role = "School business manager", Role.SCHOOL_ADMIN
    return _person(school, "admin@test.example", title, role, **_named("Sam", "Taylor"))


@pytest.fixture
def dsl(school):
    return _person(school, "dsl@test.example", "DSL", Role.DSL, **_named("Grace", "Murphy"))


@pytest.fixture
def chair(school):
    title, role = "Chair of governors", Role.CHAIR_OF_GOVERNORS
    return _person(school, "chair@test.example", title, role, **_named("Robert", "Hughes"))


@pytest.fixture
def governor(school):
    title, role = "Governor", Role.GOVERNOR
    return _person(school, "governor@test.example", title, role, **_named("Amina", "Begum"))


@pytest.fixture
def line_manager(school, head):
    title, role = "Head of year", Role.LINE_MANAGER
    return _person(school, "manager@test.example", title, role, **_named("Mark", "Ellis"))


@pytest.fixture
def teacher(school, line_manager):
    extra = _named("Tom", "Baker") | {"line_manager": line_manager}
    return _person(school, "teacher@test.example", "Class teacher", **extra)


@pytest.fixture
def colleague(school, line_manager):
    extra = _named("Nadia", "Rahman") | {"line_manager": line_manager}
    return _person(school, "colleague@test.example", "Teacher", **extra)


@pytest.fixture
def support_assistant(school, line_manager):
    extra = _named("Lucy", "Green") | {"line_manager": line_manager, "staff_type": "support"}
    return _person(school, "support@test.example", "Teaching assistant", **extra)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's synchronous API keeps an asyncio event loop on the test's thread, and Django
    # then takes every ORM call a browser test makes (factories, checks of what was saved) for
    # one made from async code. They are plain synchronous calls between browser steps, so they
    # are allowed while the browser is open, and only then.
    allowed = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = launch(playwright)
            yield chromium
            chromium.close()
    finally:
        if allowed is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = allowed


@pytest.fixture
def people(browser, live_server):
    """`people(staff)` opens a browser context for that person and signs them in.

    Whoever must use two-factor sign-in is given an authenticator app first (as at their first
    sign-in) and types its current code. At the end, any error page, unexpected 403/404, CSP
    refusal or accessibility violation seen by anyone fails the test.
    """
    opened: list[Person] = []

    def open_for(staff, *, sign_in: bool = True) -> Person:
        person = Person(browser, live_server.url, staff, password=TEST_PASSWORD)
        opened.append(person)
        if sign_in:
            person.sign_in(device=authenticator_for(staff))
        return person

    yield open_for
    problems = [f"{p.staff.email}: {problem}" for p in opened for problem in p.problems]
    for person in opened:
        person.close()
    assert not problems, "What people met on the way:\n" + "\n".join(problems)


def authenticator_for(staff):
    """A confirmed authenticator app for someone who must use one, else None."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from safeguard.accounts.services import APP_DEVICE_NAME, two_factor_required

    if not two_factor_required(staff):
        return None
    device = TOTPDevice.objects.filter(user=staff, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=staff, name=APP_DEVICE_NAME, confirmed=True)
