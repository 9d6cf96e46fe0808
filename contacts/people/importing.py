"""CSV imports of pupils and staff: every row loads, or none does.

The whole file is validated first; any bad row rejects the file with each problem listed
by its line number, so a school never ends up with half a roll.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from contacts.people.forms import IdentityEmailField
from contacts.people.models import Pupil, Staff, StaffRole, StaffType, YearGroup
from contacts.people.services import invitation_issue, record_duty_changes
from safeguard.audit.services import audit_record
from safeguard.core import roles
from safeguard.core.emails import LOOKALIKE_MESSAGE, is_lookalike, normal_email
from safeguard.core.models import School
from safeguard.core.roles import Role

MAX_ROWS = 5000
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    description: str


COLUMNS: dict[str, list[Column]] = {
    "pupils": [
        Column("first_name", True, "Given name."),
        Column("last_name", True, "Family name."),
        Column("date_of_birth", True, "YYYY-MM-DD or DD/MM/YYYY; not in the future."),
        Column("admission_date", True, "Date the pupil joined; after the date of birth."),
        Column("leaving_date", False, "Empty while on roll; not before the admission date."),
        Column("year_group", False, "N, R, or 1 to 14 (the year group when they left, if former)."),
        Column("vulnerable_adult", False, "yes or no (default no)."),
        Column("notes", False, "Free text."),
    ],
    "staff": [
        Column("email", True, "Their sign-in address; unique."),
        Column("first_name", True, "Given name."),
        Column("last_name", True, "Family name."),
        Column("job_title", False, "For example Class teacher."),
        Column(
            "staff_type",
            False,
            "teacher, support, supply, volunteer, governor or other (default teacher).",
        ),
        Column(
            "line_manager_email",
            False,
            "Email of their line manager: someone already on the system or in the same file.",
        ),
        Column("roles", False, "Extra roles separated by ';', e.g. line_manager;dsl."),
        Column(
            "date_of_birth",
            False,
            "YYYY-MM-DD or DD/MM/YYYY; not in the future. Records of allegations about them "
            "are kept until their retirement age.",
        ),
    ],
}


@dataclass(frozen=True)
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"Line {self.line}: {self.message}" if self.line else self.message


class ImportRejected(Exception):
    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} problem(s) in the file")
        self.errors = errors


@dataclass(frozen=True)
class ImportResult:
    kind: str
    created: int
    invited: int = 0


YEAR_GROUP_CODES = {"n": YearGroup.NURSERY, "r": YearGroup.RECEPTION} | {
    str(v): v for v in range(1, 15)
}
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0", ""}


class _PupilRow(forms.Form):
    first_name = forms.CharField(max_length=100)
    last_name = forms.CharField(max_length=100)
    date_of_birth = forms.DateField(input_formats=DATE_FORMATS)
    admission_date = forms.DateField(input_formats=DATE_FORMATS)
    leaving_date = forms.DateField(input_formats=DATE_FORMATS, required=False)
    year_group = forms.CharField(required=False)
    vulnerable_adult = forms.CharField(required=False)
    notes = forms.CharField(required=False)

    def clean_year_group(self) -> int | None:
        raw = self.cleaned_data["year_group"].strip().lower().removeprefix("year").strip()
        if not raw:
            return None
        if raw not in YEAR_GROUP_CODES:
            raise ValidationError("Use N, R or a number from 1 to 14.")
        return int(YEAR_GROUP_CODES[raw])

    def clean_vulnerable_adult(self) -> bool:
        return _yes_no(self.cleaned_data["vulnerable_adult"])


def _identity(address: str) -> str:
    """An address in the form accounts are stored and matched in; look-alikes refused."""
    if is_lookalike(address):
        raise ValidationError(LOOKALIKE_MESSAGE)
    return normal_email(address)


class _StaffRow(forms.Form):
    email = IdentityEmailField()
    first_name = forms.CharField(max_length=100)
    last_name = forms.CharField(max_length=100)
    job_title = forms.CharField(max_length=120, required=False)
    staff_type = forms.CharField(required=False)
    line_manager_email = IdentityEmailField(required=False)
    roles = forms.CharField(required=False)
    date_of_birth = forms.DateField(input_formats=DATE_FORMATS, required=False)

    def clean_email(self) -> str:
        return _identity(self.cleaned_data["email"])

    def clean_line_manager_email(self) -> str:
        return _identity(self.cleaned_data["line_manager_email"])

    def clean_staff_type(self) -> str:
        raw = self.cleaned_data["staff_type"].strip().lower() or StaffType.TEACHER
        if raw not in StaffType.values:
            raise ValidationError(f"Use one of: {', '.join(StaffType.values)}.")
        return raw

    def clean_roles(self) -> list[str]:
        wanted = [r.strip().lower() for r in self.cleaned_data["roles"].split(";") if r.strip()]
        unknown = [r for r in wanted if r not in Role.values]
        if unknown:
            raise ValidationError(
                f"Unknown role {', '.join(unknown)}; use {', '.join(Role.values)}."
            )
        return sorted(set(wanted) - roles.IMPLICIT)


def _yes_no(value: str) -> bool:
    value = value.strip().lower()
    if value in YES:
        return True
    if value in NO:
        return False
    raise ValidationError("Use yes or no.")


def _read_rows(file: IO[bytes], kind: str) -> list[tuple[int, dict[str, str]]]:
    raw = file.read(settings.IMPORT_MAX_BYTES + 1)
    if len(raw) > settings.IMPORT_MAX_BYTES:
        limit = settings.IMPORT_MAX_BYTES // 1024 // 1024
        raise ImportRejected([RowError(0, f"The file is larger than {limit} MB.")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRejected(
            [RowError(0, "The file is not UTF-8 text. Save it from your spreadsheet as CSV UTF-8.")]
        ) from None
    # strict: a stray quote is an error to report, not a reason to swallow the rows after it.
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    try:
        return _rows_from(reader, kind)
    except csv.Error as error:
        # The record that failed began on the line after the last one read in full.
        line = getattr(reader, "record_start", reader.line_num)
        raise ImportRejected([RowError(line, f"This line is not valid CSV ({error}).")]) from None


def _rows_from(reader: csv.DictReader, kind: str) -> list[tuple[int, dict[str, str]]]:
    header = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
    if not header:
        raise ImportRejected([RowError(0, "The file is empty: it needs a header row.")])
    reader.fieldnames = header
    known = {c.name for c in COLUMNS[kind]}
    problems = [
        RowError(1, f"Missing column '{c.name}'.")
        for c in COLUMNS[kind]
        if c.required and c.name not in header
    ]
    problems += [RowError(1, f"Unknown column '{name}'.") for name in header if name not in known]
    if problems:
        raise ImportRejected(problems)
    rows: list[tuple[int, dict[str, str]]] = []
    while True:
        reader.record_start = reader.line_num + 1  # type: ignore[attr-defined]  # read on a csv.Error
        row = next(reader, None)
        if row is None:
            break
        if None in row:
            raise ImportRejected(
                [RowError(reader.line_num, "This row has more cells than the header.")]
            )
        values = {k: (v or "").strip() for k, v in row.items()}
        if any(values.values()):
            rows.append((reader.line_num, values))
    if not rows:
        raise ImportRejected([RowError(0, "The file has a header but no rows.")])
    if len(rows) > MAX_ROWS:
        raise ImportRejected([RowError(0, f"At most {MAX_ROWS} rows can be imported at once.")])
    return rows


def _form_problems(line: int, form: forms.Form) -> list[RowError]:
    return [
        RowError(line, f"{field.replace('_', ' ')}: {message}")
        for field, messages in form.errors.items()
        for message in messages
    ]


def _model_problems(line: int, error: ValidationError) -> list[RowError]:
    return [
        RowError(line, f"{field.replace('_', ' ')}: {message}")
        for field, messages in error.message_dict.items()
        for message in messages
    ]


def _validate_pupils(
    school: School, rows: Iterable[tuple[int, dict[str, str]]]
) -> tuple[list[Pupil], list[RowError]]:
    pupils: list[Pupil] = []
    problems: list[RowError] = []
    for line, values in rows:
        form = _PupilRow(values)
        if not form.is_valid():
            problems += _form_problems(line, form)
            continue
        pupil = Pupil(school=school, **form.cleaned_data)
        try:
            pupil.full_clean()
        except ValidationError as error:
            problems += _model_problems(line, error)
            continue
        pupils.append(pupil)
    return pupils, problems


def _validate_staff(
    actor: Staff, school: School, rows: Iterable[tuple[int, dict[str, str]]]
) -> tuple[list[tuple[int, dict[str, Any]]], dict[str, Staff], list[RowError]]:
    accepted: list[tuple[int, dict[str, Any]]] = []
    problems: list[RowError] = []
    seen: dict[str, int] = {}
    for line, values in rows:
        form = _StaffRow(values)
        if not form.is_valid():
            problems += _form_problems(line, form)
            continue
        data = form.cleaned_data
        email = data["email"]
        if email in seen:
            problems.append(RowError(line, f"email: {email} is already on line {seen[email]}."))
            continue
        seen[email] = line
        if Staff.objects.filter(email=email).exists():
            problems.append(RowError(line, f"email: {email} is already used by another account."))
            continue
        if data["line_manager_email"] == email:
            problems.append(RowError(line, "line manager email: nobody manages themself."))
            continue
        refused = [r for r in data["roles"] if not roles.may_assign(actor, r)]
        if refused:
            names = ", ".join(Role(r).label.lower() for r in refused)
            who = roles.assigned_by(refused[0])
            problems.append(RowError(line, f"roles: only {who} can give the {names} role."))
            continue
        if data["line_manager_email"] and set(data["roles"]) & roles.NO_LINE_MANAGER:
            problems.append(
                RowError(line, "line manager email: the headteacher has no line manager.")
            )
            continue
        if data["line_manager_email"] == actor.email and not roles.has_role(
            actor, Role.HEADTEACHER
        ):
            problems.append(
                RowError(line, "line manager email: you cannot make yourself a line manager.")
            )
            continue
        staff = Staff(
            school=school,
            email=email,
            first_name=data["first_name"],
            last_name=data["last_name"],
            job_title=data["job_title"],
            staff_type=data["staff_type"],
            date_of_birth=data["date_of_birth"],
        )
        staff.set_unusable_password()
        try:
            staff.full_clean(exclude=["line_manager"])
        except ValidationError as error:
            problems += _model_problems(line, error)
            continue
        accepted.append((line, data | {"staff": staff}))
    existing = {
        s.email: s
        for s in Staff.objects.filter(
            school=school, email__in={d["line_manager_email"] for _, d in accepted}
        )
    }
    in_file = {d["email"]: d for _, d in accepted}
    for line, data in accepted:
        manager = data["line_manager_email"]
        if manager and manager not in existing and manager not in seen:
            problems.append(
                RowError(line, f"line manager email: nobody at this school has {manager}.")
            )
        elif manager in existing and roles.has_role(existing[manager], roles.GOVERNANCE_ROLES):
            problems.append(
                RowError(line, "line manager email: a governor cannot be a line manager.")
            )
        elif manager and set(data["roles"]) & roles.HEAD_MANAGED:
            manager_roles = (
                set(in_file[manager]["roles"])
                if manager in in_file
                else roles.roles_of(existing[manager])
            )
            if Role.HEADTEACHER not in manager_roles:
                problems.append(
                    RowError(
                        line,
                        "line manager email: a deputy head, assistant head, safeguarding lead or "
                        "administrator can only be line managed by the headteacher.",
                    )
                )
        elif manager and _reports_to(in_file, manager, data["email"]):
            problems.append(
                RowError(line, f"line manager email: {manager} reports to {data['email']}.")
            )
    return accepted, existing, sorted(problems, key=lambda p: p.line)


def _reports_to(rows: dict[str, dict[str, Any]], email: str, boss: str) -> bool:
    """Whether the new member of staff `email` reports to `boss`, directly or further up, within
    the file (people already at the school cannot report to someone the file adds)."""
    seen: set[str] = set()
    while email in rows and email not in seen:
        seen.add(email)
        email = rows[email]["line_manager_email"]
        if email == boss:
            return True
    return False


def _import_pupils(actor: Staff, school: School, pupils: list[Pupil]) -> None:
    for pupil in pupils:
        pupil.save()
        audit_record(actor=actor, school=school, action="pupil.import", obj=pupil)


def _import_staff(
    actor: Staff,
    school: School,
    accepted: list[tuple[int, dict[str, Any]]],
    existing: dict[str, Staff],
    *,
    invite: bool,
) -> int:
    """Load the rows; with `invite`, email each new member of staff their invitation once the
    import commits. Returns how many were invited."""
    created: dict[str, Staff] = {}
    for _line, data in accepted:
        staff = data["staff"]
        staff.save()
        StaffRole.objects.bulk_create([StaffRole(staff=staff, role=r) for r in data["roles"]])
        created[staff.email] = staff
    managers = existing | created
    for _line, data in accepted:
        staff = created[data["email"]]
        if data["line_manager_email"]:
            staff.line_manager = managers[data["line_manager_email"]]
            staff.save(update_fields=["line_manager"])
        audit_record(
            actor=actor,
            school=school,
            action="staff.import",
            obj=staff,
            reason=f"roles: {', '.join(data['roles']) or 'staff'}",
        )
        record_duty_changes(actor, staff, set(), set(data["roles"]), None, staff.line_manager)
    if not invite:
        return 0
    for line, data in accepted:
        try:
            invitation_issue(actor, created[data["email"]])
        except ValidationError as error:
            raise ImportRejected([RowError(line, " ".join(error.messages))]) from None
    return len(accepted)


def people_import(
    *, actor: Staff, school: School, kind: str, file: IO[bytes], invite: bool = False
) -> ImportResult:
    """Validate the whole file, then load every row in one transaction, or raise ImportRejected."""
    if actor.school_id != school.pk or not roles.has_role(actor, roles.PEOPLE_EDITORS):
        raise PermissionDenied("Only the headteacher or the school administrator may import.")
    if kind not in COLUMNS:
        raise ValueError(f"kind must be one of {sorted(COLUMNS)}")
    rows = _read_rows(file, kind)
    with transaction.atomic():
        if kind == "pupils":
            pupils, problems = _validate_pupils(school, rows)
            if problems:
                raise ImportRejected(problems)
            _import_pupils(actor, school, pupils)
            return ImportResult(kind, len(pupils))
        accepted, existing, problems = _validate_staff(actor, school, rows)
        if problems:
            raise ImportRejected(problems)
        invited = _import_staff(actor, school, accepted, existing, invite=invite)
        return ImportResult(kind, len(accepted), invited)
