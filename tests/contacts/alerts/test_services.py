"""Needs attention: raised with the entry, acknowledged once by its owner, worked on, closed with
a rationale, reopened; the DSL's case; escalation when nobody acknowledges in time."""

import datetime as dt
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from contacts.alerts import services
from contacts.alerts.models import Alert, AlertStatus, CaseAction, EntryKind, Owner
from contacts.alerts.selectors import alerts_for
from contacts.notifications.models import Notification
from contacts.planned.models import HeadAbsence
from safeguard.audit.models import AuditEvent
from safeguard.core.roles import Role
from tests.conftest import _person
from tests.factories_records import make_concern, make_disclosure, make_family_record, make_record


@pytest.fixture
def deputy_dsl(school):
    return _person(school, "ddsl@test.example", "Deputy DSL", Role.DEPUTY_DSL)


@pytest.fixture
def case(teacher, pupil, dsl, head):
    """A child-protection disclosure and its alert, for the DSL."""
    return make_disclosure(teacher, pupil).alerts.get()


def _acknowledged(case, dsl):
    return services.alert_acknowledge(actor=dsl, alert=case)


# --- Raising: what goes to whom -------------------------------------------------------------


def test_a_child_protection_disclosure_is_the_dsls_urgent_case(case, dsl, head):
    assert case.owner == Owner.DSL and case.urgent and case.is_case
    assert case.status == AlertStatus.NEW
    assert case.acknowledge_by > case.raised_at
    assert AuditEvent.objects.filter(action="alert.raise", object_ref=case.reference).exists()
    assert case in alerts_for(dsl) and case in alerts_for(head)


def test_another_personal_disclosure_needs_the_head(teacher, pupil, head, dsl):
    alert = make_disclosure(teacher, pupil, disclosure_type="personal").alerts.get()
    assert alert.owner == Owner.HEADTEACHER and not alert.urgent and not alert.is_case
    assert alert in alerts_for(head) and alert not in alerts_for(dsl)


def test_a_record_reported_to_the_head_needs_the_head(teacher, pupil, head, chair):
    record = make_record(teacher, [pupil], record_type="ongoing")
    alert = record.alerts.get()
    assert alert.owner == Owner.HEADTEACHER
    assert alert in alerts_for(head) and alert not in alerts_for(chair)


def test_the_heads_own_record_needs_the_chair(head, pupil, chair):
    alert = make_record(head, [pupil], record_type="ongoing").alerts.get()
    assert alert.owner == Owner.CHAIR_OF_GOVERNORS
    assert alert in alerts_for(chair) and alert not in alerts_for(head)


def test_a_plain_record_raises_nothing(teacher, pupil, head):
    record = make_record(teacher, [pupil])
    assert not record.alerts.exists()


def test_a_concern_needs_its_case_manager_and_never_its_subject(colleague, teacher, head, chair):
    alert = make_concern(colleague, teacher).alerts.get()
    assert alert.owner == Owner.HEADTEACHER
    assert alert in alerts_for(head)
    assert alert not in alerts_for(teacher)
    about_head = make_concern(teacher, head).alerts.get()
    assert about_head.owner == Owner.CHAIR_OF_GOVERNORS
    assert about_head in alerts_for(chair) and about_head not in alerts_for(head)


def test_the_deputy_acts_for_the_head_only_while_the_head_is_away(teacher, pupil, head, deputy):
    alert = make_record(teacher, [pupil], record_type="ongoing").alerts.get()
    assert alert not in alerts_for(deputy)
    today = timezone.localdate()
    HeadAbsence.objects.create(school=head.school, starts_on=today, ends_on=today, created_by=head)
    assert alert in alerts_for(deputy)


