"""Every change to an alert: raised with the entry it is about, acknowledged by its owner,
worked on, closed with a rationale, reopened; the DSL's case actions and referrals; escalation
of what nobody acknowledged in time. One transaction each, with its audit event."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from contacts.alerts.models import (
    ESCALATION_STEPS,
    Agency,
    Alert,
    AlertEntry,
    AlertStatus,
    CaseAction,
    CaseReferral,
    EntryKind,
    Owner,
)
from contacts.alerts.schedule import acknowledge_deadline
from contacts.alerts.selectors import may_act
from contacts.concerns.models import BoundaryConcern
from contacts.notifications.services import notify
from contacts.people.models import Staff
from contacts.planned import workflow
from contacts.planned.models import ContactRequest, Route
from contacts.records.models import ContactRecord, Disclosure
from safeguard.audit.services import audit_record
from safeguard.core.models import School
from safeguard.core.roles import Role

NOT_YOURS = "Only the person this needs the attention of can do this."


@dataclass(frozen=True)
class AlertActions:
    """What a person may do with an alert now: the page shows these, the services check them."""

    acknowledge: bool = False
    note: bool = False
    close: bool = False
    reopen: bool = False
    work_case: bool = False  # add actions and referrals, mark actions done


def alert_actions(user: Staff, alert: Alert) -> AlertActions:
    if not may_act(user, alert):
        return AlertActions()
    status = alert.status
    acknowledged = status in (AlertStatus.ACKNOWLEDGED, AlertStatus.IN_PROGRESS)
    return AlertActions(
        acknowledge=status == AlertStatus.NEW,
        note=acknowledged,
        close=acknowledged,
        reopen=status == AlertStatus.CLOSED,
        work_case=acknowledged and alert.is_case,
    )


def _subject_field(subject: object) -> str:
    """The alert's field that points at this kind of entry."""
    if isinstance(subject, Disclosure):
        return "disclosure"
    if isinstance(subject, ContactRecord):
        return "record"
    if isinstance(subject, ContactRequest):
        return "request"
    return "concern"


def _acknowledge_by(school: School, raised: dt.datetime) -> dt.datetime:
    return acknowledge_deadline(
        timezone.localtime(raised),
        minutes=school.acknowledge_within_minutes,
        starts=school.school_day_starts,
        ends=school.school_day_ends,
    )


def alert_raise(
    *,
    actor: Staff | None,
    subject: Disclosure | ContactRecord | BoundaryConcern | ContactRequest,
    owner_role: str,
    urgent: bool = False,
) -> Alert:
    """An alert about an entry just written, inside the caller's transaction (registered with
    safeguard.core.attention at start-up). Who is told is the caller's business: the entry's
    own notice already says it needs attention."""
    if owner_role not in Owner.values:
        raise ValueError(f"unknown alert owner {owner_role!r}")
    field = _subject_field(subject)
    existing = (
        Alert.objects.select_for_update(of=("self",))
        .filter(**{field: subject, "owner": owner_role})
        .first()
    )
    if existing is not None:
        # Raised again (an outcome with a concern after it was overdue): one alert, its
        # chronology saying so, reopened if it had been closed.
        if existing.status == AlertStatus.CLOSED:
            existing.closed_at = None
            existing.closed_by = None
            existing.status = AlertStatus.IN_PROGRESS
            existing.save()
            audit_record(
                actor=None,  # the system, as when it was first raised
                school=existing.school,
                action="alert.reopen",
                obj=existing,
                from_state=AlertStatus.CLOSED,
                to_state=AlertStatus.IN_PROGRESS,
                reason="raised again",
            )
        _entry(existing, EntryKind.NOTE, None, "Raised again: something new needs attention.")
        return existing
    school = subject.school
    now = timezone.now()
    alert = Alert(
        school=school,
        owner=owner_role,
        urgent=urgent,
        raised_at=now,
        acknowledge_by=_acknowledge_by(school, now) if urgent else None,
    )
    setattr(alert, field, subject)
    alert.save()
    # Raised by the system, not by the person who wrote the entry: the entry's own event names
    # them, and keeps a confidential reporter's name from those who may not know it.
    audit_record(
        actor=None,
        school=school,
        action="alert.raise",
        obj=alert,
        to_state=AlertStatus.NEW,
        reason=f"for the {alert.get_owner_display().lower()}",
    )
    return alert


