"""The privacy writes: applying the retention schedule, the review of disclosures at the end
of their period, legal holds, and the subject-access export.

What the schedule asks on a day is planned in `contacts.privacy.retention` (docs/retention.md);
here each deletion is one transaction with its audit event, which names the kind of record, its
reference and the rule, never its content. Nothing is deleted that a legal hold covers, that
misses the data its rule needs, or that is still an open case.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from functools import partial
from typing import IO, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, models, transaction
from django.urls import reverse
from django.utils import timezone

from contacts.notifications.models import Notification
from contacts.notifications.services import notify
from contacts.people.models import Pupil, Staff
from contacts.privacy.models import LegalHold
from contacts.privacy.retention import (
    DELETE,
    FLAG,
    RECORD_KINDS,
    Holds,
    PlanItem,
    RetentionPlan,
    RetentionRule,
    RetentionVerdict,
    disclosure_due,
    parties_of,
    plan_item,
    records_of,
    retention_due,
    retention_verdict,
    rule_settings,
)
from contacts.privacy.selectors import subject_access_refusal
from contacts.privacy.subject_access.gather import pupil_export, staff_export
from contacts.privacy.subject_access.pack import export_filename, write_zip
from contacts.records.models import Addendum, Disclosure
from safeguard.audit.services import audit_record
from safeguard.core import roles
from safeguard.core.models import School
from safeguard.core.roles import Role
from safeguard.core.uploads import remove_stored

logger = logging.getLogger(__name__)


HELD_MESSAGE = "A legal hold covers this pupil or member of staff: the disclosure is kept."


@dataclass
class RetentionResult:
    plan: RetentionPlan
    dry_run: bool
    deleted: list[PlanItem] = field(default_factory=list)
    flagged: list[PlanItem] = field(default_factory=list)
    # Found to have changed since the plan was made (a hold placed, a date corrected).
    skipped: list[PlanItem] = field(default_factory=list)
    failed: list[PlanItem] = field(default_factory=list)


def _check_actor(actor: Staff | None, school: School) -> None:
    """The system (actor None, as from cron) or the school's own headteacher."""
    if actor is None:
        return
    if actor.school_id != school.pk or not roles.has_role(actor, Role.HEADTEACHER):
        raise PermissionDenied("Only the headteacher applies the retention schedule.")


def _check_today(today: dt.date, dry_run: bool) -> None:
    if not dry_run and today > timezone.localdate():
        raise ValidationError(
            {"today": "The schedule cannot be applied as of a future date; use a dry run."}
        )


def retention_apply(
    *,
    actor: Staff | None = None,
    school: School,
    today: dt.date | None = None,
    dry_run: bool = False,
) -> RetentionResult:
    """Apply the schedule to one school: delete what is due, flag disclosures for review.

    `actor` is None when the system runs it (the apply_retention command). A dry run only
    plans. Each deletion is its own transaction, so one record that cannot go leaves the rest
    to proceed and nothing half-deleted; flags for review are one transaction for the school,
    with the one notice to the reviewers. Running it again changes nothing more.
    """
    _check_actor(actor, school)
    today = today or timezone.localdate()
    _check_today(today, dry_run)
    plan = retention_due(school, today)
    result = RetentionResult(plan=plan, dry_run=dry_run)
    if dry_run:
        return result
    for item in plan.delete:
        try:
            done = _delete_one(actor, school, item, today)
        except DatabaseError:
            logger.exception("Retention could not delete %s", item.reference)
            result.failed.append(item)
            continue
        (result.deleted if done else result.skipped).append(item)
    result.flagged = _flag_for_review(actor, school, plan.flag, today)
    if result.deleted or result.flagged:
        with transaction.atomic():
            audit_record(
                actor=actor,
                school=school,
                action="retention.run",
                obj=school,
                reason=f"as of {today:%Y-%m-%d}: deleted {len(result.deleted)}, "
                f"flagged for review {len(result.flagged)}, kept {len(plan.kept)}",
            )
    return result


def _lock(kind: str, school: School, pk: int) -> Any | None:
    """Lock one record's row and load it with what the schedule reads (None if gone)."""
    model, _ = RECORD_KINDS[kind]
    locked = list(
        model.objects.select_for_update().filter(pk=pk, school=school).values_list("pk", flat=True)
    )
    return records_of(kind, school).filter(pk__in=locked).first()