def test_the_restricted_log_goes_to_the_assistant_head_not_the_deputy_while_the_head_is_away(
    teacher, pupil, head, deputy, assistant
):
    # 002: the family-liaison log is the head's and the assistant head's alone.
    alert = make_family_record(teacher, [pupil]).alerts.get()
    plain = make_record(teacher, [pupil], record_type="ongoing").alerts.get()
    assert alert.owner == Owner.HEADTEACHER
    assert not {alert, plain} & set(alerts_for(assistant))
    today = timezone.localdate()
    HeadAbsence.objects.create(school=head.school, starts_on=today, ends_on=today, created_by=head)
    assert set(alerts_for(assistant)) == {alert}
    assert plain in alerts_for(deputy) and alert not in alerts_for(deputy)
    later = make_family_record(teacher, [pupil])
    told = {n.recipient for n in Notification.objects.filter(message__contains=later.reference)}
    assert assistant in told and deputy not in told


# --- Acknowledging --------------------------------------------------------------------------


def test_the_dsl_acknowledges(case, dsl):
    alert = _acknowledged(case, dsl)
    assert alert.status == AlertStatus.ACKNOWLEDGED and alert.acknowledged_by == dsl
    assert alert.entries.get().kind == EntryKind.ACKNOWLEDGED
    event = AuditEvent.objects.get(action="alert.acknowledge")
    assert (event.from_state, event.to_state, event.actor) == ("new", "acknowledged", dsl)


def test_acknowledging_twice_is_refused_with_who_did(case, dsl, head):
    _acknowledged(case, dsl)
    with pytest.raises(ValidationError, match=f"Already acknowledged by {dsl.full_name}"):
        services.alert_acknowledge(actor=head, alert=case)


def test_someone_else_cannot_acknowledge(case, teacher, deputy, assistant):
    for person in (teacher, deputy, assistant):
        with pytest.raises(PermissionDenied):
            services.alert_acknowledge(actor=person, alert=case)
    case.refresh_from_db()
    assert case.status == AlertStatus.NEW


@pytest.mark.django_db(transaction=True)
def test_two_people_acknowledging_at_once_make_one_acknowledgement(school, teacher, pupil, head):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL's row locks")
    dsl = _person(school, "dsl2@test.example", "DSL", Role.DSL)
    alert = make_disclosure(teacher, pupil).alerts.get()
    results: list[str] = []
    barrier = threading.Barrier(2)

    def acknowledge(person):
        barrier.wait()
        try:
            services.alert_acknowledge(actor=person, alert=alert)
            results.append("ok")
        except ValidationError:
            results.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=acknowledge, args=(p,)) for p in (dsl, head)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["ok", "refused"]
    assert AuditEvent.objects.filter(action="alert.acknowledge").count() == 1


# --- Working and closing ----------------------------------------------------------------------


def test_nothing_but_acknowledging_before_it_is_acknowledged(case, dsl):
    with pytest.raises(ValidationError, match="Acknowledge it first"):
        services.alert_note_add(actor=dsl, alert=case, text="Spoke to mum.")
    with pytest.raises(ValidationError, match="Acknowledge it first"):
        services.alert_close(actor=dsl, alert=case, outcome="", rationale="Nothing to do.")


def test_a_note_moves_it_into_progress(case, dsl):
    _acknowledged(case, dsl)
    services.alert_note_add(actor=dsl, alert=case, text="Spoke to the class teacher.")
    case.refresh_from_db()
    assert case.status == AlertStatus.IN_PROGRESS
    assert case.entries.last().text == "Spoke to the class teacher."


def test_closing_needs_a_rationale(case, dsl):
    _acknowledged(case, dsl)
    with pytest.raises(ValidationError) as refused:
        services.alert_close(actor=dsl, alert=case, outcome="NFA", rationale="  ")
    assert "rationale" in refused.value.error_dict
    services.alert_close(
        actor=dsl, alert=case, outcome="Referred to children's social care", rationale="Strategy."
    )
    case.refresh_from_db()
    assert case.status == AlertStatus.CLOSED and case.closed_by == dsl
    assert AuditEvent.objects.filter(action="alert.close", actor=dsl).exists()


