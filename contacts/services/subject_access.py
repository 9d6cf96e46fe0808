"""Making a subject-access export: who may, and the audit event that says it was made.

What goes into the export, and why, is in contacts.subject_access.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO

from django.core.exceptions import PermissionDenied
from django.db import transaction

from contacts.models import Pupil, Staff
from contacts.subject_access import (
    export_filename,
    pupil_export,
    refusal,
    staff_export,
    write_zip,
)
from safeguard.audit import audit_record

ACTION = "subject_access.export"


@dataclass
class SubjectAccessExport:
    """The zip, open at its start (the response that sends it closes it), and its name."""

    filename: str
    file: IO[bytes]
    counts: dict[str, int]

    @property
    def content(self) -> bytes:
        self.file.seek(0)
        return self.file.read()

    def close(self) -> None:
        self.file.close()


def subject_access_export(
    *, actor: Staff, pupil: Pupil | None = None, staff: Staff | None = None
) -> SubjectAccessExport:
    """Everything held about one pupil or one member of staff, as a zip for the headteacher to
    review before release; the export is audited in the same transaction, by counts only."""
    if (pupil is None) == (staff is None):
        raise ValueError("Export one pupil or one member of staff.")
    subject = pupil if pupil is not None else staff
    reason = refusal(actor, subject)
    if reason:
        raise PermissionDenied(reason)
    archive = None
    try:
        with transaction.atomic():
            if pupil is not None:
                subject = Pupil.objects.get(pk=pupil.pk)
                data = pupil_export(actor=actor, pupil=subject)
            else:
                subject = Staff.objects.select_related("line_manager").get(pk=staff.pk)
                data = staff_export(actor=actor, staff=subject)
            archive = write_zip(data)
            audit_record(
                actor=actor,
                school=actor.school,
                action=ACTION,
                obj=subject,
                reason=data.counts_text(),
            )
    except BaseException:
        if archive is not None:
            archive.close()
        raise
    return SubjectAccessExport(filename=export_filename(data), file=archive, counts=data.counts())
