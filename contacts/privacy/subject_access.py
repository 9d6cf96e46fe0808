"""Subject-access exports (UK GDPR Article 15): everything Safeguard holds about one pupil or one
member of staff, gathered for the headteacher to review before anything is released.

The export is a zip: `summary.html` (readable, self-contained), `data.json` (one document) and
one CSV per table, with the files attached to records under `attachments/`. Everything is
included, third parties' information too: deciding what to redact is the headteacher's job, and
the summary lists what to check before release.

Requests and records are read school-wide, unsubmitted drafts included: the school holds them,
though in the app only their author sees a draft. What is left out is what the headteacher
making the export may not see: boundary concerns and LADO referrals about themself, and concerns
managed by the chair of governors (read through `selectors.concerns_visible_to` and
`lado_visible_to`; audit events filtered as the audit trail is, `safeguard.audit.hidden_from`).
The summary always says so, in the same words whether or not any exist, so it gives nothing
away. A member of staff's export lists the disclosures they wrote down without what was said:
that is the pupil's information, not theirs.

Reads only: `contacts.services.subject_access_export` checks who may export, writes the zip and
audits it in one transaction.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import models
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.text import capfirst

from contacts.concerns import selectors
from contacts.concerns.models import BoundaryConcern, LadoReferral
from contacts.notifications.models import Notification
from contacts.people.models import ParentCarer, Pupil, Staff, StaffRelative
from contacts.planned.models import ContactRequest, RequestNote
from contacts.privacy.models import LegalHold
from contacts.records.models import Addendum, ContactRecord, Disclosure
from policies.engine import ACTION_LABELS, EXEMPTION_LABELS, VERDICT_LABELS
from policies.models import Acknowledgement
from safeguard.accounts.services import two_factor_enabled
from safeguard.audit.models import AuditEvent
from safeguard.audit.services import hidden_from, is_withheld, role_words, withheld_reporters
from safeguard.core import roles
from safeguard.core.exports import spreadsheet_safe
from safeguard.core.roles import Role
from safeguard.core.uploads import stored_path

FORMAT = "safeguard-subject-access-export"
FORMAT_VERSION = 1
SUMMARY_TEMPLATE = "contacts/subject_access/summary.html"
# Stored fields of the person's own row that are not exported: the id and school (given as the
# reference and in the heading) and secrets. Every other stored field is, so a field added
# later is exported too.
FIELDS_LEFT_OUT: dict[type[models.Model], frozenset[str]] = {
    Staff: frozenset({"id", "school", "password"}),
    Pupil: frozenset({"id", "school"}),
}
# The zip is built in memory up to this size, then in a temporary file on disk.
SPOOL_BYTES = 8 * 1024 * 1024
# Read-only for the owner once unzipped: the files hold special category data.
FILE_MODE = 0o600 << 16
CHAIR_ONLY = (
    "Boundary concerns about a headteacher are managed by the chair of governors, and "
    "concerns and LADO referrals about the headteacher making this export are never shown to "
    "them: any such entries are left out of this export. Ask the chair of governors to check "
    "for them before anything is released."
)


# --- The tables -------------------------------------------------------------------------------

Columns = tuple[tuple[str, str], ...]


@dataclass
class Table:
    """One kind of thing held about the person: a CSV file, a key of data.json, a section of
    the summary. Every row has exactly the table's columns, in order."""

    name: str
    title: str
    columns: Columns
    rows: list[dict[str, Any]]
    # Wide tables are shown in the summary as one block per entry rather than as a table.
    wide: bool = False
    note: str = ""
    # Columns the summary leaves out to stay readable (the CSV and data.json keep them).
    not_in_summary: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        keys = [key for key, _ in self.columns]
        for row in self.rows:
            if list(row) != keys:
                raise ValueError(f"{self.name}: a row's keys do not match the columns")

    @property
    def filename(self) -> str:
        return f"{self.name}.csv"

    @property
    def summary_columns(self) -> Columns:
        return tuple((k, label) for k, label in self.columns if k not in self.not_in_summary)

    def labelled_rows(self) -> list[list[tuple[str, str]]]:
        """Each row as (label, value as people read it), for the summary."""
        columns = self.summary_columns
        return [[(label, shown(row[key])) for key, label in columns] for row in self.rows]


@dataclass(frozen=True)
class Attachment:
    """A file attached to a record, and where it goes in the zip."""

    reference: str
    stored_name: str
    original_name: str
    content_type: str
    zip_path: str
    present: bool


@dataclass
class SubjectAccess:
    """Everything gathered about one person, ready to be written out."""

    kind: str  # "pupil" or "staff"
    subject: Pupil | Staff
    reference: str
    name: str
    school_name: str
    prepared_by: str
    generated_at: dt.datetime
    tables: list[Table]
    attachments: list[Attachment] = field(default_factory=list)
    review_points: list[str] = field(default_factory=list)

    @property
    def kind_words(self) -> str:
        return "pupil" if self.kind == "pupil" else "member of staff"

    def table(self, name: str) -> Table:
        return next(table for table in self.tables if table.name == name)

    def counts(self) -> dict[str, int]:
        """Rows per table and attachments included: numbers only, never content."""
        counts = {table.name: len(table.rows) for table in self.tables}
        counts["attachments"] = sum(1 for a in self.attachments if a.present)
        return counts

    def counts_text(self) -> str:
        """The counts as one line for the audit trail (no names, no content)."""
        return ", ".join(f"{name} {count}" for name, count in self.counts().items())

    @property
    def contents(self) -> list[tuple[str, str, int | None]]:
        """(file in the zip, what it holds, rows) in the order the files are written."""
        files: list[tuple[str, str, int | None]] = [
            ("summary.html", "A readable summary, with what to review before release", None),
            ("data.json", "All the tables in one JSON document", None),
        ]
        files += [(table.filename, table.title, len(table.rows)) for table in self.tables]
        files += [
            (a.zip_path, f"The file attached to {a.reference}", None)
            for a in self.attachments
            if a.present
        ]
        return files


