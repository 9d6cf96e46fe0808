"""The planned-contact workflow. Every state change is one of these functions: one transaction,
the current state checked on a locked row, the change and its audit event written together,
notifications sent when the transaction commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from contacts.notifications.services import notify
from contacts.people.models import Pupil, Staff
from contacts.planned import workflow
from contacts.planned.assessments import snapshot
from contacts.planned.models import (
    DECIDED,
    EDITABLE,
    TRANSITIONS,
    ContactRequest,
    HeadAbsence,
    NoteKind,
    RequestNote,
    Route,
    Status,
)
from policies.engine import Assessment
from policies.facts import assess_contact
from safeguard.audit.services import audit_record
from safeguard.core import roles
from safeguard.core.models import School
from safeguard.core.roles import Role

# The answers a requester gives; everything else on a request is the workflow's.
REQUEST_FIELDS = (
    "with_family_only",
    "kind",
    "purpose",
    "exemption",
    "parent_organised",
    "school_channel",
    "vulnerable_context",
    "starts_at",
    "place",
    "reasons",
    "plan_outcomes",
    "plan_timescales",
    "plan_review_date",
)


class StaleRequest(ValidationError):
    """The request changed after the page was loaded; the form is not applied."""


class AlreadyDecided(ValidationError):
    """Somebody else decided first."""


def _path(request: ContactRequest) -> str:
    return reverse("request_detail", args=[request.pk])


ACTION_WORDS = {
    "submit": "submitted",
    "approve": "approved",
    "reject": "rejected",
    "ask": "sent back for more information",
    "withdraw": "withdrawn",
    "complete": "completed",
    "cancel": "cancelled",
}


def _locked(
    request: ContactRequest, expected_version: int | None, *, deciding: bool = False
) -> ContactRequest:
    """Re-read the request under a row lock, refusing a stale form."""
    # Lock first, then read the decider: a row re-read after waiting on the lock must not
    # carry a decider loaded before the other person's decision committed.
    fresh = ContactRequest.objects.select_for_update().get(pk=request.pk)
    if deciding and fresh.status in DECIDED:
        when = timezone.localtime(fresh.decided_at).strftime("%d %b %Y at %H:%M")
        assert fresh.decided_by is not None  # a decision always names who made it
        raise AlreadyDecided(
            f"This request was already {fresh.get_status_display().lower()} by "
            f"{fresh.decided_by.full_name} on {when}. Nothing you sent was applied."
        )
    if expected_version is not None and expected_version != fresh.version:
        raise StaleRequest(
            "This request changed after you opened the page. Nothing you sent was applied: "
            "look at it again and repeat your action if it still applies."
        )
    return fresh


def _move(request: ContactRequest, action: str) -> tuple[str, str]:
    """Apply a declared transition, or refuse it with the request's current state in words."""
    to_state = TRANSITIONS.get((request.status, action))
    if to_state is None:
        raise ValidationError(
            f"This request is “{request.get_status_display().lower()}”, so it cannot be "
            f"{ACTION_WORDS[action]}."
        )
    from_state = request.status
    request.status = to_state
    request.version += 1
    return from_state, to_state


def _audit(
    actor: Staff | None,
    request: ContactRequest,
    action: str,
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
) -> None:
    audit_record(
        actor=actor,
        school=request.school,
        action=f"request.{action}",
        obj=request,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
    )


def _require_requester(actor: Staff, request: ContactRequest) -> None:
    if actor.pk != request.requester_id:
        raise PermissionDenied("Only the member of staff who made the request can do this.")


def _answers(request: ContactRequest) -> dict[str, Any]:
    return {
        "with_family_only": request.with_family_only,
        "on": timezone.localtime(request.starts_at).date(),
        "kind": request.kind,
        "purpose": request.purpose,
        "planned": True,
        "exemption": request.exemption or None,
        "parent_organised": request.parent_organised,
        "school_channel": request.school_channel,
        "vulnerable_context": request.vulnerable_context,
    }