def _locked(alert: Alert) -> Alert:
    return (
        Alert.objects.select_for_update(of=("self",))
        .select_related("school", "disclosure", "record", "concern", "request")
        .get(pk=alert.pk)
    )


def _entry(alert: Alert, kind: str, author: Staff | None, text: str) -> AlertEntry:
    return AlertEntry.objects.create(
        alert=alert, kind=kind, author=author, text=text, created_at=timezone.now()
    )


def _change(actor: Staff, alert: Alert, action: str, to_state: str, reason: str = "") -> None:
    from_state = Alert.objects.filter(pk=alert.pk).values_list("status", flat=True).get()
    alert.status = to_state
    alert.save()
    audit_record(
        actor=actor,
        school=alert.school,
        action=action,
        obj=alert,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
    )


def alert_acknowledge(*, actor: Staff, alert: Alert) -> Alert:
    """The owner says they have it. Two at once: exactly one acknowledgement, on the locked row."""
    with transaction.atomic():
        alert = _locked(alert)
        if not may_act(actor, alert):
            raise PermissionDenied(NOT_YOURS)
        if alert.status != AlertStatus.NEW:
            who = alert.acknowledged_by.full_name if alert.acknowledged_by else "someone else"
            raise ValidationError(f"Already acknowledged by {who}.")
        alert.acknowledged_at = timezone.now()
        alert.acknowledged_by = actor
        _change(actor, alert, "alert.acknowledge", AlertStatus.ACKNOWLEDGED)
        _entry(alert, EntryKind.ACKNOWLEDGED, actor, f"Acknowledged by {actor.full_name}.")
    return alert


def _require_working(actor: Staff, alert: Alert) -> None:
    if not may_act(actor, alert):
        raise PermissionDenied(NOT_YOURS)
    if alert.status == AlertStatus.NEW:
        raise ValidationError("Acknowledge it first.")
    if alert.status == AlertStatus.CLOSED:
        raise ValidationError("It is closed: reopen it first.")


def alert_note_add(*, actor: Staff, alert: Alert, text: str) -> AlertEntry:
    """A dated note in the chronology: a discussion, a decision, its reason."""
    if not text.strip():
        raise ValidationError({"text": "Write the note."})
    with transaction.atomic():
        alert = _locked(alert)
        _require_working(actor, alert)
        if alert.status == AlertStatus.ACKNOWLEDGED:
            _change(actor, alert, "alert.note", AlertStatus.IN_PROGRESS)
        else:
            audit_record(actor=actor, school=alert.school, action="alert.note", obj=alert)
        return _entry(alert, EntryKind.NOTE, actor, text.strip())


def alert_close(*, actor: Staff, alert: Alert, outcome: str, rationale: str) -> Alert:
    """Closed with the outcome and the reason for it (KCSIE Annex C: the decision and its
    rationale are recorded)."""
    if not rationale.strip():
        raise ValidationError({"rationale": "Say why it can be closed."})
    with transaction.atomic():
        alert = _locked(alert)
        _require_working(actor, alert)
        alert.closed_at = timezone.now()
        alert.closed_by = actor
        alert.outcome = outcome.strip()
        alert.rationale = rationale.strip()
        _change(actor, alert, "alert.close", AlertStatus.CLOSED, reason=alert.outcome)
        words = f"Closed. Outcome: {alert.outcome}. " if alert.outcome else "Closed. "
        _entry(alert, EntryKind.CLOSED, actor, f"{words}Rationale: {alert.rationale}")
    return alert


def alert_reopen(*, actor: Staff, alert: Alert, reason: str) -> Alert:
    if not reason.strip():
        raise ValidationError({"reason": "Say why it is reopened."})
    with transaction.atomic():
        alert = _locked(alert)
        if not may_act(actor, alert):
            raise PermissionDenied(NOT_YOURS)
        if alert.status != AlertStatus.CLOSED:
            raise ValidationError("It is not closed.")
        alert.closed_at = None
        alert.closed_by = None
        _change(actor, alert, "alert.reopen", AlertStatus.IN_PROGRESS, reason=reason.strip())
        _entry(alert, EntryKind.REOPENED, actor, f"Reopened: {reason.strip()}")
    return alert


# --- The DSL's case ------------------------------------------------------------------------


def _require_case(actor: Staff, alert: Alert) -> None:
    _require_working(actor, alert)
    if not alert.is_case:
        raise ValidationError("Actions and referrals belong to a child-protection case.")


