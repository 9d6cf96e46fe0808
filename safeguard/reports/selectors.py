"""The governors' report: what the governing body needs to hold the school to account.

Every figure is an aggregate query in the database (counts grouped by a column), so the number
of queries stays the same whatever the size of the school. Governors see counts and request
numbers only; never a pupil's name or the text of a record.
"""

from __future__ import annotations

import datetime as dt
import operator
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from functools import reduce
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone

from contacts.alerts.models import Alert, AlertStatus, Owner
from contacts.concerns.models import BoundaryConcern, LadoOutcome, LadoReferral, LadoType, Outcome
from contacts.people.models import Staff, StaffRelative, StaffRole
from contacts.planned.models import ContactRequest, ContactRequestQuerySet, Route, Status
from contacts.records.models import ContactRecord, Disclosure, DisclosureType, RecordType
from policies.engine import KIND_LABELS, PURPOSE_LABELS, VERDICT_LABELS
from policies.models import Acknowledgement, PolicyVersion
from policies.selectors import Adoption, acknowledgement_counts, adoption_of_policies
from safeguard.audit.chain import audit_verify_period
from safeguard.audit.checkpoints import Checkpoint
from safeguard.audit.models import AuditEvent
from safeguard.audit.selectors import latest_checkpoint
from safeguard.audit.vocabulary import action_words
from safeguard.core.counts import is_small, shown_count
from safeguard.core.models import School
from safeguard.core.roles import Role

# English school terms, approximately: autumn from September, spring from January, summer
# from April (Easter moves, so the spring/summer boundary is a convention here).
TERM_STARTS = ((9, "Autumn term"), (1, "Spring term"), (4, "Summer term"))


@dataclass(frozen=True)
class Period:
    start: dt.date  # first day, inclusive
    end: dt.date  # last day, inclusive
    label: str

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """Aware datetimes [start of the first day, start of the day after the last)."""
        tz = timezone.get_current_timezone()
        first = dt.datetime.combine(self.start, dt.time.min, tzinfo=tz)
        after = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        return first, after

    def months(self) -> list[dt.date]:
        """The first day of every month the period touches."""
        months, day = [], self.start.replace(day=1)
        while day <= self.end:
            months.append(day)
            day = (day + dt.timedelta(days=32)).replace(day=1)
        return months


def school_year(on: dt.date) -> Period:
    first_year = on.year if on.month >= 9 else on.year - 1
    return Period(
        dt.date(first_year, 9, 1),
        dt.date(first_year + 1, 8, 31),
        f"School year {first_year}–{str(first_year + 1)[-2:]}",
    )


def term(on: dt.date) -> Period:
    if on.month >= 9:
        return Period(dt.date(on.year, 9, 1), dt.date(on.year, 12, 31), f"Autumn term {on.year}")
    if on.month <= 3:
        return Period(dt.date(on.year, 1, 1), dt.date(on.year, 3, 31), f"Spring term {on.year}")
    return Period(dt.date(on.year, 4, 1), dt.date(on.year, 8, 31), f"Summer term {on.year}")


def previous(period: Period) -> Period:
    """The period before: the previous term or school year, or the same number of days."""
    day_before = period.start - dt.timedelta(days=1)
    if period == term(period.start):
        return term(day_before)
    if period == school_year(period.start):
        return school_year(day_before)
    start = period.start - dt.timedelta(days=period.days)
    return Period(start, day_before, f"{start:%d %b %Y} to {day_before:%d %b %Y}")


@dataclass
class Counted:
    """A table of labelled counts, with the previous period's for comparison."""

    title: str
    rows: list[tuple[str, int, int]] = field(default_factory=list)  # label, now, before
    # False where rows overlap (opened, closed, open now) and a sum would mean nothing.
    totalled: bool = True

    @property
    def total(self) -> int:
        return sum(now for _, now, _ in self.rows)

    @property
    def has_small(self) -> bool:
        """A count of 1 to 4 in either period: hidden when the school hides small counts, and
        then the totals too, which would give it away."""
        return any(is_small(now) or is_small(before) for _, now, before in self.rows)

    @property
    def total_before(self) -> int:
        return sum(before for _, _, before in self.rows)


@dataclass
class Durations:
    count: int
    median_hours: float | None
    longest_hours: float | None