def test_closed_means_closed_until_reopened(case, dsl, head):
    _acknowledged(case, dsl)
    services.alert_close(actor=dsl, alert=case, outcome="", rationale="Resolved with family.")
    with pytest.raises(ValidationError, match="closed: reopen it first"):
        services.alert_note_add(actor=dsl, alert=case, text="More.")
    with pytest.raises(ValidationError, match="Already acknowledged"):
        services.alert_acknowledge(actor=head, alert=case)
    with pytest.raises(ValidationError):
        services.alert_reopen(actor=head, alert=case, reason="")
    services.alert_reopen(actor=head, alert=case, reason="A second disclosure came in.")
    case.refresh_from_db()
    assert case.status == AlertStatus.IN_PROGRESS and case.closed_at is None
    assert AuditEvent.objects.filter(action="alert.reopen", actor=head).exists()
    with pytest.raises(ValidationError, match="not closed"):
        services.alert_reopen(actor=head, alert=case, reason="Again")


def test_the_database_refuses_a_closure_without_a_rationale(case, dsl):
    _acknowledged(case, dsl)
    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.filter(pk=case.pk).update(
            status=AlertStatus.CLOSED, closed_at=timezone.now(), closed_by=dsl, rationale=""
        )


def test_the_database_refuses_an_acknowledgement_without_whom(case):
    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.filter(pk=case.pk).update(status=AlertStatus.ACKNOWLEDGED)


# --- The DSL's case -----------------------------------------------------------------------


def test_actions_are_added_assigned_and_done(case, dsl, teacher):
    _acknowledged(case, dsl)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    action = services.case_action_add(
        actor=dsl,
        alert=case,
        description="Check in with the pupil.",
        assigned_to=teacher,
        due_on=tomorrow,
    )
    assert Notification.objects.filter(recipient=teacher, message__contains=case.reference).exists()
    services.case_action_done(actor=dsl, action=action)
    action.refresh_from_db()
    assert action.done_by == dsl
    with pytest.raises(ValidationError, match="already done"):
        services.case_action_done(actor=dsl, action=action)
    kinds = list(case.entries.values_list("kind", flat=True))
    assert kinds == [EntryKind.ACKNOWLEDGED, EntryKind.ACTION, EntryKind.ACTION_DONE]


def test_an_action_in_the_past_is_refused_beside_the_date(case, dsl, teacher):
    _acknowledged(case, dsl)
    with pytest.raises(ValidationError) as refused:
        services.case_action_add(
            actor=dsl,
            alert=case,
            description="Late.",
            assigned_to=teacher,
            due_on=timezone.localdate() - dt.timedelta(days=1),
        )
    assert "due_on" in refused.value.error_dict


def test_referrals_record_the_agency_and_a_later_response(case, dsl):
    _acknowledged(case, dsl)
    referral = services.case_referral_add(
        actor=dsl,
        alert=case,
        agency="childrens_social_care",
        referred_on=timezone.localdate(),
        reference="CSC/123",
        contact="Duty social worker",
    )
    services.case_referral_respond(actor=dsl, referral=referral, response="Strategy meeting.")
    referral.refresh_from_db()
    assert "Strategy meeting." in referral.response
    with pytest.raises(ValidationError) as refused:
        services.case_referral_add(
            actor=dsl, alert=case, agency="other", referred_on=timezone.localdate()
        )
    assert "agency_other" in refused.value.error_dict


def test_no_actions_on_an_alert_that_is_not_a_case(teacher, pupil, head):
    alert = make_record(teacher, [pupil], record_type="ongoing").alerts.get()
    services.alert_acknowledge(actor=head, alert=alert)
    with pytest.raises(ValidationError, match="child-protection case"):
        services.case_action_add(
            actor=head,
            alert=alert,
            description="x",
            assigned_to=head,
            due_on=timezone.localdate(),
        )


def test_the_page_flags_follow_the_state(case, dsl, teacher):
    assert services.alert_actions(teacher, case) == services.AlertActions()
    assert services.alert_actions(dsl, case).acknowledge
    case = _acknowledged(case, dsl)
    can = services.alert_actions(dsl, case)
    assert (can.acknowledge, can.note, can.close, can.work_case) == (False, True, True, True)


# --- Escalation -----------------------------------------------------------------------------


