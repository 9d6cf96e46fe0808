"""The governors' report (safeguard.reports): its periods, every figure against fixtures worked
out by hand (tests/factories_reports.py) for the period and the one before it, the checks of
things that should never happen, the school boundary and the number of queries."""

import datetime as dt
from contextlib import contextmanager
from datetime import UTC

import pytest
from django.db import connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contacts.alerts import services as alert_services
from contacts.alerts.models import Alert
from contacts.alerts.services import alerts_escalate
from contacts.concerns import services as concerns_services
from contacts.concerns.models import BoundaryConcern, LadoReferral
from contacts.planned import services as planned_services
from contacts.planned.models import ContactRequest
from contacts.records import services as records_services
from contacts.records.models import Disclosure
from safeguard.audit.models import AuditEvent
from safeguard.audit.services import audit_record
from safeguard.reports.selectors import (
    Durations,
    Period,
    governors_report,
    previous,
    school_year,
    term,
)
from tests.factories import SchoolFactory, StaffFactory, StaffRelativeFactory
from tests.factories_policies import PolicyFactory, PolicyVersionFactory
from tests.factories_records import (
    days_ago,
    make_concern,
    make_disclosure,
    make_lado,
    make_record,
    past,
)
from tests.factories_reports import (
    BEFORE,
    DECISION_TIMES,
    DISCLOSURE_TIMES,
    EXPECTED,
    OVERDUE,
    OVERDUE_POLICIES,
    PERIOD,
    PLANS_PAST_REVIEW,
    Cast,
    at,
    build,
    cast_for,
    make_pupils,
)
from tests.factories_requests import make_request
from tests.helpers import allow_audit_tampering

D = dt.date


def _report(school, period=PERIOD, *, for_head=False, **extra):
    return governors_report(school=school, period=period, for_head=for_head, **extra)


@pytest.fixture
def cast(school, head, teacher, line_manager, colleague, chair, dsl):
    """Six active members of staff: head, line manager, teacher, colleague, chair and DSL."""
    return Cast(
        school=school, head=head, teacher=teacher, colleague=colleague, chair=chair, dsl=dsl
    )


@pytest.fixture
def built(cast):
    return build(cast)


# --- Periods ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("on", "start", "end", "label"),
    [
        (D(2023, 10, 15), D(2023, 9, 1), D(2023, 12, 31), "Autumn term 2023"),
        (D(2024, 2, 10), D(2024, 1, 1), D(2024, 3, 31), "Spring term 2024"),
        (D(2024, 6, 10), D(2024, 4, 1), D(2024, 8, 31), "Summer term 2024"),
        (D(2023, 8, 31), D(2023, 4, 1), D(2023, 8, 31), "Summer term 2023"),
        (D(2023, 9, 1), D(2023, 9, 1), D(2023, 12, 31), "Autumn term 2023"),
        (D(2023, 12, 31), D(2023, 9, 1), D(2023, 12, 31), "Autumn term 2023"),
        (D(2024, 1, 1), D(2024, 1, 1), D(2024, 3, 31), "Spring term 2024"),
        (D(2024, 3, 31), D(2024, 1, 1), D(2024, 3, 31), "Spring term 2024"),
        (D(2024, 4, 1), D(2024, 4, 1), D(2024, 8, 31), "Summer term 2024"),
    ],
)
def test_term_holds_the_day(on, start, end, label):
    assert term(on) == Period(start, end, label)


@pytest.mark.parametrize(
    ("on", "first_year"),
    [(D(2023, 9, 1), 2023), (D(2024, 1, 1), 2023), (D(2024, 8, 31), 2023), (D(2023, 8, 31), 2022)],
)
def test_school_year_runs_from_september_to_august(on, first_year):
    year = school_year(on)
    assert (year.start, year.end) == (D(first_year, 9, 1), D(first_year + 1, 8, 31))
    assert year.label == f"School year {first_year}–{str(first_year + 1)[-2:]}"