@dataclass
class Anomaly:
    """Something that should never happen, with the references that prove it did."""

    label: str
    references: list[str]
    # Whether the references are requests, which the head's page links to (a break in the trail
    # names audit events, which have no page).
    requests: bool = True

    @property
    def count(self) -> int:
        return len(self.references)


@dataclass(frozen=True)
class DutyChange:
    """One change to a safeguarding role or to line management, from the audit trail."""

    when: dt.datetime
    what: str
    whose: str
    by: str
    detail: str


# The audit actions listed as changes to who holds which duty (people/services.py writes them).
DUTY_ACTIONS = ("staff.roles_change", "staff.line_manager_change")


def _duty_changes(school: School, period: Period) -> list[DutyChange]:
    """Every change to a safeguarding role or to line management in the period, with who made
    it: the governing body sees who was given the power to decide, read or oversee. Staff names
    are shown (roles are no secret within a school); no pupil is ever named here."""
    events = list(
        AuditEvent.objects.filter(school=school, action__in=DUTY_ACTIONS)
        .filter(_in(period, "created_at"))
        .order_by("created_at", "id")
    )
    ids = {e.actor_id for e in events if e.actor_id} | {
        int(e.object_id) for e in events if e.object_id.isdigit()
    }
    managers = {ref for e in events for ref in (e.from_state, e.to_state)}
    ids |= {int(ref[6:]) for ref in managers if ref.startswith("STAFF-") and ref[6:].isdigit()}
    names = {s.pk: s.full_name for s in Staff.objects.filter(school=school, pk__in=ids)}
    refs = {f"STAFF-{pk}": name for pk, name in names.items()}
    rows = []
    for event in events:
        if event.action == "staff.line_manager_change":
            before = refs.get(event.from_state, event.from_state) or "none"
            after = refs.get(event.to_state, event.to_state) or "none"
            detail = f"line manager: {before} → {after}"
        else:
            detail = event.reason
        rows.append(
            DutyChange(
                when=event.created_at,
                what=action_words(event.action),
                whose=names.get(int(event.object_id), event.object_ref)
                if event.object_id.isdigit()
                else event.object_ref,
                by=names.get(event.actor_id, "")
                if event.actor_id
                else "The installation's operator",
                detail=detail,
            )
        )
    return rows


@dataclass
class Report:
    school: School
    period: Period
    before: Period
    today: dt.date
    anomalies: list[Anomaly]
    requests_by_kind: Counted
    requests_by_purpose: Counted
    requests_by_verdict: Counted
    requests_by_status: Counted
    overdue_outcomes: list[str]
    decision_times: Durations
    chair_decisions: Counted
    per_month: list[tuple[dt.date, dict[str, int]]]
    former: Counted
    plans_past_review: list[str]
    records_by_type: Counted
    disclosures: Counted
    disclosure_times: Durations
    concerns: Counted
    concern_outcomes: Counted
    lado: Counted
    lado_outcomes: Counted
    overdue_policies: list[PolicyVersion]
    # Each policy's version in force, when it was adopted and by whom, its next review, and any
    # newer version awaiting signatures.
    adoption: list[Adoption]
    acknowledgements: list[tuple[PolicyVersion, int, int]]  # version, read, not yet read
    unread_names: dict[int, list[str]]  # version id -> names (for the headteacher only)
    duty_changes: list[DutyChange] = field(default_factory=list)
    # Needs attention now, by kind: (kind, open, overdue); and raised-to-acknowledged times.
    attention: list[tuple[str, int, int]] = field(default_factory=list)
    acknowledge_times: Durations = field(default_factory=lambda: Durations(0, None, None))
    # The full check (a time) whose intact blocks, unchanged since, the period's check relied on.
    audit_check_relied_on: dt.datetime | None = None
    # The newest signed checkpoint of the school's chain, whose fingerprint the minutes can keep.
    checkpoint: Checkpoint | None = None
    # The headteacher's view leaves out concerns and LADO matters about the headteacher.
    about_head_left_out: bool = False
    # The school shows counts of 1 to 4 as "fewer than 5" (School.report_small_counts).
    hide_small: bool = False


def _in(period: Period, column: str) -> Q:
    first, after = period.bounds()
    return Q(**{f"{column}__gte": first, f"{column}__lt": after})


