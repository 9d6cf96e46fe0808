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
