"""Hostile input: every form, posted by someone who may use it, with random and malicious values.

Long text, markup and script, SQL fragments, NUL characters, impossible and far-off dates, huge
numbers, unicode, and fields missing, repeated or made up. Whatever is sent, the answer is a page
with the errors next to the fields, or a success; never a server error, and never half a change.
Each example starts from the same rows (it runs inside a savepoint that is rolled back), and
afterwards either nothing changed or the whole change is there with its audit event. Pages never
echo the script back unescaped, not even on the page a success leads to.

FORMS lists every form; `test_every_form_is_listed` walks every URL of the project and fails
when one that takes a POST is missing from it.

Uploads: each attachment field refuses an executable renamed as a PDF, an ELF program renamed as
a PNG, a file just over the 10 MB limit and an empty file, with the error next to the field and
nothing kept (no row, no file); a real PDF is accepted. (tests/test_views_records.py and
tests/test_views_policies.py already cover the renamed executable on a record and a new policy.)
"""

from __future__ import annotations

import base64
import datetime as dt
import inspect
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.apps import apps
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import HealthCheck, given, note
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from contacts.alerts import services as alert_services
from contacts.alerts.models import CaseAction, CaseReferral
from contacts.concerns.models import BoundaryConcern, LadoReferral
from contacts.people.models import ColleagueRelationship, ParentCarer, Pupil, Staff, StaffRelative
from contacts.people.pupil_picker import FIND_BUTTON, FIND_INPUT
from contacts.planned import services as planned_services
from contacts.planned.models import (
    ContactRequest,
    HeadAbsence,
    PlanReview,
    PlanSession,
    RequestNote,
)
from contacts.planned.services import PLAN_PARTS
from contacts.privacy import services as privacy_services
from contacts.privacy.models import LegalHold
from contacts.records.models import Addendum, ContactRecord, Disclosure
from policies.models import Acknowledgement, Policy, PolicyVersion
from safeguard.accounts import services as two_factor
from safeguard.accounts.services import APP_DEVICE_NAME
from safeguard.audit.checkpoints import signing_key
from safeguard.audit.models import AuditCheck, AuditEvent
from safeguard.audit.selectors import as_checkpoint
from safeguard.audit.services import audit_checkpoint_sign
from safeguard.audit.vocabulary import VIEW
from tests.factories import TEST_PASSWORD, PupilFactory
from tests.factories_records import make_disclosure
from tests.factories_requests import make_request
from tests.helpers import StoredUploads, field_error, sign_in
from tests.test_access_matrix import _kwargs as matrix_kwargs
from tests.test_access_matrix import world  # noqa: F401  (the access matrix's objects, reused)
from tests.test_views_access import ALL_PATTERNS, _url

# Examples per form; HOSTILE_EXAMPLES=500 for a long hunt.
EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "12"))

SCRIPT = "<script>alert(1)</script>"
# What must never come back unescaped.
RAW = ("<script>alert(1)", "<img src=x onerror=alert(1)>")
LONG = "A" * 10_000
NUL = "\x00"
MARKUP = [
    SCRIPT,
    f'"><{SCRIPT[1:]}',
    "<img src=x onerror=alert(1)>",
    "javascript:alert(1)",
    "{{ 7|add:7 }}{% debug %}",
]
SQL = ["'; DROP TABLE contacts_contactrequest; --", "1' OR '1'='1", "1; SELECT pg_sleep(5)"]
DATES = ["0001-01-01", "9999-12-31", "10000-01-01", "2026-02-30", "31/12/9999", "0000-00-00"]
NUMBERS = ["-1", "0", "1e308", "-1e308", "99999999999999999999", "-99999999999999999999"]
NUMBERS += ["9223372036854775808", "NaN", "Infinity", "0x10", "1_000"]
ODD = ["", " ", "\r\n\t ", "\u202eexe.pdf", "\ufeffBOM", "on", "None", "[]", "%s%n%x"]
ODD += ["../../../../etc/passwd", "24:00", "23:59:60", "99:99"]
_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
# Each kind of trouble about as likely as the others.
HOSTILE = st.one_of(
    st.sampled_from(MARKUP),
    st.sampled_from(SQL),
    st.one_of(st.just(NUL), st.builds(lambda a, b: f"{a}{NUL}{b}", _TEXT, _TEXT)),
    st.one_of(
        st.sampled_from([LONG, "é" * 5_000, "😀" * 300]),
        st.builds(lambda piece, n: piece * n, _TEXT.filter(bool), st.integers(200, 2_000)),
    ),
    st.one_of(st.sampled_from(DATES), st.dates().map(dt.date.isoformat)),
    st.one_of(st.sampled_from(NUMBERS), st.integers().map(str), st.floats().map(str)),
    st.one_of(st.sampled_from(ODD), st.times().map(dt.time.isoformat)),
    _TEXT,
)
# Made-up field names, some of them the names of real model fields a form does not offer.
EXTRA_NAMES = st.one_of(
    st.sampled_from(
        ["id", "pk", "school", "author", "requester", "status", "is_superuser", "verdict"]
        + ["created_at", "restricted", "reference", "version", "action", "pupils", "next"]
    ),
    st.text(st.characters(categories=("L", "N"), include_characters="_-[]."), max_size=20),
)

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 40
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200


@dataclass(frozen=True)
class Upload:
    """A file to post (kept as data, so a failing example prints what was sent)."""

    name: str
    content: bytes

    def file(self) -> SimpleUploadedFile:
        return SimpleUploadedFile(self.name, self.content)


UPLOADS = st.builds(
    Upload,
    st.sampled_from(
        ["letter.pdf", "photo.png", "scan.jpg", "setup.exe", "notes", "../../x.pdf"]
        + ["résumé.pdf", "a" * 250 + ".pdf", "people.csv", ".pdf", "x.pdf.exe", "a\x00b.pdf"]
        + ["&#0;&lt;b&gt;.pdf", "<img src=x onerror=alert(1)>.pdf"]
    ),
    st.one_of(
        st.sampled_from([PDF, PNG, JPEG, EXE, ELF, b"", b"first_name\n\x00\n"]),
        st.binary(max_size=300),
        st.builds(lambda head, rest: head + rest, st.sampled_from([PDF, PNG]), st.binary()),
        _TEXT.map(lambda s: s.encode("utf-8")),
    ),
)


# --- the forms -----------------------------------------------------------------------------


