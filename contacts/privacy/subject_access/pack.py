"""Writing a subject-access export out: values as data.json, a CSV cell and the summary show
them; `summary.html`, `data.json`, one CSV per table, and the zip that holds them with the
attached files. The same gathered information always gives the same zip, byte for byte.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from typing import Any

from django.template.loader import render_to_string
from django.utils import dateformat, timezone

from contacts.people.models import Pupil, Staff
from contacts.privacy.subject_access.columns import CHAIR_ONLY, Columns
from safeguard.core.exports import spreadsheet_safe
from safeguard.core.uploads import open_stored

FORMAT = "safeguard-subject-access-export"
FORMAT_VERSION = 1
SUMMARY_TEMPLATE = "contacts/subject_access/summary.html"
# The zip is built in memory up to this size, then in a temporary file on disk.
SPOOL_BYTES = 8 * 1024 * 1024
# Read-only for the owner once unzipped: the files hold special category data.
FILE_MODE = 0o600 << 16


# --- The tables -------------------------------------------------------------------------------


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
                info = zipfile.ZipInfo(attachment.zip_path, date_time=stamp)
                info.compress_type = zipfile.ZIP_STORED  # PDF, PNG and JPEG are compressed
                info.external_attr = FILE_MODE
                with open_stored(attachment.stored_name) as source:
                    info.file_size = source.size
                    with archive.open(info, "w") as target:
                        shutil.copyfileobj(source, target)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return out