def request_assess(request: ContactRequest, pupils: Iterable[Pupil] | None = None) -> Assessment:
    """What the policies say about this request as it stands (no write)."""
    chosen = list(pupils if pupils is not None else request.pupils.all())
    return assess_contact(requester=request.requester, pupils=chosen, **_answers(request))


def _check_answers(request: ContactRequest, pupils: list[Pupil]) -> None:
    errors: dict[str, str] = {}
    if not pupils:
        errors["pupils"] = "Choose at least one pupil."
    elif any(p.school_id != request.school_id for p in pupils):
        errors["pupils"] = "Choose pupils from your own school only."
    if not (request.reasons or "").strip():
        errors["reasons"] = "Set out the reasons for the contact: the record must give them."
    if not (request.place or "").strip():
        errors["place"] = "Say where the contact will take place."
    if errors:
        raise ValidationError(errors)


def _check_for_submission(
    request: ContactRequest, pupils: list[Pupil], assessment: Assessment
) -> None:
    errors: dict[str, str] = {}
    if request.starts_at <= timezone.now():
        errors["starts_at"] = "A planned contact must be in the future: ask before it happens."
    on = timezone.localtime(request.starts_at).date()
    needs_plan = assessment.needs_approval and (
        "plan_of_involvement" in assessment.actions or any(not p.is_current(on) for p in pupils)
    )
    if needs_plan:
        if not request.plan_outcomes.strip():
            errors["plan_outcomes"] = "For a former pupil, set out the outcomes you expect."
        if not request.plan_timescales.strip():
            errors["plan_timescales"] = "For a former pupil, give the timescales of the plan."
        if request.plan_review_date is None:
            errors["plan_review_date"] = "For a former pupil, give a date to review the plan."
        elif request.plan_review_date < on:
            errors["plan_review_date"] = "The plan's review date cannot be before the contact."
    if errors:
        raise ValidationError(errors)
    if assessment.is_prohibited:
        raise ValidationError(
            "The school's policies do not allow this contact, so it cannot be submitted. "
            "The reasons are listed above. If it has already happened, or a boundary may "
            "have been crossed, talk to the headteacher and record a boundary concern."
        )
    if not assessment.needs_approval:
        raise ValidationError(
            "This contact does not need approval: it is allowed, and must be recorded after "
            "it happens. Nothing was submitted."
        )


def request_save_draft(
    *,
    actor: Staff,
    pupils: Iterable[Pupil],
    request: ContactRequest | None = None,
    expected_version: int | None = None,
    **answers: Any,
) -> ContactRequest:
    """Create a draft, or change a draft (or a request sent back for more information)."""
    pupils = list(pupils)
    with transaction.atomic():
        if request is None:
            request = ContactRequest(school=actor.school, requester=actor)
            action, from_state = "create", ""
        else:
            _require_requester(actor, request)
            request = _locked(request, expected_version)
            if request.status not in EDITABLE:
                raise ValidationError(
                    "Only a draft, or a request sent back to you, can be changed."
                )
            request.version += 1
            action, from_state = "edit", request.status
        for key in REQUEST_FIELDS:
            if key in answers:
                setattr(request, key, answers[key])
        request.exemption = request.exemption or ""
        _check_answers(request, pupils)
        snapshot(request, request_assess(request, pupils))
        request.route = workflow.route_for(requester=actor, referred=request.referred_to_chair)
        request.save()
        request.pupils.set(pupils)
        _audit(actor, request, action, from_state, request.status)
    return request


