"""contacts.privacy.services: what each rule keeps and until when (the day before and the day
of), legal holds, missing data, what a deletion takes with it and what the audit trail says of
it, dry runs, running twice, other schools, and reviewing disclosures flagged at the end."""

import datetime as dt
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from contacts.concerns import services as concerns_services
from contacts.concerns.models import BoundaryConcern, LadoReferral
from contacts.notifications.models import Notification
from contacts.people import services as people_services
from contacts.planned import services as planned_services
from contacts.planned.models import ContactRequest, RequestNote
from contacts.privacy import retention
from contacts.privacy import services as privacy_services
from contacts.privacy.models import LegalHold
from contacts.privacy.retention import Due, KeepReason, RetentionRule, add_years
from contacts.records import services as records_services
from contacts.records.models import Addendum, ContactRecord, Disclosure
from safeguard.audit.chain import audit_verify
from safeguard.audit.models import AuditEvent
from tests.factories import PupilFactory
from tests.factories_records import ACCOUNT, DESCRIPTION, DETAILS
from tests.factories_retention import (
    BORN,
    CONTACT_DUE,
    DISCLOSURE_DUE,
    RECORDED,
    age,
    make_leaver,
    make_old_concern,
    make_old_disclosure,
    make_old_lado,
    make_old_record,
    make_old_request,
    set_birth_date,
)

DAY = dt.timedelta(days=1)
PDF = b"%PDF-1.4\n% a small test file\n"
RETENTION_ACTIONS = ("retention.delete", "retention.flag", "retention.review", "retention.run")


def _apply(school, today, **options):
    return privacy_services.retention_apply(school=school, today=today, **options)


def _plan(school, today):
    return retention.retention_due(school, today)


def _refs(items):
    return sorted(item.reference for item in items)


def _events(action="retention.delete"):
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def _retention_event_text() -> str:
    fields = ("action", "object_type", "object_id", "object_ref", "from_state", "to_state")
    rows = AuditEvent.objects.filter(action__in=RETENTION_ACTIONS)
    return " ".join(" ".join(str(getattr(e, f)) for f in (*fields, "reason")) for e in rows)


@pytest.fixture
def leaver(pupil):
    """Ava Current, who left on LEFT: her contact records run out on CONTACT_DUE."""
    return make_leaver(pupil)


@pytest.fixture
def record(teacher, leaver):
    made = make_old_record(teacher, [leaver])
    assert not retention.is_allegation_kind(made)
    return made


# --- The dates themselves --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "years", "expected"),
    [
        (dt.date(2015, 7, 20), 6, dt.date(2021, 7, 20)),
        (dt.date(2000, 2, 29), 4, dt.date(2004, 2, 29)),
        # 29 February becomes 1 March in other years: the later day, so a day more, never less.
        (dt.date(2000, 2, 29), 25, dt.date(2025, 3, 1)),
    ],
)
def test_add_years(day, years, expected):
    assert add_years(day, years) == expected


def test_the_later_of_two_periods_and_what_is_missing():
    early, late = Due(on=dt.date(2020, 1, 1)), Due(on=dt.date(2022, 1, 1))
    assert early.later_of(late) == late
    unknown = Due(after=dt.date(2021, 1, 1), missing=KeepReason.NO_STAFF_BIRTH_DATE)
    assert early.later_of(unknown) == Due(after=dt.date(2021, 1, 1), missing=unknown.missing)
    no_bound = Due(missing=KeepReason.NO_LEAVING_DATE)
    assert late.later_of(no_bound) == Due(after=dt.date(2022, 1, 1), missing=no_bound.missing)
    assert not unknown.reached(dt.date(2020, 12, 31))
    assert unknown.reached(dt.date(2021, 1, 1))
    assert no_bound.reached(dt.date(1990, 1, 1))


# --- Contact records and planned-contact requests: six years after the pupil left --------------


def test_contact_record_is_kept_the_day_before_and_deleted_on_the_day(school, record):
    assert _plan(school, CONTACT_DUE - DAY).delete == []
    plan = _plan(school, CONTACT_DUE)
    assert [(i.reference, i.rule, i.due_on) for i in plan.delete] == [
        (record.reference, RetentionRule.CONTACT, CONTACT_DUE)
    ]

    _apply(school, CONTACT_DUE - DAY)
    assert ContactRecord.objects.filter(pk=record.pk).exists()
    result = _apply(school, CONTACT_DUE)
    assert _refs(result.deleted) == [record.reference]
    assert not ContactRecord.objects.filter(pk=record.pk).exists()


