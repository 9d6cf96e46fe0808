"""A school with something of everything on its daily pages: several requests, records,
disclosures and concerns, each about several pupils, with notes, addenda, a plan, a declared
relationship and parents. Pages whose queries grew with their rows would show it here."""

from contacts.concerns import services as concerns_services
from contacts.people.models import Pupil, Staff
from contacts.planned import services as planned_services
from contacts.records import services as records_services
from tests.factories import (
    ParentCarerFactory,
    PupilFactory,
    StaffFactory,
    StaffRelativeFactory,
)
from tests.factories_records import days_ago, make_disclosure, make_record, past
from tests.factories_requests import future, make_plan, make_request


def add_busy_rows(
    *, pupil: Pupil, requesters: list[Staff], head: Staff, dsl: Staff, round_: int = 0
) -> None:
    """One more round of entries about `pupil` (and two classmates) by each of `requesters`:
    requests (one approved, one with a note, one a plan), records (one with an addendum), a
    disclosure, a concern about the requester linked to a record, a declared relationship
    and a parent. Call again with another `round_` for more of the same."""
    school = pupil.school
    classmates = [PupilFactory(school=school) for _ in range(2)]
    ParentCarerFactory(school=school, children=[pupil, classmates[0]])
    for i, requester in enumerate(requesters):
        days = 3 + round_ * 10 + i
        approved = make_request(requester, [pupil, classmates[0]], starts_at=future(days=days))
        planned_services.request_decide(
            actor=head, contact_request=approved, decision="approve", expected_version=None
        )
        noted = make_request(requester, [pupil, classmates[1]], starts_at=future(days=days + 1))
        planned_services.request_note_add(actor=head, contact_request=noted, text="Which room?")
        make_plan(requester, [pupil], starts_at=future(days=days + 2))
        record = make_record(requester, [pupil, *classmates], occurred_at=past(days))
        records_services.record_addendum_add(actor=requester, record=record, text="Also present.")
        make_record(requester, [pupil], occurred_at=past(days + 1))
        concerns_services.concern_raise(
            actor=dsl,
            subject=requester,
            occurred_on=days_ago(days),
            description="Seen giving a pupil a lift home alone.",
            related_record=record,
        )
    # A declared relationship with the pupil, acknowledged, and one waiting for the head.
    StaffRelativeFactory(staff=StaffFactory(school=school), pupil=pupil, acknowledged=True)
    StaffRelativeFactory(staff=StaffFactory(school=school), pupil=pupil)
    make_disclosure(dsl, pupil)
    make_disclosure(dsl, classmates[1])
