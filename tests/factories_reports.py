"""Fixtures for the governors' report: one school's year of activity, made through the services
and then moved into two fixed periods in the past, so every figure can be worked out by hand.

PERIOD is March 2023 and BEFORE (its previous period) the 31 days before it. `build(cast)`
creates the rows; EXPECTED and the other constants below say what the report must find.
Timestamps avoid 26 March 2023 (the clocks went forward) so every duration is a whole hour.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from contacts.concerns import services as concerns_services
from contacts.concerns.models import BoundaryConcern
from contacts.people.models import Pupil, Staff
from contacts.planned import services as planned_services
from contacts.planned.models import ContactRequest
from contacts.records import services as records_services
from contacts.records.models import Disclosure
from policies.models import PolicyVersion
from safeguard.core.models import School
from safeguard.core.roles import Role
from safeguard.reports.selectors import Durations, Period, previous
from tests.factories import PupilFactory, StaffFactory
from tests.factories_policies import AcknowledgementFactory, PolicyFactory, PolicyVersionFactory
from tests.factories_requests import make_request

PERIOD = Period(dt.date(2023, 3, 1), dt.date(2023, 3, 31), "01 Mar 2023 to 31 Mar 2023")
BEFORE = previous(PERIOD)  # 29 Jan 2023 to 28 Feb 2023
# The same period as chosen on the page's form.
RANGE_QUERY = {"period": "range", "start": "2023-03-01", "end": "2023-03-31"}

# Every pupil gets a name, and every piece of free text this phrase, that nobody could find on
# the report by accident: governors must never see either.
SECRET = "the heron behind the boathouse"
PUPIL_NAMES = {
    "current": ("Zebediah", "Quillfeather"),
    "former": ("Philomena", "Brackenridge"),
    "leaver": ("Octavian", "Wetherspoonly"),
}


def at(month: int, day: int, hour: int = 12, minute: int = 0, year: int = 2023) -> dt.datetime:
    """A local (Europe/London) time, made aware."""
    return timezone.make_aware(dt.datetime(year, month, day, hour, minute))


@dataclass
class Cast:
    school: School
    head: Staff
    teacher: Staff
    colleague: Staff
    chair: Staff
    dsl: Staff


def cast_for(school: School) -> Cast:
    """The people `build` needs, for a school without the conftest personas."""

    def person(*roles: str) -> Staff:
        return StaffFactory(school=school, roles=list(roles))

    head = person(Role.HEADTEACHER, Role.LINE_MANAGER)
    return Cast(
        school=school,
        head=head,
        teacher=StaffFactory(school=school, line_manager=head),
        colleague=StaffFactory(school=school),
        chair=person(Role.CHAIR_OF_GOVERNORS),
        dsl=person(Role.DSL),
    )


@dataclass
class Built:
    cast: Cast
    pupils: dict[str, Pupil]
    requests: dict[str, ContactRequest] = field(default_factory=dict)
    policies: dict[str, PolicyVersion] = field(default_factory=dict)
    inactive: Staff | None = None

    def ref(self, name: str) -> str:
        return self.requests[name].reference


def make_pupils(school: School) -> dict[str, Pupil]:
    born, admitted = dt.date(2010, 1, 1), dt.date(2021, 9, 1)
    first, last = PUPIL_NAMES["current"]
    current = PupilFactory(
        school=school,
        first_name=first,
        last_name=last,
        date_of_birth=born,
        admission_date=admitted,
    )
    first, last = PUPIL_NAMES["former"]
    former = PupilFactory(
        school=school,
        first_name=first,
        last_name=last,
        date_of_birth=dt.date(2004, 5, 1),
        admission_date=dt.date(2015, 9, 1),
        leaving_date=dt.date(2022, 7, 20),
        year_group=13,
    )
    first, last = PUPIL_NAMES["leaver"]
    # Current when the request is made; the school records later that they left on 1 March.
    leaver = PupilFactory(
        school=school,
        first_name=first,
        last_name=last,
        date_of_birth=born,
        admission_date=admitted,
    )
    return {"current": current, "former": former, "leaver": leaver}


PLAN = {
    "plan_outcomes": f"Confidence at interviews; {SECRET}.",
    "plan_timescales": "One term.",
    "plan_support": "Fortnightly supervision with the line manager.",
}


def _request(requester: Staff, pupils: list[Pupil], **answers) -> ContactRequest:
    if any(not p.is_current(timezone.localdate() + dt.timedelta(days=7)) for p in pupils):
        answers = (
            PLAN | {"plan_review_date": timezone.localdate() + dt.timedelta(days=60)} | answers
        )
    return make_request(requester, pupils, reasons=f"Mentoring, near {SECRET}.", **answers)


def _decide(actor: Staff, req: ContactRequest, decision: str = "approve", reason: str = ""):
    return planned_services.request_decide(
        actor=actor, contact_request=req, decision=decision, expected_version=None, reason=reason
    )


def _move(req: ContactRequest, **columns) -> ContactRequest:
    ContactRequest.objects.filter(pk=req.pk).update(**columns)
    req.refresh_from_db()
    return req


def _complete(req: ContactRequest) -> None:
    planned_services.request_complete(
        actor=req.requester,
        contact_request=req,
        expected_version=None,
        outcome=f"It went well; {SECRET}.",
    )


def _requests(c: Cast, p: dict[str, Pupil]) -> dict[str, ContactRequest]:
    current, former, leaver = [p["current"]], [p["former"]], [p["leaver"]]
    r: dict[str, ContactRequest] = {}

    # --- In PERIOD (submitted in March 2023) -----------------------------------------------
    # Decided after 2h, 4h, 10h, 1h, 20h, 6h and 3h: median 4, longest 20.
    r["overdue"] = req = _request(c.teacher, current)
    _decide(c.head, req)
    _move(req, submitted_at=at(3, 6, 8), decided_at=at(3, 6, 10), starts_at=at(3, 10, 15))

    r["completed"] = req = _request(c.teacher, current, kind="transport")
    _decide(c.head, req)
    _move(req, submitted_at=at(3, 7, 8), decided_at=at(3, 7, 12), starts_at=at(3, 12, 15))
    _complete(req)

    r["rejected"] = req = _request(c.colleague, current, kind="gift", purpose="personal")
    _decide(c.head, req, "reject", reason=f"Not appropriate: {SECRET}.")
    # What the policies said is kept as it was shown; a rejected "not allowed" is no anomaly.
    _move(req, submitted_at=at(3, 8, 8), decided_at=at(3, 8, 18), verdict="prohibited")

    r["heads_own"] = req = _request(c.head, current)
    _decide(c.chair, req)
    _move(req, submitted_at=at(3, 9, 8), decided_at=at(3, 9, 9))  # contact still to come

    r["referred"] = req = _request(c.teacher, current)
    req = planned_services.request_refer(
        actor=c.head, contact_request=req, expected_version=None, reason="Unsure."
    )
    _decide(c.chair, req)
    _move(req, submitted_at=at(3, 13, 8), decided_at=at(3, 14, 4))
    planned_services.request_cancel(
        actor=c.teacher, contact_request=req, expected_version=None, reason="Ill."
    )

    # A personal number for an adult former pupil: the head may agree it (001 §5.1 bars it only
    # for pupils and children).
    r["waiting"] = req = _request(c.colleague, former, kind="personal_details", purpose="personal")
    _move(req, submitted_at=at(3, 1, 0))  # the first instant of the period

    r["withdrawn"] = req = _request(c.teacher, current)
    planned_services.request_withdraw(actor=c.teacher, contact_request=req, expected_version=None)
    _move(req, submitted_at=at(3, 31, 23, 30), verdict="record")  # its last half hour

    r["asked"] = req = _request(c.teacher, current, kind="photography")
    _decide(c.head, req, "ask", reason="Which camera?")
    _move(req, submitted_at=at(3, 17, 10))

    r["former_reviewed"] = req = _request(c.teacher, former)
    _decide(c.head, req)
    _move(
        req,
        submitted_at=at(3, 20, 8),
        decided_at=at(3, 20, 14),
        starts_at=at(3, 21, 15),
        plan_review_date=dt.date(2023, 4, 30),  # long past: the plan is overdue a review
    )
    # A plan lives on after its first session (no outcome completes it): still approved.
    planned_services.plan_session_log(
        actor=req.requester,
        contact_request=req,
        held_on=dt.date(2023, 3, 21),
        what_happened=f"Practised an interview; {SECRET}.",
    )

    r["former_no_plan"] = req = _request(c.teacher, leaver)
    _move(req, submitted_at=at(3, 21, 10), starts_at=at(3, 22, 15))

    r["former_overdue"] = req = _request(c.teacher, former)
    _decide(c.head, req)
    _move(req, submitted_at=at(3, 23, 8), decided_at=at(3, 23, 11), starts_at=at(3, 24, 15))

    # --- In BEFORE (29 Jan to 28 Feb 2023) ---------------------------------------------------
    r["before_approved"] = req = _request(c.teacher, current)
    _decide(c.head, req)
    _move(req, submitted_at=at(2, 6, 8), decided_at=at(2, 6, 9), starts_at=at(2, 10, 15))

    r["before_rejected"] = req = _request(c.colleague, current)
    _decide(c.head, req, "reject", reason="No.")
    _move(req, submitted_at=at(2, 7, 8), decided_at=at(2, 7, 9))

    r["before_heads_own"] = req = _request(c.head, current)
    _decide(c.chair, req)
    _move(req, submitted_at=at(2, 8, 8), decided_at=at(2, 8, 9))

    r["before_waiting"] = req = _request(c.teacher, current)
    _move(req, submitted_at=at(1, 29, 0))  # the first instant of BEFORE

    r["before_former"] = req = _request(c.teacher, former)
    _decide(c.head, req)
    _move(
        req,
        submitted_at=at(2, 13, 8),
        decided_at=at(2, 13, 9),
        starts_at=at(2, 20, 15),
        plan_review_date=dt.date(2023, 3, 15),
    )

    # Submitted in the last minute of BEFORE, decided by the chair in PERIOD.
    r["before_referred"] = req = _request(c.teacher, current)
    req = planned_services.request_refer(
        actor=c.head, contact_request=req, expected_version=None, reason="Unsure."
    )
    _decide(c.chair, req)
    _move(req, submitted_at=at(2, 28, 23, 59), decided_at=at(3, 2, 10))

    # --- Outside both, and drafts --------------------------------------------------------------
    r["after"] = req = _request(c.teacher, current)
    _decide(c.head, req)
    _move(req, submitted_at=at(4, 1, 0), decided_at=at(4, 1, 2), starts_at=at(4, 5, 15))

    r["earlier"] = req = _request(c.teacher, current)
    _move(req, submitted_at=at(1, 28, 23, 59))

    r["draft"] = req = _request(c.teacher, current, submit=False)
    _move(req, submitted_at=at(3, 10, 10))  # a draft never counts, whatever its dates

    # The school records that this pupil left on 1 March, before the contact of the 22nd.
    Pupil.objects.filter(pk=p["leaver"].pk).update(leaving_date=dt.date(2023, 3, 1))
    return r


def _records(c: Cast, p: dict[str, Pupil]) -> None:
    pupils = [p["current"]]

    def record(when: dt.datetime, record_type: str = "unplanned", **extra) -> None:
        answers = {"kind": "meeting", "purpose": "work", "details": f"Saw them at {SECRET}."}
        records_services.record_create(
            actor=c.teacher,
            pupils=pupils,
            record_type=record_type,
            occurred_at=when,
            **(answers | extra),
        )

    record(at(3, 6))
    record(at(3, 31, 23, 59))
    record(at(3, 8), "gift", kind="gift", direction="received")
    record(at(3, 9), "message", kind="phone_call")
    record(at(3, 10), "family", purpose="personal")
    record(at(2, 6))
    record(at(2, 7), "lift", kind="transport")
    record(at(4, 1, 0))
    record(at(1, 28))


def _disclosures(c: Cast, p: dict[str, Pupil]) -> None:
    def disclosure(said: dt.datetime, saved: dt.datetime, kind: str = "child_protection"):
        made = records_services.disclosure_record(
            actor=c.teacher,
            pupil=p["current"],
            disclosure_type=kind,
            disclosed_at=said,
            account=f"Said that {SECRET} frightens them.",
        )
        Disclosure.objects.filter(pk=made.pk).update(created_at=saved)

    # Told the DSL after 1h, 3h and 5h: median 3, longest 5.
    disclosure(at(3, 6, 9), at(3, 6, 10))
    disclosure(at(3, 7, 9), at(3, 7, 12))
    disclosure(at(3, 8, 9), at(3, 8, 14), "personal")
    disclosure(at(2, 6, 9), at(2, 6, 9, 30))
    disclosure(at(4, 2, 9), at(4, 2, 10), "personal")


def _concerns(c: Cast) -> None:
    def concern(opened: dt.datetime, closed: dt.datetime | None = None, outcome: str = ""):
        made = concerns_services.concern_raise(
            actor=c.teacher,
            subject=c.colleague,
            occurred_on=opened.date(),
            description=f"Gave a lift home from {SECRET}.",
        )
        if closed is not None:
            concerns_services.concern_respond(
                actor=c.head, concern=made, response="Spoke to them.", outcome=outcome, close=True
            )
        BoundaryConcern.objects.filter(pk=made.pk).update(created_at=opened, closed_at=closed)

    concern(at(3, 6), at(3, 20), "advice")
    concern(at(3, 7), at(4, 5), "hr")  # closed after the period
    concern(at(3, 8))  # still open
    concern(at(2, 6), at(3, 2), "no_further_action")  # opened before, closed in the period
    concern(at(2, 7), at(2, 20), "advice")
    concern(at(12, 1, year=2022))  # opened long ago, still open


def _lado(c: Cast) -> None:
    def lado(when: dt.datetime, kind: str = "referral", outcome: str = "", on=None):
        made = concerns_services.lado_record(
            actor=c.dsl,
            subject=c.colleague,
            referral_type=kind,
            contacted_at=when,
            spoke_to="Sam Duty, LADO",
            advice=f"Keep notes about {SECRET}.",
        )
        if outcome:
            concerns_services.lado_outcome_record(
                actor=c.head, referral=made, outcome=outcome, outcome_on=on
            )

    lado(at(3, 6, 10), "consultation")
    lado(at(3, 7, 10), outcome="substantiated", on=dt.date(2023, 4, 20))
    lado(at(3, 8, 10))
    lado(at(2, 6, 10), outcome="unfounded", on=dt.date(2023, 3, 1))
    lado(at(4, 3, 10), "consultation")


def _policies(c: Cast, built: Built) -> None:
    today = timezone.localdate()
    year_ago = today - dt.timedelta(days=365)

    def version(policy, number: int, next_review: dt.date) -> PolicyVersion:
        return PolicyVersionFactory(
            policy=policy,
            number=number,
            last_reviewed=min(year_ago, next_review - dt.timedelta(days=1)),
            next_review=next_review,
        )

    school = c.school
    conduct = version(PolicyFactory(school=school, title="Code of conduct"), 1, today)
    bounds = PolicyFactory(school=school, title="Professional boundaries")
    old = version(bounds, 1, today - dt.timedelta(days=10))  # overdue, but superseded
    bounds_now = version(bounds, 2, today + dt.timedelta(days=200))
    safeguarding = version(
        PolicyFactory(school=school, title="Safeguarding"), 1, today - dt.timedelta(days=1)
    )
    lettings = version(
        PolicyFactory(school=school, title="Lettings", requires_acknowledgement=False),
        1,
        today - dt.timedelta(days=30),
    )
    # Read "Code of conduct": the head, the teacher, the colleague and someone who has left.
    built.inactive = StaffFactory(school=school, is_active=False)
    for person in (c.head, c.teacher, c.colleague, built.inactive):
        AcknowledgementFactory(version=conduct, staff=person)
    for person in Staff.objects.filter(school=school, is_active=True):
        AcknowledgementFactory(version=bounds_now, staff=person)
    AcknowledgementFactory(version=old, staff=c.dsl)
    built.policies = {
        "conduct": conduct,
        "boundaries_old": old,
        "boundaries": bounds_now,
        "safeguarding": safeguarding,
        "lettings": lettings,
    }


def build(cast: Cast) -> Built:
    """The whole year's activity of one school (see EXPECTED for what it adds up to)."""
    pupils = make_pupils(cast.school)
    built = Built(cast=cast, pupils=pupils)
    built.requests = _requests(cast, pupils)
    _records(cast, pupils)
    _disclosures(cast, pupils)
    _concerns(cast)
    _lado(cast)
    _policies(cast, built)
    return built


