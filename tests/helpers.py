"""Small helpers shared by the test modules: page text, field errors, CSV files, row counts."""

import html
import io
import re
from html.parser import HTMLParser
from pathlib import Path

from django.db import connection

from contacts.people.models import ParentCarer, Pupil, Staff, StaffRelative, StaffRole
from safeguard.audit.models import AuditEvent
from safeguard.core.models import School

# The project's folder (manage.py is there), wherever a test module sits below tests/.
REPO_ROOT = Path(__file__).resolve().parent.parent

_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def text(value) -> str:
    """What a person reads: tags removed, entities decoded, whitespace collapsed."""
    raw = value.content.decode() if hasattr(value, "content") else value
    raw = re.sub(r"<(script|style)\b.*?</\1>", " ", raw, flags=re.S)
    # A glossary link is read as part of its sentence ("the LADO's number").
    raw = re.sub(r'<a class="term" [^>]*>(.*?)</a>', r"\1", raw, flags=re.S)
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", raw))).strip()


def field_error(response, field: str) -> str:
    """The error text shown under one form field ('' when the field has none)."""
    page = response.content.decode()
    match = re.search(rf'<div id="id_{field}_error"[^>]*>(.*?)</div>', page, flags=re.S)
    return text(match.group(1)) if match else ""


class _Options(HTMLParser):
    def __init__(self, name: str) -> None:
        super().__init__(convert_charrefs=True)
        self.name = name
        self.ticked: dict[str, bool] = {}  # by id
        self.labels: dict[str, str] = {}  # id -> label text
        self._label_for: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "input" and a.get("name") == self.name and a.get("type") in ("checkbox", "radio"):
            self.ticked[a.get("id") or ""] = "checked" in a
        elif tag == "label":
            self._label_for = a.get("for")

    def handle_data(self, data: str) -> None:
        if self._label_for is not None:
            self.labels[self._label_for] = self.labels.get(self._label_for, "") + data

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self._label_for = None


def options(response, name: str) -> dict[str, bool]:
    """The tick boxes or radio buttons named `name` on the page: label -> whether it is ticked."""
    parser = _Options(name)
    parser.feed(response.content.decode())
    return {" ".join(parser.labels.get(i, "").split()): on for i, on in parser.ticked.items()}


def find_pupils(client, url: str, find: str, **answers) -> object:
    """Press Find in a form's pupil picker, with `find` typed in its box and other answers."""
    from contacts.people.pupil_picker import FIND_BUTTON, FIND_INPUT

    return client.post(url, {**answers, FIND_INPUT: find, FIND_BUTTON: "1"})


def csv_bytes(*lines: str, encoding: str = "utf-8", bom: bool = False) -> io.BytesIO:
    """An in-memory CSV upload built from lines of text (header first)."""
    data = ("\n".join(lines) + "\n").encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    return io.BytesIO(data)


COUNTED = (School, Staff, StaffRole, Pupil, ParentCarer, StaffRelative, AuditEvent)


def row_counts() -> dict[str, int]:
    """How many rows every people table and the audit trail hold."""
    return {model.__name__: model.objects.count() for model in COUNTED}


def sign_in(client, user) -> None:
    """Sign in as `user` the whole way: password, and the second factor where they must use one.

    Someone whose role requires two-factor sign-in gets an authenticator app first, as they would
    at their first sign-in; the session is then marked as having passed it.
    """
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from safeguard.accounts.services import APP_DEVICE_NAME, two_factor_required

    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None and two_factor_required(user):
        device = TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=True)
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()


def allow_audit_tampering(*, deletes: bool = False) -> None:
    """Lift the audit trail's append-only protection (against changes, and against deletions
    too with `deletes`) for the rest of this test's transaction only, as the database's owner
    could: to show what the checks find afterwards."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER safeguard_auditevent_no_update")
            if deletes:
                cursor.execute("DROP TRIGGER safeguard_auditevent_no_delete")
        elif connection.vendor == "postgresql":
            # Deferred foreign-key checks queued by the inserts would block ALTER TABLE.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(
                "ALTER TABLE safeguard_auditevent DISABLE TRIGGER safeguard_auditevent_append_only"
            )
        else:  # pragma: no cover
            raise AssertionError(f"No way to lift the audit triggers on {connection.vendor}")


# Transaction control, which the benchmark does not count as a query (docs/performance.md).
_TRANSACTION_WORDS = {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"}


def page_queries(client, url: str, data=None) -> list[str]:
    """The queries one page view runs, as the benchmark counts them: BEGIN, COMMIT and
    savepoints left out. The page must answer 200."""
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, data)
    assert response.status_code == 200, url
    return [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].split(None, 1)[0].upper() not in _TRANSACTION_WORDS
    ]


class StoredUploads:
    """The "uploads" storage as a test sees it: the names kept and a file's bytes."""

    def __init__(self):
        from django.core.files.storage import storages

        self.storage = storages["uploads"]

    def names(self) -> list[str]:
        try:
            return sorted(self.storage.listdir("")[1])
        except FileNotFoundError:  # a folder storage's folder, before anything is kept
            return []

    def read(self, name: str) -> bytes:
        with self.storage.open(name, "rb") as stored:
            return stored.read()

    def exists(self, name: str) -> bool:
        return self.storage.exists(name)

    def remove(self, name: str) -> None:
        self.storage.delete(name)