# --- Values: as stored in data.json, as written in a CSV cell, as shown in the summary --------


def plain(value: Any) -> Any:
    """A value as data.json holds it: times in the school's time zone, ISO 8601."""
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    return value


def cell(value: Any) -> Any:
    """A value as a CSV cell: never run as a formula by a spreadsheet."""
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        value = "; ".join(_finding_words(i) if isinstance(i, dict) else str(i) for i in value)
    elif isinstance(value, dict):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return spreadsheet_safe(value)


def _finding_words(finding: dict[str, Any]) -> str:
    source = " ".join(str(finding.get(k) or "") for k in ("source", "section")).strip()
    text = str(finding.get("text") or "")
    return f"{text} (policy {source})" if source else text


def shown(value: Any) -> str:
    """A value as the summary shows it (escaped by the template)."""
    if value is None or value == "" or value == []:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dt.datetime):
        return dateformat.format(timezone.localtime(value), "j M Y, H:i")
    if isinstance(value, dt.date):
        return dateformat.format(value, "j M Y")
    if isinstance(value, list | tuple):
        return "\n".join(
            _finding_words(item) if isinstance(item, dict) else shown(item) for item in value
        )
    if isinstance(value, dict):
        return "; ".join(f"{key}: {shown(item)}" for key, item in value.items())
    return str(value)


