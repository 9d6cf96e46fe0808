"""Factories for planned-contact requests, built through the services so every row is real."""

import datetime as dt

from django.utils import timezone

from contacts.planned import services
from contacts.planned.models import ContactRequest


def future(days: int = 7, hour: int = 15) -> dt.datetime:
    day = timezone.localdate() + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


# A planned work meeting with a current pupil: needs the headteacher's approval (rule 4).
WORK_MEETING = {
    "with_family_only": False,
    "kind": "meeting",
    "purpose": "work",
    "exemption": "",
    "parent_organised": False,
    "school_channel": False,
    "vulnerable_context": False,
    "place": "Community centre",
    "reasons": "Mentoring session agreed with the pupil's parents.",
    "plan_outcomes": "",
    "plan_timescales": "",
    "plan_review_date": None,
}


def make_request(requester, pupils, *, submit: bool = True, **overrides) -> ContactRequest:
    answers = WORK_MEETING | {"starts_at": future()} | overrides
    return services.request_file(actor=requester, pupils=list(pupils), submit=submit, **answers)


# A plan of involvement, as contact with a former pupil needs (000 §contact with former pupils).
PLAN = {
    "plan_outcomes": "Confidence at college interviews.",
    "plan_timescales": "Three sessions this term.",
    "plan_support": "A talk with the line manager after each session.",
    "plan_agencies": "The college's student support team.",
    "plan_signposting": "The college careers service.",
}


def make_former_pupil(school, **overrides):
    """An adult who left years ago: contact with them needs approval and a plan."""
    from tests.factories import PupilFactory

    today = timezone.localdate()
    fields = {
        "school": school,
        "first_name": "Fern",
        "last_name": "Former",
        "date_of_birth": today - dt.timedelta(days=24 * 366),
        "admission_date": today - dt.timedelta(days=13 * 366),
        "leaving_date": today - dt.timedelta(days=6 * 366),
        "year_group": 13,
    }
    return PupilFactory(**(fields | overrides))


def make_plan(requester, pupils, *, approve_as=None, **overrides) -> ContactRequest:
    """A request agreed with a plan of involvement (approved by `approve_as`, if given)."""
    review = timezone.localdate() + dt.timedelta(days=30)
    answers = PLAN | {"plan_review_date": review} | overrides
    item = make_request(requester, pupils, **answers)
    if approve_as is not None:
        item = services.request_decide(
            actor=approve_as, contact_request=item, decision="approve", expected_version=None
        )
    return item
