"""Retention: how long each kind of record is kept, what is due, and applying the schedule.

The schedule and its sources are in docs/retention.md. In short, per school (`School`
settings):

- disclosures: until the pupil's `retention_disclosure_until_age` birthday (and at least a
  year after being written down), then flagged for a person to review (never deleted by the
  schedule itself);
- boundary concerns, LADO consultations and referrals, and contact records of a breach or of a
  relationship with a pupil (the allegation kind): until the member of staff reaches
  `retention_staff_retirement_age`, or `retention_allegation_min_years` after the record,
  whichever is later;
- every other contact record and planned-contact request (with its notes):
  `retention_contact_years_after_leaving` years after the last of its pupils left, or after
  its last entry when that is later (contact with a former pupil).

Nothing is deleted on missing data (a member of staff without a date of birth, a pupil without a
leaving date), nor while a legal hold covers a pupil or member of staff the record is about, nor
while a concern or LADO referral is still open. Each deletion is one transaction with its audit
event, which names the kind of record, its reference and the rule, never its content.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import IO, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, models, transaction
from django.urls import reverse
from django.utils import timezone

from contacts.concerns.models import BoundaryConcern, LadoReferral, LadoType
from contacts.notifications.models import Notification
from contacts.notifications.services import notify
from contacts.people.models import Pupil, Staff
from contacts.planned.models import ContactRequest
from contacts.privacy.models import LegalHold
from contacts.privacy.subject_access import (
    export_filename,
    pupil_export,
    refusal,
    staff_export,
    write_zip,
)
from contacts.records.models import Addendum, ContactRecord, Disclosure, RecordType
from safeguard.audit.services import audit_record
from safeguard.core import roles
from safeguard.core.models import School
from safeguard.core.roles import Role
from safeguard.core.uploads import stored_path

logger = logging.getLogger(__name__)


# Who decides what happens to a disclosure at the end of its retention period, and who is told
# that one is due: the designated safeguarding lead, who keeps the child protection files, and
# the headteacher.
REVIEWERS = frozenset({Role.HEADTEACHER, Role.DSL})


HELD_MESSAGE = "A legal hold covers this pupil or member of staff: the disclosure is kept."


# A disclosure is never put up for review sooner than this after it was written down.
DISCLOSURE_MINIMUM_YEARS = 1


class Rule(models.TextChoices):
    """The rules of the schedule (docs/retention.md)."""

    DISCLOSURE = "disclosure", "Disclosures: until the pupil reaches the age set, then a review"
    ALLEGATION = "allegation", "Allegations and concerns: retirement age or the minimum years"
    BREACH = "breach", "Records of a breach or relationship: the allegation and contact rules"
    CONTACT = "contact", "Contact records and requests: the years set after the pupils leave"


class Keep(models.TextChoices):
    """Why a record that might otherwise be due is kept."""

    HOLD = "hold", "a legal hold covers someone it is about"
    NO_STAFF_BIRTH_DATE = "no_staff_birth_date", "the member of staff has no date of birth"
    NO_LEAVING_DATE = "no_leaving_date", "a pupil has no leaving date (on roll, or not recorded)"
    NO_PUPIL = "no_pupil", "it names no pupil"
    OPEN = "open", "the case is still open"


MISSING_DATA = (Keep.NO_STAFF_BIRTH_DATE, Keep.NO_LEAVING_DATE, Keep.NO_PUPIL)


# The kinds of record the schedule covers: the model, and the page whose notices go with it.
KINDS: dict[str, tuple[type[Any], str]] = {  # each kind its own model, read by kind
    "record": (ContactRecord, "record_detail"),
    "request": (ContactRequest, "request_detail"),
    "disclosure": (Disclosure, "disclosure_detail"),
    "concern": (BoundaryConcern, "concern_detail"),
    "lado": (LadoReferral, "lado_detail"),
}


KIND_LABELS = {
    "record": "contact record",
    "request": "planned-contact request",
    "disclosure": "disclosure",
    "concern": "boundary concern",
    "lado": "LADO consultation or referral",
}


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day `years` later. A 29 February becomes 1 March in a year without one: of
    the two possible days the later, so a record is kept a day longer, never a day shorter."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return dt.date(day.year + years, 3, 1)


@dataclass(frozen=True)
class Due:
    """When a record's retention ends: `on` when it can be worked out; otherwise the data that
    is missing, and the earliest day it could end (`after`; None when there is no such day)."""

    on: dt.date | None = None
    after: dt.date | None = None
    missing: str = ""

    def later_of(self, other: Due) -> Due:
        """Both periods must run out: the later end, or what is missing from either."""
        if self.missing or other.missing:
            bounds = [d for d in (self.on or self.after, other.on or other.after) if d]
            return Due(after=max(bounds, default=None), missing=self.missing or other.missing)
        assert self.on is not None and other.on is not None  # nothing missing: both are known
        return Due(on=max(self.on, other.on))

    def reached(self, today: dt.date) -> bool:
        """Whether the record may be at the end of its period: known to be, or possibly so."""
        if self.missing:
            return self.after is None or today >= self.after
        assert self.on is not None  # nothing missing: the end is known
        return today >= self.on


def contact_due(school: School, pupils: Iterable[Pupil], last_entry: dt.date) -> Due:
    """The contact rule: the years set after the last of the pupils left. Contact with a former
    pupil is recorded after they left: then the years count from the record's last entry."""
    pupils = list(pupils)
    if not pupils:
        return Due(missing=Keep.NO_PUPIL)
    if any(p.leaving_date is None for p in pupils):
        return Due(missing=Keep.NO_LEAVING_DATE)
    left = [p.leaving_date for p in pupils if p.leaving_date is not None]  # all, as checked
    start = max(left + [last_entry])
    return Due(on=add_years(start, school.retention_contact_years_after_leaving))