def _grouped_by(
    rows: QuerySet,
    columns: tuple[str, ...],
    period: Period,
    before: Period,
    date_col: str,
    *,
    distinct: bool = False,
) -> dict[str, dict]:
    """Counts per value of each column in both periods, in one query: rows are grouped by all
    the columns together (a few hundred combinations at most, however many rows), then summed
    per column. `distinct` when `rows` are joined to a to-many relation (a row counts once)."""
    tables: dict[str, dict] = {column: defaultdict(lambda: [0, 0]) for column in columns}
    both = rows.filter(_in(period, date_col) | _in(before, date_col))
    first, _after = period.bounds()
    for row in (
        both.values(*columns)
        .annotate(
            now=Count("id", filter=Q(**{f"{date_col}__gte": first}), distinct=distinct),
            then=Count("id", filter=Q(**{f"{date_col}__lt": first}), distinct=distinct),
        )
        .order_by()
    ):
        for column, counts in tables.items():
            counts[row[column]][0] += row["now"]
            counts[row[column]][1] += row["then"]
    return tables


def _grouped(
    rows: QuerySet,
    column: str,
    period: Period,
    before: Period,
    date_col: str,
    *,
    distinct: bool = False,
) -> dict:
    """Counts per value of `column` in both periods, in one query."""
    return _grouped_by(rows, (column,), period, before, date_col, distinct=distinct)[column]


def _counted(title: str, counts: dict, labels: dict[Any, str]) -> Counted:
    keys = list(labels) + sorted(k for k in counts if k not in labels)
    return Counted(
        title,
        [(labels.get(k, str(k)), counts[k][0], counts[k][1]) for k in keys if k in counts] or [],
    )


def _durations(pairs: list[tuple[dt.datetime, dt.datetime]]) -> Durations:
    hours = [(end - start).total_seconds() / 3600 for start, end in pairs if start and end]
    if not hours:
        return Durations(0, None, None)
    return Durations(len(hours), statistics.median(hours), max(hours))


def _requests(school: School) -> ContactRequestQuerySet:
    return ContactRequest.objects.filter(school=school).exclude(status=Status.DRAFT)


# The request checks: each reads zero only if the database says so.
ANOMALY_CHECKS = (
    (
        "Requests decided by the person who asked",
        Q(
            status__in=(Status.APPROVED, Status.REJECTED, Status.COMPLETED),
            decided_by_id=F("requester_id"),
        ),
    ),
    ("Rejections with no reason given", Q(status=Status.REJECTED, decision_reason="")),
    (
        "Contact the policies do not allow that was nonetheless approved",
        Q(verdict="prohibited", status__in=(Status.APPROVED, Status.COMPLETED)),
    ),
)


def _anomalies(school: School) -> list[Anomaly]:
    """Checked, not assumed: one pass over the school's requests finds every request that fails
    any check, with which ones it fails."""
    flags = {f"check_{i}": condition for i, (_label, condition) in enumerate(ANOMALY_CHECKS)}
    found = (
        ContactRequest.objects.filter(school=school)
        .filter(reduce(operator.or_, flags.values()))
        .annotate(**flags)
        .order_by("pk")
        .values_list("pk", *flags)
    )
    references: list[list[str]] = [[] for _ in ANOMALY_CHECKS]
    for pk, *failed in found:
        for i, fails in enumerate(failed):
            if fails:
                references[i].append(f"REQ-{pk:06d}")
    return [
        Anomaly(label, refs) for (label, _), refs in zip(ANOMALY_CHECKS, references, strict=True)
    ]


# How long a LADO referral may wait for its outcome before the report lists it: KCSIE (Part
# four) expects nine allegations in ten to be resolved within three months. A consultation
# (advice sought) has no outcome to wait for.
LADO_OUTCOME_DAYS = 90


def _late_disclosures(alerts: QuerySet[Alert], period: Period) -> list[str]:
    """Child-protection disclosures not acknowledged within the school's time: waiting past it
    now, whenever raised, or raised in the period and acknowledged late (escalation moves the
    deadline on, so an escalated alert was late whatever happened next)."""
    waiting = Q(status=AlertStatus.NEW, acknowledge_by__lt=timezone.now())
    late = Q(escalation_level__gt=0) | Q(acknowledged_at__gt=F("acknowledge_by"))
    found = (
        alerts.filter(disclosure__isnull=False, urgent=True, acknowledge_by__isnull=False)
        .filter(waiting | (_in(period, "raised_at") & late))
        .order_by("disclosure_id")
        .values_list("disclosure_id", flat=True)
        .distinct()
    )
    return [f"DIS-{pk:06d}" for pk in found]