def _delete_one(actor: Staff | None, school: School, item: PlanItem, today: dt.date) -> bool:
    """Delete one due record with its dependants and audit event; False if no longer due."""
    with transaction.atomic():
        obj = _lock(item.kind, school, item.pk)
        if obj is None:
            return False
        verdict = retention_verdict(item.kind, obj, school, today, Holds.of(school))
        if verdict is None or verdict.action != DELETE:
            return False
        fresh = plan_item(item.kind, obj, verdict)
        audit_record(
            actor=actor,
            school=school,
            action="retention.delete",
            obj=obj,
            to_state="deleted",
            reason=fresh.audit_reason(school),
        )
        # Writing the event took the audit chain's lock, which placing a legal hold also takes:
        # a hold committed while this record was being checked is visible now.
        if Holds.of(school).cover(parties_of(item.kind, obj)):
            transaction.set_rollback(True)
            return False
        _erase(item.kind, obj)
    return True


def _erase(kind: str, obj: Any) -> None:
    """Delete the record and everything that exists only because of it.

    The database cascades addenda (records, disclosures), request notes and the pupil links;
    concerns and LADO referrals that mention the record keep their own content and lose the
    link (SET_NULL). Notices pointing at its page go here; the stored file once committed.
    """
    _, page = RECORD_KINDS[kind]
    path = reverse(page, args=[obj.pk])
    Notification.objects.filter(url__startswith=path).delete()
    attachment = getattr(obj, "attachment", "")
    obj.delete()
    if attachment:
        transaction.on_commit(partial(_remove_file, attachment))


def _remove_file(stored_name: str) -> None:
    """Remove the record's file from the uploads storage (the database's StoredUpload row, or
    the file in the folder UPLOAD_STORAGE chose), once the record's deletion is committed."""
    try:
        remove_stored(stored_name)
    except (OSError, ValueError, DatabaseError):
        # The record is gone; a file left behind is found by its name in the log.
        logger.exception("Retention could not remove the stored file %s", stored_name)


def _reviewers(school: School) -> models.QuerySet[Staff]:
    return Staff.objects.filter(
        school=school, is_active=True, role_assignments__role__in=roles.DISCLOSURE_REVIEWERS
    ).distinct()


def _flag_for_review(
    actor: Staff | None, school: School, items: list[PlanItem], today: dt.date
) -> list[PlanItem]:
    """Mark each due disclosure as awaiting review (once), and tell the reviewers once."""
    if not items:
        return []
    flagged: list[PlanItem] = []
    with transaction.atomic():
        holds = Holds.of(school)
        ids = list(
            Disclosure.objects.select_for_update()
            .filter(school=school, pk__in=[i.pk for i in items], retention_flagged_at__isnull=True)
            .values_list("pk", flat=True)
        )
        now = timezone.now()
        for disclosure in records_of("disclosure", school).filter(pk__in=ids):
            verdict = retention_verdict("disclosure", disclosure, school, today, holds)
            if verdict is None or verdict.action != FLAG:
                continue
            disclosure.retention_flagged_at = now
            disclosure.save(update_fields=["retention_flagged_at"])
            item = plan_item("disclosure", disclosure, verdict)
            audit_record(
                actor=actor,
                school=school,
                action="retention.flag",
                obj=disclosure,
                to_state="review due",
                reason=f"rule disclosure ({rule_settings(school, RetentionRule.DISCLOSURE)}), "
                f"due {item.due_on:%Y-%m-%d}",
            )
            flagged.append(item)
        if flagged:
            count = len(flagged)
            what = "1 disclosure has" if count == 1 else f"{count} disclosures have"
            them = "it" if count == 1 else "them"
            notify(
                recipients=_reviewers(school),
                message=f"{what} reached the end of the retention period: review {them}",
                path=reverse("retention_reviews"),
            )
    return flagged


def may_review(user: Staff, disclosure: Disclosure) -> bool:
    return user.school_id == disclosure.school_id and roles.has_role(
        user, roles.DISCLOSURE_REVIEWERS
    )