def request_submit(
    *, actor: Staff, request: ContactRequest, expected_version: int | None, answer: str = ""
) -> ContactRequest:
    """Send the request to the person who decides. A prohibited contact cannot be sent."""
    _require_requester(actor, request)
    with transaction.atomic():
        request = _locked(request, expected_version)
        pupils = list(request.pupils.all())
        resubmitting = request.status == Status.MORE_INFORMATION
        if resubmitting and not answer.strip():
            raise ValidationError(
                {"answer": "Answer the question you were asked, or say what you changed."}
            )
        assessment = request_assess(request, pupils)
        _check_for_submission(request, pupils, assessment)
        from_state, to_state = _move(request, "submit")
        snapshot(request, assessment)
        request.route = workflow.route_for(requester=actor, referred=request.referred_to_chair)
        request.submitted_at = timezone.now()
        request.reminded_at = None
        request.save()
        if resubmitting:
            RequestNote.objects.create(
                request=request, author=actor, kind=NoteKind.ANSWER, text=answer.strip()
            )
        _audit(actor, request, "submit", from_state, to_state, answer.strip())
        notify(
            recipients=workflow.deciders(request),
            message=f"{request.reference} is waiting for your decision",
            path=_path(request),
        )
    return request


def request_file(
    *,
    actor: Staff,
    pupils: Iterable[Pupil],
    submit: bool,
    request: ContactRequest | None = None,
    expected_version: int | None = None,
    answer: str = "",
    **answers: Any,
) -> ContactRequest:
    """Save the form, and submit it if asked, as one step: a refused submission saves nothing."""
    with transaction.atomic():
        request = request_save_draft(
            actor=actor,
            pupils=pupils,
            request=request,
            expected_version=expected_version,
            **answers,
        )
        if submit:
            request = request_submit(
                actor=actor, request=request, expected_version=request.version, answer=answer
            )
    return request


DECISIONS = {"approve": "approved", "reject": "rejected", "ask": "sent back for more information"}


def request_decide(
    *,
    actor: Staff,
    request: ContactRequest,
    decision: str,
    expected_version: int | None,
    reason: str = "",
    conditions: str = "",
) -> ContactRequest:
    """Approve (optionally with conditions), reject (with a reason) or ask for more information.

    Two people pressing at once: the row lock lets one through; the other is told who decided.
    """
    if decision not in DECISIONS:
        raise ValidationError({"decision": "Choose approve, reject or ask for more information."})
    reason, conditions = reason.strip(), conditions.strip()
    if decision in ("reject", "ask") and not reason:
        field_text = (
            "Give the reason for rejecting it."
            if decision == "reject"
            else ("Say what more information you need.")
        )
        raise ValidationError({"reason": field_text})
    with transaction.atomic():
        if workflow.decider_role(actor, request) is None:
            raise PermissionDenied("You cannot decide this request.")
        request = _locked(request, expected_version, deciding=True)
        capacity = workflow.decider_role(actor, request)
        if capacity is None:
            raise PermissionDenied("You cannot decide this request.")
        from_state, to_state = _move(request, decision)
        if decision == "ask":
            RequestNote.objects.create(
                request=request, author=actor, kind=NoteKind.QUESTION, text=reason
            )
        else:
            request.decided_by = actor
            request.decided_as = capacity
            request.decided_at = timezone.now()
            request.decision_reason = reason
            request.conditions = conditions if decision == "approve" else ""
        request.save()
        _audit(actor, request, decision, from_state, to_state, reason or conditions)
        notify(
            recipients=[request.requester],
            message=f"{request.reference} was {DECISIONS[decision]}",
            path=_path(request),
        )
        manager = request.requester.line_manager
        if decision == "approve" and manager is not None:
            notify(
                recipients=[manager],
                message=f"{request.reference} was approved: please monitor it",
                path=_path(request),
            )
    return request


