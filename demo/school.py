"""A realistic demo school, built through the same services the pages use.

Dates are relative to the day it is loaded, so ages and "years since leaving" stay meaningful
and every policy rule has a pupil to exercise it (see docs/demo.md for the cast).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from contacts.concerns import services as concerns_services
from contacts.people import services as people_services
from contacts.people.models import Pupil, Relationship, Staff, StaffType
from contacts.planned import services as planned_services
from contacts.planned.models import ContactRequest
from contacts.records import services as records_services
from demo.policies import build_demo_policies
from safeguard.accounts import services as two_factor
from safeguard.core.roles import GOVERNANCE_ROLES, Role

DEMO_SCHOOL = "Oakfield Community School"
DEMO_DOMAIN = "oakfield.example"
DEMO_PASSWORD = "oakfield-demo-2026"

FIRST_NAMES = [
    "Olivia", "Noah", "Amelia", "Muhammad", "Isla", "George", "Ava", "Leo", "Freya", "Oscar",
    "Lily", "Arthur", "Mia", "Harry", "Sophia", "Jack", "Grace", "Alfie", "Ella", "Theo",
    "Poppy", "Archie", "Zara", "Finley", "Evie", "Yusuf", "Maya", "Reuben", "Aisha", "Kai",
]  # fmt: skip
LAST_NAMES = [
    "Smith", "Jones", "Khan", "Williams", "Brown", "Patel", "Taylor", "Davies", "Evans",
    "Wilson", "Thomas", "Roberts", "Ali", "Walker", "Wright", "Hall", "Green", "Clarke",
    "Lewis", "Nowak", "Okoro", "Hughes", "Edwards", "Singh", "Morris",
]  # fmt: skip


@dataclass(frozen=True)
class DemoPerson:
    key: str
    first: str
    last: str
    title: str
    staff_type: str
    roles: tuple[str, ...]
    manager: str | None


# The cast: key (also the email's local part), name, job, roles, line manager's key.
CAST = [
    DemoPerson("deputy", "David", "Okafor", "Deputy headteacher", "teacher",
               (Role.DEPUTY_HEAD, Role.LINE_MANAGER), "head"),
    DemoPerson("assistant", "Priya", "Sharma", "Assistant headteacher", "teacher",
               (Role.ASSISTANT_HEAD, Role.LINE_MANAGER), "head"),
    DemoPerson("dsl", "Grace", "Murphy", "Designated safeguarding lead", "teacher",
               (Role.DSL,), "head"),
    DemoPerson("chair", "Robert", "Hughes", "Chair of governors", "governor",
               (Role.CHAIR_OF_GOVERNORS,), None),
    DemoPerson("governor", "Amina", "Begum", "Safeguarding governor", "governor",
               (Role.GOVERNOR,), None),
    DemoPerson("admin", "Sam", "Taylor", "School business manager", "support",
               (Role.SCHOOL_ADMIN,), "head"),
    DemoPerson("manager", "Mark", "Ellis", "Head of Year 9", "teacher",
               (Role.LINE_MANAGER,), "deputy"),
    DemoPerson("senco", "Hannah", "Price", "SENCo", "teacher", (Role.LINE_MANAGER,), "assistant"),
    DemoPerson("teacher", "Tom", "Baker", "Class teacher, English", "teacher", (), "manager"),
    DemoPerson("support", "Lucy", "Green", "Teaching assistant", "support", (), "senco"),
    DemoPerson("pe", "Chris", "Walsh", "PE teacher and football coach", "teacher", (), "manager"),
    DemoPerson("music", "Elena", "Rossi", "Music teacher", "teacher", (), "manager"),
    DemoPerson("science", "James", "Carter", "Science teacher", "teacher", (), "manager"),
    DemoPerson("maths", "Fatima", "Hassan", "Maths teacher", "teacher", (), "manager"),
    DemoPerson("history", "Owen", "Price", "History teacher", "teacher", (), "deputy"),
    DemoPerson("art", "Niamh", "Byrne", "Art teacher", "teacher", (), "deputy"),
    DemoPerson("mentor", "Kwame", "Mensah", "Learning mentor", "support", (), "senco"),
    DemoPerson("ta2", "Beth", "Morgan", "Teaching assistant", "support", (), "senco"),
    DemoPerson("supply", "Ian", "Doyle", "Supply teacher", StaffType.SUPPLY, (), "manager"),
    DemoPerson("volunteer", "Ruth", "Allen", "Reading volunteer", StaffType.VOLUNTEER, (),
               "assistant"),
]  # fmt: skip


@dataclass(frozen=True)
class FormerPupil:
    """A former pupil chosen so that one or more policy rules apply to them."""

    first: str
    last: str
    age: int
    years_ago: float
    vulnerable: bool
    why: str
    # Left in the middle of a school year (moved away); everyone else left in July.
    moved_mid_year: bool = False


FORMER = [
    FormerPupil("Jade", "Fletcher", 15, 0.5, False, "a child who moved school: child rules", True),
    FormerPupil("Ryan", "Cole", 16, 1.2, False, "a child: social media prohibited"),
    FormerPupil("Megan", "Shaw", 17, 2.9, False, "17: one year short of adulthood"),
    FormerPupil("Liam", "Barker", 18, 0.8, False, "adult, left under three years ago"),
    FormerPupil("Chloe", "Dunn", 19, 1.5, False, "adult, recently left"),
    FormerPupil("Daniel", "Reid", 19, 2.0, True, "vulnerable adult inside the window"),
    FormerPupil("Sophie", "Kerr", 20, 2.5, False, "adult inside the window"),
    FormerPupil(
        "Adam", "Lowe", 21, 3.0, False, "moved away exactly three years ago: outside", True
    ),
    FormerPupil("Hollie", "Marsh", 22, 4.0, False, "adult outside the window"),
    FormerPupil("Nathan", "Frost", 23, 5.0, True, "vulnerable adult outside the window"),
    FormerPupil("Erin", "Holt", 24, 6.0, False, "adult long gone: relationship needs approval"),
    FormerPupil("Josh", "Pearce", 25, 7.0, False, "adult long gone"),
    FormerPupil("Ellie", "Nash", 18, 0.1, False, "left this summer at 18"),
    FormerPupil("Callum", "Hart", 17, 0.3, False, "left at 17 for college"),
    FormerPupil("Tia", "Moss", 14, 0.4, False, "a child who moved away", True),
    FormerPupil("Kieran", "Bell", 26, 8.0, False, "adult long gone"),
    FormerPupil("Leah", "Pope", 20, 1.9, False, "adult inside the window"),
    FormerPupil("Marcus", "Dale", 21, 2.6, True, "vulnerable adult inside the window"),
    FormerPupil("Anya", "Kowal", 19, 3.5, False, "adult outside the window"),
    FormerPupil("Owen", "Tate", 30, 12.0, False, "grown adult, left long ago"),
]


@dataclass(frozen=True)
class DemoSummary:
    school_name: str
    staff: int
    current_pupils: int
    former_pupils: int
    parents: int
    logins: list[tuple[str, str, str]]
    invitation: tuple[str, str, str]  # the invited newcomer's email, name and link


def _demo_two_factor(staff: Iterable[Staff]) -> None:
    """Senior demo accounts get an authenticator, set up as a person would: start, then prove it
    with a code. `manage.py demo_code EMAIL` shows the code a phone would show."""
    for person in staff:
        if two_factor.two_factor_required(person):
            device = two_factor.two_factor_begin(actor=person)
            two_factor.two_factor_confirm(actor=person, token=two_factor.current_code(device)[0])


def _years_before(day: dt.date, years: float) -> dt.date:
    return day - dt.timedelta(days=round(years * 365.25))


def _calendar_years_before(day: dt.date, years: int) -> dt.date:
    """The same date `years` calendar years earlier (28 February for a 29 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _birthday_for_age(today: dt.date, age: int, rng: random.Random) -> dt.date:
    # Somewhere in the year after their last birthday, so the age is exactly `age` today.
    return today - dt.timedelta(days=age * 365 + age // 4 + rng.randint(20, 330))


def _september(year: int) -> dt.date:
    return dt.date(year, 9, 4)


# English schools: a year group is everyone aged N + 4 on 1 September (Year 7: 11 to 12), and
# pupils finishing a year leave in July, at the end of the summer term.
END_OF_SUMMER_TERM = (7, 20)


def _born_for_year_group(school_year_start: int, year_group: int, rng: random.Random) -> dt.date:
    """A birthday in the school year (1 September to 31 August) of that year group's cohort."""
    first = dt.date(school_year_start - year_group - 5, 9, 1)
    return first + dt.timedelta(days=rng.randint(0, 364))


def _first_september_at_11(born: dt.date) -> dt.date:
    """When they started Year 7: the first 1 September on which they were 11."""
    year = born.year + 11 + (1 if (born.month, born.day) >= (9, 1) else 0)
    return _september(year)


def _july_leaving(today: dt.date, years_ago: float) -> dt.date:
    """The end of a summer term about `years_ago` before today, on the same side of the
    three-year line as `years_ago` (the demo's cases are about that line)."""
    target = _years_before(today, years_ago)
    line = _calendar_years_before(today, 3)
    under_three = years_ago < 3
    candidates = [
        day
        for year in range(target.year - 2, target.year + 2)
        if (day := dt.date(year, *END_OF_SUMMER_TERM)) <= today and (day > line) == under_three
    ]
    return min(candidates, key=lambda day: abs((day - target).days))


def build_demo_school(today: dt.date) -> DemoSummary:
    rng = random.Random(2026)
    with transaction.atomic():
        head = people_services.school_bootstrap(
            actor=None,
            name=DEMO_SCHOOL,
            address="1 Oakfield Lane, Anytown AN1 2OS",
            lado_phone="01632 960 123",
            head_email=f"head@{DEMO_DOMAIN}",
            head_first_name="Helen",
            head_last_name="Ashworth",
            head_password=DEMO_PASSWORD,
        )
        school = head.school
        people: dict[str, Staff] = {"head": head}
        for person in CAST:
            people[person.key] = people_services.staff_create(
                actor=head,
                school=school,
                email=f"{person.key}@{DEMO_DOMAIN}",
                first_name=person.first,
                last_name=person.last,
                job_title=person.title,
                staff_type=person.staff_type,
                line_manager=people[person.manager] if person.manager else None,
                # The governance roles are not the head's to give: see below.
                roles_held=[r for r in person.roles if r not in GOVERNANCE_ROLES],
                password=DEMO_PASSWORD,
            )
        # As in a real school: the installation's operator appoints the first chair, who then
        # appoints the governors.
        people_services.chair_appoint(
            school=school, staff=people["chair"], operator="the demo loader (load_demo)"
        )
        for person in CAST:
            if set(person.roles) & GOVERNANCE_ROLES and person.key != "chair":
                people_services.governance_roles_set(
                    actor=people["chair"],
                    staff=people[person.key],
                    roles_held=[r for r in person.roles if r in GOVERNANCE_ROLES],
                )
        current = _current_pupils(head, today, rng)
        former = _former_pupils(head, today, rng)
        parents = _parents(head, current + former[:6], rng)
        # Half the staff have read the policies; the dashboard lists the rest.
        signatories: dict[str, Staff] = {
            Role.HEADTEACHER: head,
            Role.CHAIR_OF_GOVERNORS: people["chair"],
            Role.ASSISTANT_HEAD: people["assistant"],
        }
        build_demo_policies(head, signatories, [p for key, p in people.items() if key < "m"], today)
        # Lucy Green's own son and the PE teacher's niece are on roll: each declared them, with
        # the contact it involves, and once the head acknowledged it that contact is recorded,
        # not asked about each time. The PE teacher's neighbour's daughter waits for the head.
        for key, pupil, relationship, kinds, conditions in (
            (
                "support",
                current[3],
                Relationship.CHILD,
                ["transport", "text_message", "meeting", "social_event"],
                "",
            ),
            (
                "pe",
                current[10],
                Relationship.NIECE_NEPHEW,
                ["social_event", "meeting", "gift"],
                "Family occasions only; football coaching stays at school.",
            ),
        ):
            declared = people_services.relative_add(
                actor=people[key],
                staff=people[key],
                pupil=pupil,
                relationship=relationship,
                contact_kinds=kinds,
            )
            people_services.relative_acknowledge(
                actor=head, relative=declared, conditions=conditions
            )
        people_services.relative_add(
            actor=people["pe"],
            staff=people["pe"],
            pupil=current[11],
            relationship=Relationship.NEIGHBOUR,
            contact="She lives next door; we sometimes drive her to the Saturday club with ours.",
            contact_kinds=["transport", "meeting"],
        )
        # Hannah and Owen Price are married: neither manages the other or decides their requests.
        people_services.colleague_relationship_declare(
            actor=people["history"],
            staff=people["history"],
            colleague=people["senco"],
            kind="partner",
        )
        # The parents of the first few pupils agreed to school texts and calls (004 §11).
        for pupil in current[:5]:
            people_services.pupil_update(
                actor=people["admin"],
                pupil=pupil,
                agreed_contact_modes=["phone_call", "text_message"],
            )
        _demo_requests(people, current, former)
        _demo_records(people, current, former)
        _demo_two_factor(people.values())
        # A newcomer the office has just added: invited, not yet signed in.
        newcomer = people_services.staff_create(
            actor=people["admin"],
            school=school,
            email=f"newstaff@{DEMO_DOMAIN}",
            first_name="Nina",
            last_name="Newstaff",
            job_title="Teaching assistant",
            staff_type="support",
            line_manager=people["senco"],
        )
        invitation_link = people_services.invitation_send(actor=people["admin"], staff=newcomer)
    logins = [("head", "Helen Ashworth", "Headteacher")] + [
        (p.key, f"{p.first} {p.last}", p.title) for p in CAST
    ]
    return DemoSummary(
        school_name=school.name,
        staff=len(people) + 1,
        current_pupils=len(current),
        former_pupils=len(former),
        parents=parents,
        logins=[(f"{key}@{DEMO_DOMAIN}", name, title) for key, name, title in logins],
        invitation=(newcomer.email, newcomer.full_name, invitation_link),
    )


def _current_pupils(head: Staff, today: dt.date, rng: random.Random) -> list[Pupil]:
    # An 11-18 school: Years 7 to 13, about nine a year group, each the right age for its year.
    # Most joined in Year 7; a third of the sixth form joined it in Year 12 from elsewhere.
    school_year_start = today.year if today.month >= 9 else today.year - 1
    pupils = []
    for year_group in range(7, 14):
        for n in range(9 if year_group < 12 else 6):
            born = _born_for_year_group(school_year_start, year_group, rng)
            joined_sixth_form = year_group >= 12 and n % 3 == 0
            admitted = _september(
                school_year_start - (year_group - 12 if joined_sixth_form else year_group - 7)
            )
            pupils.append(
                people_services.pupil_create(
                    actor=head,
                    school=head.school,
                    first_name=rng.choice(FIRST_NAMES),
                    last_name=rng.choice(LAST_NAMES),
                    date_of_birth=born,
                    admission_date=admitted,
                    leaving_date=None,
                    year_group=year_group,
                    vulnerable_adult=False,
                    notes="",
                )
            )
    return pupils


def _former_pupils(head: Staff, today: dt.date, rng: random.Random) -> list[Pupil]:
    pupils = []
    for former in FORMER:
        if former.moved_mid_year:
            # Moving house or school happens in any month: the day itself, as long ago as given.
            left = _years_before(today, former.years_ago)
            if former.years_ago == 3.0:
                left = _calendar_years_before(today, 3)
        else:
            left = _july_leaving(today, former.years_ago)
        born = _birthday_for_age(today, former.age, rng)
        admitted = min(_first_september_at_11(born), left - dt.timedelta(days=30))
        # Their year group when they left: their age on 1 September of that school year, less 4.
        final_year = left.year if (left.month, left.day) >= (9, 1) else left.year - 1
        leaving_age = final_year - born.year - (1 if (born.month, born.day) > (9, 1) else 0)
        pupils.append(
            people_services.pupil_create(
                actor=head,
                school=head.school,
                first_name=former.first,
                last_name=former.last,
                date_of_birth=born,
                admission_date=admitted,
                leaving_date=left,
                year_group=min(max(leaving_age - 4, 7), 13),
                vulnerable_adult=former.vulnerable,
                notes=f"Demo: {former.why}.",
            )
        )
    return pupils


def _parents(head: Staff, pupils: list[Pupil], rng: random.Random) -> int:
    count = 0
    for pupil in pupils[::2]:
        first = rng.choice(["Sarah", "Paul", "Nadia", "Gareth", "Joanne", "Imran", "Claire"])
        people_services.parent_create(
            actor=head,
            school=head.school,
            children=[pupil],
            first_name=first,
            last_name=pupil.last_name,
            relationship=rng.choice(["Mother", "Father", "Carer"]),
            email=f"{first.lower()}.{pupil.last_name.lower()}{pupil.pk}@parents.example",
            phone=f"07700 900{pupil.pk % 1000:03d}",
        )
        count += 1
    return count


def _when(days: int, hour: int = 16) -> dt.datetime:
    day = timezone.localdate() + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def _ask(
    staff: Staff, pupils: list[Pupil], days: int, submit: bool = True, **answers: Any
) -> ContactRequest:
    base: dict[str, Any] = {
        "with_family_only": False,
        "exemption": "",
        "parent_organised": False,
        "school_channel": False,
        "vulnerable_context": False,
        "plan_outcomes": "",
        "plan_timescales": "",
        "plan_review_date": None,
    }
    return planned_services.request_file(
        actor=staff,
        pupils=pupils,
        submit=submit,
        starts_at=_when(days),
        **(base | answers),
    )


def _demo_requests(people: dict[str, Staff], current: list[Pupil], former: list[Pupil]) -> None:
    """Requests in every state, so each dashboard and queue has something to show."""
    head = people["head"]
    _ask(
        people["teacher"],
        [current[20]],
        9,
        kind="meeting",
        purpose="work",
        place="Oakfield community centre",
        reasons="Weekly reading mentoring agreed with the family, outside school hours.",
    )
    _ask(
        people["pe"],
        [current[15], current[16]],
        12,
        kind="activity",
        purpose="personal",
        exemption="sport",
        place="Anytown Juniors football ground",
        reasons="I coach the Saturday under-14s team these pupils have joined.",
    )
    concert = _ask(
        people["music"],
        [current[30]],
        20,
        kind="social_event",
        purpose="work",
        place="St Mary's church hall",
        reasons="Accompanying the pupil at the town's young musicians' concert.",
    )
    planned_services.request_decide(
        actor=head,
        contact_request=concert,
        decision="approve",
        expected_version=concert.version,
        conditions="A second adult attends; parents collect the pupil.",
    )
    plan: dict[str, Any] = {
        "plan_outcomes": "Advice on applying for teacher training.",
        "plan_timescales": "Two meetings over a month.",
        "plan_support": "A check-in with the deputy head after each meeting.",
        "plan_signposting": "The university's careers service.",
        "plan_review_date": timezone.localdate() + dt.timedelta(days=45),
    }
    erin = _ask(
        people["mentor"],
        [former[10]],
        15,
        kind="meeting",
        purpose="personal",
        place="Anytown library",
        reasons="Erin asked for help with her application.",
        **plan,
    )
    planned_services.request_decide(
        actor=head,
        contact_request=erin,
        decision="ask",
        expected_version=erin.version,
        reason="Could this happen at the careers service instead?",
    )
    lift = _ask(
        people["science"],
        [current[5]],
        6,
        kind="transport",
        purpose="work",
        place="From school to the county science fair",
        reasons="The minibus is full; I would drive the pupil myself.",
    )
    planned_services.request_decide(
        actor=head,
        contact_request=lift,
        decision="reject",
        expected_version=lift.version,
        reason="Book a taxi through the office instead of a staff car.",
    )
    _ask(
        head,
        [former[19]],
        18,
        kind="meeting",
        purpose="personal",
        place="Anytown café",
        reasons="Owen has asked me to be a referee for his police application.",
        plan_outcomes="A reference discussion only.",
        plan_timescales="One meeting.",
        plan_support="The chair of governors is told after the meeting.",
        plan_review_date=timezone.localdate() + dt.timedelta(days=60),
    )
    _ask(
        people["assistant"],
        [current[2]],
        4,
        kind="meeting",
        purpose="work",
        with_family_only=True,
        place="The family's home",
        reasons="Home visit to discuss attendance support with the parents.",
    )
    maths = _ask(
        people["maths"],
        [current[40]],
        10,
        kind="meeting",
        purpose="work",
        place="Anytown library",
        reasons="Revision support before the mock exams.",
    )
    planned_services.request_refer(
        actor=head,
        contact_request=maths,
        expected_version=maths.version,
        reason="The pupil is the child of a governor: the chair should decide.",
    )
    # A plan of involvement agreed and under way, with its first session logged.
    ellie = _ask(
        people["mentor"],
        [former[12]],
        5,
        kind="meeting",
        purpose="work",
        place="Anytown college library",
        reasons="Ellie, who left this summer, asked for help settling in at college.",
        plan_outcomes="Ellie knows who to ask for help at college and keeps up with her work.",
        plan_timescales="Three meetings this term, then a review.",
        plan_support="A talk with the deputy head after each meeting.",
        plan_agencies="The college's student support team.",
        plan_signposting="The college's counselling service and the local young people's hub.",
        plan_review_date=timezone.localdate() + dt.timedelta(days=30),
    )
    ellie = planned_services.request_decide(
        actor=head, contact_request=ellie, decision="approve", expected_version=ellie.version
    )
    planned_services.plan_session_log(
        actor=people["mentor"],
        contact_request=ellie,
        held_on=timezone.localdate(),
        what_happened="A short call to arrange the first meeting; Ellie is settling in well.",
    )
    _ask(
        people["teacher"],
        [current[25]],
        14,
        submit=False,
        kind="photography",
        purpose="work",
        school_channel=True,
        place="School field, sports day",
        reasons="Photographs for the school newsletter on a school camera.",
    )


def _ago(days: int, hour: int = 15) -> dt.datetime:
    day = timezone.localdate() - dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def _demo_records(people: dict[str, Staff], current: list[Pupil], former: list[Pupil]) -> None:
    """Records after the fact, a disclosure, boundary concerns and a LADO consultation."""
    head = people["head"]
    records_services.record_create(
        actor=people["teacher"],
        record_type="unplanned",
        pupils=[current[22]],
        kind="meeting",
        purpose="personal",
        occurred_at=_ago(3),
        place="Anytown supermarket",
        details="Met the pupil and her mother by chance; we chatted for ten minutes.",
    )
    records_services.record_create(
        actor=people["science"],
        record_type="lift",
        pupils=[current[7]],
        kind="transport",
        purpose="work",
        occurred_at=_ago(2, 18),
        place="From the science fair to home",
        details="The pupil's parent did not arrive and it was getting dark; I drove the pupil "
        "home with a colleague's knowledge and saw them inside.",
    )
    records_services.record_create(
        actor=people["music"],
        record_type="gift",
        pupils=[current[30]],
        kind="gift",
        purpose="personal",
        direction="received",
        occurred_at=_ago(10),
        details="A thank-you card after the concert.",
    )
    records_services.record_create(
        actor=people["ta2"],
        record_type="ongoing",
        pupils=[former[1]],
        kind="social_media",
        purpose="personal",
        occurred_at=_ago(1, 20),
        details="Ryan sent me a friend request and two messages on a social network. I have "
        "not replied.",
    )
    records_services.record_create(
        actor=people["assistant"],
        record_type="family",
        pupils=[current[2]],
        kind="meeting",
        purpose="work",
        occurred_at=_ago(6),
        place="The family's home",
        details="Home visit about attendance; both parents present.",
    )
    # A pattern worth a look (the head's dashboard, Owen Price's pattern view): three "chance"
    # meetings with the same pupil within 90 days and two gifts to her, each harmless alone.
    for days, place in ((70, "The park"), (35, "The leisure centre"), (8, "The town library")):
        records_services.record_create(
            actor=people["history"],
            record_type="unplanned",
            pupils=[current[15]],
            kind="meeting",
            purpose="personal",
            occurred_at=_ago(days, 17),
            place=place,
            details="Bumped into the pupil by chance and we talked about her history project.",
        )
    for days, gift in ((40, "a history book"), (12, "a set of revision cards")):
        records_services.record_create(
            actor=people["history"],
            record_type="gift",
            pupils=[current[15]],
            kind="gift",
            purpose="personal",
            direction="given",
            occurred_at=_ago(days, 15),
            details=f"Gave the pupil {gift} to help with her coursework.",
        )
    records_services.disclosure_record(
        actor=people["support"],
        pupil=current[12],
        disclosure_type="child_protection",
        disclosed_at=_ago(1, 11),
        account="Demo entry: the pupil said they are scared to go home at weekends.",
        circumstances="At break, in the library, no one else nearby.",
        action_taken="Listened, did not promise to keep it secret, told the DSL in person.",
    )
    concern = concerns_services.concern_raise(
        actor=people["ta2"],
        subject=people["ta2"],
        occurred_on=timezone.localdate() - dt.timedelta(days=1),
        description="Self-referral: a former pupil contacted me on social media (see my record).",
    )
    concerns_services.concern_respond(
        actor=head,
        concern=concern,
        response="Advised not to reply and to block the account; recorded on the pupil's file.",
        outcome="advice",
        close=True,
    )
    worry = concerns_services.concern_raise(
        actor=people["art"],
        subject=people["pe"],
        occurred_on=timezone.localdate() - dt.timedelta(days=4),
        confidential=True,
        description="Chris often gives one Year 9 pupil lifts after matches without telling "
        "anyone.",
    )
    concerns_services.lado_record(
        actor=head,
        subject=people["pe"],
        referral_type="consultation",
        contacted_at=_ago(2, 10),
        spoke_to="Duty LADO",
        concern=worry,
        advice="Speak to the member of staff, remind him of the lifts policy and monitor.",
    )
    concerns_services.concern_raise(
        actor=people["deputy"],
        subject=head,
        occurred_on=timezone.localdate() - dt.timedelta(days=7),
        description="The headteacher met a former pupil socially without a plan of involvement.",
    )