def data_json(data: SubjectAccess) -> str:
    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "generated_at": plain(data.generated_at),
        "school": data.school_name,
        "subject": {"type": data.kind, "reference": data.reference, "name": data.name},
        "counts": data.counts(),
        "review_before_release": data.review_points,
        "tables": {table.name: [plain(row) for row in table.rows] for table in data.tables},
        "attachments": [
            {
                "record": a.reference,
                "name": a.original_name,
                "type": a.content_type,
                "file": a.zip_path if a.present else None,
                "missing": not a.present,
            }
            for a in data.attachments
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def table_csv(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([key for key, _ in table.columns])
    writer.writerows([[cell(value) for value in row.values()] for row in table.rows])
    return out.getvalue()


def summary_html(data: SubjectAccess) -> str:
    return render_to_string(SUMMARY_TEMPLATE, {"data": data, "chair_only": CHAIR_ONLY})


def export_filename(data: SubjectAccess) -> str:
    """Named by reference and date, never by name: file names end up in download lists."""
    day = timezone.localtime(data.generated_at).date().isoformat()
    return f"subject-access-{data.reference}-{day}.zip"


def _add(archive: zipfile.ZipFile, name: str, stamp: tuple, content: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=stamp)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = FILE_MODE
    archive.writestr(info, content)


def write_zip(data: SubjectAccess) -> tempfile.SpooledTemporaryFile:
    """The zip, in a file object positioned at its start. The caller closes it."""
    # Returned open, not closed here: the response that sends it closes it.
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
    stamp = timezone.localtime(data.generated_at).timetuple()[:6]
    try:
        with zipfile.ZipFile(out, "w") as archive:
            _add(archive, "summary.html", stamp, summary_html(data).encode("utf-8"))
            _add(archive, "data.json", stamp, data_json(data).encode("utf-8"))
            for table in data.tables:
                # With a byte order mark, so spreadsheet programs read the names correctly.
                _add(archive, table.filename, stamp, table_csv(table).encode("utf-8-sig"))
            for attachment in data.attachments:
                if not attachment.present:
                    continue
                path = stored_path(attachment.stored_name)
                info = zipfile.ZipInfo(attachment.zip_path, date_time=stamp)
                info.compress_type = zipfile.ZIP_STORED  # PDF, PNG and JPEG are compressed
                info.external_attr = FILE_MODE
                info.file_size = path.stat().st_size
                with path.open("rb") as source, archive.open(info, "w") as target:
                    shutil.copyfileobj(source, target)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return out


# --- People and references --------------------------------------------------------------------


def _named(person: Staff | Pupil | None) -> str:
    return person.full_name if person is not None else ""


def _ref(obj: Any) -> str:
    return obj.audit_ref if obj is not None else ""


def _pupils(pupils: Iterable[Pupil]) -> list[str]:
    return [f"{p.full_name} ({p.audit_ref})" for p in sorted(pupils, key=lambda p: p.pk)]


def _labels(codes: Iterable[str], labels: dict[str, str]) -> list[str]:
    return [labels.get(code, code) for code in codes]


def _own_row(person: Pupil | Staff) -> tuple[Columns, dict[str, Any]]:
    """Every stored field of the person's own row but the secrets, by its label."""
    left_out = FIELDS_LEFT_OUT[type(person)]
    columns: list[tuple[str, str]] = [("reference", "Reference")]
    row: dict[str, Any] = {"reference": person.audit_ref}
    for model_field in type(person)._meta.concrete_fields:
        if model_field.name in left_out:
            continue
        value = getattr(person, model_field.name)
        if model_field.is_relation:
            value = str(value) if value is not None else ""
        elif model_field.choices and value is not None:
            value = getattr(person, f"get_{model_field.name}_display")()
        columns.append((model_field.name, capfirst(str(model_field.verbose_name))))
        row[model_field.name] = value
    return tuple(columns), row


# --- Column sets shared by both kinds of export -----------------------------------------------

REQUEST_COLUMNS: Columns = (
    ("reference", "Reference"),
    ("status", "Status"),
    ("requester_reference", "Requester's reference"),
    ("requester", "Requested by"),
    ("pupils", "Pupils named"),
    ("with_family_only", "Contact with the family only"),
    ("kind", "Kind of contact"),
    ("purpose", "Purpose"),
    ("exemption", "Exemption claimed"),
    ("parent_organised", "Organised by a parent"),
    ("school_channel", "Through the school's channels"),
    ("vulnerable_context", "Vulnerable context"),
    ("starts_at", "Date and time"),
    ("place", "Place"),
    ("reasons", "Reasons"),
    ("plan_outcomes", "Plan: expected outcomes"),
    ("plan_timescales", "Plan: timescales"),
    ("plan_review_date", "Plan review date"),
    ("verdict", "What the policies said"),
    ("route", "Decided by (route)"),
    ("actions", "Actions the policies require"),
    ("findings", "Policy findings"),
    ("restricted", "Restricted family-liaison entry"),
    ("referred_to_chair", "Referred to the chair of governors"),
    ("submitted_at", "Submitted"),
    ("decided_by", "Decided by"),
    ("decided_as", "Decided as"),
    ("decided_at", "Decided"),
    ("decision_reason", "Reason for the decision"),
    ("conditions", "Conditions"),
    ("outcome", "Outcome"),
    ("outcome_concerns", "Anything of concern"),
    ("completed_at", "Outcome recorded"),
    ("reviewed_by", "Reviewed by"),
    ("reviewed_at", "Reviewed"),
    ("created_at", "Created"),
    ("updated_at", "Last changed"),
)


def _request_row(item: ContactRequest) -> dict[str, Any]:
    return {
        "reference": item.reference,
        "status": item.get_status_display(),
        "requester_reference": _ref(item.requester),
        "requester": _named(item.requester),
        "pupils": _pupils(item.pupils.all()),
        "with_family_only": item.with_family_only,
        "kind": item.get_kind_label(),
        "purpose": item.get_purpose_label(),
        "exemption": EXEMPTION_LABELS.get(item.exemption, item.exemption),
        "parent_organised": item.parent_organised,
        "school_channel": item.school_channel,
        "vulnerable_context": item.vulnerable_context,
        "starts_at": item.starts_at,
        "place": item.place,
        "reasons": item.reasons,
        "plan_outcomes": item.plan_outcomes,
        "plan_timescales": item.plan_timescales,
        "plan_review_date": item.plan_review_date,
        "verdict": VERDICT_LABELS.get(item.verdict, item.verdict),
        "route": item.get_route_display() if item.route else "",
        "actions": _labels(item.actions or [], ACTION_LABELS),
        "findings": list(item.findings or []),
        "restricted": item.restricted,
        "referred_to_chair": item.referred_to_chair,
        "submitted_at": item.submitted_at,
        "decided_by": _named(item.decided_by),
        "decided_as": item.decided_as,
        "decided_at": item.decided_at,
        "decision_reason": item.decision_reason,
        "conditions": item.conditions,
        "outcome": item.outcome,
        "outcome_concerns": item.outcome_concerns,
        "completed_at": item.completed_at,
        "reviewed_by": _named(item.reviewed_by),
        "reviewed_at": item.reviewed_at,
        "created_at": item.created_at,
        "updated_at": item.updated_at,
    }


def _requests(rows) -> list[ContactRequest]:
    return list(
        rows.select_related("requester", "decided_by", "reviewed_by")
        .prefetch_related("pupils")
        .order_by("starts_at", "pk")
    )


NOTE_COLUMNS: Columns = (
    ("request", "Request"),
    ("kind", "Kind of note"),
    ("author", "Written by"),
    ("text", "Note"),
    ("written_at", "Written"),
)


def _note_rows(rows) -> list[dict[str, Any]]:
    notes = rows.select_related("author", "request").order_by("created_at", "pk")
    return [
        {
            "request": note.request.reference,
            "kind": note.get_kind_display(),
            "author": _named(note.author),
            "text": note.text,
            "written_at": note.created_at,
        }
        for note in notes
    ]


RECORD_COLUMNS: Columns = (
    ("reference", "Reference"),
    ("record_type", "What was recorded"),
    ("author_reference", "Author's reference"),
    ("author", "Recorded by"),
    ("pupils", "Pupils named"),
    ("with_family_only", "Contact with the family only"),
    ("kind", "Kind of contact"),
    ("purpose", "Purpose"),
    ("school_channel", "Through the school's channels"),
    ("direction", "Given or received"),
    ("occurred_at", "When it happened"),
    ("place", "Place"),
    ("details", "What happened"),
    ("reply", "Any reply sent"),
    ("verdict", "What the policies said"),
    ("route", "Reported to (route)"),
    ("actions", "Actions the policies require"),
    ("findings", "Policy findings"),
    ("restricted", "Restricted family-liaison entry"),
    ("attachment_name", "Attached file"),
    ("attachment_file", "File in this export"),
    ("created_at", "Recorded"),
)


def _attachment(record: ContactRecord) -> Attachment | None:
    if not record.attachment:
        return None
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(record.attachment_name or "").name).strip("._")
    try:
        present = stored_path(record.attachment).is_file()
    except ValueError:  # a stored name that is not ours: never read outside the folder
        present = False
    return Attachment(
        reference=record.reference,
        stored_name=record.attachment,
        original_name=record.attachment_name,
        content_type=record.attachment_type,
        zip_path=f"attachments/{record.reference}-{safe or 'attachment'}",
        present=present,
    )


def _record_row(item: ContactRecord, attachment: Attachment | None) -> dict[str, Any]:
    return {
        "reference": item.reference,
        "record_type": item.get_record_type_display(),
        "author_reference": _ref(item.author),
        "author": _named(item.author),
        "pupils": _pupils(item.pupils.all()),
        "with_family_only": item.with_family_only,
        "kind": item.get_kind_label(),
        "purpose": item.get_purpose_label(),
        "school_channel": item.school_channel,
        "direction": item.get_direction_display() if item.direction else "",
        "occurred_at": item.occurred_at,
        "place": item.place,
        "details": item.details,
        "reply": item.reply,
        "verdict": VERDICT_LABELS.get(item.verdict, item.verdict),
        "route": item.get_route_display() if item.route else "",
        "actions": _labels(item.actions or [], ACTION_LABELS),
        "findings": list(item.findings or []),
        "restricted": item.restricted,
        "attachment_name": item.attachment_name,
        "attachment_file": attachment.zip_path if attachment and attachment.present else "",
        "created_at": item.created_at,
    }


def _records(rows) -> tuple[list[ContactRecord], list[dict[str, Any]], list[Attachment]]:
    records = list(
        rows.select_related("author").prefetch_related("pupils").order_by("occurred_at", "pk")
    )
    attachments = {record.pk: _attachment(record) for record in records}
    table = [_record_row(record, attachments[record.pk]) for record in records]
    return records, table, [a for a in attachments.values() if a is not None]


ADDENDUM_COLUMNS: Columns = (
    ("to", "Added to"),
    ("author", "Written by"),
    ("text", "Addendum"),
    ("written_at", "Written"),
)


def _addendum_rows(rows) -> list[dict[str, Any]]:
    addenda = rows.select_related("author", "record", "disclosure").order_by("created_at", "pk")
    return [
        {
            "to": (item.record or item.disclosure).reference,
            "author": _named(item.author),
            "text": item.text,
            "written_at": item.created_at,
        }
        for item in addenda
    ]


DISCLOSURE_COLUMNS: Columns = (
    ("reference", "Reference"),
    ("disclosure_type", "Kind of disclosure"),
    ("author_reference", "Author's reference"),
    ("author", "Recorded by"),
    ("disclosed_at", "When it was said"),
    ("disclosed_by", "Who said it"),
    ("account", "What was said"),
    ("circumstances", "Where and how"),
    ("action_taken", "What was done next"),
    ("created_at", "Recorded"),
)

CONCERN_COLUMNS: Columns = (
    ("reference", "Reference"),
    ("about_reference", "About (reference)"),
    ("about", "About"),
    ("raised_by_reference", "Raised by (reference)"),
    ("raised_by", "Raised by"),
    ("confidential", "Raised in confidence"),
    ("route", "Case manager (route)"),
    ("occurred_on", "When it happened"),
    ("description", "What happened, or what worries them"),
    ("related_record", "Related record"),
    ("related_request", "Related request"),
    ("response", "Case manager's response"),
    ("outcome", "Outcome"),
    ("closed_by", "Closed by"),
    ("closed_at", "Closed"),
    ("created_at", "Raised"),
)


def _concern_row(item: BoundaryConcern) -> dict[str, Any]:
    return {
        "reference": item.reference,
        "about_reference": _ref(item.subject),
        "about": _named(item.subject),
        "raised_by_reference": _ref(item.reporter),
        "raised_by": _named(item.reporter),
        "confidential": item.confidential,
        "route": item.get_route_display(),
        "occurred_on": item.occurred_on,
        "description": item.description,
        "related_record": _ref(item.related_record),
        "related_request": _ref(item.related_request),
        "response": item.response,
        "outcome": item.get_outcome_display() if item.outcome else "",
        "closed_by": _named(item.closed_by),
        "closed_at": item.closed_at,
        "created_at": item.created_at,
    }


def _concerns(actor: Staff, rows) -> list[BoundaryConcern]:
    """Only concerns the headteacher manages or raised: never one about them (see the module)."""
    visible = selectors.concerns_visible_to(actor).values("pk")
    return list(
        rows.filter(pk__in=visible)
        .select_related("subject", "reporter", "closed_by", "related_record", "related_request")
        .order_by("created_at", "pk")
    )


LADO_COLUMNS: Columns = (
    ("reference", "Reference"),
    ("about_reference", "About (reference)"),
    ("about", "About"),
    ("referral_type", "Consultation or referral"),
    ("concern", "Boundary concern"),
    ("contacted_at", "Date and time of the call"),
    ("spoke_to", "Who was spoken to"),
    ("advice", "Advice given"),
    ("outcome", "Outcome"),
    ("outcome_on", "Date of the outcome"),
    ("recorded_by", "Recorded by"),
    ("created_at", "Recorded"),
)


def _lado_rows(actor: Staff, rows) -> list[LadoReferral]:
    visible = selectors.lado_visible_to(actor).values("pk")
    return list(
        rows.filter(pk__in=visible)
        .select_related("subject", "recorded_by", "concern")
        .order_by("contacted_at", "pk")
    )


def _lado_row(item: LadoReferral) -> dict[str, Any]:
    return {
        "reference": item.reference,
        "about_reference": _ref(item.subject),
        "about": _named(item.subject),
        "referral_type": item.get_referral_type_display(),
        "concern": _ref(item.concern),
        "contacted_at": item.contacted_at,
        "spoke_to": item.spoke_to,
        "advice": item.advice,
        "outcome": item.get_outcome_display() if item.outcome else "",
        "outcome_on": item.outcome_on,
        "recorded_by": _named(item.recorded_by),
        "created_at": item.created_at,
    }


NOTIFICATION_COLUMNS: Columns = (
    ("recipient_reference", "Sent to (reference)"),
    ("recipient", "Sent to"),
    ("message", "Message"),
    ("link", "Link"),
    ("sent_at", "Sent"),
    ("read_at", "Read"),
)


def _notification_rows(rows) -> list[dict[str, Any]]:
    notices = rows.select_related("recipient").order_by("created_at", "pk")
    return [
        {
            "recipient_reference": _ref(item.recipient),
            "recipient": _named(item.recipient),
            "message": item.message,
            "link": item.url,
            "sent_at": item.created_at,
            "read_at": item.read_at,
        }
        for item in notices
    ]


AUDIT_COLUMNS: Columns = (
    ("when", "When"),
    ("actor_reference", "Who (reference)"),
    ("actor", "Who"),
    ("actor_role", "Acting as"),
    ("action", "Action"),
    ("action_words", "What was done"),
    ("object_reference", "To what"),
    ("from_state", "From"),
    ("to_state", "To"),
    ("reason", "Details recorded"),
)
AUDIT_CODES = frozenset({"actor_reference", "action"})


def _type_of(model: type[models.Model]) -> str:
    return model._meta.label_lower


def _about(objects: dict[type[models.Model], Iterable[Any]]) -> Q:
    """Events about any of these objects (object_type and object_id as audit_record stores)."""
    where = Q(pk__in=[])
    for model, items in objects.items():
        ids = [str(item.pk) for item in items]
        if ids:
            where |= Q(object_type=_type_of(model), object_id__in=ids)
    return where


def _audit_rows(actor: Staff, where: Q) -> list[dict[str, Any]]:
    """The events of the actor's school matching `where`, oldest first, less what the
    headteacher may not see in the audit trail (events about concerns and referrals about
    them; the acts of a confidential reporter whose name is withheld from them)."""
    # Imported here: a page module, which imports the contacts forms.
    from safeguard.audit.views import action_words, state_words

    rows = AuditEvent.objects.filter(school_id=actor.school_id).filter(where)
    for object_type, object_ids in hidden_from(actor).items():
        if object_ids:
            rows = rows.exclude(object_type=object_type, object_id__in=object_ids)
    withheld = withheld_reporters(actor)
    return [
        {
            "when": event.created_at,
            "actor_reference": _ref(event.actor),
            "actor": _named(event.actor) if event.actor is not None else "The system",
            "actor_role": role_words(event.actor_role),
            "action": event.action,
            "action_words": action_words(event.action),
            "object_reference": event.object_ref,
            "from_state": state_words(event.from_state),
            "to_state": state_words(event.to_state),
            "reason": event.reason,
        }
        for event in rows.select_related("actor").order_by("id")
        if not is_withheld(event, withheld)
    ]


def _refs(items: Iterable[Any]) -> str:
    return ", ".join(item.reference for item in items)


def _common_points(attachments: list[Attachment]) -> list[str]:
    points = [
        "Free text written by staff (reasons, details, notes, responses, audit details) may "
        "name other people or say things about them: read all of it.",
    ]
    missing = [a.reference for a in attachments if not a.present]
    if missing:
        points.append(
            f"Attached files missing from storage, so not in this export: {', '.join(missing)}."
        )
    return points


def _confidential_point(concerns: list[BoundaryConcern]) -> list[str]:
    confidential = [c for c in concerns if c.confidential]
    if not confidential:
        return []
    return [
        f"Raised in confidence: {_refs(confidential)}. The name of the person who raised each "
        "of these concerns is included here and must be removed, with anything else that "
        "identifies them."
    ]


def _subject(
    kind: str, person: Pupil | Staff, actor: Staff, tables: list[Table], **rest: Any
) -> SubjectAccess:
    return SubjectAccess(
        kind=kind,
        subject=person,
        reference=person.audit_ref,
        name=person.full_name,
        school_name=actor.school.name,
        prepared_by=actor.full_name,
        generated_at=timezone.now(),
        tables=tables,
        **rest,
    )


# --- A pupil ----------------------------------------------------------------------------------

PARENT_COLUMNS: Columns = (
    ("reference", "Reference"),
    ("first_name", "First name"),
    ("last_name", "Last name"),
    ("relationship", "Relationship"),
    ("email", "Email"),
    ("phone", "Phone"),
)
STAFF_RELATIVE_COLUMNS: Columns = (
    ("reference", "Reference"),
    ("staff_reference", "Member of staff (reference)"),
    ("staff", "Member of staff"),
    ("relationship", "Relationship"),
    ("recorded_at", "Recorded"),
)


def _parent_row(item: ParentCarer) -> dict[str, Any]:
    return {
        "reference": item.audit_ref,
        "first_name": item.first_name,
        "last_name": item.last_name,
        "relationship": item.relationship,
        "email": item.email,
        "phone": item.phone,
    }


def _staff_relative_row(item: StaffRelative) -> dict[str, Any]:
    return {
        "reference": item.audit_ref,
        "staff_reference": item.staff.audit_ref,
        "staff": item.staff.full_name,
        "relationship": item.get_relationship_display(),
        "recorded_at": item.created_at,
    }


def _disclosure_row(item: Disclosure) -> dict[str, Any]:
    return {
        "reference": item.reference,
        "disclosure_type": item.get_disclosure_type_display(),
        "author_reference": _ref(item.author),
        "author": _named(item.author),
        "disclosed_at": item.disclosed_at,
        "disclosed_by": item.disclosed_by,
        "account": item.account,
        "circumstances": item.circumstances,
        "action_taken": item.action_taken,
        "created_at": item.created_at,
    }


@dataclass
class _PupilFile:
    """The rows gathered about a pupil, before they become tables."""

    parents: list[ParentCarer]
    relatives: list[StaffRelative]
    requests: list[ContactRequest]
    records: list[ContactRecord]
    record_rows: list[dict[str, Any]]
    attachments: list[Attachment]
    disclosures: list[Disclosure]
    concerns: list[BoundaryConcern]
    referrals: list[LadoReferral]


def _gather_pupil(actor: Staff, pupil: Pupil) -> _PupilFile:
    school_id = pupil.school_id
    requests = _requests(ContactRequest.objects.filter(school_id=school_id, pupils=pupil))
    records, record_rows, attachments = _records(
        ContactRecord.objects.filter(school_id=school_id, pupils=pupil)
    )
    concerns = _concerns(
        actor,
        BoundaryConcern.objects.filter(school_id=school_id).filter(
            Q(related_record__in=[r.pk for r in records])
            | Q(related_request__in=[r.pk for r in requests])
        ),
    )
    return _PupilFile(
        parents=list(
            ParentCarer.objects.filter(school_id=school_id, children=pupil).order_by("pk")
        ),
        relatives=list(
            StaffRelative.objects.filter(pupil=pupil).select_related("staff").order_by("pk")
        ),
        requests=requests,
        records=records,
        record_rows=record_rows,
        attachments=attachments,
        disclosures=list(
            Disclosure.objects.filter(school_id=school_id, pupil=pupil)
            .select_related("author")
            .order_by("disclosed_at", "pk")
        ),
        concerns=concerns,
        referrals=_lado_rows(
            actor,
            LadoReferral.objects.filter(school_id=school_id, concern__in=[c.pk for c in concerns]),
        ),
    )


def _pupil_notifications(pupil: Pupil, found: _PupilFile):
    """Notices never name a pupil: those linking to one of the pupil's entries."""
    links = (
        [reverse("request_detail", args=[r.pk]) for r in found.requests]
        + [reverse("record_detail", args=[r.pk]) for r in found.records]
        + [reverse("disclosure_detail", args=[d.pk]) for d in found.disclosures]
        + [reverse("concern_detail", args=[c.pk]) for c in found.concerns]
    )
    return Notification.objects.filter(recipient__school_id=pupil.school_id, url__in=links)


def _pupil_points(pupil: Pupil, found: _PupilFile) -> list[str]:
    points = []
    # Requests and records both name pupils; mypy joins the two lists' types to a bare Model.
    others = [
        e
        for e in [*found.requests, *found.records]
        if any(p.pk != pupil.pk for p in e.pupils.all())  # type: ignore[attr-defined]
    ]
    if others:
        points.append(
            f"Other pupils are named as well in {_refs(others)}: remove their names and "
            "anything that identifies them."
        )
    if found.parents:
        points.append("Parents' and carers' contact details are included.")
    if found.relatives:
        points.append("Members of staff who recorded the pupil as their relative are named.")
    if found.disclosures:
        points.append(
            f"The disclosures ({_refs(found.disclosures)}) hold child-protection or personal "
            "information, and 'who said it' may be another child. Decide with the designated "
            "safeguarding lead whether any of it must be withheld, for example because "
            "releasing it could put a child at risk of serious harm."
        )
    if found.concerns or found.referrals:
        points.append(
            "Boundary concerns and LADO referrals are about members of staff: release only "
            "what is about the pupil, and ask the LADO before releasing their advice."
        )
    points += _confidential_point(found.concerns)
    points.append(
        "Staff are named as authors, deciders, recipients of notifications and in the audit "
        "trail (who opened the pupil's file): decide whether any name should be withheld."
    )
    return points + _common_points(found.attachments)


def pupil_export(*, actor: Staff, pupil: Pupil) -> SubjectAccess:
    """Everything held about a pupil. A fixed number of queries, however much there is."""
    found = _gather_pupil(actor, pupil)
    about = _about(
        {
            Pupil: [pupil],
            ParentCarer: found.parents,
            StaffRelative: found.relatives,
            ContactRequest: found.requests,
            ContactRecord: found.records,
            Disclosure: found.disclosures,
            BoundaryConcern: found.concerns,
            LadoReferral: found.referrals,
        }
    )
    own_columns, own_row = _own_row(pupil)
    own_columns += (("status", "On roll or left"),)
    own_row["status"] = "Current pupil" if pupil.is_current() else "Former pupil"
    request_ids = [r.pk for r in found.requests]
    addenda = Addendum.objects.filter(
        Q(record__in=[r.pk for r in found.records])
        | Q(disclosure__in=[d.pk for d in found.disclosures])
    )
    tables = [
        Table("pupil", "The pupil", own_columns, [own_row], wide=True),
        Table(
            "parents_carers",
            "Parents and carers",
            PARENT_COLUMNS,
            [_parent_row(p) for p in found.parents],
        ),
        Table(
            "staff_relatives",
            "Members of staff who recorded the pupil as their relative",
            STAFF_RELATIVE_COLUMNS,
            [_staff_relative_row(r) for r in found.relatives],
        ),
        Table(
            "requests",
            "Requests for planned contact naming the pupil",
            REQUEST_COLUMNS,
            [_request_row(r) for r in found.requests],
            wide=True,
            note="Every state is included, unsubmitted drafts too.",
        ),
        Table(
            "request_notes",
            "Notes on those requests",
            NOTE_COLUMNS,
            _note_rows(RequestNote.objects.filter(request__in=request_ids)),
        ),
        Table(
            "records",
            "Records of contact naming the pupil",
            RECORD_COLUMNS,
            found.record_rows,
            wide=True,
        ),
        Table(
            "disclosures",
            "Disclosures",
            DISCLOSURE_COLUMNS,
            [_disclosure_row(d) for d in found.disclosures],
            wide=True,
        ),
        Table(
            "addenda",
            "Addenda to those records and disclosures",
            ADDENDUM_COLUMNS,
            _addendum_rows(addenda),
        ),
        Table(
            "boundary_concerns",
            "Boundary concerns linked to a request or record naming the pupil",
            CONCERN_COLUMNS,
            [_concern_row(c) for c in found.concerns],
            wide=True,
        ),
        Table(
            "lado_referrals",
            "LADO consultations and referrals about those concerns",
            LADO_COLUMNS,
            [_lado_row(r) for r in found.referrals],
            wide=True,
        ),
        Table(
            "notifications",
            "Notifications linking to those entries",
            NOTIFICATION_COLUMNS,
            _notification_rows(_pupil_notifications(pupil, found)),
            note="Notifications never name the pupil; each links to one of the entries above.",
        ),
        Table(
            "legal_holds",
            "Legal holds on the pupil's records",
            LEGAL_HOLD_COLUMNS,
            _legal_hold_rows(LegalHold.objects.filter(pupil=pupil)),
        ),
        Table(
            "audit_events",
            "Audit trail: who opened, made or changed any of the above",
            AUDIT_COLUMNS,
            _audit_rows(actor, about),
            not_in_summary=AUDIT_CODES,
        ),
    ]
    return _subject(
        "pupil",
        pupil,
        actor,
        tables,
        attachments=found.attachments,
        review_points=_pupil_points(pupil, found),
    )


# --- A member of staff ------------------------------------------------------------------------

ROLE_COLUMNS: Columns = (("role", "Role"),)
RELATIVE_COLUMNS: Columns = (
    ("reference", "Reference"),
    ("pupil_reference", "Pupil (reference)"),
    ("pupil", "Pupil"),
    ("relationship", "Relationship"),
    ("recorded_at", "Recorded"),
)
DECISION_COLUMNS: Columns = (
    ("reference", "Request"),
    ("requester", "Requested by"),
    ("pupils", "Pupils named"),
    ("status", "Status now"),
    ("decided_as", "Decided as"),
    ("decided_at", "Decided"),
    ("decision_reason", "Reason for the decision"),
    ("conditions", "Conditions"),
)
DISCLOSURE_LIST_COLUMNS: Columns = (
    ("reference", "Reference"),
    ("disclosure_type", "Kind of disclosure"),
    ("pupil", "Pupil"),
    ("disclosed_at", "When it was said"),
    ("created_at", "Recorded"),
)
LEGAL_HOLD_COLUMNS: Columns = (
    ("reference", "Reference"),
    ("reason", "Why the records are kept"),
    ("placed_by", "Placed by"),
    ("placed_at", "Placed"),
    ("lifted_by", "Lifted by"),
    ("lifted_at", "Lifted"),
    ("lift_reason", "Why it was lifted"),
)
ACKNOWLEDGEMENT_COLUMNS: Columns = (
    ("policy", "Policy"),
    ("version", "Version"),
    ("acknowledged_at", "Read and acknowledged"),
)
STAFF_CONCERN_COLUMNS: Columns = (
    CONCERN_COLUMNS[0],
    ("relation", "Their part"),
    *CONCERN_COLUMNS[1:],
)


def _legal_hold_rows(rows) -> list[dict[str, Any]]:
    """A hold is information about the person too: why their records are kept, and by whom."""
    return [
        {
            "reference": f"HOLD-{item.pk}",
            "reason": item.reason,
            "placed_by": _named(item.placed_by),
            "placed_at": item.placed_at,
            "lifted_by": _named(item.lifted_by),
            "lifted_at": item.lifted_at,
            "lift_reason": item.lift_reason,
        }
        for item in rows.select_related("placed_by", "lifted_by").order_by("placed_at", "pk")
    ]


def _relative_row(item: StaffRelative) -> dict[str, Any]:
    return {
        "reference": item.audit_ref,
        "pupil_reference": item.pupil.audit_ref,
        "pupil": item.pupil.full_name,
        "relationship": item.get_relationship_display(),
        "recorded_at": item.created_at,
    }


def _decision_row(item: ContactRequest) -> dict[str, Any]:
    return {
        "reference": item.reference,
        "requester": _named(item.requester),
        "pupils": _pupils(item.pupils.all()),
        "status": item.get_status_display(),
        "decided_as": item.decided_as,
        "decided_at": item.decided_at,
        "decision_reason": item.decision_reason,
        "conditions": item.conditions,
    }


def _disclosure_listed(item: Disclosure) -> dict[str, Any]:
    return {
        "reference": item.reference,
        "disclosure_type": item.get_disclosure_type_display(),
        "pupil": f"{item.pupil.full_name} ({item.pupil.audit_ref})",
        "disclosed_at": item.disclosed_at,
        "created_at": item.created_at,
    }


def _acknowledgement_row(item: Acknowledgement) -> dict[str, Any]:
    return {
        "policy": item.version.policy.title,
        "version": item.version.number,
        "acknowledged_at": item.acknowledged_at,
    }


def _staff_concern_row(item: BoundaryConcern, staff: Staff) -> dict[str, Any]:
    if item.subject_id == staff.pk and item.reporter_id == staff.pk:
        relation = "Self-referral"
    elif item.subject_id == staff.pk:
        relation = "About them"
    else:
        relation = "Raised by them"
    row = _concern_row(item)
    return {"reference": row.pop("reference"), "relation": relation} | row


@dataclass
class _StaffFile:
    """The rows gathered about a member of staff, before they become tables."""

    roles: list[str]
    relatives: list[StaffRelative]
    requests: list[ContactRequest]
    decided: list[ContactRequest]
    records: list[ContactRecord]
    record_rows: list[dict[str, Any]]
    attachments: list[Attachment]
    disclosures: list[Disclosure]
    concerns: list[BoundaryConcern]
    referrals: list[LadoReferral]


def _gather_staff(actor: Staff, staff: Staff) -> _StaffFile:
    school_id = staff.school_id
    records, record_rows, attachments = _records(
        ContactRecord.objects.filter(school_id=school_id, author=staff)
    )
    held = staff.role_assignments.values_list("role", flat=True)
    return _StaffFile(
        roles=[Role(code).label if code in Role.values else code for code in sorted(held)],
        relatives=list(
            StaffRelative.objects.filter(staff=staff).select_related("pupil").order_by("pk")
        ),
        requests=_requests(ContactRequest.objects.filter(school_id=school_id, requester=staff)),
        decided=_requests(ContactRequest.objects.filter(school_id=school_id, decided_by=staff)),
        records=records,
        record_rows=record_rows,
        attachments=attachments,
        disclosures=list(
            Disclosure.objects.filter(school_id=school_id, author=staff)
            .select_related("pupil")
            .order_by("disclosed_at", "pk")
        ),
        concerns=_concerns(
            actor,
            BoundaryConcern.objects.filter(school_id=school_id).filter(
                Q(subject=staff) | Q(reporter=staff)
            ),
        ),
        referrals=_lado_rows(
            actor, LadoReferral.objects.filter(school_id=school_id, subject=staff)
        ),
    )


def _staff_points(staff: Staff, found: _StaffFile) -> list[str]:
    points = []
    # Requests and records both name pupils; mypy joins the two lists' types to a bare Model.
    naming = [e for e in [*found.requests, *found.records, *found.decided] if e.pupils.all()]  # type: ignore[attr-defined]
    if naming or found.relatives or found.disclosures:
        refs = _refs(naming + found.disclosures)
        points.append(
            "Pupils are named in their requests, records, decisions, the disclosures they wrote "
            f"down and the relatives they declared{f' ({refs})' if refs else ''}: a pupil's "
            "details are that pupil's information; remove what is not about this member of "
            "staff."
        )
    about = [c for c in found.concerns if c.subject_id == staff.pk and c.reporter_id != staff.pk]
    if about:
        points.append(
            f"Boundary concerns about them ({_refs(about)}) name who raised them, and each "
            "description is that person's account: check whether the person who raised each "
            "may be named."
        )
    points += _confidential_point(about)
    if found.referrals:
        points.append(
            f"LADO consultations and referrals ({_refs(found.referrals)}): ask the LADO before "
            "releasing their advice, and check whether an investigation is still open."
        )
    points.append(
        "Other staff are named as deciders, reviewers, authors of notes and in the audit trail: "
        "decide whether any name should be withheld."
    )
    return points + _common_points(found.attachments)


def staff_export(*, actor: Staff, staff: Staff) -> SubjectAccess:
    """Everything held about a member of staff. A fixed number of queries."""
    school_id = staff.school_id
    found = _gather_staff(actor, staff)
    about = Q(actor_id=staff.pk) | _about(
        {
            Staff: [staff],
            StaffRelative: found.relatives,
            ContactRequest: found.requests,
            ContactRecord: found.records,
            BoundaryConcern: found.concerns,
            LadoReferral: found.referrals,
        }
    )
    own_columns, own_row = _own_row(staff)
    own_columns += (("two_factor_enabled", "Two-factor sign-in set up"),)
    # Whether it is on, never the secrets or recovery codes behind it.
    own_row["two_factor_enabled"] = two_factor_enabled(staff)
    notes = RequestNote.objects.filter(request__school_id=school_id).filter(
        Q(request__requester=staff) | Q(author=staff)
    )
    addenda = Addendum.objects.filter(record__school_id=school_id).filter(
        Q(record__author=staff) | Q(author=staff)
    )
    acknowledgements = (
        Acknowledgement.objects.filter(staff=staff)
        .select_related("version__policy")
        .order_by("acknowledged_at", "pk")
    )
    tables = [
        Table("staff", "The member of staff", own_columns, [own_row], wide=True),
        Table("roles", "Roles held in Safeguard", ROLE_COLUMNS, [{"role": r} for r in found.roles]),
        Table(
            "relatives",
            "Relatives who are pupils",
            RELATIVE_COLUMNS,
            [_relative_row(r) for r in found.relatives],
        ),
        Table(
            "requests",
            "Their requests for planned contact",
            REQUEST_COLUMNS,
            [_request_row(r) for r in found.requests],
            wide=True,
            note="Every state is included, unsubmitted drafts too.",
        ),
        Table(
            "request_notes",
            "Notes on their requests, and notes they wrote",
            NOTE_COLUMNS,
            _note_rows(notes),
        ),
        Table(
            "decisions",
            "Requests they decided",
            DECISION_COLUMNS,
            [_decision_row(r) for r in found.decided],
        ),
        Table(
            "records",
            "Records of contact they made",
            RECORD_COLUMNS,
            found.record_rows,
            wide=True,
        ),
        Table(
            "addenda",
            "Addenda to their records, and addenda they wrote to records",
            ADDENDUM_COLUMNS,
            _addendum_rows(addenda),
        ),
        Table(
            "disclosures_recorded",
            "Disclosures they wrote down",
            DISCLOSURE_LIST_COLUMNS,
            [_disclosure_listed(d) for d in found.disclosures],
            note="Listed without what was said: a disclosure is about the pupil, not about the "
            "member of staff who wrote it down.",
        ),
        Table(
            "boundary_concerns",
            "Boundary concerns about them, and concerns they raised",
            STAFF_CONCERN_COLUMNS,
            [_staff_concern_row(c, staff) for c in found.concerns],
            wide=True,
        ),
        Table(
            "lado_referrals",
            "LADO consultations and referrals about them",
            LADO_COLUMNS,
            [_lado_row(r) for r in found.referrals],
            wide=True,
        ),
        Table(
            "policy_acknowledgements",
            "Policies they confirmed they had read",
            ACKNOWLEDGEMENT_COLUMNS,
            [_acknowledgement_row(a) for a in acknowledgements],
        ),
        Table(
            "notifications",
            "Notifications sent to them",
            NOTIFICATION_COLUMNS,
            _notification_rows(Notification.objects.filter(recipient=staff)),
        ),
        Table(
            "legal_holds",
            "Legal holds on their records",
            LEGAL_HOLD_COLUMNS,
            _legal_hold_rows(LegalHold.objects.filter(staff=staff)),
        ),
        Table(
            "audit_events",
            "Audit trail: what they did, and what was done about them or their entries",
            AUDIT_COLUMNS,
            _audit_rows(actor, about),
            not_in_summary=AUDIT_CODES,
        ),
    ]
    return _subject(
        "staff",
        staff,
        actor,
        tables,
        attachments=found.attachments,
        review_points=_staff_points(staff, found),
    )


# --- Who may export -------------------------------------------------------------------------


def refusal(actor: Staff, subject: Pupil | Staff) -> str:
    """Why the actor may not export this person's information ('' when they may)."""
    if not roles.has_role(actor, Role.HEADTEACHER) or actor.school_id != subject.school_id:
        return "Only the headteacher of the person's school makes a subject-access export."
    if isinstance(subject, Staff) and subject.pk == actor.pk:
        return (
            "Your own file holds entries you may not see, such as concerns about you: a "
            "request for your own information is answered by the chair of governors with the "
            "school's data protection officer, not through this export."
        )
    return ""
