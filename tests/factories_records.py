"""Factories for records made after the fact (contact records, disclosures, boundary concerns,
LADO referrals), built through the services so every row, audit event and notice is real."""

import datetime as dt

from django.utils import timezone

from contacts.concerns import services as concerns_services
from contacts.concerns.models import BoundaryConcern, LadoReferral
from contacts.records import services as records_services
from contacts.records.models import ContactRecord, Disclosure

DETAILS = "Met at the library by chance; we spoke briefly about the maths homework."
ACCOUNT = "Said that things at home have been frightening since the weekend."
DESCRIPTION = "Seen giving a pupil a lift home alone after the club, twice this month."
ADVICE = "Keep a written note of any further contact and review in a week."


def past(days: int = 1, hour: int = 10, minute: int = 0) -> dt.datetime:
    """A local time `days` ago (an aware datetime)."""
    day = timezone.localdate() - dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def days_ago(days: int = 1) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=days)


def make_record(author, pupils, **overrides) -> ContactRecord:
    """An unplanned work meeting with the pupils yesterday, unless overridden."""
    answers = {
        "record_type": "unplanned",
        "kind": "meeting",
        "purpose": "work",
        "occurred_at": past(),
        "details": DETAILS,
    } | overrides
    return records_services.record_create(actor=author, pupils=list(pupils), **answers)


def make_family_record(author, pupils, **overrides) -> ContactRecord:
    """Contact with a pupil's family only: a restricted family-liaison record."""
    answers = {"record_type": "family", "kind": "meeting", "purpose": "personal"} | overrides
    return make_record(author, pupils, **answers)


def make_disclosure(author, pupil, **overrides) -> Disclosure:
    answers = {
        "disclosure_type": "child_protection",
        "disclosed_at": timezone.now() - dt.timedelta(hours=1),
        "account": ACCOUNT,
    } | overrides
    return records_services.disclosure_record(actor=author, pupil=pupil, **answers)


def make_concern(reporter, subject, **overrides) -> BoundaryConcern:
    answers = {"occurred_on": days_ago(1), "description": DESCRIPTION} | overrides
    return concerns_services.concern_raise(actor=reporter, subject=subject, **answers)


def make_lado(recorder, subject, **overrides) -> LadoReferral:
    answers = {
        "referral_type": "referral",
        "contacted_at": past(2, hour=11),
        "spoke_to": "Sam Duty, LADO",
        "advice": ADVICE,
    } | overrides
    return concerns_services.lado_record(actor=recorder, subject=subject, **answers)