def allegation_due(school: School, staff: Staff, raised_on: dt.date) -> Due:
    """The allegation rule: retirement age, or the minimum years after the record if later."""
    minimum = add_years(raised_on, school.retention_allegation_min_years)
    if staff.date_of_birth is None:
        return Due(after=minimum, missing=Keep.NO_STAFF_BIRTH_DATE)
    retirement = add_years(staff.date_of_birth, school.retention_staff_retirement_age)
    return Due(on=max(minimum, retirement))


def disclosure_due(school: School, disclosure: Disclosure) -> Due:
    """The pupil's birthday at the age set, or the next review date a reviewer chose. Never
    within a year of the disclosure being written down: a former pupil who discloses when
    already that age is not put up for review the night after."""
    birthday = add_years(disclosure.pupil.date_of_birth, school.retention_disclosure_until_age)
    first_review = add_years(_local_date(disclosure.created_at), DISCLOSURE_MINIMUM_YEARS)
    return Due(on=max(birthday, first_review, disclosure.retention_review_on or birthday))


def is_allegation_kind(record: ContactRecord) -> bool:
    """A contact record that is itself a conduct matter: a breach of the policies (a
    "prohibited" verdict) or a close personal relationship with a pupil or former pupil."""
    return record.verdict == "prohibited" or record.record_type == RecordType.RELATIONSHIP