def _day(days: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def _pk(key: str) -> Callable[[dict], dict]:
    return lambda scene: {"pk": scene[key].pk}


def _no_kwargs(scene: dict) -> dict:
    return {}


@dataclass(frozen=True)
class Form:
    """A form, who may use it, and answers with which it succeeds."""

    name: str  # the URL name it posts to
    persona: str
    valid: Callable[[dict], dict[str, Any]]
    kwargs: Callable[[dict], dict] = _no_kwargs
    # The page that shows the form, when it is not the form's own URL: (URL name, kwargs).
    shown_on: tuple[str, Callable[[dict], dict]] | None = None
    creates: type | None = None  # the model that gains a row when it succeeds
    audited: bool = True  # every change it makes comes with an audit event
    result_page: bool = False  # a valid POST answers with a page or a file, not a redirect
    # Tables it may change even when it refuses (the sign-in lockout counts failures).
    also_writes: tuple[str, ...] = ()
    axes: bool = False  # the sign-in lockout is on (the suite runs with it off)
    code_pending: bool = False  # signed in with the password only: the code step is next
    label: str = ""

    @property
    def id(self) -> str:
        return f"{self.name}[{self.label}]" if self.label else self.name


def _request_answers(scene: dict) -> dict[str, Any]:
    return {
        "pupils": [scene["pupil"].pk],
        "with_whom": "pupil",
        "kind": "meeting",
        "purpose": "work",
        "contact_date": _day(7),
        "contact_time": "15:00",
        "place": "Community centre",
        "exemption": "",
        "reasons": "Mentoring agreed with the parents.",
        "plan_outcomes": "",
        "plan_timescales": "",
        "plan_review_date": "",
        "action": "submit",
    }


def _school_answers(scene: dict) -> dict[str, Any]:
    return {
        "name": "Oakfield Test School",
        "address": "1 High Street",
        "lado_phone": "01234 567890",
        "child_age": "18",
        "restricted_window_years": "3",
        "exemption_needs_approval": "on",
        "response_days": "5",
        "acknowledge_within_minutes": "60",
        "school_day_starts": "08:00",
        "school_day_ends": "17:00",
        "retention_disclosure_until_age": "25",
        "retention_staff_retirement_age": "70",
        "retention_allegation_min_years": "10",
        "retention_contact_years_after_leaving": "6",
        "pattern_unplanned_count": "3",
        "pattern_unplanned_days": "90",
        "pattern_gifts_count": "2",
        "pattern_gifts_days": "90",
        "pattern_concerns_count": "2",
        "pattern_concerns_days": "365",
        "concern_open_days": "30",
    }


def _pupil_answers(scene: dict) -> dict[str, Any]:
    return {
        "first_name": "Noor",
        "last_name": "Able",
        "date_of_birth": "2014-05-01",
        "admission_date": "2019-09-01",
        "leaving_date": "",
        "year_group": "6",
        "notes": "",
    }


def _policy_answers(scene: dict) -> dict[str, Any]:
    return {
        "title": "Use of mobile phones",
        "owner_role": "headteacher",
        "summary": "Staff do not use personal phones with pupils.",
        "requires_acknowledgement": "on",
        "signatories": ["headteacher", "chair_of_governors"],
        "clauses": [],
    }


def _version_answers(scene: dict) -> dict[str, Any]:
    return {
        "last_reviewed": _day(-1),
        "next_review": _day(300),
        "text": "Staff keep clear professional boundaries, revised.",
        "change_note": "Annual review.",
    }


def _version(key: str) -> Callable[[dict], dict[str, Any]]:
    return lambda scene: {"version": scene[key].version}


def _on_request(key: str) -> tuple[str, Callable[[dict], dict]]:
    return ("request_detail", _pk(key))


FORMS: list[Form] = [
    Form(
        "login",
        "anonymous",
        lambda s: {"username": s["teacher"].email, "password": TEST_PASSWORD},
        audited=False,
        # A refused sign-in to an account is recorded in its school's trail.
        also_writes=("axes", "safeguard.AuditEvent"),
    ),
    # Getting in: a forgotten password, an invitation's link.
    Form(
        "password_reset",
        "anonymous",
        lambda s: {"email": s["teacher"].email},
        # Asking for a link is audited against the account the address names.
    ),
    Form(
        "invitation_accept",
        "anonymous",
        lambda s: {
            "new_password1": "Blue-kettle-Orchard-42",
            "new_password2": "Blue-kettle-Orchard-42",
        },
        kwargs=lambda s: {"token": s["invitation_token"]},
    ),
    Form(
        "invitation_send",
        "admin",
        lambda s: {},
        kwargs=lambda s: {"pk": s["invitation"].staff_id},
        shown_on=("invitation_list", None),
    ),
    Form(
        "invitation_revoke",
        "admin",
        lambda s: {},
        kwargs=_pk("invitation"),
        shown_on=("invitation_list", None),
    ),
    # Needs attention and the DSL's case (the world's disclosure's alert, acknowledged).
    Form(
        "alert_acknowledge",
        "dsl",
        lambda s: {},
        kwargs=_pk("new_alert"),
        shown_on=("alert_detail", _pk("new_alert")),
    ),
    Form(
        "alert_note",
        "dsl",
        lambda s: {"text": "Spoke to the form tutor."},
        kwargs=_pk("alert"),
        shown_on=("alert_detail", _pk("alert")),
    ),
    Form(
        "alert_close",
        "dsl",
        lambda s: {"outcome": "Early help", "rationale": "Support arranged with the family."},
        kwargs=_pk("alert"),
        shown_on=("alert_detail", _pk("alert")),
    ),
    Form(
        "alert_reopen",
        "dsl",
        lambda s: {"reason": "A second disclosure."},
        kwargs=_pk("closed_alert"),
        shown_on=("alert_detail", _pk("closed_alert")),
    ),
    Form(
        "case_action_add",
        "dsl",
        lambda s: {
            "description": "Check in with the pupil.",
            "assigned_to": s["teacher"].pk,
            "due_on": _day(3),
        },
        kwargs=_pk("alert"),
        shown_on=("alert_detail", _pk("alert")),
        creates=CaseAction,
    ),
    Form(
        "case_action_done",
        "dsl",
        lambda s: {},
        kwargs=lambda s: {"pk": s["alert"].pk, "action_pk": s["case_action"].pk},
        shown_on=("alert_detail", _pk("alert")),
    ),
    Form(
        "case_referral_add",
        "dsl",
        lambda s: {
            "agency": "childrens_social_care",
            "agency_other": "",
            "referred_on": _day(0),
            "reference": "CSC/42",
            "contact": "Duty team",
            "response": "",
        },
        kwargs=_pk("alert"),
        shown_on=("alert_detail", _pk("alert")),
        creates=CaseReferral,
    ),
    Form(
        "case_referral_respond",
        "dsl",
        lambda s: {"response": "A strategy meeting is called."},
        kwargs=lambda s: {"pk": s["alert"].pk, "referral_pk": s["case_referral"].pk},
        shown_on=("alert_detail", _pk("alert")),
    ),
    # The directory.
    Form(
        "staff_create",
        "head",
        lambda s: {
            "first_name": "Robin",
            "last_name": "Field",
            "email": "robin.field@test.example",
            "job_title": "Teaching assistant",
            "staff_type": "support",
            "line_manager": s["line_manager"].pk,
            "roles": [],
        },
        creates=Staff,
    ),
    Form(
        "staff_edit",
        "head",
        lambda s: {
            "first_name": "Tess",
            "last_name": "Teacher",
            "email": s["teacher"].email,
            "job_title": "Class teacher",
            "staff_type": "teacher",
            "line_manager": s["line_manager"].pk,
            "roles": ["line_manager"],
        },
        kwargs=_pk("staff"),
    ),
    Form(
        "staff_active",
        "admin",
        lambda s: {"active": "0"},
        kwargs=_pk("staff"),
        shown_on=("staff_detail", _pk("staff")),
    ),
    Form(
        "relative_add",
        "teacher",
        lambda s: {
            "pupil": s["second_pupil"].pk,
            "relationship": "childs_friend",
            "contact": "She comes to tea on Fridays with my daughter.",
            "contact_kinds": ["meeting", "transport"],
        },
        kwargs=_pk("staff"),
        creates=StaffRelative,
    ),
    Form(
        "colleague_declare",
        "teacher",
        lambda s: {"colleague": s["dsl"].pk, "kind": "close_friend"},
        kwargs=lambda s: {"pk": s["teacher"].pk},
        shown_on=("staff_detail", lambda s: {"pk": s["teacher"].pk}),
        creates=ColleagueRelationship,
    ),
    Form(
        "colleague_end",
        "admin",
        lambda s: {},
        kwargs=lambda s: {"pk": s["teacher"].pk, "relationship_pk": s["colleagues"].pk},
        shown_on=("staff_detail", lambda s: {"pk": s["teacher"].pk}),
    ),
    Form(
        "relative_end",
        "admin",
        lambda s: {"reason": "The family moved away."},
        kwargs=_pk("relative"),
        shown_on=("staff_detail", _pk("staff")),
    ),
    Form(
        "relative_review",
        "head",
        lambda s: {"conditions": "Lifts only with another adult in the car.", "back": "list"},
        kwargs=_pk("standing"),
        shown_on=("relatives_awaiting", None),
    ),
    Form(
        "relative_acknowledge",
        "head",
        lambda s: {},
        kwargs=_pk("relative"),
        shown_on=("staff_detail", _pk("staff")),
    ),
    Form(
        "relative_decline",
        "head",
        lambda s: {"back": "list"},
        kwargs=_pk("relative"),
        shown_on=("relatives_awaiting", None),
    ),
    Form("pupil_create", "admin", _pupil_answers, creates=Pupil),
    Form(
        "pupil_edit",
        "admin",
        lambda s: _pupil_answers(s) | {"first_name": "Ava", "last_name": "Current"},
        kwargs=_pk("pupil"),
    ),
    Form(
        "parent_add",
        "admin",
        lambda s: {
            "first_name": "Sam",
            "last_name": "Current",
            "relationship": "Mother",
            "email": "sam@home.example",
            "phone": "07700 900123",
        },
        kwargs=_pk("pupil"),
        creates=ParentCarer,
    ),
    Form(
        "people_import",
        "admin",
        lambda s: {
            "kind": "pupils",
            "file": Upload(
                "pupils.csv",
                b"first_name,last_name,date_of_birth,admission_date\n"
                b"Ola,Nowak,2015-03-02,2020-09-01\n",
            ),
        },
        creates=Pupil,
    ),
    Form("school_settings", "head", _school_answers),
    Form(
        "sign_in_methods",
        "head",
        lambda s: {
            "sso_microsoft_tenant": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
            "sso_google_domain": "test.example",
            "sso_accept_provider_mfa": "on",
            "password_sign_in": "on",
        },
    ),
    # Planned contact.
    # "Check what the policies say" (action=check) answers with the assessment, saving nothing.
    Form("request_new", "teacher", _request_answers, creates=ContactRequest, result_page=True),
    Form(
        "request_edit",
        "teacher",
        lambda s: _request_answers(s) | {"version": s["draft"].version},
        kwargs=_pk("draft"),
        result_page=True,
    ),
    Form(
        "request_decide",
        "head",
        lambda s: _version("request")(s) | {"decision": "approve", "conditions": "", "reason": ""},
        kwargs=_pk("request"),
        shown_on=_on_request("request"),
    ),
    Form(
        "request_refer",
        "head",
        lambda s: _version("request")(s) | {"reason": "I know the family well."},
        kwargs=_pk("request"),
        shown_on=_on_request("request"),
    ),
    Form(
        "request_withdraw",
        "teacher",
        lambda s: _version("request")(s) | {"reason": "No longer needed."},
        kwargs=_pk("request"),
        shown_on=_on_request("request"),
    ),
    Form(
        "request_complete",
        "teacher",
        lambda s: _version("happened")(s) | {"outcome": "It went as planned.", "concerns": ""},
        kwargs=_pk("happened"),
        shown_on=_on_request("happened"),
    ),
    Form(
        "request_cancel",
        "teacher",
        lambda s: _version("approved")(s) | {"reason": "The club was called off."},
        kwargs=_pk("approved"),
        shown_on=_on_request("approved"),
    ),
    Form(
        "request_note",
        "teacher",
        lambda s: {"text": "The parents have agreed."},
        kwargs=_pk("request"),
        shown_on=_on_request("request"),
        creates=RequestNote,
    ),
    Form(
        "request_review",
        "line_manager",
        lambda s: {"note": "Looked fine."},
        kwargs=_pk("approved"),
        shown_on=_on_request("approved"),
    ),
    # The plan of involvement in `world`, approved: a session, and a review by the head.
    Form(
        "request_session",
        "teacher",
        lambda s: {"held_on": _day(0), "what_happened": "Went through interview questions."},
        kwargs=_pk("plan"),
        creates=PlanSession,
    ),
    Form(
        "request_plan_review",
        "head",
        lambda s: (
            _version("plan")(s)
            | {name: getattr(s["plan"], name) for name in PLAN_PARTS}
            | {
                "reviewed_on": _day(0),
                "decision": "continue",
                "note": "Going well: keep to the plan.",
                "next_review_date": _day(30),
            }
        ),
        kwargs=_pk("plan"),
        creates=PlanReview,
    ),
    Form(
        "absences",
        "head",
        lambda s: {"starts_on": _day(20), "ends_on": _day(22), "note": "Course"},
        creates=HeadAbsence,
    ),
    Form("absence_end", "head", lambda s: {}, kwargs=_pk("absence"), shown_on=("absences", None)),
    Form("notifications", "teacher", lambda s: {}, audited=False),
    # Records after the fact.
    Form(
        "record_new_type",
        "teacher",
        lambda s: {
            "pupils": [s["pupil"].pk],
            "kind": "letter",
            "purpose": "work",
            "occurred_on": _day(-1),
            "occurred_time": "16:30",
            "place": "School office",
            "direction": "received",
            "details": "A thank-you card at the end of term.",
            "reply": "",
        },
        kwargs=lambda s: {"record_type": "correspondence"},
        creates=ContactRecord,
        label="correspondence",
    ),
    Form(
        "record_new_type",
        "teacher",
        lambda s: {
            "pupils": [s["pupil"].pk],
            "kind": "text_message",
            "purpose": "work",
            "occurred_on": _day(-2),
            "occurred_time": "19:05",
            "school_channel": "on",
            "details": "A pupil texted about homework; I replied on the school phone.",
        },
        kwargs=lambda s: {"record_type": "message"},
        creates=ContactRecord,
        label="message",
    ),
    Form(
        "record_new_type",
        "teacher",
        lambda s: {
            "pupils": [s["pupil"].pk],
            "kind": "meeting",
            "purpose": "personal",
            "occurred_on": _day(-1),
            "occurred_time": "11:00",
            "place": "The park",
            "arranged": "yes",
            "details": "Met at the park, as his mother had asked me to.",
        },
        kwargs=lambda s: {"record_type": "unplanned"},
        creates=ContactRecord,
        label="unplanned",
    ),
    Form(
        "record_addendum",
        "teacher",
        lambda s: {"text": "It was at ten past four, not half past."},
        kwargs=_pk("record"),
        shown_on=("record_detail", _pk("record")),
        creates=Addendum,
    ),
    Form(
        "disclosure_new",
        "teacher",
        lambda s: {
            "pupil": s["pupil"].pk,
            "disclosure_type": "child_protection",
            "disclosed_on": _day(0),
            "disclosed_time": "00:00",
            "disclosed_by": "The pupil",
            "account": "Said she is scared to go home.",
            "circumstances": "",
            "action_taken": "Told the DSL.",
        },
        creates=Disclosure,
    ),
    Form(
        "disclosure_addendum",
        "teacher",
        lambda s: {"text": "Her friend was there too."},
        kwargs=_pk("disclosure"),
        shown_on=("disclosure_detail", _pk("disclosure")),
        creates=Addendum,
    ),
    # Boundary concerns and the LADO.
    Form(
        "concern_new",
        "teacher",
        lambda s: {
            "subject": s["colleague"].pk,
            "occurred_on": _day(-3),
            "description": "Gave a pupil a lift home alone.",
            "confidential": "on",
        },
        creates=BoundaryConcern,
    ),
    Form(
        "concern_respond",
        "head",
        lambda s: {"response": "Spoke to them.", "outcome": "advice", "close": "on"},
        kwargs=_pk("concern"),
        shown_on=("concern_detail", _pk("concern")),
    ),
    Form(
        "lado_new",
        "dsl",
        lambda s: {
            "subject": s["teacher"].pk,
            "referral_type": "consultation",
            "contacted_on": _day(-1),
            "contacted_time": "11:00",
            "spoke_to": "Sam Duty, LADO",
            "advice": "Keep a note of any further contact.",
        },
        creates=LadoReferral,
    ),
    Form(
        "lado_outcome",
        "head",
        lambda s: {"outcome": "unfounded", "outcome_on": _day(-1)},
        kwargs=_pk("lado"),
        shown_on=("lado_detail", _pk("lado")),
    ),
    # Policies.
    Form(
        "contact_check",
        "teacher",
        lambda s: {
            "pupil": s["pupil"].pk,
            "with_whom": "pupil",
            "kind": "meeting",
            "purpose": "work",
            "contact_date": _day(3),
            "planned": "yes",
            "exemption": "",
        },
        result_page=True,
    ),
    Form(
        "policy_create",
        "head",
        lambda s: _policy_answers(s) | _version_answers(s) | {"change_note": None},
        creates=Policy,
    ),
    Form("policy_edit", "admin", _policy_answers, kwargs=_pk("policy")),
    Form(
        "policy_version_add", "head", _version_answers, kwargs=_pk("policy"), creates=PolicyVersion
    ),
    Form(
        "policy_acknowledge",
        "teacher",
        lambda s: {},
        kwargs=_pk("version"),
        shown_on=("policy_detail", _pk("policy")),
        creates=Acknowledgement,
    ),
    Form(
        "policy_sign",
        "chair",
        lambda s: {},
        kwargs=_pk("pending"),
        shown_on=("policy_detail", lambda s: {"pk": s["pending"].policy_id}),
    ),
    # Two-factor sign-in and confirming the password. Wrong codes count against the device
    # (django-otp's throttling), wrong passwords against the lockout, whatever the answer.
    Form(
        "two_factor_setup",
        "teacher",
        lambda s: {"begin": "1", "next": "/"},
        creates=TOTPDevice,
        audited=False,  # an untrusted device until the first code proves it
        label="start",
    ),
    Form(
        "two_factor_setup",
        "colleague",
        lambda s: {"token": _code(s["waiting_app"]), "next": "/"},
        result_page=True,
        also_writes=("otp_totp.TOTPDevice",),
        label="first code",
    ),
    Form(
        "two_factor_verify",
        "head",
        lambda s: {"token": _code(s["head_app"]), "next": "/"},
        code_pending=True,
        audited=False,
        also_writes=("otp_totp", "otp_static"),
    ),
    Form(
        "recovery_codes_regenerate",
        "head",
        lambda s: {},
        shown_on=("two_factor", None),
        result_page=True,
    ),
    Form(
        "two_factor_reset",
        "head",
        lambda s: {},
        kwargs=_pk("dsl"),
        shown_on=("staff_detail", _pk("dsl")),
    ),
    Form(
        "confirm_password",
        "teacher",
        lambda s: {"password": TEST_PASSWORD, "next": "/"},
        audited=False,
        axes=True,
        also_writes=("axes",),
    ),
    # The chair of governors' governance page.
    Form(
        "governance_governor_give",
        "chair",
        lambda s: {"staff": s["dsl"].pk},
        shown_on=("governance", None),
    ),
    Form(
        "governance_governor_remove",
        "chair",
        lambda s: {},
        kwargs=_pk("governor"),
        shown_on=("governance", None),
    ),
    Form(
        "governance_whistleblowing",
        "chair",
        lambda s: {},
        kwargs=_pk("governor"),
        shown_on=("governance", None),
    ),
    Form(
        "governance_email",
        "chair",
        lambda s: {"email": "new.governor@test.example"},
        kwargs=_pk("governor"),
        shown_on=("governance", None),
    ),
    Form(
        "governance_active",
        "chair",
        lambda s: {"active": "0"},
        kwargs=_pk("governor"),
        shown_on=("governance", None),
    ),
    Form(
        "governance_two_factor_reset",
        "chair",
        lambda s: {},
        kwargs=_pk("head"),
        shown_on=("governance", None),
    ),
    # Retention and subject access.
    Form(
        "legal_holds",
        "head",
        lambda s: {"pupil": s["pupil"].pk, "staff": "", "reason": "A claim about a trip."},
        creates=LegalHold,
    ),
    Form(
        "legal_hold_lift",
        "head",
        lambda s: {"reason": "The claim was settled."},
        kwargs=_pk("hold"),
        shown_on=("legal_holds", None),
    ),
    Form(
        "retention_review",
        "dsl",
        lambda s: {"decision": "keep", "review_on": _day(365), "reason": "Still relevant."},
        kwargs=_pk("disclosure"),
        shown_on=("retention_reviews", None),
    ),
    Form(
        "pupil_subject_access_download",
        "head",
        lambda s: {},
        kwargs=_pk("pupil"),
        shown_on=("pupil_subject_access", _pk("pupil")),
        creates=AuditEvent,
        result_page=True,
    ),
    Form(
        "staff_subject_access_download",
        "head",
        lambda s: {},
        kwargs=_pk("staff"),
        shown_on=("staff_subject_access", _pk("staff")),
        creates=AuditEvent,
        result_page=True,
    ),
    # The audit trail's chain check keeps its result, which is not itself an audit event.
    Form(
        "audit_check",
        "head",
        lambda s: {},
        shown_on=("audit_trail", None),
        creates=AuditCheck,
        audited=False,
    ),
    # Proving the chain extends a kept checkpoint writes nothing: it answers with the result.
    Form(
        "audit_checkpoint_check",
        "head",
        lambda s: {"checkpoint": s["checkpoint"]},
        audited=False,
        result_page=True,
    ),
]

# URLs that take a POST but are not in FORMS, with the reason.
EXEMPT = {
    "logout": "Django's own sign-out: it reads no field, and a POST of anything signs out.",
    "invitation_renew": "Reads no field: the link's token is in the address, and an unknown, "
    "used or pending one is a page saying so (tests/contacts/people/test_invitations.py).",
    "password_reset_confirm": "Django's view checks the link's token before any form is shown, "
    "and its form is the one invitation_accept uses (NewPasswordForm), posted hostile above; "
    "the weak-password and bad-link pages are in tests/safeguard/accounts/test_password_reset.py.",
    "openid_connect_login": "Single sign-on's button: it reads only `next` and `process`, which "
    "allauth checks; no provider is set up in the suite, so it answers 404 here. "
    "tests/safeguard/accounts/test_sso.py posts hostile values to it with the providers set up.",
}


# --- the scene -----------------------------------------------------------------------------


@pytest.fixture
def scene(world, head, teacher, line_manager, colleague, dsl, governor, pupil, school):  # noqa: F811
    """The access matrix's world, plus a request in each state a form acts on, authenticator
    apps (the head's and the DSL's in use, the colleague's being set up), a legal hold and a
    disclosure due for its retention review."""
    draft = make_request(teacher, [pupil], submit=False)
    approved = make_request(teacher, [pupil])
    approved = planned_services.request_decide(
        actor=head, contact_request=approved, decision="approve", expected_version=approved.version
    )
    happened = make_request(teacher, [pupil])
    happened = planned_services.request_decide(
        actor=head, contact_request=happened, decision="approve", expected_version=happened.version
    )
    ContactRequest.objects.filter(pk=happened.pk).update(
        starts_at=timezone.now() - dt.timedelta(hours=3)
    )
    happened.refresh_from_db()
    # The world's absence of the head starts later, so the head decides.
    HeadAbsence.objects.filter(pk=world["absence"].pk).update(
        starts_on=timezone.localdate() + dt.timedelta(days=2)
    )
    Disclosure.objects.filter(pk=world["disclosure"].pk).update(retention_flagged_at=timezone.now())
    new_alert = make_disclosure(colleague, pupil).alerts.get()
    closed = alert_services.alert_acknowledge(
        actor=dsl, alert=make_disclosure(teacher, pupil).alerts.get()
    )
    closed = alert_services.alert_close(actor=dsl, alert=closed, outcome="", rationale="Resolved.")
    kept = audit_checkpoint_sign(actor=None, school=school, key=signing_key())
    return world | {
        "checkpoint": as_checkpoint(kept).text() if kept else "",
        "new_alert": new_alert,
        "closed_alert": closed,
        "head_app": TOTPDevice.objects.create(user=head, name=APP_DEVICE_NAME, confirmed=True),
        "dsl_app": TOTPDevice.objects.create(user=dsl, name=APP_DEVICE_NAME, confirmed=True),
        "waiting_app": two_factor.two_factor_begin(actor=colleague),
        "hold": privacy_services.legal_hold_place(actor=head, staff=colleague, reason="A claim."),
        "dsl": dsl,
        "head": head,
        "governor": governor,
        "draft": draft,
        "approved": approved,
        "happened": happened,
        "second_pupil": PupilFactory(school=school, first_name="Ben", last_name="Second"),
        "teacher": teacher,
        "line_manager": line_manager,
        "colleague": colleague,
    }


@pytest.fixture(autouse=True)
def _signing_key(settings):
    """The installation's checkpoint signing key, so that a kept checkpoint can be posted."""
    raw = Ed25519PrivateKey.generate().private_bytes_raw()
    settings.AUDIT_SIGNING_KEY = base64.b64encode(raw).decode()
    settings.AUDIT_SIGNING_KEY_FILE = ""


def _client(request, persona: str, code_pending: bool = False) -> Client:
    client = Client()
    if code_pending:
        client.force_login(request.getfixturevalue(persona))
    elif persona != "anonymous":
        sign_in(client, request.getfixturevalue(persona))
    return client


def _code(device: TOTPDevice) -> str:
    """The code the authenticator app shows now."""
    return f"{totp(device.bin_key, step=device.step, digits=device.digits):06d}"


# --- reading a page's forms ----------------------------------------------------------------


@dataclass
class Field:
    name: str
    kinds: set[str]
    offered: list[str]


class _PostForms(HTMLParser):
    """Every POST form of a page: where it posts to and the fields it has."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str, dict[str, Field]]] = []
        self._fields: dict[str, Field] | None = None
        self._select: Field | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._fields = None
            if a.get("method", "get").lower() == "post":
                self._fields = {}
                self.forms.append((a.get("action", ""), self._fields))
            return
        if self._fields is None:
            return
        if tag in ("input", "select", "textarea", "button") and a.get("name"):
            kind = a.get("type", "text").lower() if tag == "input" else tag
            field = self._fields.setdefault(a["name"], Field(a["name"], set(), []))
            field.kinds.add(kind)
            if kind in ("checkbox", "radio", "submit", "button", "hidden") and "value" in a:
                field.offered.append(a["value"])
            if tag == "select":
                self._select = field
        elif tag == "option" and self._select is not None and a.get("value"):
            self._select.offered.append(a["value"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._fields = None
        elif tag == "select":
            self._select = None


def post_forms(page_url: str, html: str) -> list[tuple[str, dict[str, Field]]]:
    """(URL name the form posts to, its fields) for each POST form on the page."""
    parser = _PostForms()
    parser.feed(html)
    found = []
    for action, fields in parser.forms:
        path = urlsplit(action).path or urlsplit(page_url).path
        try:
            name = resolve(path).url_name
        except Resolver404:
            name = f"(unresolved {path})"
        fields.pop("csrfmiddlewaretoken", None)
        found.append((name, fields))
    return found


def _fields_of(row: Form, scene: dict, client: Client) -> dict[str, Field]:
    url = reverse(row.name, kwargs=row.kwargs(scene))
    page_url = url
    if row.shown_on:
        shown, kwargs = row.shown_on
        page_url = reverse(shown, kwargs=kwargs(scene) if kwargs else {})
    response = client.get(page_url)
    assert response.status_code == 200, f"{row.persona} cannot open {page_url}"
    forms = [
        found
        for target, found in post_forms(page_url, response.content.decode())
        if target == row.name
    ]
    assert forms, f"{page_url} shows {row.persona} no form posting to {row.name}: fix FORMS"
    fields = {name: field for found in forms for name, field in found.items()}
    if FIND_BUTTON in fields:
        # A pupil picker lists no pupil until one is found: find the answers' pupils by name,
        # so that the pupil field and the pupils offered are on the page.
        for name, field in _fields_found(row, url, _pupils_in(row.valid(scene)), client).items():
            fields.setdefault(name, field)
    return fields


def _pupils_in(answers: dict[str, Any]) -> list[Pupil]:
    ids = [answers.get("pupil"), *answers.get("pupils", [])]
    return list(Pupil.objects.filter(pk__in=[i for i in ids if i]))


def _fields_found(row: Form, url: str, pupils: list[Pupil], client: Client) -> dict[str, Field]:
    fields: dict[str, Field] = {}
    for pupil in pupils:
        answers = {FIND_INPUT: pupil.last_name, FIND_BUTTON: "1"}
        page = client.post(url, answers).content.decode()
        for target, found in post_forms(url, page):
            for name, field in found.items():
                if target == row.name and field.offered:
                    fields.setdefault(name, Field(name, set(), []))
                    fields[name].kinds |= field.kinds
                    fields[name].offered += field.offered
    return fields


# --- what the database holds ---------------------------------------------------------------


def snapshot(ignore: tuple[str, ...] = ()) -> dict[str, list[tuple]]:
    """Every row of every table (sessions and view events aside: reading pages writes those)."""
    rows = {}
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            meta = model._meta
            if model is Session or meta.app_label in ignore or meta.label in ignore:
                continue
            sql = f"SELECT * FROM {quote(meta.db_table)}"
            params: list[str] = []
            if model is AuditEvent:
                sql += f" WHERE {quote(meta.get_field('action').column)} <> %s"
                params.append(VIEW)
            cursor.execute(f"{sql} ORDER BY {quote(meta.pk.column)}", params)
            rows[meta.label] = cursor.fetchall()
    return rows


def _changed(before: dict, after: dict) -> list[str]:
    return sorted(label for label in before if before[label] != after[label])


def _stored_files() -> set[str]:
    return set(StoredUploads().names())


def _referenced_files() -> set[str]:
    attachments = ContactRecord.objects.exclude(attachment="").values_list("attachment", flat=True)
    documents = PolicyVersion.objects.exclude(document="").values_list("document", flat=True)
    return set(attachments) | set(documents)


_ERROR_MARK = re.compile(r'class="[^"]*\b(invalid-feedback|alert-danger|errorlist)\b')


def shows_errors(html: str) -> bool:
    return bool(_ERROR_MARK.search(html))


# --- posting -------------------------------------------------------------------------------


def _payload(answers: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The answers as the test client posts them; True when there is a file."""
    data: dict[str, Any] = {}
    has_file = False
    for name, value in answers.items():
        values = value if isinstance(value, list) else [value]
        converted = []
        for item in values:
            if isinstance(item, Upload):
                has_file = True
                converted.append(item.file())
            else:
                converted.append(str(item))
        data[name] = converted if isinstance(value, list) else converted[0]
    return data, has_file


def _post(client: Client, url: str, answers: dict[str, Any], urlencoded: bool):
    data, has_file = _payload(answers)
    if urlencoded and not has_file:
        body = urlencode(data, doseq=True)
        return client.post(url, body, content_type="application/x-www-form-urlencoded")
    return client.post(url, data)


def _resolved(valid: dict[str, Any], fields: dict[str, Field]) -> dict[str, Any]:
    answers = {}
    for name, value in valid.items():
        if value is not None:
            answers[name] = value
    return answers


@st.composite
def hostile_answers(draw, fields: dict[str, Field], valid: dict[str, Any]):
    """The valid answers with any of the fields spoiled, and perhaps some made-up ones."""
    answers = dict(valid)
    names = sorted(set(fields) | set(valid))
    for name in draw(st.lists(st.sampled_from(names), unique=True) if names else st.just([])):
        field = fields.get(name)
        is_file = field is not None and "file" in field.kinds
        values = UPLOADS if is_file else HOSTILE
        ways = ["missing", "hostile", "several"]
        if field and field.offered:
            ways.append("offered")
        way = draw(st.sampled_from(ways))
        if way == "missing":
            answers.pop(name, None)
        elif way == "hostile":
            answers[name] = draw(values)
        elif way == "several":
            answers[name] = draw(st.lists(values, min_size=2, max_size=3))
        else:
            answers[name] = draw(st.lists(st.sampled_from(field.offered), min_size=1, max_size=3))
    extra = draw(st.dictionaries(EXTRA_NAMES, HOSTILE, max_size=3))
    for name, value in extra.items():
        answers.setdefault(name, value)
    return answers


def _text_of(response) -> str:
    if response.streaming:  # a download: reading it through closes it (the client sees to it)
        b"".join(response.streaming_content)
        return ""
    if "text/html" not in response.get("Content-Type", ""):
        return ""
    return response.content.decode()


def check_answer(
    row: Form, client: Client, url: str, answers: dict, urlencoded: bool
) -> tuple[str, list[str]]:
    """Post once; check the answer and what the database holds. Returns how it ended and which
    tables changed."""
    before = snapshot(row.also_writes)
    files_before = _stored_files()
    cache.clear()  # the reset form's limit per address counts in the cache, outside the savepoint
    response = _post(client, url, answers, urlencoded)
    after = snapshot(row.also_writes)
    changed = _changed(before, after)
    new_files = _stored_files() - files_before
    status = response.status_code
    assert status in (200, 302), f"{row.id} answered {status}"
    page = _text_of(response)
    assert not any(raw in page for raw in RAW), f"{row.id} echoed markup unescaped"
    if status == 200 and FIND_BUTTON in answers:
        # Find only finds pupils: the form comes back unchecked, and nothing is saved.
        assert f'id="id_{FIND_INPUT}_status"' in page, f"{row.id}: Find did not show the picker"
        assert not changed, f"{row.id} only found pupils but changed {changed}"
        assert not new_files, f"{row.id} only found pupils but kept the files {new_files}"
        return "searched", changed
    if status == 200 and (shows_errors(page) or not row.result_page):
        assert shows_errors(page), f"{row.id}: 200 without any error shown"
        assert not changed, f"{row.id} refused the answers but changed {changed}"
        assert not new_files, f"{row.id} refused the answers but kept the files {new_files}"
        return "refused", changed
    # A success; or, for a button posted to its own address, a refusal told in a message on
    # the page it leads to. Either way the change is whole, or there is none.
    if changed and row.audited:
        events = len(after[AuditEvent._meta.label]) - len(before[AuditEvent._meta.label])
        assert events > 0, f"{row.id} changed {changed} without an audit event"
    if changed and row.creates is not None:
        label = row.creates._meta.label
        assert len(after[label]) > len(before[label]), f"{row.id} changed {changed}, no {label}"
    if status == 302 and row.shown_on is None and row.creates is not None:
        assert changed, f"{row.id} redirected without saving anything"
    assert new_files <= _referenced_files(), f"{row.id} kept files no row refers to"
    for name in new_files:
        StoredUploads().remove(name)
    if status == 200:
        return "result", changed
    following = client.get(response["Location"])
    # `next` may name a page that does not exist.
    assert following.status_code in ((200, 302, 404) if "next" in answers else (200, 302))
    shown = _text_of(following)
    assert not any(raw in shown for raw in RAW), f"{row.id}: the next page shows markup unescaped"
    return ("saved" if changed else "redirect"), changed


@pytest.mark.parametrize("row", FORMS, ids=lambda row: row.id)
def test_hostile_answers_get_errors_or_a_whole_success(row, scene, request, settings, uploads):
    if row.axes:
        settings.AXES_ENABLED = True  # the lockout's own writes must cope with anything
    client = _client(request, row.persona, row.code_pending)
    url = reverse(row.name, kwargs=row.kwargs(scene))
    fields = _fields_of(row, scene, client)
    valid = _resolved(row.valid(scene), fields)
    unknown = set(valid) - set(fields)
    assert not unknown, f"{row.id}: the form has no field {sorted(unknown)}: fix its answers"

    # The valid answers succeed, so the examples test both ways out.
    with transaction.atomic():
        outcome, changed = check_answer(row, client, url, valid, urlencoded=False)
        transaction.set_rollback(True)
    assert outcome != "refused", f"{row.id}: the valid answers were refused"
    if row.creates is not None:
        assert row.creates._meta.label in changed, f"{row.id}: the valid answers saved nothing"

    # First the sure cases: a NUL in each field in turn with the rest valid (PostgreSQL refuses
    # to store one), then every field at once set to the same kind of trouble.
    texts = [name for name, field in fields.items() if "file" not in field.kinds]
    sure = [valid | {name: f"Ava{NUL}Current"} for name in texts]
    everywhere = (SCRIPT, LONG, "9999-12-31", "99999999999999999999")
    sure += [dict.fromkeys(texts, value) for value in everywhere]
    sure.append({})
    for answers in sure:
        with transaction.atomic():
            check_answer(row, client, url, answers, urlencoded=False)
            transaction.set_rollback(True)

    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(answers=hostile_answers(fields, valid), urlencoded=st.booleans())
    def post_hostile(answers, urlencoded):
        note(f"POST {url} as {row.persona}: {answers!r}")
        with transaction.atomic():
            check_answer(row, client, url, answers, urlencoded)
            transaction.set_rollback(True)

    post_hostile()


# --- every form is listed ------------------------------------------------------------------

PROBES = ["head", "teacher", "line_manager", "admin", "anonymous"]
_READS_POST = re.compile(r"request\.(POST|FILES)\b|posted\(request\)|method\s*==\s*.POST.")


def _takes_post(view) -> bool:
    """The view's own code reads a POST (or it is a class-based view with a post method)."""
    cls = getattr(view, "view_class", None)
    if cls is not None:
        return hasattr(cls, "post")
    return bool(_READS_POST.search(inspect.getsource(inspect.unwrap(view))))


def test_every_form_is_listed(scene, request):
    """Any URL that takes a POST must be in FORMS (or EXEMPT, with the reason)."""
    clients = {persona: _client(request, persona) for persona in PROBES}
    listed = {row.name for row in FORMS} | set(EXEMPT)
    names = {name for _, name, _ in ALL_PATTERNS}
    assert listed <= names, f"FORMS or EXEMPT name URLs that no longer exist: {listed - names}"
    found: dict[str, str] = {}
    for chain, name, entry in ALL_PATTERNS:
        try:
            url = reverse(name, kwargs=matrix_kwargs(name, scene))
        except NoReverseMatch:
            url = _url(chain, name, scene["staff"].pk)
        if _takes_post(entry.callback):
            found.setdefault(name, "its view reads a POST")
        for persona, client in clients.items():
            response = client.get(url)
            if response.status_code == 405:
                found.setdefault(name, "it answers GET with 405")
            if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
                continue
            for target, _fields in post_forms(url, response.content.decode()):
                found.setdefault(target, f"{url} shows {persona} a form posting to it")
    missing = {name: why for name, why in found.items() if name not in listed}
    assert not missing, (
        "These URLs take a POST but tests/test_hostile_input.py does not post hostile input to "
        "them. Add a Form(...) row to FORMS for each: the URL name, a persona who may use it, "
        "answers with which it succeeds, its URL kwargs, and shown_on if the form is on another "
        "page; or add it to EXEMPT with the reason.\n"
        + "\n".join(f"  {name}: {why}" for name, why in sorted(missing.items()))
    )


# --- uploads -------------------------------------------------------------------------------

LIMIT = 10 * 1024 * 1024

BAD_FILES = {
    "executable renamed .pdf": (Upload("invoice.pdf", EXE), "Upload a"),
    "ELF program renamed .png": (Upload("photo.png", ELF), "Upload a"),
    "just over 10 MB": (Upload("big.pdf", PDF + b"0" * (LIMIT + 1 - len(PDF))), "larger than"),
    "empty": (Upload("empty.pdf", b""), "The submitted file is empty."),
}
# (form, file field). The renamed executable on a record and on a new policy is covered in
# test_views_records.py and test_views_policies.py.
FILE_FIELDS = {
    "record": (next(r for r in FORMS if r.label == "correspondence"), "attachment"),
    "policy": (next(r for r in FORMS if r.name == "policy_create"), "document"),
    "policy version": (next(r for r in FORMS if r.name == "policy_version_add"), "document"),
}
ALREADY_COVERED = {("record", "executable renamed .pdf"), ("policy", "executable renamed .pdf")}


# The CSV import has rules of its own (UTF-8 text, a size limit, every row valid): FORMS posts
# hostile files to it, and tests/test_importing.py covers its refusals.
OTHER_FILE_FIELDS = {("people_import", "file")}


def test_every_file_field_is_tested(scene, request):
    assert settings.UPLOAD_MAX_BYTES == LIMIT
    found = set()
    for row in FORMS:
        client = _client(request, row.persona, row.code_pending)
        fields = _fields_of(row, scene, client)
        found |= {(row.name, name) for name, field in fields.items() if "file" in field.kinds}
    listed = {(row.name, field) for row, field in FILE_FIELDS.values()} | OTHER_FILE_FIELDS
    assert found == listed, "add the file field to FILE_FIELDS (or OTHER_FILE_FIELDS, with why)"


@pytest.mark.parametrize(
    ("form", "case"),
    [(f, c) for f in FILE_FIELDS for c in BAD_FILES if (f, c) not in ALREADY_COVERED],
)
def test_a_bad_file_is_refused_next_to_its_field_and_nothing_is_kept(
    form, case, scene, request, uploads
):
    row, field = FILE_FIELDS[form]
    upload, message = BAD_FILES[case]
    client = _client(request, row.persona)
    url = reverse(row.name, kwargs=row.kwargs(scene))
    answers = _resolved(row.valid(scene), _fields_of(row, scene, client)) | {field: upload}
    before = snapshot()
    response = _post(client, url, answers, urlencoded=False)
    assert response.status_code == 200
    assert message in field_error(response, field)
    assert _changed(before, snapshot()) == []
    assert uploads.names() == []


@pytest.mark.parametrize("form", ["record", "policy version"])
def test_a_real_pdf_is_kept_with_its_row(form, scene, request, uploads):
    row, field = FILE_FIELDS[form]
    client = _client(request, row.persona)
    url = reverse(row.name, kwargs=row.kwargs(scene))
    answers = _resolved(row.valid(scene), _fields_of(row, scene, client))
    answers[field] = Upload("scan.pdf", PDF)
    response = _post(client, url, answers, urlencoded=False)
    assert response.status_code == 302
    (stored,) = uploads.names()
    assert stored in _referenced_files()
    assert uploads.read(stored) == PDF


# --- look-alike addresses ------------------------------------------------------------------------

LOOKALIKE_ADDRESSES = [
    "pe@oakf\u0131eld.example",  # dotless ı
    "p\u0435@oakfield.example",  # Cyrillic е
    "teacher@test.ex\u0430mple",  # Cyrillic а in the domain
    "\u0440e@oakfield.example",  # Cyrillic р
]


@pytest.mark.parametrize("address", LOOKALIKE_ADDRESSES)
@pytest.mark.parametrize("form", ["staff_create", "staff_edit"])
def test_a_look_alike_address_is_refused_beside_the_email_and_nothing_saved(
    form, address, scene, request
):
    row = next(r for r in FORMS if r.name == form)
    client = _client(request, row.persona)
    answers = row.valid(scene) | {"email": address}
    before = snapshot()
    response = client.post(reverse(form, kwargs=row.kwargs(scene)), answers)
    assert response.status_code == 200
    assert "plain letters only" in field_error(response, "email")
    assert _changed(before, snapshot()) == []