def test_the_years_after_leaving_are_the_schools_setting(school, record):
    school.retention_contact_years_after_leaving = 8
    school.save()
    assert _plan(school, CONTACT_DUE).delete == []
    assert _refs(_plan(school, dt.date(2023, 7, 20)).delete) == [record.reference]


def test_a_record_naming_several_pupils_waits_for_the_last_to_leave(school, teacher, leaver):
    later = make_leaver(PupilFactory(school=school), left=dt.date(2017, 7, 20))
    both = make_old_record(teacher, [leaver, later])
    assert _plan(school, CONTACT_DUE).delete == []
    assert _refs(_plan(school, dt.date(2023, 7, 20)).delete) == [both.reference]


def test_contact_recorded_after_the_pupil_left_counts_from_the_record(school, teacher, leaver):
    record = make_old_record(teacher, [leaver], on=dt.date(2019, 5, 6))
    assert _plan(school, dt.date(2025, 5, 5)).delete == []
    assert _refs(_plan(school, dt.date(2025, 5, 6)).delete) == [record.reference]


def test_a_later_addendum_or_note_starts_the_years_again(school, teacher, head, leaver, record):
    request = make_old_request(teacher, [leaver])
    records_services.record_addendum_add(actor=teacher, record=record, text="Met again by chance.")
    planned_services.request_note_add(
        actor=teacher, contact_request=request, text="Contact went ahead."
    )
    assert _plan(school, timezone.localdate()).delete == []
    later = add_years(timezone.localdate(), 6)
    assert _plan(school, later - DAY).delete == []
    assert _refs(_plan(school, later).delete) == sorted([record.reference, request.reference])


def test_a_pupil_still_on_roll_keeps_the_record_and_it_is_reported(school, teacher, leaver):
    on_roll = PupilFactory(school=school)
    kept = make_old_record(teacher, [leaver, on_roll])
    plan = _plan(school, dt.date(2030, 1, 1))
    assert plan.delete == []
    assert [(i.reference, i.keep) for i in plan.kept] == [
        (kept.reference, KeepReason.NO_LEAVING_DATE)
    ]
    assert plan.missing_data == plan.kept

    _apply(school, timezone.localdate())
    assert ContactRecord.objects.filter(pk=kept.pk).exists()


def test_request_goes_with_its_notes_and_the_notices_about_it(school, teacher, head, leaver):
    request = make_old_request(teacher, [leaver])
    planned_services.request_note_add(
        actor=teacher, contact_request=request, text="Parents agreed by phone."
    )
    age(request, RECORDED)
    path = reverse("request_detail", args=[request.pk])
    assert Notification.objects.filter(url=path).exists()  # the head was told of it
    unrelated = Notification.objects.create(recipient=head, message="Other", url="/records/")

    plan = _plan(school, CONTACT_DUE - DAY)
    assert plan.delete == []
    result = _apply(school, CONTACT_DUE)

    assert _refs(result.deleted) == [request.reference]
    assert not ContactRequest.objects.filter(pk=request.pk).exists()
    assert not RequestNote.objects.filter(request_id=request.pk).exists()
    assert not Notification.objects.filter(url__startswith=path).exists()
    assert Notification.objects.filter(pk=unrelated.pk).exists()


def test_record_goes_with_its_addenda_and_its_file_after_commit(
    school, teacher, leaver, uploads, django_capture_on_commit_callbacks
):
    record = make_old_record(
        teacher, [leaver], attachment=SimpleUploadedFile("note.pdf", PDF, "application/pdf")
    )
    records_services.record_addendum_add(actor=teacher, record=record, text="The date was the 3rd.")
    age(record, RECORDED)
    assert uploads.exists(record.attachment)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _apply(school, CONTACT_DUE)
    # The file goes only once the deletion is committed.
    assert uploads.exists(record.attachment)
    assert not ContactRecord.objects.filter(pk=record.pk).exists()
    assert not Addendum.objects.filter(record_id=record.pk).exists()
    for callback in callbacks:
        callback()
    assert not uploads.exists(record.attachment)
    assert uploads.names() == []