@pytest.mark.parametrize(
    ("on", "before_on"),
    [
        (D(2023, 10, 1), D(2023, 5, 1)),
        (D(2024, 2, 1), D(2023, 11, 1)),
        (D(2024, 5, 1), D(2024, 2, 1)),
    ],
)
def test_previous_of_a_term_is_the_term_before(on, before_on):
    assert previous(term(on)) == term(before_on)


def test_previous_of_a_school_year_is_the_year_before():
    assert previous(school_year(D(2024, 1, 1))) == school_year(D(2023, 1, 1))
    assert previous(school_year(D(2024, 1, 1))).label == "School year 2022–23"


def test_previous_of_a_custom_range_is_the_same_number_of_days_just_before():
    assert PERIOD.days == BEFORE.days == 31
    assert previous(PERIOD) == Period(D(2023, 1, 29), D(2023, 2, 28), "29 Jan 2023 to 28 Feb 2023")
    one_day = previous(Period(D(2024, 3, 1), D(2024, 3, 1), "1 March"))
    assert (one_day.start, one_day.end) == (D(2024, 2, 29), D(2024, 2, 29))


def test_bounds_are_local_midnights_across_the_clock_change():
    first, after = PERIOD.bounds()
    assert (first, after) == (at(3, 1, 0), at(4, 1, 0))
    # March 2023 begins in GMT and ends in BST.
    assert first.astimezone(UTC) == dt.datetime(2023, 3, 1, 0, 0, tzinfo=UTC)
    assert after.astimezone(UTC) == dt.datetime(2023, 3, 31, 23, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("period", "months"),
    [
        (PERIOD, [D(2023, 3, 1)]),
        (Period(D(2023, 1, 15), D(2023, 3, 2), "x"), [D(2023, 1, 1), D(2023, 2, 1), D(2023, 3, 1)]),
        (Period(D(2023, 12, 31), D(2024, 1, 1), "x"), [D(2023, 12, 1), D(2024, 1, 1)]),
        (term(D(2024, 1, 1)), [D(2024, 1, 1), D(2024, 2, 1), D(2024, 3, 1)]),
    ],
)
def test_months_lists_the_first_day_of_every_month_touched(period, months):
    assert period.months() == months


def test_months_of_a_school_year_are_its_twelve():
    months = school_year(D(2023, 9, 1)).months()
    assert (len(months), months[0], months[-1]) == (12, D(2023, 9, 1), D(2024, 8, 1))


# --- Every figure, in the period and the period before ----------------------------------------


@pytest.mark.parametrize("table", sorted(EXPECTED))
def test_each_table_counts_both_periods(built, school, table):
    report = _report(school)
    assert (report.period, report.before) == (PERIOD, BEFORE)
    assert getattr(report, table).rows == EXPECTED[table]


def test_totals_add_up_and_overlapping_rows_are_not_totalled(built, school):
    report = _report(school)
    assert (report.requests_by_kind.total, report.requests_by_kind.total_before) == (11, 6)
    assert (report.requests_by_status.total, report.requests_by_status.total_before) == (11, 6)
    assert (report.records_by_type.total, report.records_by_type.total_before) == (5, 2)
    assert report.requests_by_kind.totalled
    assert not report.concerns.totalled


def test_decision_times_median_and_longest(built, school):
    assert _report(school).decision_times == DECISION_TIMES


def test_time_to_tell_the_dsl_is_created_at_less_disclosed_at(built, school):
    assert _report(school).disclosure_times == DISCLOSURE_TIMES


def test_overdue_outcomes_and_plans_past_review_are_references(built, school):
    report = _report(school)
    assert report.overdue_outcomes == [built.ref(name) for name in OVERDUE]
    assert report.plans_past_review == [built.ref(name) for name in PLANS_PAST_REVIEW]
    assert all(ref.startswith("REQ-") and len(ref) == 10 for ref in report.overdue_outcomes)


def test_a_plan_reviewed_in_time_is_not_past_review(built, school):
    # The same plan, judged on a day before its review date, is not overdue a review.
    report = _report(school, today=D(2023, 4, 29))
    assert report.plans_past_review == []