def request_refer(
    *, actor: Staff, request: ContactRequest, expected_version: int | None, reason: str
) -> ContactRequest:
    """The headteacher, unsure, refers the request to the chair of governors, whose word is
    final (000 §introduction)."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why you are referring it to the chair of governors."})
    with transaction.atomic():
        request = _locked(request, expected_version)
        if request.status != Status.SUBMITTED:
            raise ValidationError("Only a request waiting for a decision can be referred.")
        if request.route != Route.HEADTEACHER or workflow.decider_role(actor, request) is None:
            raise PermissionDenied("Only the person deciding this request can refer it.")
        request.referred_to_chair = True
        request.route = Route.CHAIR_OF_GOVERNORS
        request.version += 1
        request.save()
        _audit(actor, request, "refer", request.status, request.status, reason.strip())
        notify(
            recipients=workflow.deciders(request),
            message=f"{request.reference} was referred to you for a decision",
            path=_path(request),
        )
    return request


def request_withdraw(
    *, actor: Staff, request: ContactRequest, expected_version: int | None, reason: str = ""
) -> ContactRequest:
    _require_requester(actor, request)
    with transaction.atomic():
        request = _locked(request, expected_version)
        from_state, to_state = _move(request, "withdraw")
        request.save()
        _audit(actor, request, "withdraw", from_state, to_state, reason.strip())
    return request


def request_complete(
    *,
    actor: Staff,
    request: ContactRequest,
    expected_version: int | None,
    outcome: str,
    concerns: str = "",
) -> ContactRequest:
    """After the contact, the requester records what happened and anything of concern."""
    _require_requester(actor, request)
    if not outcome.strip():
        raise ValidationError({"outcome": "Say what happened."})
    with transaction.atomic():
        request = _locked(request, expected_version)
        if request.status == Status.APPROVED and request.starts_at > timezone.now():
            raise ValidationError("The outcome can be recorded once the contact has taken place.")
        from_state, to_state = _move(request, "complete")
        request.outcome = outcome.strip()
        request.outcome_concerns = concerns.strip()
        request.completed_at = timezone.now()
        request.save()
        _audit(actor, request, "complete", from_state, to_state)
        if request.outcome_concerns:
            notify(
                recipients=workflow.deciders(request),
                message=f"{request.reference}: a concern was recorded with the outcome",
                path=_path(request),
            )
    return request


def request_cancel(
    *, actor: Staff, request: ContactRequest, expected_version: int | None, reason: str
) -> ContactRequest:
    """Approved contact that will not happen: the requester or a decider calls it off."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why the contact is cancelled."})
    with transaction.atomic():
        request = _locked(request, expected_version)
        is_head = actor.school_id == request.school_id and roles.has_role(actor, Role.HEADTEACHER)
        if actor.pk != request.requester_id and not is_head:
            raise PermissionDenied("Only the requester or the headteacher can cancel it.")
        from_state, to_state = _move(request, "cancel")
        request.save()
        _audit(actor, request, "cancel", from_state, to_state, reason.strip())
    return request


def _may_comment(actor: Staff, request: ContactRequest) -> bool:
    return (
        actor.pk == request.requester_id
        or request.requester.line_manager_id == actor.pk
        or workflow.decider_role(actor, request) is not None
        or roles.has_role(actor, roles.SENIOR_LEADERS)
    )


def request_note_add(*, actor: Staff, request: ContactRequest, text: str) -> RequestNote:
    """A note on the request: by the requester, a decider, or the monitoring line manager."""
    if actor.school_id != request.school_id or not _may_comment(actor, request):
        raise PermissionDenied("You cannot add notes to this request.")
    if request.status == Status.DRAFT:
        raise ValidationError("Notes are added once the request has been submitted.")
    if not text.strip():
        raise ValidationError({"text": "Write the note."})
    kind = NoteKind.MONITORING if request.requester.line_manager_id == actor.pk else NoteKind.NOTE
    with transaction.atomic():
        note = RequestNote.objects.create(
            request=request, author=actor, kind=kind, text=text.strip()
        )
        _audit(actor, request, "note", reason=f"{note.get_kind_display()} added")
    return note