def test_a_failed_deletion_leaves_that_record_whole_and_the_rest_proceed(
    school, teacher, head, leaver, uploads, django_capture_on_commit_callbacks
):
    record = make_old_record(
        teacher, [leaver], attachment=SimpleUploadedFile("note.pdf", PDF, "application/pdf")
    )
    request = make_old_request(teacher, [leaver])
    notice = Notification.objects.create(
        recipient=head, message="Seen", url=reverse("record_detail", args=[record.pk])
    )
    events_before = AuditEvent.objects.count()

    with (
        mock.patch.object(ContactRecord, "delete", side_effect=DatabaseError("disk full")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        result = _apply(school, CONTACT_DUE)

    assert _refs(result.failed) == [record.reference]
    assert _refs(result.deleted) == [request.reference]
    assert ContactRecord.objects.filter(pk=record.pk).exists()
    assert Notification.objects.filter(pk=notice.pk).exists()
    assert uploads.exists(record.attachment)
    deleted = [e.object_ref for e in _events()]
    assert deleted == [request.reference]
    # The deleted request's event and the run's event; nothing about the record that stayed.
    assert AuditEvent.objects.count() == events_before + 2


def test_a_concern_about_a_deleted_record_keeps_its_own_content(
    school, teacher, colleague, head, record
):
    concern = make_old_concern(
        colleague, teacher, head, raised_on=timezone.localdate() - DAY, related_record=record
    )
    _apply(school, CONTACT_DUE)
    concern.refresh_from_db()
    assert concern.related_record is None
    assert concern.description == DESCRIPTION


# --- Allegations and boundary concerns: retirement age or ten years, whichever is later ------


@pytest.mark.parametrize(
    ("staff_born", "due"),
    [
        # Long retired: ten years from the concern is the later date.
        pytest.param(dt.date(1940, 1, 1), dt.date(2020, 5, 1), id="ten-years-later"),
        # 67 on 1 June 2022, after the ten years ran out.
        pytest.param(dt.date(1955, 6, 1), dt.date(2022, 6, 1), id="retirement-later"),
    ],
)
def test_concern_is_kept_until_the_later_of_retirement_and_ten_years(
    school, teacher, colleague, head, staff_born, due
):
    set_birth_date(teacher, staff_born)
    concern = make_old_concern(colleague, teacher, head, raised_on=dt.date(2010, 5, 1))

    assert _plan(school, due - DAY).delete == []
    _apply(school, due - DAY)
    assert BoundaryConcern.objects.filter(pk=concern.pk).exists()

    plan = _plan(school, due)
    assert [(i.reference, i.rule, i.due_on) for i in plan.delete] == [
        (concern.reference, RetentionRule.ALLEGATION, due)
    ]
    _apply(school, due)
    assert not BoundaryConcern.objects.filter(pk=concern.pk).exists()


def test_retirement_age_and_minimum_years_are_the_schools_settings(
    school, teacher, colleague, head
):
    set_birth_date(teacher, dt.date(1955, 6, 1))
    concern = make_old_concern(colleague, teacher, head, raised_on=dt.date(2010, 5, 1))
    school.retention_staff_retirement_age = 60
    school.retention_allegation_min_years = 12
    school.save()
    assert _plan(school, dt.date(2022, 4, 30)).delete == []
    assert _refs(_plan(school, dt.date(2022, 5, 1)).delete) == [concern.reference]


def test_lado_consultation_follows_the_allegation_rule(school, teacher, head):
    set_birth_date(teacher, dt.date(1940, 1, 1))
    referral = make_old_lado(head, teacher, called_on=dt.date(2011, 3, 4))
    assert _plan(school, dt.date(2021, 3, 3)).delete == []
    assert _refs(_plan(school, dt.date(2021, 3, 4)).delete) == [referral.reference]
    _apply(school, dt.date(2021, 3, 4))
    assert not LadoReferral.objects.filter(pk=referral.pk).exists()


def test_open_concern_and_referral_awaiting_its_outcome_are_kept(school, teacher, colleague, head):
    set_birth_date(teacher, dt.date(1940, 1, 1))
    concern = make_old_concern(colleague, teacher, head, raised_on=dt.date(2010, 5, 1), close=False)
    referral = make_old_lado(
        head, teacher, called_on=dt.date(2010, 5, 3), referral_type="referral", concern=concern
    )
    plan = _plan(school, dt.date(2030, 1, 1))
    assert plan.delete == []
    assert sorted((i.reference, i.keep) for i in plan.kept) == sorted(
        [(concern.reference, KeepReason.OPEN), (referral.reference, KeepReason.OPEN)]
    )

    concerns_services.lado_outcome_record(
        actor=head, referral=referral, outcome="unfounded", outcome_on=dt.date(2010, 6, 1)
    )
    concerns_services.concern_respond(
        actor=head, concern=concern, response="Closed.", outcome="lado", close=True
    )
    result = _apply(school, timezone.localdate())
    assert _refs(result.deleted) == sorted([concern.reference, referral.reference])


def test_staff_without_a_date_of_birth_keeps_the_concern_and_it_is_reported(
    school, teacher, colleague, head
):
    assert teacher.date_of_birth is None
    concern = make_old_concern(colleague, teacher, head, raised_on=dt.date(2010, 5, 1))
    # Within the minimum years nothing could be due: nothing to report yet.
    assert _plan(school, dt.date(2020, 4, 30)).kept == []
    plan = _plan(school, dt.date(2040, 1, 1))
    assert plan.delete == []
    assert [(i.reference, i.keep) for i in plan.missing_data] == [
        (concern.reference, KeepReason.NO_STAFF_BIRTH_DATE)
    ]
    _apply(school, timezone.localdate())
    assert BoundaryConcern.objects.filter(pk=concern.pk).exists()


def test_record_of_a_relationship_needs_both_rules_to_run_out(school, teacher, leaver):
    record = make_old_record(
        teacher,
        [leaver],
        record_type="relationship",
        kind="relationship",
        purpose="personal",
        on=dt.date(2012, 1, 10),
    )
    assert retention.is_allegation_kind(record)
    # Contact rule: 20 July 2021. Allegation rule without a date of birth: unknown.
    plan = _plan(school, dt.date(2023, 1, 1))
    assert [(i.reference, i.rule, i.keep) for i in plan.kept] == [
        (record.reference, RetentionRule.BREACH, KeepReason.NO_STAFF_BIRTH_DATE)
    ]
    set_birth_date(teacher, dt.date(1940, 1, 1))
    # Ten years from the record (10 January 2022) is later than the contact rule.
    assert _plan(school, dt.date(2022, 1, 9)).delete == []
    plan = _plan(school, dt.date(2022, 1, 10))
    assert [(i.reference, i.rule) for i in plan.delete] == [
        (record.reference, RetentionRule.BREACH)
    ]


def test_breach_record_waits_for_the_contact_rule_when_it_is_later(school, teacher, pupil):
    make_leaver(pupil, left=dt.date(2019, 7, 20))
    set_birth_date(teacher, dt.date(1940, 1, 1))
    record = make_old_record(
        teacher,
        [pupil],
        record_type="relationship",
        kind="relationship",
        purpose="personal",
        on=dt.date(2010, 1, 10),
    )
    assert _plan(school, dt.date(2025, 7, 19)).delete == []
    assert _refs(_plan(school, dt.date(2025, 7, 20)).delete) == [record.reference]


# --- Disclosures: flagged for review at the pupil's 25th birthday, never deleted by the run ----


def test_disclosure_is_flagged_on_the_birthday_not_deleted(school, teacher, head, dsl, leaver):
    disclosure = make_old_disclosure(teacher, leaver)
    before = DISCLOSURE_DUE - DAY
    assert _plan(school, before).flag == []
    assert _apply(school, before).flagged == []

    result = _apply(school, DISCLOSURE_DUE)
    assert _refs(result.flagged) == [disclosure.reference]
    assert result.deleted == []
    disclosure.refresh_from_db()
    assert disclosure.retention_flagged_at is not None
    assert disclosure.account == ACCOUNT
    flag = _events("retention.flag")
    assert [(e.object_ref, e.actor, e.actor_role) for e in flag] == [
        (disclosure.reference, None, "system")
    ]
    notices = Notification.objects.filter(url=reverse("retention_reviews"))
    assert sorted(n.recipient_id for n in notices) == sorted([head.pk, dsl.pk])
    assert {n.message for n in notices} == {
        "1 disclosure has reached the end of the retention period: review it"
    }
    assert all("Ava" not in n.message for n in notices)


def test_a_disclosure_made_after_that_age_waits_a_year_for_review(school, teacher, leaver):
    late = make_old_disclosure(teacher, leaver, on=dt.date(2024, 5, 10))
    assert _plan(school, dt.date(2025, 5, 9)).flag == []
    assert _refs(_plan(school, dt.date(2025, 5, 10)).flag) == [late.reference]


def test_flagging_twice_flags_once(school, teacher, head, dsl, leaver):
    make_old_disclosure(teacher, leaver)
    _apply(school, DISCLOSURE_DUE)
    events, notices = AuditEvent.objects.count(), Notification.objects.count()
    again = _apply(school, dt.date(2024, 1, 1))
    assert again.flagged == []
    assert len(again.plan.awaiting_review) == 1
    assert (AuditEvent.objects.count(), Notification.objects.count()) == (events, notices)


def test_disclosure_age_is_the_schools_setting(school, teacher, leaver):
    make_old_disclosure(teacher, leaver)
    school.retention_disclosure_until_age = 21
    school.save()
    assert _plan(school, add_years(BORN, 21) - DAY).flag == []
    assert len(_plan(school, add_years(BORN, 21)).flag) == 1


# --- Legal holds ---------------------------------------------------------------------------


def test_hold_on_the_pupil_keeps_everything_about_them(school, teacher, head, leaver, record):
    disclosure = make_old_disclosure(teacher, leaver)
    request = make_old_request(teacher, [leaver])
    hold = privacy_services.legal_hold_place(
        actor=head, pupil=leaver, reason="A claim has been made."
    )

    result = _apply(school, dt.date(2024, 1, 1))
    assert result.deleted == result.flagged == []
    assert sorted((i.reference, i.keep) for i in result.plan.held) == sorted(
        (ref, KeepReason.HOLD)
        for ref in (record.reference, request.reference, disclosure.reference)
    )
    assert ContactRecord.objects.filter(pk=record.pk).exists()

    privacy_services.legal_hold_lift(actor=head, hold=hold, reason="The claim was withdrawn.")
    result = _apply(school, dt.date(2024, 1, 1))
    assert _refs(result.deleted) == sorted([record.reference, request.reference])
    assert _refs(result.flagged) == [disclosure.reference]


def test_hold_on_a_member_of_staff_keeps_everything_about_them(
    school, teacher, colleague, head, leaver, record
):
    set_birth_date(teacher, dt.date(1940, 1, 1))
    about = make_old_concern(colleague, teacher, head, raised_on=dt.date(2010, 5, 1))
    raised = make_old_concern(teacher, colleague, head, raised_on=dt.date(2010, 5, 1))
    set_birth_date(colleague, dt.date(1940, 1, 1))
    lado = make_old_lado(head, teacher, called_on=dt.date(2010, 5, 2))
    other = make_old_record(colleague, [leaver])
    privacy_services.legal_hold_place(
        actor=head, staff=teacher, reason="Employment tribunal claim."
    )

    result = _apply(school, dt.date(2024, 1, 1))
    assert _refs(result.plan.held) == sorted(
        [record.reference, about.reference, raised.reference, lado.reference]
    )
    assert _refs(result.deleted) == [other.reference]


def test_hold_on_a_pupil_keeps_a_concern_about_a_record_of_them(
    school, teacher, colleague, head, leaver, record
):
    set_birth_date(teacher, dt.date(1940, 1, 1))
    concern = make_old_concern(
        colleague, teacher, head, raised_on=dt.date(2010, 5, 1), related_record=record
    )
    lado = make_old_lado(head, teacher, called_on=dt.date(2010, 5, 2), concern=concern)
    privacy_services.legal_hold_place(actor=head, pupil=leaver, reason="Police inquiry.")
    plan = _plan(school, dt.date(2024, 1, 1))
    assert plan.delete == []
    assert _refs(plan.held) == sorted([record.reference, concern.reference, lado.reference])


def test_hold_placed_after_the_plan_still_blocks_the_deletion(school, head, leaver, record):
    stale = _plan(school, CONTACT_DUE)
    privacy_services.legal_hold_place(actor=head, pupil=leaver, reason="A claim has been made.")
    with mock.patch.object(privacy_services, "retention_due", return_value=stale):
        result = _apply(school, CONTACT_DUE)
    assert result.deleted == []
    assert _refs(result.skipped) == [record.reference]
    assert ContactRecord.objects.filter(pk=record.pk).exists()
    assert _events() == []


def test_a_hold_seen_only_after_the_event_is_written_rolls_the_deletion_back(
    school, head, leaver, record
):
    privacy_services.legal_hold_place(actor=head, pupil=leaver, reason="A claim has been made.")
    real, nobody = retention.Holds.of(school), retention.Holds(frozenset(), frozenset())
    events = AuditEvent.objects.count()
    # The first look at the holds misses the new one; the look after the event sees it.
    with mock.patch.object(retention.Holds, "of", side_effect=[nobody, nobody, real]):
        result = _apply(school, CONTACT_DUE)
    assert _refs(result.skipped) == [record.reference]
    assert ContactRecord.objects.filter(pk=record.pk).exists()
    assert AuditEvent.objects.count() == events
    assert audit_verify() == []


def test_place_and_lift_are_audited_without_the_reason_or_a_name(school, head, leaver):
    hold = privacy_services.legal_hold_place(
        actor=head, pupil=leaver, reason="Claim by Ava Current's parents."
    )
    privacy_services.legal_hold_lift(actor=head, hold=hold, reason="Settled.")
    hold.refresh_from_db()
    assert (hold.lifted_by, hold.lift_reason) == (head, "Settled.")
    events = AuditEvent.objects.filter(action__startswith="hold.").order_by("id")
    assert [(e.action, e.object_ref, e.reason) for e in events] == [
        ("hold.place", hold.audit_ref, f"on PUPIL-{leaver.pk}"),
        ("hold.lift", hold.audit_ref, f"on PUPIL-{leaver.pk}"),
    ]


@pytest.mark.parametrize("who", ["teacher", "dsl", "deputy", "chair", "admin", "outsider"])
def test_only_the_schools_headteacher_places_a_hold(request, who, leaver):
    actor = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        privacy_services.legal_hold_place(actor=actor, pupil=leaver, reason="A claim.")
    assert not LegalHold.objects.exists()


@pytest.mark.parametrize("who", ["teacher", "dsl", "deputy", "chair", "outsider"])
def test_only_the_schools_headteacher_lifts_a_hold(request, who, head, leaver):
    hold = privacy_services.legal_hold_place(actor=head, pupil=leaver, reason="A claim.")
    with pytest.raises(PermissionDenied):
        privacy_services.legal_hold_lift(
            actor=request.getfixturevalue(who), hold=hold, reason="Done."
        )
    hold.refresh_from_db()
    assert hold.is_active


def test_a_headteacher_cannot_lift_a_hold_on_themself(head):
    hold = privacy_services.legal_hold_place(
        actor=head, staff=head, reason="A claim against the head."
    )
    with pytest.raises(PermissionDenied):
        privacy_services.legal_hold_lift(actor=head, hold=hold, reason="Done.")
    hold.refresh_from_db()
    assert hold.is_active


def test_a_hold_cannot_name_a_person_of_another_school(head, other_pupil, outsider):
    with pytest.raises(PermissionDenied):
        privacy_services.legal_hold_place(actor=head, pupil=other_pupil, reason="A claim.")
    with pytest.raises(PermissionDenied):
        privacy_services.legal_hold_place(actor=head, staff=outsider, reason="A claim.")


def test_a_hold_is_on_exactly_one_person_with_a_reason(head, teacher, leaver):
    with pytest.raises(ValidationError):
        privacy_services.legal_hold_place(actor=head, reason="A claim.")
    with pytest.raises(ValidationError):
        privacy_services.legal_hold_place(
            actor=head, pupil=leaver, staff=teacher, reason="A claim."
        )
    with pytest.raises(ValidationError) as error:
        privacy_services.legal_hold_place(actor=head, pupil=leaver, reason="  ")
    assert "reason" in error.value.message_dict
    assert not LegalHold.objects.exists()


def test_lifting_needs_a_reason_and_happens_once(head, leaver):
    hold = privacy_services.legal_hold_place(actor=head, pupil=leaver, reason="A claim.")
    with pytest.raises(ValidationError):
        privacy_services.legal_hold_lift(actor=head, hold=hold, reason="")
    privacy_services.legal_hold_lift(actor=head, hold=hold, reason="Settled.")
    with pytest.raises(ValidationError):
        privacy_services.legal_hold_lift(actor=head, hold=hold, reason="Again.")
    assert AuditEvent.objects.filter(action="hold.lift").count() == 1


def test_the_database_refuses_a_hold_on_both_or_neither(school, head, teacher, leaver):
    for people in ({"pupil": leaver, "staff": teacher}, {}):
        with pytest.raises(IntegrityError), transaction.atomic():
            LegalHold.objects.create(school=school, placed_by=head, reason="A claim.", **people)


# --- The audit trail, dry runs, running twice, other schools, who may run it ---------------


def test_each_deletion_is_audited_by_reference_and_rule_never_content_or_name(
    school, teacher, colleague, head, leaver, record
):
    set_birth_date(teacher, dt.date(1940, 1, 1))
    request = make_old_request(teacher, [leaver])
    concern = make_old_concern(colleague, teacher, head, raised_on=dt.date(2010, 5, 1))
    lado = make_old_lado(head, teacher, called_on=dt.date(2010, 5, 2))
    disclosure = make_old_disclosure(teacher, leaver)

    result = _apply(school, dt.date(2024, 1, 1))

    events = _events()
    assert sorted((e.object_ref, e.object_type, e.object_id) for e in events) == sorted(
        [
            (record.reference, "contacts.contactrecord", str(record.pk)),
            (request.reference, "contacts.contactrequest", str(request.pk)),
            (concern.reference, "contacts.boundaryconcern", str(concern.pk)),
            (lado.reference, "contacts.ladoreferral", str(lado.pk)),
        ]
    )
    assert {e.actor_id for e in events} == {None}
    assert {e.to_state for e in events} == {"deleted"}
    by_ref = {e.object_ref: e.reason for e in events}
    assert by_ref[record.reference] == (
        "contact record; rule contact (6 years after leaving), due 2021-07-20"
    )
    assert by_ref[concern.reference] == (
        "boundary concern; rule allegation (retirement age 67 or 10 years), due 2020-05-01"
    )
    run = _events("retention.run")
    assert [(e.object_ref, e.reason) for e in run] == [
        (
            f"SCHOOL-{school.pk}",
            "as of 2024-01-01: deleted 4, flagged for review 1, kept 0",
        )
    ]
    assert _refs(result.flagged) == [disclosure.reference]
    written = _retention_event_text()
    for secret in ("Ava", "Current", DETAILS, DESCRIPTION, ACCOUNT, teacher.last_name):
        assert secret not in written
    assert audit_verify() == []


def test_dry_run_changes_nothing(
    school, teacher, head, dsl, leaver, record, uploads, django_capture_on_commit_callbacks
):
    attached = make_old_record(
        teacher, [leaver], attachment=SimpleUploadedFile("note.pdf", PDF, "application/pdf")
    )
    disclosure = make_old_disclosure(teacher, leaver)
    counts = (
        AuditEvent.objects.count(),
        Notification.objects.count(),
        ContactRecord.objects.count(),
    )
    with django_capture_on_commit_callbacks(execute=True):
        result = _apply(school, dt.date(2024, 1, 1), dry_run=True)
    assert _refs(result.plan.delete) == sorted([record.reference, attached.reference])
    assert _refs(result.plan.flag) == [disclosure.reference]
    assert result.deleted == result.flagged == []
    assert (
        AuditEvent.objects.count(),
        Notification.objects.count(),
        ContactRecord.objects.count(),
    ) == counts
    assert uploads.exists(attached.attachment)
    disclosure.refresh_from_db()
    assert disclosure.retention_flagged_at is None


def test_running_twice_deletes_and_audits_once(school, record):
    first = _apply(school, CONTACT_DUE)
    events = AuditEvent.objects.count()
    second = _apply(school, CONTACT_DUE)
    assert _refs(first.deleted) == [record.reference]
    assert second.deleted == second.plan.delete == []
    assert AuditEvent.objects.count() == events


def test_other_schools_are_untouched(school, record, outsider, other_pupil, other_school):
    theirs = make_old_record(outsider, [make_leaver(other_pupil)])
    _apply(school, CONTACT_DUE)
    assert ContactRecord.objects.filter(pk=theirs.pk).exists()
    assert not AuditEvent.objects.filter(school=other_school, action__startswith="retention")
    assert _refs(_plan(other_school, CONTACT_DUE).delete) == [theirs.reference]


def test_a_hold_at_another_school_does_not_keep_ours(school, record, leaver, outsider, other_pupil):
    privacy_services.legal_hold_place(actor=outsider, pupil=other_pupil, reason="Their claim.")
    assert _refs(_plan(school, CONTACT_DUE).delete) == [record.reference]


def test_the_headteacher_may_run_it_and_is_named_others_may_not(school, head, teacher, record):
    with pytest.raises(PermissionDenied):
        privacy_services.retention_apply(actor=teacher, school=school, today=CONTACT_DUE)
    privacy_services.retention_apply(actor=head, school=school, today=CONTACT_DUE)
    assert [(e.actor, e.actor_role) for e in _events()] == [(head, "headteacher")]


def test_the_headteacher_of_another_school_may_not_run_ours(school, outsider, record):
    with pytest.raises(PermissionDenied):
        privacy_services.retention_apply(actor=outsider, school=school, today=CONTACT_DUE)
    assert ContactRecord.objects.filter(pk=record.pk).exists()


def test_a_future_day_only_for_a_dry_run(school, record):
    tomorrow = timezone.localdate() + DAY
    with pytest.raises(ValidationError):
        _apply(school, tomorrow)
    assert _refs(_apply(school, tomorrow, dry_run=True).plan.delete) == [record.reference]
    assert ContactRecord.objects.filter(pk=record.pk).exists()


def test_an_empty_school_has_an_empty_plan(school):
    plan = _plan(school, dt.date(2030, 1, 1))
    assert (plan.delete, plan.flag, plan.awaiting_review, plan.kept) == ([], [], [], [])


# --- Reviewing a flagged disclosure -----------------------------------------------------------


@pytest.fixture
def flagged(school, teacher, head, dsl, leaver):
    disclosure = make_old_disclosure(teacher, leaver)
    records_services.disclosure_addendum_add(
        actor=dsl, disclosure=disclosure, text="Spoke to social care."
    )
    _apply(school, DISCLOSURE_DUE)
    disclosure.refresh_from_db()
    assert disclosure.retention_flagged_at is not None
    return disclosure


@pytest.mark.parametrize("who", ["head", "dsl"])
def test_reviewer_deletes_a_flagged_disclosure_with_its_addenda(request, who, flagged):
    actor = request.getfixturevalue(who)
    path = reverse("disclosure_detail", args=[flagged.pk])
    assert Notification.objects.filter(url=path).exists()

    assert privacy_services.retention_review(actor=actor, disclosure=flagged, keep=False) is None

    assert not Disclosure.objects.filter(pk=flagged.pk).exists()
    assert not Addendum.objects.filter(disclosure_id=flagged.pk).exists()
    assert not Notification.objects.filter(url__startswith=path).exists()
    [event] = _events()
    assert (event.actor, event.object_ref, event.to_state) == (
        actor,
        flagged.reference,
        "deleted",
    )
    assert event.reason == (
        "after review; disclosure; rule disclosure (until age 25), due 2023-03-01"
    )
    assert "Ava" not in _retention_event_text()
    assert ACCOUNT not in _retention_event_text()


def test_reviewer_keeps_it_until_the_next_review_and_it_is_flagged_again(school, dsl, flagged):
    next_review = timezone.localdate() + dt.timedelta(days=365)
    kept = privacy_services.retention_review(
        actor=dsl,
        disclosure=flagged,
        keep=True,
        reason="Siblings still at the school.",
        review_on=next_review,
    )
    assert (kept.retention_flagged_at, kept.retention_review_on) == (None, next_review)
    assert kept.addenda.filter(text__contains="Siblings still at the school.").exists()
    [event] = _events("retention.review")
    assert (event.to_state, event.reason) == ("kept", f"next review {next_review:%Y-%m-%d}")

    today = timezone.localdate()
    assert _plan(school, today).flag == []
    # Time passes: the next review date arrives.
    Disclosure.objects.filter(pk=flagged.pk).update(retention_review_on=today)
    assert _refs(_apply(school, today).flagged) == [flagged.reference]


def test_keeping_needs_a_reason_and_a_future_review_date(dsl, flagged):
    future = timezone.localdate() + DAY
    with pytest.raises(ValidationError) as error:
        privacy_services.retention_review(
            actor=dsl, disclosure=flagged, keep=True, review_on=future
        )
    assert "reason" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        privacy_services.retention_review(
            actor=dsl, disclosure=flagged, keep=True, reason="Ongoing.", review_on=None
        )
    assert "review_on" in error.value.message_dict
    with pytest.raises(ValidationError):
        privacy_services.retention_review(
            actor=dsl,
            disclosure=flagged,
            keep=True,
            reason="Ongoing.",
            review_on=timezone.localdate(),
        )


def test_a_held_disclosure_cannot_be_deleted_at_review(head, leaver, flagged):
    privacy_services.legal_hold_place(actor=head, pupil=leaver, reason="Inquiry.")
    with pytest.raises(ValidationError):
        privacy_services.retention_review(actor=head, disclosure=flagged, keep=False)
    assert Disclosure.objects.filter(pk=flagged.pk).exists()
    assert _events() == []


def test_only_a_flagged_disclosure_is_reviewed(dsl, teacher, leaver):
    disclosure = make_old_disclosure(teacher, leaver)
    with pytest.raises(ValidationError):
        privacy_services.retention_review(actor=dsl, disclosure=disclosure, keep=False)
    assert Disclosure.objects.filter(pk=disclosure.pk).exists()


@pytest.mark.parametrize("who", ["teacher", "deputy", "chair", "admin", "outsider"])
def test_only_the_dsl_and_headteacher_review(request, who, flagged):
    with pytest.raises(PermissionDenied):
        privacy_services.retention_review(
            actor=request.getfixturevalue(who), disclosure=flagged, keep=False
        )
    assert Disclosure.objects.filter(pk=flagged.pk).exists()


# --- People: a member of staff's date of birth --------------------------------------------


def test_staff_date_of_birth_is_kept_through_the_people_service(school, head):
    person = people_services.staff_create(
        actor=head,
        school=school,
        email="new@test.example",
        first_name="New",
        last_name="Person",
        date_of_birth=dt.date(1970, 4, 2),
    )
    assert person.date_of_birth == dt.date(1970, 4, 2)
    with pytest.raises(ValidationError) as error:
        people_services.staff_update(
            actor=head, staff=person, date_of_birth=timezone.localdate() + DAY
        )
    assert "date_of_birth" in error.value.message_dict