def _local_date(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


def last_entry(kind: str, obj: Any) -> dt.date:
    """The day of a contact record's or request's latest entry: the contact itself, the record
    being written, its addenda; a request's planned date, last change and notes."""
    if kind == "record":
        moments = [obj.occurred_at, obj.created_at, *(a.created_at for a in obj.addenda.all())]
    else:
        moments = [obj.starts_at, obj.updated_at, *(n.created_at for n in obj.notes.all())]
    return max(_local_date(moment) for moment in moments)


@dataclass(frozen=True)
class Parties:
    pupils: frozenset[int]
    staff: frozenset[int]


def _pupil_ids(*sources: Any) -> frozenset[int]:
    ids: set[int] = set()
    for source in sources:
        if source is not None:
            ids.update(p.pk for p in source.pupils.all())
    return frozenset(ids)


def parties_of(kind: str, obj: Any) -> Parties:
    """The pupils and staff a record is about: a hold on any of them keeps it."""
    if kind == "record":
        return Parties(_pupil_ids(obj), frozenset({obj.author_id}))
    if kind == "request":
        return Parties(_pupil_ids(obj), frozenset({obj.requester_id}))
    if kind == "disclosure":
        return Parties(frozenset({obj.pupil_id}), frozenset({obj.author_id}))
    if kind == "concern":
        pupils = _pupil_ids(obj.related_record, obj.related_request)
        return Parties(pupils, frozenset({obj.subject_id, obj.reporter_id}))
    if kind == "lado":
        concern = obj.concern
        pupils = (
            _pupil_ids(concern.related_record, concern.related_request)
            if concern is not None
            else frozenset()
        )
        return Parties(pupils, frozenset({obj.subject_id}))
    raise ValueError(f"unknown kind {kind!r}")


@dataclass(frozen=True)
class Holds:
    """The people under an active legal hold at one school."""

    pupils: frozenset[int]
    staff: frozenset[int]

    @classmethod
    def of(cls, school: School) -> Holds:
        rows = list(
            LegalHold.objects.active().filter(school=school).values_list("pupil_id", "staff_id")
        )
        pupils = {pupil for pupil, _ in rows if pupil is not None}
        staff = {person for _, person in rows if person is not None}
        return cls(frozenset(pupils), frozenset(staff))

    def cover(self, parties: Parties) -> bool:
        return bool(parties.pupils & self.pupils or parties.staff & self.staff)


DELETE = "delete"


FLAG = "flag"


AWAITING = "awaiting_review"


KEEP = "keep"


@dataclass(frozen=True)
class PlanItem:
    """One record the schedule has something to say about. Never any of its content."""

    kind: str
    pk: int
    reference: str
    rule: str
    due_on: dt.date | None
    keep: str = ""

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def keep_label(self) -> str:
        return Keep(self.keep).label if self.keep else ""

    def audit_reason(self, school: School) -> str:
        """What the audit trail says about the deletion: the rule and when it ran out."""
        due = f", due {self.due_on:%Y-%m-%d}" if self.due_on else ""
        return f"{self.kind_label}; rule {self.rule} ({_rule_settings(school, self.rule)}){due}"


def _rule_settings(school: School, rule: str) -> str:
    contact = f"{school.retention_contact_years_after_leaving} years after leaving"
    allegation = (
        f"retirement age {school.retention_staff_retirement_age} "
        f"or {school.retention_allegation_min_years} years"
    )
    return {
        Rule.DISCLOSURE: f"until age {school.retention_disclosure_until_age}",
        Rule.ALLEGATION: allegation,
        Rule.BREACH: f"{allegation}, and {contact}",
        Rule.CONTACT: contact,
    }[rule]  # type: ignore[index]  # a Rule is its str value


@dataclass(frozen=True)
class Verdict:
    action: str
    rule: str
    due: Due
    keep: str = ""


def _verdict(
    rule: str, due: Due, today: dt.date, held: bool, *, is_open: bool = False
) -> Verdict | None:
    """What to do with one record; None when its period has plainly not run out."""
    if not due.reached(today):
        return None
    if due.missing:
        return Verdict(KEEP, rule, due, keep=due.missing)
    if held:
        return Verdict(KEEP, rule, due, keep=Keep.HOLD)
    if is_open:
        return Verdict(KEEP, rule, due, keep=Keep.OPEN)
    return Verdict(FLAG if rule == Rule.DISCLOSURE else DELETE, rule, due)


def evaluate(kind: str, obj: Any, school: School, today: dt.date, holds: Holds) -> Verdict | None:
    """The schedule applied to one record (loaded with `records_of`'s related rows)."""
    held = holds.cover(parties_of(kind, obj))
    if kind == "record":
        contact = contact_due(school, obj.pupils.all(), last_entry(kind, obj))
        if not is_allegation_kind(obj):
            return _verdict(Rule.CONTACT, contact, today, held)
        allegation = allegation_due(school, obj.author, _local_date(obj.occurred_at))
        return _verdict(Rule.BREACH, allegation.later_of(contact), today, held)
    if kind == "request":
        due = contact_due(school, obj.pupils.all(), last_entry(kind, obj))
        return _verdict(Rule.CONTACT, due, today, held)
    if kind == "concern":
        due = allegation_due(school, obj.subject, _local_date(obj.created_at))
        return _verdict(Rule.ALLEGATION, due, today, held, is_open=obj.is_open)
    if kind == "lado":
        due = allegation_due(school, obj.subject, _local_date(obj.contacted_at))
        awaiting = obj.referral_type == LadoType.REFERRAL and not obj.outcome
        return _verdict(Rule.ALLEGATION, due, today, held, is_open=awaiting)
    if kind == "disclosure":
        verdict = _verdict(Rule.DISCLOSURE, disclosure_due(school, obj), today, held)
        if verdict is not None and verdict.action == FLAG and obj.retention_flagged_at:
            return Verdict(AWAITING, verdict.rule, verdict.due)
        return verdict
    raise ValueError(f"unknown kind {kind!r}")


def records_of(kind: str, school: School) -> models.QuerySet:
    """One kind of record of one school, with what `evaluate` and `parties_of` read."""
    model, _ = KINDS[kind]
    rows = model.objects.filter(school=school).order_by("pk")
    if kind == "record":
        return rows.select_related("author").prefetch_related("pupils", "addenda")
    if kind == "request":
        return rows.prefetch_related("pupils", "notes")
    if kind == "disclosure":
        return rows.select_related("pupil")
    if kind == "concern":
        return rows.select_related("subject").prefetch_related(
            "related_record__pupils", "related_request__pupils"
        )
    return rows.select_related("subject", "concern").prefetch_related(
        "concern__related_record__pupils", "concern__related_request__pupils"
    )


@dataclass
class RetentionPlan:
    """What the schedule asks of one school on one day."""

    school: School
    today: dt.date
    delete: list[PlanItem] = field(default_factory=list)
    flag: list[PlanItem] = field(default_factory=list)
    awaiting_review: list[PlanItem] = field(default_factory=list)
    kept: list[PlanItem] = field(default_factory=list)

    @property
    def held(self) -> list[PlanItem]:
        return [item for item in self.kept if item.keep == Keep.HOLD]

    @property
    def missing_data(self) -> list[PlanItem]:
        return [item for item in self.kept if item.keep in MISSING_DATA]

    def kept_by_reason(self) -> Counter:
        return Counter(item.keep for item in self.kept)

    def add(self, item: PlanItem, action: str) -> None:
        {
            DELETE: self.delete,
            FLAG: self.flag,
            AWAITING: self.awaiting_review,
            KEEP: self.kept,
        }[action].append(item)


def _item(kind: str, obj: Any, verdict: Verdict) -> PlanItem:
    return PlanItem(
        kind=kind,
        pk=obj.pk,
        reference=obj.reference,
        rule=verdict.rule,
        due_on=verdict.due.on,
        keep=verdict.keep,
    )


def _each_record(school: School) -> Iterator[tuple[str, Any]]:
    for kind in KINDS:
        for obj in records_of(kind, school).iterator(chunk_size=500):
            yield kind, obj


def retention_due(school: School, today: dt.date) -> RetentionPlan:
    """What is due at one school on `today`: records to delete, disclosures to flag for review
    (and those already waiting for one), and records kept because of a legal hold, missing
    data or an open case. Reads only; changes nothing."""
    plan = RetentionPlan(school=school, today=today)
    holds = Holds.of(school)
    for kind, obj in _each_record(school):
        verdict = evaluate(kind, obj, school, today, holds)
        if verdict is not None:
            plan.add(_item(kind, obj, verdict), verdict.action)
    return plan


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
    model, _ = KINDS[kind]
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
        verdict = evaluate(item.kind, obj, school, today, Holds.of(school))
        if verdict is None or verdict.action != DELETE:
            return False
        fresh = _item(item.kind, obj, verdict)
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
    _, page = KINDS[kind]
    path = reverse(page, args=[obj.pk])
    Notification.objects.filter(url__startswith=path).delete()
    attachment = getattr(obj, "attachment", "")
    obj.delete()
    if attachment:
        transaction.on_commit(partial(_remove_file, attachment))


def _remove_file(stored_name: str) -> None:
    try:
        stored_path(stored_name).unlink(missing_ok=True)
    except (OSError, ValueError):
        # The record is gone; a file left behind is found by its name in the log.
        logger.exception("Retention could not remove the stored file %s", stored_name)


def _reviewers(school: School) -> models.QuerySet[Staff]:
    return Staff.objects.filter(
        school=school, is_active=True, role_assignments__role__in=REVIEWERS
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
            verdict = evaluate("disclosure", disclosure, school, today, holds)
            if verdict is None or verdict.action != FLAG:
                continue
            disclosure.retention_flagged_at = now
            disclosure.save(update_fields=["retention_flagged_at"])
            item = _item("disclosure", disclosure, verdict)
            audit_record(
                actor=actor,
                school=school,
                action="retention.flag",
                obj=disclosure,
                to_state="review due",
                reason=f"rule disclosure ({_rule_settings(school, Rule.DISCLOSURE)}), "
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
    return user.school_id == disclosure.school_id and roles.has_role(user, REVIEWERS)


def retention_review(
    *,
    actor: Staff,
    disclosure: Disclosure,
    keep: bool,
    reason: str = "",
    review_on: dt.date | None = None,
) -> Disclosure | None:
    """The DSL or headteacher decides about a disclosure flagged for review.

    Keep: a reason (added to the disclosure as an addendum) and the date of the next review,
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
        item = _item("disclosure", locked, Verdict(FLAG, Rule.DISCLOSURE, due))
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
    """Keep everything about one pupil or one member of staff until the hold is lifted."""
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