def test_an_unacknowledged_case_goes_to_the_deputy_dsl_then_the_head(case, dsl, deputy_dsl, head):
    assert case not in alerts_for(deputy_dsl)
    assert (
        services.alerts_escalate(actor=None, now=case.acknowledge_by - dt.timedelta(minutes=1)) == 0
    )
    first = case.acknowledge_by + dt.timedelta(minutes=1)
    assert services.alerts_escalate(actor=None, now=first) == 1
    case.refresh_from_db()
    assert case.escalation_level == 1
    assert case in alerts_for(deputy_dsl)
    assert Notification.objects.filter(
        recipient=deputy_dsl, message__contains="not been acknowledged"
    ).exists()
    # Run again at once: nothing twice.
    assert services.alerts_escalate(actor=None, now=first) == 0
    later = case.acknowledge_by + dt.timedelta(minutes=1)
    assert services.alerts_escalate(actor=None, now=later) == 1
    case.refresh_from_db()
    assert case.escalation_level == 2
    assert Notification.objects.filter(
        recipient=head, message__contains="not been acknowledged"
    ).exists()
    assert services.alerts_escalate(actor=None, now=later + dt.timedelta(days=3)) == 0
    events = AuditEvent.objects.filter(action="alert.escalate")
    assert [(e.from_state, e.to_state) for e in events.order_by("id")] == [
        ("the DSL", "the deputy DSL"),
        ("the deputy DSL", "the headteacher"),
    ]
    assert all(e.actor is None for e in events)


def test_without_a_deputy_dsl_it_goes_straight_to_the_head(case, dsl, head):
    services.alerts_escalate(actor=None, now=case.acknowledge_by + dt.timedelta(minutes=1))
    case.refresh_from_db()
    assert case.escalation_level == 2


def test_an_acknowledged_case_does_not_escalate(case, dsl):
    _acknowledged(case, dsl)
    assert services.alerts_escalate(actor=None, now=case.acknowledge_by + dt.timedelta(days=1)) == 0


def test_a_deputy_dsl_acts_at_once_where_the_school_has_no_dsl(teacher, pupil, deputy_dsl):
    alert = make_disclosure(teacher, pupil).alerts.get()
    services.alert_acknowledge(actor=deputy_dsl, alert=alert)


def test_overdue_actions_remind_their_owner_once(case, dsl, teacher):
    _acknowledged(case, dsl)
    action = services.case_action_add(
        actor=dsl,
        alert=case,
        description="Phone the parent.",
        assigned_to=teacher,
        due_on=timezone.localdate(),
    )
    CaseAction.objects.filter(pk=action.pk).update(
        due_on=timezone.localdate() - dt.timedelta(days=2)
    )
    Notification.objects.all().delete()
    services.alerts_escalate(actor=None)
    services.alerts_escalate(actor=None)
    assert Notification.objects.filter(recipient=teacher, message__contains="overdue").count() == 1


# --- Outcomes -----------------------------------------------------------------------------


def test_an_overdue_outcome_and_then_a_concern_make_one_alert(teacher, pupil, head):
    from contacts.planned.models import ContactRequest
    from contacts.planned.services import request_complete, request_decide
    from tests.factories_requests import make_request

    contact = make_request(teacher, [pupil])
    contact = request_decide(
        actor=head, contact_request=contact, decision="approve", expected_version=contact.version
    )
    ContactRequest.objects.filter(pk=contact.pk).update(
        starts_at=timezone.now() - dt.timedelta(days=3)
    )
    services.alerts_escalate(actor=None)
    services.alerts_escalate(actor=None)
    alert = Alert.objects.get(request=contact)
    assert alert.owner == Owner.HEADTEACHER and alert in alerts_for(head)
    assert alert not in alerts_for(teacher)
    contact.refresh_from_db()
    request_complete(
        actor=teacher,
        contact_request=contact,
        expected_version=contact.version,
        outcome="Went as planned.",
        concerns="The pupil asked to keep in touch by text.",
    )
    assert Alert.objects.filter(request=contact).count() == 1
    assert Alert.objects.get(request=contact).entries.last().text.startswith("Raised again")
