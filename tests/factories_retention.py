"""Records old enough for the retention schedule: pupils who left long ago, staff with a date
of birth, records, requests, disclosures, concerns and LADO contact moved back in time. Rows
are made through the services, then their dates are moved with a queryset update (the services
stamp `created_at` with the present)."""

import datetime as dt

from django.utils import timezone

from contacts.concerns import services
from contacts.concerns.models import BoundaryConcern, LadoReferral
from contacts.people.models import Pupil, Staff
from contacts.planned.models import ContactRequest, RequestNote
from contacts.records.models import Addendum, ContactRecord, Disclosure
from tests.factories_records import make_concern, make_disclosure, make_lado, make_record
from tests.factories_requests import future, make_request

BORN = dt.date(1998, 3, 1)
ADMITTED = dt.date(2009, 9, 1)
# A day while the pupil was on roll, when the old records were made.
RECORDED = dt.date(2015, 3, 2)
LEFT = dt.date(2015, 7, 20)
# Six years (the default) after LEFT.
CONTACT_DUE = dt.date(2021, 7, 20)
# The 25th birthday (the default) of a pupil born on BORN.
DISCLOSURE_DUE = dt.date(2023, 3, 1)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def make_leaver(pupil: Pupil, *, born=BORN, admitted=ADMITTED, left=LEFT) -> Pupil:
    """Turn a pupil into one born, admitted and gone on the given days."""
    Pupil.objects.filter(pk=pupil.pk).update(
        date_of_birth=born, admission_date=admitted, leaving_date=left
    )
    pupil.refresh_from_db()
    return pupil


def set_birth_date(staff: Staff, born: dt.date | None) -> Staff:
    Staff.objects.filter(pk=staff.pk).update(date_of_birth=born)
    staff.refresh_from_db()
    return staff


def age(obj, on: dt.date):
    """Move a record, request or disclosure (with its addenda or notes) back to `on`."""
    moment = at(on)
    if isinstance(obj, ContactRecord):
        ContactRecord.objects.filter(pk=obj.pk).update(occurred_at=moment, created_at=moment)
        Addendum.objects.filter(record=obj).update(created_at=moment)
    elif isinstance(obj, ContactRequest):
        moved = {"starts_at": moment, "created_at": moment, "updated_at": moment}
        if obj.submitted_at is not None:
            moved["submitted_at"] = moment
        ContactRequest.objects.filter(pk=obj.pk).update(**moved)
        RequestNote.objects.filter(request=obj).update(created_at=moment)
    elif isinstance(obj, Disclosure):
        Disclosure.objects.filter(pk=obj.pk).update(disclosed_at=moment, created_at=moment)
        Addendum.objects.filter(disclosure=obj).update(created_at=moment)
    else:
        raise TypeError(f"cannot age {obj!r}")
    obj.refresh_from_db()
    return obj


def make_old_record(author, pupils, *, on: dt.date = RECORDED, **overrides) -> ContactRecord:
    """A contact record made on `on` (while the pupils were on roll, by default)."""
    return age(make_record(author, pupils, **overrides), on)


def make_old_request(requester, pupils, *, on: dt.date = RECORDED, **overrides):
    """A submitted request for contact with former pupils (with the plan of involvement it
    needs), then moved back to `on`."""
    answers = {
        "plan_outcomes": "Help with a university application.",
        "plan_timescales": "One meeting.",
        "plan_support": "A talk with the line manager afterwards.",
        "plan_review_date": future(30).date(),
    } | overrides
    return age(make_request(requester, pupils, **answers), on)


def make_old_disclosure(author, pupil, *, on: dt.date = RECORDED, **overrides) -> Disclosure:
    return age(make_disclosure(author, pupil, **overrides), on)


def make_old_concern(reporter, subject, head, *, raised_on: dt.date, close=True, **overrides):
    """A boundary concern raised on `raised_on`, closed by the headteacher unless told not to."""
    concern = make_concern(reporter, subject, occurred_on=raised_on, **overrides)
    if close:
        services.concern_respond(
            actor=head, concern=concern, response="Spoke to them.", outcome="advice", close=True
        )
    BoundaryConcern.objects.filter(pk=concern.pk).update(created_at=at(raised_on))
    concern.refresh_from_db()
    return concern


def make_old_lado(recorder, subject, *, called_on: dt.date, **overrides) -> LadoReferral:
    """A LADO consultation (unless told otherwise) made by telephone on `called_on`."""
    answers = {"referral_type": "consultation", "contacted_at": at(called_on, 11)} | overrides
    return make_lado(recorder, subject, **answers)