def request_review(*, actor: Staff, request: ContactRequest, note: str = "") -> ContactRequest:
    """The line manager marks approved or completed contact as reviewed (000 §intended contact)."""
    if request.requester.line_manager_id != actor.pk:
        raise PermissionDenied("Only the requester's line manager reviews their contact.")
    with transaction.atomic():
        request = ContactRequest.objects.select_for_update().get(pk=request.pk)
        if request.status not in (Status.APPROVED, Status.COMPLETED):
            raise ValidationError("Only approved or completed contact is reviewed.")
        if request.reviewed_at is not None:
            raise ValidationError("This request has already been marked reviewed.")
        if note.strip():
            RequestNote.objects.create(
                request=request, author=actor, kind=NoteKind.MONITORING, text=note.strip()
            )
        request.reviewed_by = actor
        request.reviewed_at = timezone.now()
        request.save(update_fields=["reviewed_by", "reviewed_at", "updated_at"])
        _audit(actor, request, "review", reason=note.strip())
    return request


def absence_record(
    *, actor: Staff, school: School, starts_on: dt.date, ends_on: dt.date, note: str = ""
) -> HeadAbsence:
    """Record the headteacher's absence: the deputy decides in their place meanwhile."""
    if actor.school_id != school.pk or not roles.has_role(
        actor, {Role.HEADTEACHER, Role.SCHOOL_ADMIN}
    ):
        raise PermissionDenied("Only the headteacher or the school administrator can do this.")
    absence = HeadAbsence(
        school=school, starts_on=starts_on, ends_on=ends_on, note=note.strip(), created_by=actor
    )
    if ends_on < starts_on:
        raise ValidationError({"ends_on": "The absence must end on or after its first day."})
    if ends_on < timezone.localdate():
        raise ValidationError({"ends_on": "This absence is already over."})
    with transaction.atomic():
        absence.save()
        audit_record(
            actor=actor,
            school=school,
            action="absence.record",
            obj=absence,
            reason=f"{starts_on:%Y-%m-%d} to {ends_on:%Y-%m-%d}",
        )
    return absence


def absence_end(*, actor: Staff, absence: HeadAbsence) -> HeadAbsence | None:
    """The headteacher is back. An absence that began before today now ended yesterday; one
    that has not begun yet is removed."""
    if actor.school_id != absence.school_id or not roles.has_role(
        actor, {Role.HEADTEACHER, Role.SCHOOL_ADMIN}
    ):
        raise PermissionDenied("Only the headteacher or the school administrator can do this.")
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    with transaction.atomic():
        audit_record(actor=actor, school=absence.school, action="absence.end", obj=absence)
        if absence.starts_on > yesterday:
            absence.delete()
            return None
        absence.ends_on = min(absence.ends_on, yesterday)
        absence.save(update_fields=["ends_on"])
    return absence


def _school_days_between(start: dt.date, end: dt.date) -> int:
    """Weekdays after start up to and including end."""
    days, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            days += 1
    return days


def reminders_send(*, now: dt.datetime | None = None) -> int:
    """Remind the deciders of every request waiting longer than the school's response time.

    Idempotent: each wait is reminded once (resubmission starts a new wait).
    """
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    sent = 0
    waiting = ContactRequest.objects.filter(
        status=Status.SUBMITTED, reminded_at__isnull=True
    ).select_related("school")
    for request in waiting:
        submitted_on = timezone.localtime(request.submitted_at).date()
        if _school_days_between(submitted_on, today) <= request.school.response_days:
            continue
        with transaction.atomic():
            locked = ContactRequest.objects.select_for_update().get(pk=request.pk)
            if locked.status != Status.SUBMITTED or locked.reminded_at is not None:
                continue
            locked.reminded_at = now
            locked.save(update_fields=["reminded_at", "updated_at"])
            _audit(None, locked, "remind", reason="waiting longer than the response time")
            notify(
                recipients=workflow.deciders(locked, today),
                message=f"Reminder: {locked.reference} is still waiting for your decision",
                path=_path(locked),
            )
        sent += 1
    return sent