def test_requests_per_month_by_verdict(built, school):
    report = _report(school, Period(D(2023, 2, 1), D(2023, 3, 31), "February and March"))
    assert report.per_month == [
        (D(2023, 2, 1), {"needs_approval": 5}),
        (D(2023, 3, 1), {"needs_approval": 9, "prohibited": 1, "record": 1}),
    ]


def test_the_previous_period_reported_on_its_own_gives_the_same_before_column(built, school):
    report = _report(school, BEFORE)
    for table, rows in EXPECTED.items():
        now = {label: n for label, n, _ in getattr(report, table).rows if n}
        before = {label: b for label, _, b in rows if b}
        if table == "concerns":  # "Open now" is today's count, whichever the period
            now.pop("Open now")
        assert now == before, table
    assert report.decision_times == Durations(5, 1.0, pytest.approx(34 + 1 / 60))
    assert report.disclosure_times == Durations(1, 0.5, 0.5)
    assert report.overdue_outcomes == [built.ref("before_approved"), built.ref("before_former")]
    assert report.plans_past_review == [built.ref("before_former")]


def test_overdue_policies_are_current_versions_past_review(built, school):
    report = _report(school)
    assert {v.policy.title for v in report.overdue_policies} == OVERDUE_POLICIES
    assert built.policies["boundaries_old"] not in report.overdue_policies


def _names(*people):
    ordered = sorted(people, key=lambda s: (s.last_name, s.first_name))
    return [f"{s.first_name} {s.last_name}" for s in ordered]


def test_acknowledgements_and_names_for_the_headteacher(built, school, line_manager):
    c, p = built.cast, built.policies
    report = _report(school, for_head=True)
    assert [(v.pk, read, unread) for v, read, unread in report.acknowledgements] == [
        (p["conduct"].pk, 3, 3),  # the inactive reader does not count
        (p["boundaries"].pk, 6, 0),
        (p["safeguarding"].pk, 0, 6),
    ]
    everyone = (c.head, c.teacher, c.colleague, c.chair, c.dsl, line_manager)
    assert report.unread_names == {
        p["conduct"].pk: _names(line_manager, c.chair, c.dsl),
        p["boundaries"].pk: [],
        p["safeguarding"].pk: _names(*everyone),
    }


def test_acknowledgements_for_governors_carry_no_names(built, school):
    report = _report(school, for_head=False)
    assert [(read, unread) for _, read, unread in report.acknowledgements] == [
        (3, 3),
        (6, 0),
        (0, 6),
    ]
    assert report.unread_names == {}


# --- What never counts ------------------------------------------------------------------------


def _figures(report) -> dict:
    """Everything a report says, in comparable form."""
    tables = {name: getattr(report, name).rows for name in EXPECTED}
    return tables | {
        "per_month": report.per_month,
        "decision_times": report.decision_times,
        "disclosure_times": report.disclosure_times,
        "overdue_outcomes": report.overdue_outcomes,
        "plans_past_review": report.plans_past_review,
        "anomalies": [(a.label, a.references) for a in report.anomalies],
        "overdue_policies": [v.pk for v in report.overdue_policies],
        "acknowledgements": [(v.pk, r, u) for v, r, u in report.acknowledgements],
        "unread_names": report.unread_names,
    }


def test_drafts_never_count(built, school, teacher, colleague):
    pupil = built.pupils["current"]
    before = _figures(_report(school, for_head=True))
    for when in (at(3, 5), at(3, 20), at(2, 10)):
        for who in (teacher, colleague):
            draft = make_request(who, [pupil], submit=False, kind="gift", purpose="personal")
            ContactRequest.objects.filter(pk=draft.pk).update(submitted_at=when)
    assert _figures(_report(school, for_head=True)) == before
    assert ContactRequest.objects.filter(status="draft", submitted_at__isnull=False).count() == 7