# A child-protection disclosure is passed on at once (001 §4.2): the record, which alerts the
# DSL, may wait for the end of a lesson or the morning after, never longer than this.
DISCLOSURE_RECORDED_WITHIN = dt.timedelta(hours=24)


def _slow_disclosures(disclosures: QuerySet[Disclosure], period: Period) -> list[str]:
    """Child-protection disclosures made in the period whose record (and so the DSL's alert)
    came more than DISCLOSURE_RECORDED_WITHIN after the pupil spoke."""
    found = (
        disclosures.filter(
            _in(period, "disclosed_at"), disclosure_type=DisclosureType.CHILD_PROTECTION
        )
        .filter(created_at__gt=F("disclosed_at") + DISCLOSURE_RECORDED_WITHIN)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return [f"DIS-{pk:06d}" for pk in found]


def _long_open_concerns(concerns: QuerySet[BoundaryConcern], days: int) -> list[str]:
    since = timezone.now() - dt.timedelta(days=days)
    found = concerns.filter(closed_at__isnull=True, created_at__lt=since).order_by("pk")
    return [f"CON-{pk:06d}" for pk in found.values_list("pk", flat=True)]


def _lado_without_outcome(lado: QuerySet[LadoReferral]) -> list[str]:
    since = timezone.now() - dt.timedelta(days=LADO_OUTCOME_DAYS)
    found = lado.filter(referral_type=LadoType.REFERRAL, outcome="", contacted_at__lt=since)
    return [f"LADO-{pk:06d}" for pk in found.order_by("pk").values_list("pk", flat=True)]


def _per_month(school: School, period: Period) -> list[tuple[dt.date, dict[str, int]]]:
    rows = (
        _requests(school)
        .filter(_in(period, "submitted_at"))
        .annotate(month=TruncMonth("submitted_at"))
        .values("month", "verdict")
        .annotate(n=Count("id"))
    )
    table: dict[dt.date, dict[str, int]] = {m: defaultdict(int) for m in period.months()}
    for row in rows:
        month = row["month"]
        month = month.date() if isinstance(month, dt.datetime) else month
        table.setdefault(month.replace(day=1), defaultdict(int))[row["verdict"]] += row["n"]
    return sorted((month, dict(counts)) for month, counts in table.items())


def _former(school: School, period: Period, before: Period) -> Counted:
    """Requests involving a pupil who had left by the day of the contact.

    The two periods' requests are joined to those of their pupils who had left (each request
    counted once however many), rather than asked one by one whether such a pupil exists:
    PostgreSQL answers that by hashing every request's pupils, all years included.
    """
    rows = _requests(school).filter(pupils__leaving_date__lte=TruncDate("starts_at"))
    counts = _grouped(
        rows.annotate(with_plan=Q(plan_review_date__isnull=False)),
        "with_plan",
        period,
        before,
        "submitted_at",
        distinct=True,
    )
    with_plan, without = counts.get(True, [0, 0]), counts.get(False, [0, 0])
    return Counted(
        "Contact with former pupils",
        [
            ("With a plan of involvement", with_plan[0], with_plan[1]),
            ("Without a plan", without[0], without[1]),
        ],
    )


def _acknowledgements(
    school: School, for_head: bool
) -> tuple[list[tuple[PolicyVersion, int, int]], dict[int, list[str]]]:
    counts = acknowledgement_counts(school.pk)
    current = [version for version, _read, _left in counts]
    active = Staff.objects.filter(school=school, is_active=True)
    names: dict[int, list[str]] = {}
    if for_head and current:
        done = set(
            Acknowledgement.objects.filter(version__in=current).values_list(
                "version_id", "staff_id"
            )
        )
        people = list(
            active.order_by("last_name", "first_name").values_list("pk", "first_name", "last_name")
        )
        for version in current:
            names[version.pk] = [
                f"{first} {last}" for pk, first, last in people if (version.pk, pk) not in done
            ]
    return counts, names


def _breaks(problems: list[int]) -> list[str]:
    """The events of the period that do not fit the school's chain (its own: the chain is the
    school's)."""
    return [f"audit event {event_id}" for event_id in problems]


ATTENTION_KINDS = (
    ("Child-protection disclosures", Q(disclosure__isnull=False, urgent=True)),
    ("Other personal disclosures", Q(disclosure__isnull=False, urgent=False)),
    ("Records reported to the headteacher", Q(record__isnull=False)),
    ("Boundary concerns", Q(concern__isnull=False)),
    ("Outcomes of approved contact (a concern, or overdue)", Q(request__isnull=False)),
)


def _alerts(school: School, for_head: bool) -> QuerySet[Alert]:
    """The school's alerts; the head's view leaves out the chair's (concerns about the head, the
    head's own records), as it does those concerns."""
    alerts = Alert.objects.filter(school=school)
    if for_head:
        heads = StaffRole.objects.filter(role=Role.HEADTEACHER).values("staff_id")
        alerts = alerts.exclude(
            Q(owner__in=[Owner.CHAIR_OF_GOVERNORS, Owner.WHISTLEBLOWING])
            | Q(concern__subject_id__in=heads)
        )
    return alerts


def _attention(
    school: School, period: Period, alerts: QuerySet[Alert]
) -> tuple[list[tuple[str, int, int]], Durations]:
    """Open alerts by kind, and how many are overdue: a child-protection disclosure past its
    time to be acknowledged, anything else unacknowledged for longer than the school's response
    days. No names."""
    now = timezone.now()
    late = now - dt.timedelta(days=school.response_days)
    overdue = Q(status=AlertStatus.NEW) & (
        Q(urgent=True, acknowledge_by__lt=now) | Q(urgent=False, raised_at__lt=late)
    )
    counts = alerts.exclude(status=AlertStatus.CLOSED).aggregate(
        **{f"open_{n}": Count("pk", filter=kind) for n, (_, kind) in enumerate(ATTENTION_KINDS)},
        **{
            f"late_{n}": Count("pk", filter=kind & overdue)
            for n, (_, kind) in enumerate(ATTENTION_KINDS)
        },
    )
    rows = [
        (label, counts[f"open_{n}"], counts[f"late_{n}"])
        for n, (label, _) in enumerate(ATTENTION_KINDS)
    ]
    acknowledged = alerts.filter(_in(period, "raised_at"), acknowledged_at__isnull=False)
    times = _durations(
        [
            (raised, at)
            for raised, at in acknowledged.values_list("raised_at", "acknowledged_at")
            if at is not None
        ]
    )
    return rows, times


def governors_report(
    *, school: School, period: Period, for_head: bool, today: dt.date | None = None
) -> Report:
    today = today or timezone.localdate()
    before = previous(period)
    requests = _requests(school)
    sub = "submitted_at"
    decided = requests.filter(_in(period, sub), decided_at__isnull=False).order_by()
    records = ContactRecord.objects.filter(school=school)
    disclosures = Disclosure.objects.filter(school=school)
    concerns = BoundaryConcern.objects.filter(school=school)
    lado = LadoReferral.objects.filter(school=school)
    alerts = _alerts(school, for_head)
    attention, acknowledge_times = _attention(school, period, alerts)
    if for_head:
        # The head must not learn, even as a count, of a concern or LADO matter about the head:
        # those are the chair's to manage (003 §6). The governors' view counts them.
        heads = StaffRole.objects.filter(role=Role.HEADTEACHER).values("staff_id")
        # Nor of one sent to the governor for whistleblowing, which bypasses management.
        concerns = concerns.exclude(
            Q(route=Route.CHAIR_OF_GOVERNORS) | Q(subject_id__in=heads) | Q(whistleblowing=True)
        )
        lado = lado.exclude(Q(subject_id__in=heads) | Q(concern__route=Route.CHAIR_OF_GOVERNORS))
    chair = requests.filter(route="chair_of_governors", decided_at__isnull=False).annotate(
        why=Q(referred_to_chair=True)
    )
    chair_counts = _grouped(chair, "why", period, before, "decided_at")
    concern_opened = _grouped(
        concerns.annotate(all=Q(pk__isnull=False)), "all", period, before, "created_at"
    )
    concern_closed = _grouped(
        concerns.filter(closed_at__isnull=False), "outcome", period, before, "closed_at"
    )
    overdue_policies = list(
        PolicyVersion.objects.overdue(today).filter(policy__school=school).select_related("policy")
    )
    acknowledgements, unread = _acknowledgements(school, for_head)
    chain = audit_verify_period(school.pk, *period.bounds())
    anomalies = _anomalies(school)
    anomalies.append(
        Anomaly(
            "Contact arranged without approval, recorded afterwards",
            [
                f"REC-{pk:06d}"
                for pk in ContactRecord.objects.filter(
                    school=school,
                    arranged=True,
                    planned_verdict__in=("needs_approval", "prohibited"),
                )
                .order_by("pk")
                .values_list("pk", flat=True)
            ],
            requests=False,
        )
    )
    anomalies += [
        Anomaly(
            "Child-protection disclosures not acknowledged in time",
            _late_disclosures(alerts, period),
            requests=False,
        ),
        Anomaly(
            f"Boundary concerns open longer than {school.concern_open_days} days "
            "(the school's limit)",
            _long_open_concerns(concerns, school.concern_open_days),
            requests=False,
        ),
        Anomaly(
            f"LADO referrals with no outcome recorded after {LADO_OUTCOME_DAYS} days",
            _lado_without_outcome(lado),
            requests=False,
        ),
        Anomaly(
            "Plans of involvement past their review date",
            [
                f"REQ-{pk:06d}"
                for pk in requests.plans_past_review(today)
                .order_by("pk")
                .values_list("pk", flat=True)
            ],
        ),
        Anomaly(
            "Declared relationships with pupils past their yearly review",
            [
                f"RELATIVE-{pk}"
                for pk in StaffRelative.objects.filter(
                    staff__school=school,
                    acknowledged_at__isnull=False,
                    ended_at__isnull=True,
                    review_due__lt=today,
                )
                .order_by("pk")
                .values_list("pk", flat=True)
            ],
            requests=False,
        ),
        Anomaly(
            "Child-protection disclosures recorded more than a day after they were made",
            _slow_disclosures(disclosures, period),
            requests=False,
        ),
    ]
    anomalies.append(
        Anomaly(
            "Breaks in the audit trail during the period",
            _breaks(chain.problems),
            requests=False,
        )
    )
    by = _grouped_by(requests, ("kind", "purpose", "verdict", "status"), period, before, sub)
    return Report(
        school=school,
        period=period,
        before=before,
        today=today,
        anomalies=anomalies,
        requests_by_kind=_counted("Requests by kind of contact", by["kind"], KIND_LABELS),
        requests_by_purpose=_counted("Requests by purpose", by["purpose"], PURPOSE_LABELS),
        requests_by_verdict=_counted(
            "Requests by what the policies said", by["verdict"], VERDICT_LABELS
        ),
        requests_by_status=_counted("Requests by outcome", by["status"], dict(Status.choices)),
        overdue_outcomes=[
            item.reference
            for item in requests.filter(_in(period, sub)).overdue().only("pk").order_by("pk")
        ],
        decision_times=_durations(list(decided.values_list("submitted_at", "decided_at"))),
        chair_decisions=_counted(
            "Decided by the chair of governors",
            chair_counts,
            {False: "The headteacher's own requests", True: "Referred by the headteacher"},
        ),
        per_month=_per_month(school, period),
        former=_former(school, period, before),
        plans_past_review=[
            item.reference
            for item in requests.filter(_in(period, sub)).plans_past_review(today).only("pk")
        ],
        records_by_type=_counted(
            "Records after the fact, by type",
            _grouped(records, "record_type", period, before, "occurred_at"),
            dict(RecordType.choices),
        ),
        disclosures=_counted(
            "Disclosures",
            _grouped(disclosures, "disclosure_type", period, before, "disclosed_at"),
            dict(DisclosureType.choices),
        ),
        disclosure_times=_durations(
            list(
                disclosures.filter(_in(period, "disclosed_at")).values_list(
                    "disclosed_at", "created_at"
                )
            )
        ),
        concerns=Counted(
            "Boundary concerns",
            [
                ("Opened", *concern_opened.get(True, [0, 0])),
                (
                    "Closed",
                    sum(v[0] for v in concern_closed.values()),
                    sum(v[1] for v in concern_closed.values()),
                ),
                ("Open now", concerns.filter(closed_at__isnull=True).count(), 0),
            ],
            totalled=False,
        ),
        concern_outcomes=_counted(
            "Concerns closed, by outcome", concern_closed, dict(Outcome.choices)
        ),
        lado=_counted(
            "LADO consultations and referrals",
            _grouped(lado, "referral_type", period, before, "contacted_at"),
            dict(LadoType.choices),
        ),
        lado_outcomes=_counted(
            "Outcomes of LADO referrals",
            _grouped(lado.exclude(outcome=""), "outcome", period, before, "contacted_at"),
            dict(LadoOutcome.choices),
        ),
        overdue_policies=overdue_policies,
        adoption=adoption_of_policies(school.pk),
        acknowledgements=acknowledgements,
        unread_names=unread,
        duty_changes=_duty_changes(school, period),
        attention=attention,
        acknowledge_times=acknowledge_times,
        audit_check_relied_on=chain.relied_on.ran_at if chain.relied_on else None,
        checkpoint=latest_checkpoint(school.pk),
        about_head_left_out=for_head,
        hide_small=school.report_small_counts,
    )


# --- the plain-language summary that opens the report -----------------------------------------


@dataclass(frozen=True)
class Summary:
    """What happened in the period, and what needs the governors' attention, in sentences."""

    happened: list[str]
    attention: list[str]


def _count_of(table: Counted, label: str) -> int:
    return next((now for row_label, now, _ in table.rows if row_label == label), 0)


def _plural(count: int, one: str, many: str | None = None, *, hide_small: bool = False) -> str:
    shown = shown_count(count, hide_small)
    return f"{shown} {one if shown == 1 else (many or one + 's')}"


def report_summary(report: Report) -> Summary:
    """The report's opening in words, made from the report's own tables (no query): the counts
    of the period beside the one before, then each thing that needs attention, or a sentence
    saying nothing does."""
    statuses = dict(Status.choices)
    asked = report.requests_by_verdict.total
    approved = sum(
        _count_of(report.requests_by_status, statuses[s])
        for s in (Status.APPROVED, Status.COMPLETED)
    )
    refused = _count_of(report.requests_by_status, statuses[Status.REJECTED])
    waiting = sum(
        _count_of(report.requests_by_status, statuses[s])
        for s in (Status.SUBMITTED, Status.MORE_INFORMATION)
    )
    before = report.before.label
    child_protection = _count_of(
        report.disclosures, dict(DisclosureType.choices)[DisclosureType.CHILD_PROTECTION]
    )
    opened = _count_of(report.concerns, "Opened")
    hide = report.hide_small

    def n(count: int) -> int | str:
        return shown_count(count, hide)

    def counted(count: int, one: str, many: str | None = None) -> str:
        return _plural(count, one, many, hide_small=hide)

    happened = [
        f"{counted(asked, 'request')} to approve planned contact "
        f"({n(report.requests_by_verdict.total_before)} in {before}): {n(approved)} approved, "
        f"{n(refused)} refused, {n(waiting)} waiting for a decision or more information.",
        f"{counted(report.records_by_type.total, 'record')} of contact made afterwards "
        f"({n(report.records_by_type.total_before)} in {before}).",
        f"{counted(report.disclosures.total, 'disclosure')}, {n(child_protection)} of them "
        "about child protection.",
        f"{counted(opened, 'boundary concern')} raised, "
        f"{n(_count_of(report.concerns, 'Closed'))} closed, "
        f"{n(_count_of(report.concerns, 'Open now'))} open now.",
        counted(
            report.lado.total, "LADO consultation or referral", "LADO consultations or referrals"
        )
        + ".",
    ]
    attention = [
        f"{anomaly.label}: {anomaly.count}." for anomaly in report.anomalies if anomaly.count
    ]
    late = sum(overdue for _, _, overdue in report.attention)
    if late:
        attention.append(f"{_plural(late, 'alert')} not acknowledged in time.")
    if report.overdue_outcomes:
        attention.append(
            f"{_plural(len(report.overdue_outcomes), 'approved contact')} with no outcome "
            "recorded a day after it began."
        )
    if report.overdue_policies:
        attention.append(
            f"{_plural(len(report.overdue_policies), 'policy', 'policies')} past the review date."
        )
    unread = sum(not_yet for _, _, not_yet in report.acknowledgements)
    if unread:
        attention.append(f"{unread} confirmations that staff have read a policy still to come.")
    return Summary(happened=happened, attention=attention)