# --- What the report must find in PERIOD, and in BEFORE ---------------------------------------

# Report attribute -> rows of (label, in PERIOD, in BEFORE).
EXPECTED: dict[str, list[tuple[str, int, int]]] = {
    "requests_by_kind": [
        ("A meeting in person", 7, 6),
        ("A lift in your vehicle", 1, 0),
        ("Giving your personal phone number, address or email", 1, 0),
        ("Taking photos or video", 1, 0),
        ("A gift", 1, 0),
    ],
    "requests_by_purpose": [
        ("Work: part of your job", 9, 6),
        ("Personal: not part of your job", 2, 0),
    ],
    "requests_by_verdict": [
        ("Not allowed", 1, 0),
        ("Needs approval first", 9, 6),
        ("Allowed, but it must be recorded", 1, 0),
    ],
    "requests_by_status": [
        ("Waiting for a decision", 2, 1),
        ("More information asked for", 1, 0),
        ("Approved", 4, 4),
        ("Rejected", 1, 1),
        ("Withdrawn", 1, 0),
        ("Completed", 1, 0),
        ("Cancelled", 1, 0),
    ],
    "chair_decisions": [
        ("The headteacher's own requests", 1, 1),
        ("Referred by the headteacher", 2, 0),
    ],
    "former": [
        ("With a plan of involvement", 3, 1),
        ("Without a plan", 1, 0),
    ],
    "records_by_type": [
        ("Unplanned contact beyond a brief greeting", 2, 1),
        ("A card or gift given or received", 1, 0),
        ("A text, call or email with a pupil", 1, 0),
        ("A lift given in an emergency", 0, 1),
        ("Contact with a pupil's family outside school", 1, 0),
    ],
    "disclosures": [
        ("Child protection disclosure", 2, 1),
        ("Other personal disclosure", 1, 0),
    ],
    "concerns": [
        ("Opened", 3, 2),
        ("Closed", 2, 1),
        ("Open now", 2, 0),
    ],
    "concern_outcomes": [
        ("Advice given", 1, 1),
        ("No further action", 1, 0),
    ],
    "lado": [
        ("Consultation (advice sought)", 1, 0),
        ("Referral", 2, 1),
    ],
    "lado_outcomes": [
        ("Substantiated", 1, 0),
        ("Unfounded", 0, 1),
    ],
}
DECISION_TIMES = Durations(count=7, median_hours=4.0, longest_hours=20.0)
DISCLOSURE_TIMES = Durations(count=3, median_hours=3.0, longest_hours=5.0)
# Approved, the contact's time has passed and no outcome is recorded (submitted in PERIOD).
OVERDUE = ("overdue", "former_overdue")
PLANS_PAST_REVIEW = ("former_reviewed",)
OVERDUE_POLICIES = {"Safeguarding", "Lettings"}
# Requests in PERIOD, by name in Built.requests.
IN_PERIOD = (
    "overdue",
    "completed",
    "rejected",
    "heads_own",
    "referred",
    "waiting",
    "withdrawn",
    "asked",
    "former_reviewed",
    "former_no_plan",
    "former_overdue",
)