def test_another_schools_rows_never_count(built, school, other_school):
    mine = _figures(_report(school, for_head=True))
    theirs = build(cast_for(other_school))
    # The same rows, counted for their school, give the same figures...
    other = _report(other_school)
    assert {name: getattr(other, name).rows for name in EXPECTED} == EXPECTED
    # ...and their school is not in good order either: none of it is ours to report.
    _plant_self_approval(theirs.requests["overdue"])
    ContactRequest.objects.filter(pk=theirs.requests["completed"].pk).update(verdict="prohibited")
    assert _report(other_school).anomalies[0].references == [theirs.ref("overdue")]
    assert _figures(_report(school, for_head=True)) == mine


# --- Things that should never happen ----------------------------------------------------------


@contextmanager
def _check_constraint_lifted(name: str):
    """Let an UPDATE through the named check constraint of contacts_contactrequest, within this
    test's transaction only (on PostgreSQL the constraint comes back with the rollback)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA ignore_check_constraints = ON")
        elif connection.vendor == "postgresql":
            # Deferred foreign-key checks queued by the inserts would block ALTER TABLE.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE contacts_contactrequest DROP CONSTRAINT {name}")
        else:  # pragma: no cover
            pytest.fail(f"No way to lift a check constraint on {connection.vendor}")
    try:
        yield
    finally:
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA ignore_check_constraints = OFF")


def _plant_self_approval(req: ContactRequest) -> None:
    with _check_constraint_lifted("request_not_self_decided"):
        ContactRequest.objects.filter(pk=req.pk).update(decided_by_id=req.requester_id)


def _found(report) -> list[tuple[str, int, list[str]]]:
    return [(a.label, a.count, a.references) for a in report.anomalies]


def _loose_ends(school) -> list[list[str]]:
    """What the built year leaves undone, for the checks of late disclosures, long-open concerns
    and LADO referrals with no outcome: no disclosure is late (their alerts were raised just
    now), two concerns are still open since 2023 and one referral never had its outcome."""
    still_open = BoundaryConcern.objects.filter(school=school, closed_at__isnull=True)
    waiting = LadoReferral.objects.filter(school=school, referral_type="referral", outcome="")
    plans = ContactRequest.objects.filter(school=school).exclude(status="draft")
    return [
        [],
        [c.reference for c in still_open.order_by("pk")],
        [r.reference for r in waiting.order_by("pk")],
        [r.reference for r in plans.plans_past_review().order_by("pk")],
        [],
        [],
    ]


def test_with_nothing_planted_only_the_year_s_loose_ends_are_found(built, school):
    report = _report(school)
    late, concerns, lado, plans, declarations, slow = _loose_ends(school)
    assert (len(concerns), len(lado), len(plans)) == (2, 1, 2)
    assert _found(report) == [
        ("Requests decided by the person who asked", 0, []),
        ("Rejections with no reason given", 0, []),
        ("Contact the policies do not allow that was nonetheless approved", 0, []),
        ("Contact arranged without approval, recorded afterwards", 0, []),
        ("Child-protection disclosures not acknowledged in time", 0, []),
        ("Boundary concerns open longer than 30 days (the school's limit)", 2, concerns),
        ("LADO referrals with no outcome recorded after 90 days", 1, lado),
        ("Plans of involvement past their review date", 2, plans),
        ("Declared relationships with pupils past their yearly review", 0, []),
        (SLOW, 0, []),
        ("Breaks in the audit trail during the period", 0, []),
    ]


def test_a_request_approved_by_its_own_requester_is_caught(built, school):
    target = built.requests["completed"]
    _plant_self_approval(target)
    assert ContactRequest.objects.get(pk=target.pk).decided_by_id == target.requester_id
    counts = [a.references for a in _report(school).anomalies]
    assert counts == [[target.reference], [], [], [], *_loose_ends(school), []]
    assert target.reference == f"REQ-{target.pk:06d}"


def test_a_rejection_with_no_reason_is_caught(built, school):
    target = built.requests["rejected"]
    with _check_constraint_lifted("request_rejection_has_reason"):
        ContactRequest.objects.filter(pk=target.pk).update(decision_reason="")
    assert [a.references for a in _report(school).anomalies] == [
        [],
        [target.reference],
        [],
        [],
        *_loose_ends(school),
        [],
    ]


def test_prohibited_contact_that_was_approved_is_caught(built, school):
    approved, completed = built.requests["overdue"], built.requests["completed"]
    ContactRequest.objects.filter(pk__in=[approved.pk, completed.pk]).update(verdict="prohibited")
    found = _report(school).anomalies[2]
    # Ordered by request number; the rejected "not allowed" request is no anomaly.
    assert found.references == sorted([approved.reference, completed.reference])
    assert built.ref("rejected") not in found.references
    assert found.count == 2


def test_a_break_in_the_audit_chain_is_caught_and_named(built, school):
    this_term = term(timezone.localdate())
    clean = _report(school, this_term)
    assert clean.anomalies[-1].references == []

    target = AuditEvent.objects.filter(
        object_id=str(built.requests["overdue"].pk), action="request.approve"
    ).get()
    allow_audit_tampering()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE safeguard_auditevent SET reason = %s WHERE id = %s", ["Fine.", target.pk]
        )
    broken = _report(school, this_term)
    assert broken.anomalies[-1].references == [f"audit event {target.pk}"]
    assert [a.count for a in broken.anomalies] == [0, 0, 0, 0, 0, 2, 1, 2, 0, 0, 1]
    # Another school's chain is its own: the break is not in it.
    other = SchoolFactory()
    with transaction.atomic():
        audit_record(actor=None, school=other, action="staff.update", object_ref="OTHER-1")
    assert _report(other, this_term).anomalies[-1].references == []
    # The period of March 2023 holds no event, so it has nothing to find.
    past = _report(school)
    assert past.anomalies[-1].references == []


# --- Disclosures, concerns and LADO referrals left waiting ------------------------------------

LATE = "Child-protection disclosures not acknowledged in time"
SLOW = "Child-protection disclosures recorded more than a day after they were made"
LIMIT = "Boundary concerns open longer than {} days (the school's limit)"
NO_OUTCOME = "LADO referrals with no outcome recorded after 90 days"


def _refs(report, label: str) -> list[str]:
    [anomaly] = [a for a in report.anomalies if a.label == label]
    assert anomaly.requests is False  # not requests: the head's page links none of them
    return anomaly.references


def _now_report(school, **extra):
    return _report(school, term(timezone.localdate()), **extra)


def test_a_clean_school_reads_zero_on_every_check(school, head, teacher, colleague, dsl, pupil):
    """Everything in time: a child-protection disclosure acknowledged at once, a concern raised
    today, a referral made today, a consultation long ago (advice needs no outcome)."""
    alert = make_disclosure(teacher, pupil).alerts.get()
    alert_services.alert_acknowledge(actor=dsl, alert=alert)
    make_disclosure(teacher, pupil)  # raised just now: its time has not run out
    make_concern(teacher, colleague)
    make_lado(head, colleague)
    make_lado(head, colleague, referral_type="consultation", contacted_at=past(200))
    PolicyVersionFactory(policy=PolicyFactory(school=school))

    for for_head in (False, True):
        report = _now_report(school, for_head=for_head)
        assert [(a.label, a.count) for a in report.anomalies if a.count] == []
        assert len(report.anomalies) == 11


def test_a_child_protection_disclosure_waiting_past_its_time_is_caught(school, teacher, dsl, pupil):
    disclosure = make_disclosure(teacher, pupil)
    other = make_disclosure(teacher, pupil, disclosure_type="personal")
    Alert.objects.update(acknowledge_by=timezone.now() - dt.timedelta(minutes=1))

    for for_head in (False, True):
        assert _refs(_now_report(school, for_head=for_head), LATE) == [disclosure.reference]
    # Only a child-protection disclosure has a time to be acknowledged.
    assert other.reference not in _refs(_now_report(school), LATE)
    # A report of a past period still lists one that is waiting now.
    assert _refs(_report(school), LATE) == [disclosure.reference]


def test_a_disclosure_acknowledged_after_its_time_is_caught_in_the_period_it_was_raised(
    school, teacher, dsl, pupil
):
    disclosure = make_disclosure(teacher, pupil)
    alert = disclosure.alerts.get()
    Alert.objects.filter(pk=alert.pk).update(acknowledge_by=timezone.now() - dt.timedelta(hours=1))
    alert_services.alert_acknowledge(actor=dsl, alert=alert)

    assert _refs(_now_report(school), LATE) == [disclosure.reference]
    assert _refs(_report(school), LATE) == []  # March 2023: raised long after


def test_an_escalated_disclosure_is_caught_even_once_acknowledged(school, teacher, dsl, pupil):
    disclosure = make_disclosure(teacher, pupil)
    alert = disclosure.alerts.get()
    assert alerts_escalate(actor=None, now=alert.acknowledge_by + dt.timedelta(minutes=1)) == 1
    # Escalation gave the next person a new time, which the DSL now meets.
    alert_services.alert_acknowledge(actor=dsl, alert=Alert.objects.get(pk=alert.pk))

    assert _refs(_now_report(school), LATE) == [disclosure.reference]


def test_a_disclosure_acknowledged_in_time_is_not_caught(school, teacher, dsl, pupil):
    alert = make_disclosure(teacher, pupil).alerts.get()
    alert_services.alert_acknowledge(actor=dsl, alert=alert)
    Alert.objects.filter(pk=alert.pk).update(acknowledge_by=timezone.now() - dt.timedelta(hours=1))
    Alert.objects.filter(pk=alert.pk).update(acknowledged_at=F("acknowledge_by"))

    assert _refs(_now_report(school), LATE) == []


def test_a_concern_open_past_the_school_s_limit_is_caught(school, teacher, colleague, head):
    concern = make_concern(teacher, colleague)
    recent = make_concern(teacher, colleague)
    BoundaryConcern.objects.filter(pk=concern.pk).update(
        created_at=timezone.now() - dt.timedelta(days=31)
    )
    BoundaryConcern.objects.filter(pk=recent.pk).update(
        created_at=timezone.now() - dt.timedelta(days=29)
    )

    assert _refs(_now_report(school), LIMIT.format(30)) == [concern.reference]

    school.concern_open_days = 45
    school.save(update_fields=["concern_open_days"])
    assert _refs(_now_report(school), LIMIT.format(45)) == []

    school.concern_open_days = 30
    school.save(update_fields=["concern_open_days"])
    concerns_services.concern_respond(
        actor=head, concern=concern, response="Spoke to them.", outcome="advice", close=True
    )
    assert _refs(_now_report(school), LIMIT.format(30)) == []


def test_a_lado_referral_with_no_outcome_after_90_days_is_caught(school, head, colleague):
    late = make_lado(head, colleague, contacted_at=past(91))
    make_lado(head, colleague, contacted_at=past(89))
    make_lado(head, colleague, referral_type="consultation", contacted_at=past(120))
    answered = make_lado(head, colleague, contacted_at=past(150))
    concerns_services.lado_outcome_record(
        actor=head, referral=answered, outcome="unfounded", outcome_on=days_ago(10)
    )

    assert _refs(_now_report(school), NO_OUTCOME) == [late.reference]


def test_the_head_s_report_leaves_out_what_concerns_the_head(school, head, teacher, chair):
    concern = make_concern(teacher, head)
    BoundaryConcern.objects.filter(pk=concern.pk).update(
        created_at=timezone.now() - dt.timedelta(days=40)
    )
    referral = make_lado(chair, head, contacted_at=past(100))

    governors = _now_report(school)
    assert _refs(governors, LIMIT.format(30)) == [concern.reference]
    assert _refs(governors, NO_OUTCOME) == [referral.reference]
    heads = _now_report(school, for_head=True)
    assert _refs(heads, LIMIT.format(30)) == []
    assert _refs(heads, NO_OUTCOME) == []


def test_a_child_protection_disclosure_recorded_a_day_late_is_caught(school, teacher, pupil):
    said = timezone.now() - dt.timedelta(days=3)
    late = make_disclosure(teacher, pupil, disclosed_at=said)
    in_time = make_disclosure(teacher, pupil, disclosed_at=said)
    personal = make_disclosure(teacher, pupil, disclosed_at=said, disclosure_type="personal")
    Disclosure.objects.filter(pk__in=[late.pk, personal.pk]).update(
        created_at=said + dt.timedelta(hours=25)
    )
    Disclosure.objects.filter(pk=in_time.pk).update(created_at=said + dt.timedelta(hours=23))
    for for_head in (False, True):
        assert _refs(_now_report(school, for_head=for_head), SLOW) == [late.reference]
    # A disclosure made before the period is not the period's.
    assert _refs(_report(school), SLOW) == []


def test_another_school_s_late_entries_are_not_ours(school, other_school, outsider, other_pupil):
    colleague = StaffFactory(school=other_school)
    concern = make_concern(outsider, colleague)
    BoundaryConcern.objects.filter(pk=concern.pk).update(
        created_at=timezone.now() - dt.timedelta(days=60)
    )
    make_lado(outsider, colleague, contacted_at=past(120))
    make_disclosure(outsider, other_pupil)
    Alert.objects.update(acknowledge_by=timezone.now() - dt.timedelta(minutes=1))

    assert [a.count for a in _now_report(school).anomalies] == [0] * 11
    assert [a.count for a in _now_report(other_school).anomalies][4:7] == [1, 1, 1]


# --- Queries ----------------------------------------------------------------------------------


def _more_activity(cast: Cast, pupils, n: int) -> None:
    """n requests (decided, one way or another), records and disclosures, all in PERIOD."""
    for i in range(n):
        req = make_request(cast.teacher, [pupils["current"]], reasons="More of the same.")
        if i % 3 == 0:
            planned_services.request_decide(
                actor=cast.head, contact_request=req, decision="approve", expected_version=None
            )
        elif i % 3 == 1:
            planned_services.request_decide(
                actor=cast.head,
                contact_request=req,
                decision="reject",
                expected_version=None,
                reason="No",
            )
        ContactRequest.objects.filter(pk=req.pk).update(
            submitted_at=at(3, 2 + i % 20, 8), decided_at=at(3, 2 + i % 20, 9 + i % 5)
        )
        make_record(cast.teacher, [pupils["current"]], occurred_at=at(3, 2 + i % 20))
        disclosure = records_services.disclosure_record(
            actor=cast.teacher,
            pupil=pupils["current"],
            disclosure_type="personal",
            disclosed_at=at(2, 2 + i % 20),
            account="Said something.",
        )
        Disclosure.objects.filter(pk=disclosure.pk).update(created_at=at(2, 2 + i % 20, 13))


def _queries(school, period) -> int:
    with CaptureQueriesContext(connection) as queries:
        _report(school, period, for_head=True)
    return len(queries)


@pytest.mark.parametrize("which", ["past", "this term"])
def test_the_number_of_queries_does_not_grow_with_the_data(cast, school, which):
    period = PERIOD if which == "past" else term(timezone.localdate())
    pupils = make_pupils(school)
    PolicyVersionFactory(policy=PolicyFactory(school=school, title="Code of conduct"))
    _more_activity(cast, pupils, 2)
    small = _queries(school, period)
    _more_activity(cast, pupils, 28)
    assert ContactRequest.objects.count() == 30
    assert AuditEvent.objects.count() < 2000  # one chunk of the audit chain's iterator
    assert _queries(school, period) == small


# --- counts that could leak ----------------------------------------------------------------------


def _opened(report) -> int:
    return dict((label, now) for label, now, _ in report.concerns.rows)["Opened"]


def test_the_heads_report_does_not_count_concerns_or_lado_matters_about_the_head(
    school, head, chair, teacher, colleague, line_manager
):
    """Finding 8: the report told the head of 4 concerns when the head could see 3; the fourth,
    about the head, is the chair's to manage. The governors' view still counts it."""
    from contacts.concerns.selectors import concerns_visible_to
    from tests.factories_records import make_concern, make_lado

    for reporter, subject in ((colleague, teacher), (teacher, colleague), (teacher, line_manager)):
        make_concern(reporter, subject)
    about_head = make_concern(teacher, head)
    make_lado(chair, head, concern=about_head)
    make_lado(head, teacher)
    period = term(timezone.localdate())

    heads_view = governors_report(school=school, period=period, for_head=True)
    governors_view = governors_report(school=school, period=period, for_head=False)

    assert concerns_visible_to(head).count() == 3
    assert (_opened(heads_view), _opened(governors_view)) == (3, 4)
    assert (heads_view.lado.total, governors_view.lado.total) == (1, 2)
    assert heads_view.about_head_left_out and not governors_view.about_head_left_out


# --- Changes to safeguarding roles and line management (issue 15) -----------------------------


def test_the_report_lists_changes_to_safeguarding_roles_and_line_management(
    head, teacher, colleague, line_manager, outsider
):
    from contacts.people import services as people_services
    from safeguard.core.roles import Role

    people_services.staff_update(
        actor=head, staff=teacher, roles_held=[Role.DSL], line_manager=head
    )
    today = timezone.localdate()
    report = governors_report(school=head.school, period=term(today), for_head=False)
    assert [(c.what, c.whose, c.detail, c.by) for c in report.duty_changes] == [
        (
            "Safeguarding roles changed",
            teacher.full_name,
            "given: designated safeguarding lead",
            head.full_name,
        ),
        (
            "Line manager changed",
            teacher.full_name,
            f"line manager: {line_manager.full_name} → {head.full_name}",
            head.full_name,
        ),
    ]
    elsewhere = governors_report(school=outsider.school, period=term(today), for_head=False)
    assert elsewhere.duty_changes == []


def test_needs_attention_open_and_late_by_kind_and_the_time_to_acknowledge(
    school, head, dsl, chair, teacher, pupil
):
    from contacts.alerts import services as alert_services
    from contacts.alerts.models import Alert
    from safeguard.reports.selectors import term
    from tests.factories_records import make_concern, make_disclosure, make_record

    late = make_disclosure(teacher, pupil).alerts.get()
    Alert.objects.filter(pk=late.pk).update(acknowledge_by=timezone.now() - dt.timedelta(hours=1))
    seen = alert_services.alert_acknowledge(
        actor=dsl, alert=make_disclosure(teacher, pupil).alerts.get()
    )
    make_record(teacher, [pupil], record_type="ongoing")
    make_concern(teacher, head)  # the chair's: about the head
    today = timezone.localdate()
    report = governors_report(school=school, period=term(today), for_head=False)
    rows = {label: (open_, overdue) for label, open_, overdue in report.attention}
    assert rows["Child-protection disclosures"] == (2, 1)
    assert rows["Records reported to the headteacher"] == (1, 0)
    assert rows["Boundary concerns"] == (1, 0)
    assert report.acknowledge_times.count == 1
    assert seen.acknowledged_at is not None
    # The head's view leaves out what is the chair's: the concern about the head.
    heads = governors_report(school=school, period=term(today), for_head=True)
    assert {label: o for label, o, _ in heads.attention}["Boundary concerns"] == 0


def test_contact_arranged_without_approval_counts_as_something_that_should_never_happen(
    school, head, teacher, pupil
):
    from safeguard.reports.selectors import term
    from tests.factories_records import make_record

    flagged = make_record(teacher, [pupil], purpose="personal", arranged=True)
    make_record(teacher, [pupil], purpose="personal")  # by chance
    report = governors_report(school=school, period=term(timezone.localdate()), for_head=False)
    [anomaly] = [a for a in report.anomalies if a.label.startswith("Contact arranged")]
    assert anomaly.references == [flagged.reference]
    assert anomaly.requests is False


def test_a_declaration_past_its_yearly_review_is_caught(school, teacher, head, pupil):
    overdue = StaffRelativeFactory(
        staff=teacher,
        pupil=pupil,
        acknowledged=True,
        review_due=timezone.localdate() - dt.timedelta(days=1),
    )
    StaffRelativeFactory(staff=head, acknowledged=True, review_due=timezone.localdate())
    found = {a.label: a.references for a in _now_report(school).anomalies}
    assert found["Declared relationships with pupils past their yearly review"] == [
        overdue.audit_ref
    ]
