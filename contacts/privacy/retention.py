"""The retention schedule: how long each kind of record is kept, and what is due on a day.

Reads only: `retention_due` plans, and the writes that carry a plan out (deleting, flagging
for review, the review itself, legal holds) are in `contacts.privacy.services`.

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

Nothing is due on missing data (a member of staff without a date of birth, a pupil without a
leaving date), nor while a legal hold covers a pupil or member of staff the record is about, nor
while a concern or LADO referral is still open: such records are planned as kept, with the
reason.

The names say "retention" where the rules engine (policies.engine) has its own: its `Verdict`
is what the school's policies say about a contact, `RetentionVerdict` what the schedule does
with a stored record; its `KINDS` are kinds of contact, `RECORD_KINDS` kinds of stored record.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils import timezone

from contacts.concerns.models import BoundaryConcern, LadoReferral, LadoType
from contacts.people.models import Pupil, Staff
from contacts.planned.models import ContactRequest
from contacts.privacy.models import LegalHold
from contacts.records.models import ContactRecord, Disclosure, RecordType
from safeguard.core.models import School

# A disclosure is never put up for review sooner than this after it was written down.
DISCLOSURE_MINIMUM_YEARS = 1


class RetentionRule(models.TextChoices):
    """The rules of the schedule (docs/retention.md); not the rules engine's policy rules."""

    DISCLOSURE = "disclosure", "Disclosures: until the pupil reaches the age set, then a review"
    ALLEGATION = "allegation", "Allegations and concerns: retirement age or the minimum years"
    BREACH = "breach", "Records of a breach or relationship: the allegation and contact rules"
    CONTACT = "contact", "Contact records and requests: the years set after the pupils leave"


class KeepReason(models.TextChoices):
    """Why a record that might otherwise be due is kept."""

    HOLD = "hold", "a legal hold covers someone it is about"
    NO_STAFF_BIRTH_DATE = "no_staff_birth_date", "the member of staff has no date of birth"
    NO_LEAVING_DATE = "no_leaving_date", "a pupil has no leaving date (on roll, or not recorded)"
    NO_PUPIL = "no_pupil", "it names no pupil"
    OPEN = "open", "the case is still open"


MISSING_DATA = (KeepReason.NO_STAFF_BIRTH_DATE, KeepReason.NO_LEAVING_DATE, KeepReason.NO_PUPIL)


# The kinds of record the schedule covers: the model, and the page whose notices go with it.
RECORD_KINDS: dict[str, tuple[type[Any], str]] = {  # each kind its own model, read by kind
    "record": (ContactRecord, "record_detail"),
    "request": (ContactRequest, "request_detail"),
    "disclosure": (Disclosure, "disclosure_detail"),
    "concern": (BoundaryConcern, "concern_detail"),
    "lado": (LadoReferral, "lado_detail"),
}