def case_action_add(
    *, actor: Staff, alert: Alert, description: str, assigned_to: Staff, due_on: dt.date
) -> CaseAction:
    if not description.strip():
        raise ValidationError({"description": "Say what is to be done."})
    if assigned_to.school_id != actor.school_id or not assigned_to.is_active:
        raise ValidationError({"assigned_to": "Choose an active member of staff at your school."})
    if due_on < timezone.localdate():
        raise ValidationError({"due_on": "The date cannot be in the past."})
    with transaction.atomic():
        alert = _locked(alert)
        _require_case(actor, alert)
        action = CaseAction.objects.create(
            alert=alert,
            description=description.strip(),
            assigned_to=assigned_to,
            due_on=due_on,
            created_by=actor,
            created_at=timezone.now(),
        )
        if alert.status == AlertStatus.ACKNOWLEDGED:
            _change(actor, alert, "case.action_add", AlertStatus.IN_PROGRESS)
        else:
            audit_record(actor=actor, school=alert.school, action="case.action_add", obj=alert)
        _entry(
            alert,
            EntryKind.ACTION,
            actor,
            f"Action for {assigned_to.full_name} by {due_on:%d/%m/%Y}: {action.description}",
        )
        if assigned_to.pk != actor.pk:
            notify(
                recipients=[assigned_to],
                message=f"An action on {alert.reference} is yours",
                path=reverse("alert_detail", args=[alert.pk]),
            )
    return action


def case_action_done(*, actor: Staff, action: CaseAction) -> CaseAction:
    with transaction.atomic():
        alert = _locked(action.alert)
        action = CaseAction.objects.select_for_update().get(pk=action.pk)
        _require_case(actor, alert)
        if action.done_at is not None:
            raise ValidationError("This action is already done.")
        action.done_at = timezone.now()
        action.done_by = actor
        action.save(update_fields=["done_at", "done_by"])
        audit_record(
            actor=actor,
            school=alert.school,
            action="case.action_done",
            obj=alert,
            reason=f"action {action.pk}",
        )
        _entry(alert, EntryKind.ACTION_DONE, actor, f"Done: {action.description}")
    return action


def case_referral_add(
    *,
    actor: Staff,
    alert: Alert,
    agency: str,
    referred_on: dt.date,
    agency_other: str = "",
    reference: str = "",
    contact: str = "",
    response: str = "",
) -> CaseReferral:
    if agency not in Agency.values:
        raise ValidationError({"agency": "Choose who the referral was made to."})
    if agency == Agency.OTHER and not agency_other.strip():
        raise ValidationError({"agency_other": "Name the agency."})
    if referred_on > timezone.localdate():
        raise ValidationError({"referred_on": "The date cannot be in the future."})
    with transaction.atomic():
        alert = _locked(alert)
        _require_case(actor, alert)
        referral = CaseReferral.objects.create(
            alert=alert,
            agency=agency,
            agency_other=agency_other.strip() if agency == Agency.OTHER else "",
            referred_on=referred_on,
            reference=reference.strip(),
            contact=contact.strip(),
            response=response.strip(),
            created_by=actor,
            created_at=timezone.now(),
        )
        if alert.status == AlertStatus.ACKNOWLEDGED:
            _change(actor, alert, "case.referral_add", AlertStatus.IN_PROGRESS)
        else:
            audit_record(actor=actor, school=alert.school, action="case.referral_add", obj=alert)
        to = referral.agency_other or referral.get_agency_display()
        _entry(alert, EntryKind.REFERRAL, actor, f"Referred to {to} on {referred_on:%d/%m/%Y}.")
    return referral


def case_referral_respond(*, actor: Staff, referral: CaseReferral, response: str) -> CaseReferral:
    """The agency's answer, when it comes: added to, never written over."""
    if not response.strip():
        raise ValidationError({"response": "Write what they said."})
    with transaction.atomic():
        alert = _locked(referral.alert)
        referral = CaseReferral.objects.select_for_update().get(pk=referral.pk)
        _require_case(actor, alert)
        stamp = timezone.localtime().strftime("%d/%m/%Y")
        referral.response = f"{referral.response}\n{stamp}: {response.strip()}".strip()
        referral.save(update_fields=["response"])
        audit_record(
            actor=actor,
            school=alert.school,
            action="case.referral_response",
            obj=alert,
            reason=f"referral {referral.pk}",
        )
        _entry(alert, EntryKind.REFERRAL_RESPONSE, actor, f"Response: {response.strip()}")
    return referral


