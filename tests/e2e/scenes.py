"""The people and pupils the journeys meet, and the steps more than one journey takes.

Dates are relative to today, so the former pupil is an adult who left last year whenever the
suite runs, and the contact is always next week.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from contacts.people.models import Pupil
from contacts.planned.models import ContactRequest
from tests.e2e.browser import Person
from tests.factories import PupilFactory

LIFT_REASONS = (
    "Jordan missed the last bus after the sixth-form careers evening; his mother asked me to "
    "drive him home."
)
LIFT_PLACE = "From the school car park to his home in Mill Lane"
PLAN_OUTCOMES = "Jordan gets home safely; no further lifts are planned."
PLAN_TIMESCALES = "One journey of about fifteen minutes, on the evening of the event."
PLAN_SUPPORT = "I tell the head of sixth form when Jordan is home, and we talk it over next day."
PERSONAL_LIFT = {"kind": "A lift in your vehicle", "purpose": "Personal: not part of your job"}


def next_week() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=7)


def former_pupil(school) -> Pupil:
    """An adult former pupil: 19, left the sixth form a little over a year ago."""
    today = timezone.localdate()
    return PupilFactory(
        school=school,
        first_name="Jordan",
        last_name="Whitfield",
        date_of_birth=today.replace(year=today.year - 19) - dt.timedelta(days=40),
        admission_date=today.replace(year=today.year - 8),
        leaving_date=today - dt.timedelta(days=400),
        year_group=13,
    )


def current_pupil(school, first: str = "Maisie", last: str = "Clarke") -> Pupil:
    return PupilFactory(school=school, first_name=first, last_name=last, year_group=9)


def fill_contact_questions(person: Person, *, kind: str, purpose: str, on: dt.date) -> None:
    """The questions shared by "Can I do this?" and the request form."""
    page = person.page
    person.field("Kind of contact").select_option(label=kind)
    page.get_by_role("radio", name=purpose).check()
    person.field("Date of the contact").fill(on.isoformat())


def ask_can_i_give_a_lift(teacher: Person, pupil: Pupil) -> None:
    """Journey 1, first half: "Can I do this?" for a lift home, and what the policies say."""
    teacher.follow("Can I do this?")
    teacher.sees("Can I do this?", "Nothing is saved or sent.")
    teacher.find_pupil(pupil.full_name)
    fill_contact_questions(teacher, **PERSONAL_LIFT, on=next_week())
    teacher.click("Check")
    teacher.sees(
        "What the policies say: Needs approval first",
        "Approved by: The headteacher, before the contact takes place.",
        "Agree a written plan of involvement, with aims and timescales",
        "000 §contact with former pupils",
        "Further personal contact with a former pupil needs the head's agreement",
    )


def file_lift_request(teacher: Person, pupil: Pupil, *, screenshot: bool = False) -> ContactRequest:
    """Journey 1, second half: the request with reasons and a plan of involvement, sent."""
    teacher.follow("My requests")
    teacher.follow("New request")
    teacher.sees("Ask for approval of planned contact")
    teacher.find_pupil(pupil.full_name)
    fill_contact_questions(teacher, **PERSONAL_LIFT, on=next_week())
    teacher.field("Time").fill("19:30")
    teacher.field("Place").fill(LIFT_PLACE)
    teacher.field("Reasons").fill(LIFT_REASONS)
    teacher.field("Plan of involvement: expected outcomes").fill(PLAN_OUTCOMES)
    teacher.field("Plan of involvement: timescales").fill(PLAN_TIMESCALES)
    teacher.field("Plan of involvement: support or supervision for you").fill(PLAN_SUPPORT)
    teacher.field("Plan of involvement: review date").fill(
        (next_week() + dt.timedelta(days=14)).isoformat()
    )
    teacher.click("Check what the policies say (nothing is saved)")
    teacher.sees("What the policies say: Needs approval first", "000 §contact with former pupils")
    assert not ContactRequest.objects.exists(), "checking must not save anything"
    if screenshot:
        teacher.screenshot("request-form")
    teacher.click("Send for a decision")
    saved = ContactRequest.objects.get(requester=teacher.staff)
    teacher.sees(f"{saved.reference} was sent for a decision.", "Waiting for a decision")
    teacher.sees("Jordan Whitfield", LIFT_PLACE, LIFT_REASONS, PLAN_OUTCOMES)
    return saved