RECORD_KIND_LABELS = {
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
        return Due(missing=KeepReason.NO_PUPIL)
    if any(p.leaving_date is None for p in pupils):
        return Due(missing=KeepReason.NO_LEAVING_DATE)
    left = [p.leaving_date for p in pupils if p.leaving_date is not None]  # all, as checked
    start = max(left + [last_entry])
    return Due(on=add_years(start, school.retention_contact_years_after_leaving))


def allegation_due(school: School, staff: Staff, raised_on: dt.date) -> Due:
    """The allegation rule: retirement age, or the minimum years after the record if later."""
    minimum = add_years(raised_on, school.retention_allegation_min_years)
    if staff.date_of_birth is None:
        return Due(after=minimum, missing=KeepReason.NO_STAFF_BIRTH_DATE)
    retirement = add_years(staff.date_of_birth, school.retention_staff_retirement_age)
    return Due(on=max(minimum, retirement))


def disclosure_due(school: School, disclosure: Disclosure) -> Due:
    """The pupil's birthday at the age set, or the next review date a reviewer chose. Never
    within a year of the disclosure being written down: a former pupil who discloses when
    already that age is not put up for review the night after."""
    birthday = add_years(disclosure.pupil.date_of_birth, school.retention_disclosure_until_age)
    first_review = add_years(local_date(disclosure.created_at), DISCLOSURE_MINIMUM_YEARS)
    return Due(on=max(birthday, first_review, disclosure.retention_review_on or birthday))


def is_allegation_kind(record: ContactRecord) -> bool:
    """A contact record that is itself a conduct matter: a breach of the policies (a
    "prohibited" verdict) or a close personal relationship with a pupil or former pupil."""
    return record.verdict == "prohibited" or record.record_type == RecordType.RELATIONSHIP


def local_date(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


def last_entry(kind: str, obj: Any) -> dt.date:
    """The day of a contact record's or request's latest entry: the contact itself, the record
    being written, its addenda; a request's planned date, last change and notes."""
    if kind == "record":
        moments = [obj.occurred_at, obj.created_at, *(a.created_at for a in obj.addenda.all())]
    else:
        moments = [obj.starts_at, obj.updated_at, *(n.created_at for n in obj.notes.all())]
    return max(local_date(moment) for moment in moments)


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


# What the schedule does with a record whose period may have run out.
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
        return RECORD_KIND_LABELS[self.kind]

    @property
    def keep_label(self) -> str:
        return KeepReason(self.keep).label if self.keep else ""

    def audit_reason(self, school: School) -> str:
        """What the audit trail says about the deletion: the rule and when it ran out."""
        due = f", due {self.due_on:%Y-%m-%d}" if self.due_on else ""
        return f"{self.kind_label}; rule {self.rule} ({rule_settings(school, self.rule)}){due}"


def rule_settings(school: School, rule: str) -> str:
    """The school's settings behind a rule, as the audit trail states them."""
    contact = f"{school.retention_contact_years_after_leaving} years after leaving"
    allegation = (
        f"retirement age {school.retention_staff_retirement_age} "
        f"or {school.retention_allegation_min_years} years"
    )
    return {
        RetentionRule.DISCLOSURE: f"until age {school.retention_disclosure_until_age}",
        RetentionRule.ALLEGATION: allegation,
        RetentionRule.BREACH: f"{allegation}, and {contact}",
        RetentionRule.CONTACT: contact,
    }[rule]  # type: ignore[index]  # a Rule is its str value


@dataclass(frozen=True)
class RetentionVerdict:
    """What the schedule does with one record (an action above), under which rule, and why a
    record is kept when it is."""

    action: str
    rule: str
    due: Due
    keep: str = ""


def _verdict_on(
    rule: str, due: Due, today: dt.date, held: bool, *, is_open: bool = False
) -> RetentionVerdict | None:
    """What to do with one record; None when its period has plainly not run out."""
    if not due.reached(today):
        return None
    if due.missing:
        return RetentionVerdict(KEEP, rule, due, keep=due.missing)
    if held:
        return RetentionVerdict(KEEP, rule, due, keep=KeepReason.HOLD)
    if is_open:
        return RetentionVerdict(KEEP, rule, due, keep=KeepReason.OPEN)
    return RetentionVerdict(FLAG if rule == RetentionRule.DISCLOSURE else DELETE, rule, due)


def retention_verdict(
    kind: str, obj: Any, school: School, today: dt.date, holds: Holds
) -> RetentionVerdict | None:
    """The schedule applied to one record (loaded with `records_of`'s related rows)."""
    held = holds.cover(parties_of(kind, obj))
    if kind == "record":
        contact = contact_due(school, obj.pupils.all(), last_entry(kind, obj))
        if not is_allegation_kind(obj):
            return _verdict_on(RetentionRule.CONTACT, contact, today, held)
        allegation = allegation_due(school, obj.author, local_date(obj.occurred_at))
        return _verdict_on(RetentionRule.BREACH, allegation.later_of(contact), today, held)
    if kind == "request":
        due = contact_due(school, obj.pupils.all(), last_entry(kind, obj))
        return _verdict_on(RetentionRule.CONTACT, due, today, held)
    if kind == "concern":
        due = allegation_due(school, obj.subject, local_date(obj.created_at))
        return _verdict_on(RetentionRule.ALLEGATION, due, today, held, is_open=obj.is_open)
    if kind == "lado":
        due = allegation_due(school, obj.subject, local_date(obj.contacted_at))
        awaiting = obj.referral_type == LadoType.REFERRAL and not obj.outcome
        return _verdict_on(RetentionRule.ALLEGATION, due, today, held, is_open=awaiting)
    if kind == "disclosure":
        verdict = _verdict_on(RetentionRule.DISCLOSURE, disclosure_due(school, obj), today, held)
        if verdict is not None and verdict.action == FLAG and obj.retention_flagged_at:
            return RetentionVerdict(AWAITING, verdict.rule, verdict.due)
        return verdict
    raise ValueError(f"unknown kind {kind!r}")


def records_of(kind: str, school: School) -> models.QuerySet:
    """One kind of record of one school, with what `retention_verdict` and `parties_of` read."""
    model, _ = RECORD_KINDS[kind]
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
        return [item for item in self.kept if item.keep == KeepReason.HOLD]

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


def plan_item(kind: str, obj: Any, verdict: RetentionVerdict) -> PlanItem:
    return PlanItem(
        kind=kind,
        pk=obj.pk,
        reference=obj.reference,
        rule=verdict.rule,
        due_on=verdict.due.on,
        keep=verdict.keep,
    )


def _each_record(school: School) -> Iterator[tuple[str, Any]]:
    for kind in RECORD_KINDS:
        for obj in records_of(kind, school).iterator(chunk_size=500):
            yield kind, obj


def retention_due(school: School, today: dt.date) -> RetentionPlan:
    """What is due at one school on `today`: records to delete, disclosures to flag for review
    (and those already waiting for one), and records kept because of a legal hold, missing
    data or an open case. Reads only; changes nothing."""
    plan = RetentionPlan(school=school, today=today)
    holds = Holds.of(school)
    for kind, obj in _each_record(school):
        verdict = retention_verdict(kind, obj, school, today, holds)
        if verdict is not None:
            plan.add(plan_item(kind, obj, verdict), verdict.action)
    return plan