# --- Escalation (`send_escalations`, for cron) ---------------------------------------------


def _escalate_to(alert: Alert) -> tuple[int, QuerySet[Staff]]:
    """The next step up from where the alert is, and who is there: the deputy DSLs, or, if the
    school has none (or it is with them already), the headteacher's side."""
    if alert.escalation_level == 0:
        deputies = Staff.objects.filter(
            school_id=alert.school_id, is_active=True, role_assignments__role=Role.DEPUTY_DSL
        )
        if deputies.exists():
            return 1, deputies
    return 2, workflow.people_for_route(alert.school_id, Route.HEADTEACHER)


def alerts_escalate(*, actor: None, now: dt.datetime | None = None) -> int:
    """Send every urgent alert nobody acknowledged in time one step up, telling the next person,
    and remind the owners of overdue case actions once. Running it twice does nothing twice.
    Returns how many alerts went up."""
    now = now or timezone.now()
    due = Alert.objects.filter(
        status=AlertStatus.NEW,
        urgent=True,
        acknowledge_by__lte=now,
        escalation_level__lt=len(ESCALATION_STEPS) - 1,
    ).values_list("pk", flat=True)
    went_up = 0
    for pk in list(due):
        with transaction.atomic():
            alert = (
                Alert.objects.select_for_update(of=("self",))
                .select_related("school")
                .filter(pk=pk, status=AlertStatus.NEW, acknowledge_by__lte=now)
                .first()
            )
            if alert is None or alert.escalation_level >= len(ESCALATION_STEPS) - 1:
                continue
            level, told = _escalate_to(alert)
            before = alert.escalation_level
            alert.escalation_level = level
            alert.escalated_at = now
            # The next step has the same time again before going further.
            alert.acknowledge_by = _acknowledge_by(alert.school, now)
            alert.save(update_fields=["escalation_level", "escalated_at", "acknowledge_by"])
            words = f"Not acknowledged in time: sent to {ESCALATION_STEPS[level]}."
            audit_record(
                actor=actor,
                school=alert.school,
                action="alert.escalate",
                obj=alert,
                from_state=ESCALATION_STEPS[before],
                to_state=ESCALATION_STEPS[level],
            )
            _entry(alert, EntryKind.ESCALATED, None, words)
            notify(
                recipients=told,
                message=f"{alert.reference} has not been acknowledged in time: it needs you now",
                path=reverse("alert_detail", args=[alert.pk]),
            )
            went_up += 1
    _remind_overdue_actions(now)
    _raise_for_overdue_outcomes(now)
    return went_up


def _raise_for_overdue_outcomes(now: dt.datetime) -> None:
    """Approved contact with its outcome overdue (a day after it began): it needs the decider's
    attention (the head's; the chair's for one the chair decided)."""
    late = ContactRequest.objects.overdue(now).filter(alerts__isnull=True)
    for pk in list(late.values_list("pk", flat=True)):
        with transaction.atomic():
            found = (
                ContactRequest.objects.select_for_update(of=("self",))
                .select_related("school")
                .filter(pk=pk, alerts__isnull=True)
                .first()
            )
            if found is None:
                continue
            route = workflow.route_now(found) or Route.HEADTEACHER
            alert_raise(actor=None, subject=found, owner_role=route)
            notify(
                recipients=workflow.people_for_route(
                    found.school_id,
                    route,
                    restricted=found.restricted,
                ),
                message=f"{found.reference}: the contact has happened and no outcome is recorded",
                path=reverse("request_detail", args=[found.pk]),
            )


def _remind_overdue_actions(now: dt.datetime) -> None:
    today = timezone.localdate(now)
    overdue = CaseAction.objects.filter(
        done_at__isnull=True, due_on__lt=today, reminded_at__isnull=True
    ).values_list("pk", flat=True)
    for pk in list(overdue):
        with transaction.atomic():
            action = (
                CaseAction.objects.select_for_update(of=("self",))
                .select_related("alert", "assigned_to")
                .filter(pk=pk, reminded_at__isnull=True)
                .first()
            )
            if action is None:
                continue
            action.reminded_at = now
            action.save(update_fields=["reminded_at"])
            notify(
                recipients=[action.assigned_to],
                message=f"An action on {action.alert.reference} is overdue",
                path=reverse("alert_detail", args=[action.alert_id]),
            )