def retention_review(
    *,
    actor: Staff,
    disclosure: Disclosure,
    keep: bool,
    reason: str = "",
    review_on: dt.date | None = None,
) -> Disclosure | None:
    """The DSL or headteacher decides about a disclosure flagged for review.

    KeepReason: a reason (added to the disclosure as an addendum) and the date of the next review,
    when the schedule flags it again. Delete: the disclosure and its addenda go, with an audit
    event naming its reference and the rule, never its content; refused under a legal hold.
    Returns the disclosure kept, or None once deleted.
    """
    if not may_review(actor, disclosure):
        raise PermissionDenied("Only the DSL or the headteacher reviews disclosures.")
    today = timezone.localdate()
    if keep:
        if not reason.strip():
            raise ValidationError({"reason": "Say why the disclosure is kept."})
        if review_on is None or review_on <= today:
            raise ValidationError({"review_on": "Choose a date in the future for the next review."})
    school = disclosure.school
    with transaction.atomic():
        locked = _lock("disclosure", school, disclosure.pk)
        if locked is None or locked.retention_flagged_at is None:
            raise ValidationError("This disclosure is not waiting for a retention review.")
        if keep:
            locked.retention_flagged_at = None
            locked.retention_review_on = review_on
            locked.save(update_fields=["retention_flagged_at", "retention_review_on"])
            Addendum.objects.create(
                author=actor,
                disclosure=locked,
                text=f"Retention review: kept until at least {review_on:%d %B %Y}. "
                f"{reason.strip()}",
            )
            audit_record(
                actor=actor,
                school=school,
                action="retention.review",
                obj=locked,
                from_state="review due",
                to_state="kept",
                reason=f"next review {review_on:%Y-%m-%d}",
            )
            return locked
        if Holds.of(school).cover(parties_of("disclosure", locked)):
            raise ValidationError(HELD_MESSAGE)
        due = disclosure_due(school, locked)
        item = plan_item(
            "disclosure", locked, RetentionVerdict(FLAG, RetentionRule.DISCLOSURE, due)
        )
        audit_record(
            actor=actor,
            school=school,
            action="retention.delete",
            obj=locked,
            from_state="review due",
            to_state="deleted",
            reason=f"after review; {item.audit_reason(school)}",
        )
        # As in _delete_one: the event's lock makes any hold just placed visible here.
        if Holds.of(school).cover(parties_of("disclosure", locked)):
            raise ValidationError(HELD_MESSAGE)
        _erase("disclosure", locked)
    return None


def _require_head(actor: Staff, school_id: int) -> None:
    if actor.school_id != school_id or not roles.has_role(actor, Role.HEADTEACHER):
        raise PermissionDenied("Only the headteacher places and lifts legal holds.")


def legal_hold_place(
    *, actor: Staff, pupil: Pupil | None = None, staff: Staff | None = None, reason: str
) -> LegalHold:
    """KeepReason everything about one pupil or one member of staff until the hold is lifted."""
    _require_head(actor, actor.school_id)
    if (pupil is None) == (staff is None):
        raise ValidationError("Choose either a pupil or a member of staff, not both.")
    person = pupil or staff
    assert person is not None  # exactly one of them, as checked
    if person.school_id != actor.school_id:
        raise PermissionDenied("That person belongs to another school.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the records must be kept."})
    with transaction.atomic():
        hold = LegalHold.objects.create(
            school_id=actor.school_id,
            pupil=pupil,
            staff=staff,
            reason=reason.strip(),
            placed_by=actor,
        )
        audit_record(
            actor=actor,
            school=actor.school,
            action="hold.place",
            obj=hold,
            to_state="active",
            reason=f"on {hold.person_ref}",
        )
    return hold


def legal_hold_lift(*, actor: Staff, hold: LegalHold, reason: str) -> LegalHold:
    """End a hold: the schedule applies again to what it kept. Never a hold on yourself."""
    _require_head(actor, hold.school_id)
    if hold.staff_id == actor.pk:
        raise PermissionDenied("A legal hold on you is lifted by someone else.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the hold is lifted."})
    with transaction.atomic():
        hold = LegalHold.objects.select_for_update().get(pk=hold.pk)
        if not hold.is_active:
            raise ValidationError("This hold has already been lifted.")
        hold.lifted_by = actor
        hold.lifted_at = timezone.now()
        hold.lift_reason = reason.strip()
        hold.save(update_fields=["lifted_by", "lifted_at", "lift_reason"])
        audit_record(
            actor=actor,
            school=hold.school,
            action="hold.lift",
            obj=hold,
            from_state="active",
            to_state="lifted",
            reason=f"on {hold.person_ref}",
        )
    return hold


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
    assert subject is not None  # exactly one of them, as checked
    reason = subject_access_refusal(actor, subject)
    if reason:
        raise PermissionDenied(reason)
    archive = None
    try:
        with transaction.atomic():
            if pupil is not None:
                subject = Pupil.objects.get(pk=pupil.pk)
                data = pupil_export(actor=actor, pupil=subject)
            else:
                assert staff is not None  # exactly one of them, as checked
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
