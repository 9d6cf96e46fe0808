"""Named personas: one school, one person per role, plus a second school for scoping tests."""

import importlib

import pytest
from django.db import connection

from safeguard.core.roles import Role
from tests.factories import PupilFactory, SchoolFactory, StaffFactory


@pytest.fixture
def school(db):
    return SchoolFactory(name="Oakfield Test School")


@pytest.fixture
def other_school(db):
    return SchoolFactory(name="Elsewhere School")


def _person(school, email, title, *roles, **extra):
    return StaffFactory(school=school, email=email, job_title=title, roles=list(roles), **extra)


@pytest.fixture
def head(school):
    return _person(school, "head@test.example", "Headteacher", Role.HEADTEACHER, Role.LINE_MANAGER)


@pytest.fixture
def deputy(school, head):
    return _person(school, "deputy@test.example", "Deputy", Role.DEPUTY_HEAD, line_manager=head)


@pytest.fixture
def assistant(school, head):
    return _person(school, "assistant@test.example", "Assistant head", Role.ASSISTANT_HEAD)


@pytest.fixture
def dsl(school):
    return _person(school, "dsl@test.example", "DSL", Role.DSL)


@pytest.fixture
def chair(school):
    return _person(school, "chair@test.example", "Chair", Role.CHAIR_OF_GOVERNORS)


@pytest.fixture
def governor(school):
    return _person(school, "governor@test.example", "Governor", Role.GOVERNOR)


@pytest.fixture
def admin(school):
    return _person(school, "admin@test.example", "Administrator", Role.SCHOOL_ADMIN)


@pytest.fixture
def line_manager(school, head):
    return _person(school, "manager@test.example", "Head of year", Role.LINE_MANAGER)


@pytest.fixture
def teacher(school, line_manager):
    return _person(school, "teacher@test.example", "Class teacher", line_manager=line_manager)


@pytest.fixture
def colleague(school, line_manager):
    return _person(school, "colleague@test.example", "Teacher", line_manager=line_manager)


@pytest.fixture
def outsider(other_school):
    """The headteacher of another school on the same installation."""
    return _person(other_school, "head@elsewhere.example", "Headteacher", Role.HEADTEACHER)


@pytest.fixture
def pupil(school):
    return PupilFactory(school=school, first_name="Ava", last_name="Current")


@pytest.fixture
def other_pupil(other_school):
    return PupilFactory(school=other_school, first_name="Zed", last_name="Elsewhere")


# --- the audit trail and the flush between transactional tests ------------------------------

_EVENTS_APPEND_ONLY = importlib.import_module("safeguard.migrations.0002_audit_append_only")
_CHECKS_APPEND_ONLY = importlib.import_module(
    "safeguard.migrations.0006_audit_truncate_and_checks_append_only"
)
# The append-only tables added since: the rechaining record, the signed checkpoints.
_LATER_APPEND_ONLY = tuple(
    importlib.import_module(f"safeguard.migrations.{name}")
    for name in ("0013_per_school_audit_chains", "0014_audit_checkpoints")
)


def _transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    if marker is not None and (marker.kwargs.get("transaction") or marker.args[:1] == (True,)):
        return True
    return bool({"transactional_db", "live_server"} & set(request.fixturenames))


def _audit_triggers(*, on: bool) -> None:
    """Put the audit tables' triggers in place (on) or lift them for Django's flush (off)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # The flush is a DELETE, which the row triggers refuse.
            for module in (_EVENTS_APPEND_ONLY, _CHECKS_APPEND_ONLY, *_LATER_APPEND_ONLY):
                for sql in module.SQLITE_DOWN + (module.SQLITE_UP if on else []):
                    cursor.execute(sql)
        elif connection.vendor == "postgresql":
            # The flush is a TRUNCATE, which the statement triggers refuse.
            verb = "ENABLE" if on else "DISABLE"
            for module in (_CHECKS_APPEND_ONLY, *_LATER_APPEND_ONLY):
                for table, trigger in module.NO_TRUNCATE.items():
                    cursor.execute(f"ALTER TABLE {table} {verb} TRIGGER {trigger}")


@pytest.fixture(autouse=True)
def _audit_trail_flushable(request):
    """Let the flush after a transactional test empty the audit tables, which refuse it.

    The triggers are in place for the whole test and lifted only for the flush (this fixture's
    teardown runs before pytest-django's).
    """
    if not _transactional(request):
        yield
        return
    request.getfixturevalue("transactional_db")
    _audit_triggers(on=True)
    yield
    _audit_triggers(on=False)


@pytest.fixture
def uploads(settings, tmp_path):
    """The uploads storage, empty: the test database's rows (rolled back after the test), or a
    folder of this test's own when UPLOAD_STORAGE chooses a folder."""
    from tests.helpers import StoredUploads

    backend = settings.STORAGES["uploads"]
    if "location" in backend.get("OPTIONS", {}):
        options = {**backend["OPTIONS"], "location": str(tmp_path / "uploads")}
        settings.STORAGES = {**settings.STORAGES, "uploads": {**backend, "OPTIONS": options}}
    return StoredUploads()


# --- sign-in events ---------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _cache_cleared():
    """The cache counts password-reset requests (safeguard.accounts.throttle): each test starts
    with none counted."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _sign_ins_unrecorded(request):
    """Signing in and out are audit events (safeguard.accounts.receivers); the suite signs in
    with force_login before nearly every page, and those events would be in every count of
    events and every trail a test reads. Off, as the lockout is, except where a test asks for
    them with the `sign_in_events` fixture."""
    if "sign_in_events" in request.fixturenames:
        yield
        return
    from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

    from safeguard.accounts import receivers

    connections = [
        (user_logged_in, receivers.on_signed_in, "safeguard.audit_sign_in"),
        (user_login_failed, receivers.on_sign_in_failed, "safeguard.audit_sign_in_failed"),
        (user_logged_out, receivers.on_signed_out, "safeguard.audit_sign_out"),
    ]
    for signal, _receiver, uid in connections:
        signal.disconnect(dispatch_uid=uid)
    yield
    for signal, receiver, uid in connections:
        signal.connect(receiver, dispatch_uid=uid)


@pytest.fixture
def sign_in_events():
    """Signing in, refused sign-ins and signing out written to the trail, as in production."""
