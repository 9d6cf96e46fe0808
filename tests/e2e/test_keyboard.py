"""Journey 1 again, with the keyboard alone: no click, no mouse, every step reached with Tab."""

import datetime as dt

from django.utils import timezone

from contacts.planned.models import ContactRequest, Status
from tests.e2e.browser import KeyboardOnly
from tests.e2e.scenes import (
    LIFT_PLACE,
    LIFT_REASONS,
    PLAN_OUTCOMES,
    PLAN_SUPPORT,
    PLAN_TIMESCALES,
    former_pupil,
    next_week,
)
from tests.factories import TEST_PASSWORD


def test_journey_one_with_the_keyboard_alone(people, teacher):
    jordan = former_pupil(teacher.school)
    tom = people(teacher, sign_in=False)
    keys = KeyboardOnly(tom)

    # The sign-in page puts the focus in the email field straight away.
    tom.open("/login/")
    assert keys.focused()["name"] == "Email address"
    tom.page.keyboard.type(teacher.email)
    keys.type_into("Password", TEST_PASSWORD)
    keys.activate("Sign in")
    tom.sees("My requests")

    # On every page the skip link comes first and takes the focus past the menu.
    assert keys.tab()["name"] == "Skip to main content"
    tom.page.keyboard.press("Enter")
    after_skip = keys.tab()
    assert after_skip["inMain"] and after_skip["name"] == "New request"

    # "Can I do this?"
    keys.activate("Can I do this?")
    keys.find_pupil(jordan.full_name)
    keys.choose("Kind of contact", "A lift")
    keys.radio("Work: part of your job", "Personal: not part of your job")
    keys.date("Date of the contact", next_week())
    keys.activate("Check")
    tom.sees(
        "What the policies say: Needs approval first",
        "Approved by: The headteacher",
        "Agree a written plan of involvement, with aims and timescales",
        "000 §contact with former pupils",
    )

    # The request itself.
    keys.activate("My requests")
    keys.activate("New request")
    keys.find_pupil(jordan.full_name)
    keys.choose("Kind of contact", "A lift")
    keys.radio("Work: part of your job", "Personal: not part of your job")
    keys.date("Date of the contact", next_week())
    keys.time("Time", 19, 30)
    keys.type_into("Place", LIFT_PLACE)
    keys.type_into("Reasons", LIFT_REASONS)
    keys.type_into("Plan of involvement: expected outcomes", PLAN_OUTCOMES)
    keys.type_into("Plan of involvement: timescales", PLAN_TIMESCALES)
    keys.type_into("Plan of involvement: support or supervision for you", PLAN_SUPPORT)
    keys.date("Plan of involvement: review date", next_week() + dt.timedelta(days=14))
    keys.activate("Check what the policies say (nothing is saved)")
    tom.sees("What the policies say: Needs approval first")
    keys.activate("Send for a decision")

    saved = ContactRequest.objects.get()
    tom.sees(f"{saved.reference} was sent for a decision.", "Waiting for a decision", LIFT_PLACE)
    assert saved.status == Status.SUBMITTED
    assert list(saved.pupils.all()) == [jordan]
    assert saved.kind == "transport" and saved.purpose == "personal"
    local = timezone.localtime(saved.starts_at)
    assert (local.date(), local.hour, local.minute) == (next_week(), 19, 30)
    assert (saved.plan_outcomes, saved.plan_timescales) == (PLAN_OUTCOMES, PLAN_TIMESCALES)
    assert saved.plan_support == PLAN_SUPPORT
    assert saved.plan_review_date == next_week() + dt.timedelta(days=14)
