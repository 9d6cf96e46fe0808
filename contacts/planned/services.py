"""The planned-contact workflow. Every state change is one of these functions: one transaction,
the current state checked on a locked row, the change and its audit event written together,
notifications sent when the transaction commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from contacts.notifications.services import notify
from contacts.people.models import Pupil, Staff
from contacts.planned import selectors as planned_selectors
from contacts.planned import workflow
from contacts.planned.assessments import snapshot
from contacts.planned.models import (
    DECIDED,
    TRANSITIONS,
    ContactRequest,
    HeadAbsence,
    NoteKind,
    PlanDecision,
    PlanReview,
    PlanSession,
    RequestNote,
    Route,
    Status,
)
from contacts.planned.permissions import DECISIONS, RequestActions, allowed_actions
from contacts.planned.selectors import monitors
from policies.engine import Assessment
from policies.facts import assess_contact
from safeguard.audit.services import audit_record
from safeguard.audit.vocabulary import RequestStep, request_action
from safeguard.core import roles
from safeguard.core.attention import raise_alert
from safeguard.core.models import School

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
    "plan_support",
    "plan_agencies",
    "plan_signposting",
)

# How a request's history names each answer an edit changed ("Changed: the place, the pupils").
ANSWER_WORDS = {
    "pupils": "the pupils",
    "with_family_only": "with whom",
    "kind": "the kind of contact",
    "purpose": "the purpose",
    "exemption": "the exemption",
    "parent_organised": "whether a parent arranged it",
    "school_channel": "whether the school's phone or account is used",
    "vulnerable_context": "whether the pupil is vulnerable",
    "starts_at": "the date and time",
    "place": "the place",
    "reasons": "the reasons",
    "plan_outcomes": "the plan's outcomes",
    "plan_timescales": "the plan's timescales",
    "plan_review_date": "the plan's review date",
    "plan_support": "the plan's support",
    "plan_agencies": "the plan's other agencies",
    "plan_signposting": "the plan's signposting",
}


def _changed_answers(before: dict[str, Any], after: dict[str, Any]) -> str:
    """An edit's entry in the history: which answers it changed, in the form's order."""
    changed = [ANSWER_WORDS.get(key, key) for key in after if before.get(key) != after[key]]
    return f"Changed: {', '.join(changed)}." if changed else "Saved with no change."


def _answers_now(contact_request: ContactRequest, pupil_ids: Iterable[int]) -> dict[str, Any]:
    answers = {key: getattr(contact_request, key) for key in REQUEST_FIELDS}
    return {"pupils": sorted(pupil_ids)} | answers


# The parts of a plan of involvement a review may change, with the words its record uses.
PLAN_PARTS = {
    "plan_outcomes": "Expected outcomes",
    "plan_timescales": "Timescales",
    "plan_support": "Support or supervision for the member of staff",
    "plan_agencies": "Other agencies involved",
    "plan_signposting": "Signposting to services outside school",
}
# The parts a plan cannot do without, and what is said when one is missing from a request.
PLAN_REQUIRED = {
    "plan_outcomes": "For a former pupil, set out the outcomes you expect.",
    "plan_timescales": "For a former pupil, give the timescales of the plan.",
    "plan_support": "For a former pupil, say what support or supervision you will have (000 "
    "§contact with former pupils), for example regular meetings with your line manager.",
}


class StaleRequest(ValidationError):
    """The request changed after the page was loaded; the form is not applied."""


class AlreadyDecided(ValidationError):
    """Somebody else decided first."""


def _path(contact_request: ContactRequest) -> str:
    return reverse("request_detail", args=[contact_request.pk])


def _locked(
    contact_request: ContactRequest, actor: Staff, action: str, expected_version: int | None
) -> tuple[ContactRequest, RequestActions]:
    """Re-read the request under a row lock and refuse what the actor may not do with it now:
    who they are first, then a decision already made or a stale form, then its state."""
    # Lock first, then read the decider: a row re-read after waiting on the lock must not
    # carry a decider loaded before the other person's decision committed.
    fresh = ContactRequest.objects.select_for_update().get(pk=contact_request.pk)
    actions = allowed_actions(actor, fresh)
    actions.require_person(action)
    if action in DECISIONS and fresh.status in DECIDED:
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
    actions.require_state(action)
    return fresh, actions


def _move(contact_request: ContactRequest, action: str) -> tuple[str, str]:
    """Apply a declared transition (allowed_actions has refused any other)."""
    from_state = contact_request.status
    contact_request.status = TRANSITIONS[(from_state, action)]
    contact_request.version += 1
    return from_state, contact_request.status


def _audit(
    actor: Staff | None,
    contact_request: ContactRequest,
    action: RequestStep,
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
) -> None:
    audit_record(
        actor=actor,
        school=contact_request.school,
        action=request_action(action),
        obj=contact_request,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
    )


def _answers(contact_request: ContactRequest) -> dict[str, Any]:
    return {
        "with_family_only": contact_request.with_family_only,
        "on": timezone.localtime(contact_request.starts_at).date(),
        "kind": contact_request.kind,
        "purpose": contact_request.purpose,
        "planned": True,
        "exemption": contact_request.exemption or None,
        "parent_organised": contact_request.parent_organised,
        "school_channel": contact_request.school_channel,
        "vulnerable_context": contact_request.vulnerable_context,
    }


def request_assess(
    contact_request: ContactRequest, pupils: Iterable[Pupil] | None = None
) -> Assessment:
    """What the policies say about this request as it stands (no write)."""
    chosen = list(pupils if pupils is not None else contact_request.pupils.all())
    return assess_contact(
        requester=contact_request.requester, pupils=chosen, **_answers(contact_request)
    )


def _check_answers(contact_request: ContactRequest, pupils: list[Pupil]) -> None:
    errors: dict[str, str] = {}
    if not pupils:
        errors["pupils"] = "Choose at least one pupil."
    elif any(p.school_id != contact_request.school_id for p in pupils):
        errors["pupils"] = "Choose pupils from your own school only."
    if not (contact_request.reasons or "").strip():
        errors["reasons"] = "Set out the reasons for the contact: the record must give them."
    if not (contact_request.place or "").strip():
        errors["place"] = "Say where the contact will take place."
    if errors:
        raise ValidationError(errors)


def plan_needed(assessment: Assessment, pupils: Iterable[Pupil], on: dt.date) -> bool:
    """Whether the contact is agreed with a plan of involvement: contact with a former pupil
    that needs approval (000 §contact with former pupils). Never a close relationship, which the
    head takes to the LADO instead: it is not a plan with outcomes to expect."""
    if not assessment.needs_approval or "consult_lado" in assessment.actions:
        return False
    return "plan_of_involvement" in assessment.actions or any(not p.is_current(on) for p in pupils)


def _clear_plan(contact_request: ContactRequest) -> None:
    for name in PLAN_PARTS:
        setattr(contact_request, name, "")
    contact_request.plan_review_date = None


def _check_for_submission(
    contact_request: ContactRequest, pupils: list[Pupil], assessment: Assessment
) -> None:
    errors: dict[str, str] = {}
    if contact_request.starts_at <= timezone.now():
        errors["starts_at"] = "A planned contact must be in the future: ask before it happens."
    on = timezone.localtime(contact_request.starts_at).date()
    if plan_needed(assessment, pupils, on):
        for name, words in PLAN_REQUIRED.items():
            if not getattr(contact_request, name).strip():
                errors[name] = words
        if contact_request.plan_review_date is None:
            errors["plan_review_date"] = "For a former pupil, give a date to review the plan."
        elif contact_request.plan_review_date < on:
            errors["plan_review_date"] = "The plan's review date cannot be before the contact."
    else:
        # A plan is kept only where the policies ask for one, so that a plan on the record is
        # always one agreed as such (and never a relationship's).
        _clear_plan(contact_request)
    if errors:
        raise ValidationError(errors)
    if assessment.is_prohibited:
        # The page shows the policies' reasons and where to raise a concern: said once here.
        raise ValidationError(
            "The school's policies do not allow this contact, so it cannot be sent for a decision."
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
    contact_request: ContactRequest | None = None,
    expected_version: int | None = None,
    **answers: Any,
) -> ContactRequest:
    """Create a draft, or change a draft (or a request sent back for more information)."""
    pupils = list(pupils)
    action: RequestStep
    with transaction.atomic():
        if contact_request is None:
            contact_request = ContactRequest(school=actor.school, requester=actor)
            action, from_state, before = "create", "", {}
        else:
            contact_request, _ = _locked(contact_request, actor, "edit", expected_version)
            contact_request.version += 1
            action, from_state = "edit", contact_request.status
            before = _answers_now(
                contact_request, contact_request.pupils.values_list("pk", flat=True)
            )
        for key in REQUEST_FIELDS:
            if key in answers:
                setattr(contact_request, key, answers[key])
        contact_request.exemption = contact_request.exemption or ""
        _check_answers(contact_request, pupils)
        snapshot(contact_request, request_assess(contact_request, pupils))
        contact_request.route = workflow.route_for(
            requester=actor, referred=contact_request.referred_to_chair
        )
        contact_request.save()
        contact_request.pupils.set(pupils)
        after = _answers_now(contact_request, (pupil.pk for pupil in pupils))
        changes = _changed_answers(before, after) if action == "edit" else ""
        _audit(actor, contact_request, action, from_state, contact_request.status, changes)
    return contact_request


def request_submit(
    *,
    actor: Staff,
    contact_request: ContactRequest,
    expected_version: int | None,
    answer: str = "",
) -> ContactRequest:
    """Send the request to the person who decides. A prohibited contact cannot be sent."""
    with transaction.atomic():
        contact_request, _ = _locked(contact_request, actor, "submit", expected_version)
        pupils = list(contact_request.pupils.all())
        resubmitting = contact_request.status == Status.MORE_INFORMATION
        if resubmitting and not answer.strip():
            raise ValidationError(
                {"answer": "Answer the question you were asked, or say what you changed."}
            )
        assessment = request_assess(contact_request, pupils)
        _check_for_submission(contact_request, pupils, assessment)
        from_state, to_state = _move(contact_request, "submit")
        snapshot(contact_request, assessment)
        contact_request.route = workflow.route_for(
            requester=actor, referred=contact_request.referred_to_chair
        )
        contact_request.submitted_at = timezone.now()
        contact_request.reminded_at = None
        contact_request.save()
        if resubmitting:
            RequestNote.objects.create(
                request=contact_request, author=actor, kind=NoteKind.ANSWER, text=answer.strip()
            )
        _audit(actor, contact_request, "submit", from_state, to_state, answer.strip())
        notify(
            recipients=workflow.deciders(contact_request),
            message=f"{contact_request.reference} "
            + ("was answered and " if resubmitting else "")
            + "is waiting for your decision",
            path=_path(contact_request),
            what_to_do="Approve it, reject it or ask for more information, before the contact "
            f"on {timezone.localtime(contact_request.starts_at):%A %-d %B %Y at %H:%M}.",
        )
    return contact_request


def request_file(
    *,
    actor: Staff,
    pupils: Iterable[Pupil],
    submit: bool,
    contact_request: ContactRequest | None = None,
    expected_version: int | None = None,
    answer: str = "",
    submission_key: str = "",
    **answers: Any,
) -> ContactRequest:
    """Save the form, and submit it if asked, as one step: a refused submission saves nothing.
    A new request's form sent a second time (its `submission_key` seen before: the browser's
    Back, then Send again) is refused, naming the request the first sending made."""
    with transaction.atomic():
        if contact_request is None and submission_key:
            made = ContactRequest.objects.filter(
                requester=actor, submission_key=submission_key
            ).first()
            if made is not None:
                raise ValidationError(
                    f"This form was already sent: it made {made.reference}, "
                    f"{made.get_status_display().lower()}. Open it from My requests rather "
                    "than sending it again."
                )
        new = contact_request is None
        contact_request = request_save_draft(
            actor=actor,
            pupils=pupils,
            contact_request=contact_request,
            expected_version=expected_version,
            **answers,
        )
        if new and submission_key:
            ContactRequest.objects.filter(pk=contact_request.pk).update(
                submission_key=submission_key
            )
        if submit:
            contact_request = request_submit(
                actor=actor,
                contact_request=contact_request,
                expected_version=contact_request.version,
                answer=answer,
            )
    return contact_request


# What the requester does next, by decision (the notice's email says it).
DECIDED_NEXT = {
    "approve": "Go ahead as agreed, then record the outcome in Safeguard afterwards.",
    "reject": "Do not go ahead. The reason is on the request.",
    "ask": "Open the request, answer the question and send it again.",
}
DECIDED_WORDS = {
    "approve": "approved",
    "reject": "rejected",
    "ask": "sent back for more information",
}


def request_decide(
    *,
    actor: Staff,
    contact_request: ContactRequest,
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
        contact_request, actions = _locked(contact_request, actor, decision, expected_version)
        from_state, to_state = _move(contact_request, decision)
        if decision == "ask":
            RequestNote.objects.create(
                request=contact_request, author=actor, kind=NoteKind.QUESTION, text=reason
            )
        else:
            contact_request.decided_by = actor
            contact_request.decided_as = actions.decides_as
            contact_request.decided_at = timezone.now()
            contact_request.decision_reason = reason
            contact_request.conditions = conditions if decision == "approve" else ""
        contact_request.save()
        # One of DECISIONS, as checked above: each is a step of the request's life.
        step = cast("RequestStep", decision)
        _audit(actor, contact_request, step, from_state, to_state, reason or conditions)
        conditional = decision == "approve" and bool(contact_request.conditions)
        notify(
            recipients=[contact_request.requester],
            message=f"{contact_request.reference} was {DECIDED_WORDS[decision]}"
            + (" with conditions" if conditional else ""),
            path=_path(contact_request),
            what_to_do=DECIDED_NEXT[decision]
            + (" Read the conditions first: they are part of the approval." if conditional else ""),
        )
        manager = contact_request.requester.line_manager
        # Nobody monitors the headteacher's contact as line manager (the chair oversees it).
        if decision == "approve" and manager is not None and monitors(manager, contact_request):
            notify(
                recipients=[manager],
                message=f"{contact_request.reference} was approved: please monitor it",
                path=_path(contact_request),
            )
    return contact_request


def request_refer(
    *,
    actor: Staff,
    contact_request: ContactRequest,
    expected_version: int | None,
    reason: str,
) -> ContactRequest:
    """The headteacher, unsure, refers the request to the chair of governors, whose word is
    final (000 §introduction)."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why you are referring it to the chair of governors."})
    with transaction.atomic():
        contact_request, _ = _locked(contact_request, actor, "refer", expected_version)
        contact_request.referred_to_chair = True
        contact_request.route = Route.CHAIR_OF_GOVERNORS
        contact_request.version += 1
        contact_request.save()
        status = contact_request.status
        _audit(actor, contact_request, "refer", status, status, reason.strip())
        notify(
            recipients=workflow.deciders(contact_request),
            message=f"{contact_request.reference} was referred to you for a decision",
            path=_path(contact_request),
        )
    return contact_request


def request_withdraw(
    *,
    actor: Staff,
    contact_request: ContactRequest,
    expected_version: int | None,
    reason: str = "",
) -> ContactRequest:
    with transaction.atomic():
        contact_request, _ = _locked(contact_request, actor, "withdraw", expected_version)
        from_state, to_state = _move(contact_request, "withdraw")
        contact_request.save()
        _audit(actor, contact_request, "withdraw", from_state, to_state, reason.strip())
    return contact_request


def request_complete(
    *,
    actor: Staff,
    contact_request: ContactRequest,
    expected_version: int | None,
    outcome: str,
    concerns: str = "",
) -> ContactRequest:
    """After the contact, the requester records what happened and anything of concern."""
    with transaction.atomic():
        contact_request, _ = _locked(contact_request, actor, "complete", expected_version)
        if not outcome.strip():
            raise ValidationError({"outcome": "Say what happened."})
        from_state, to_state = _move(contact_request, "complete")
        contact_request.outcome = outcome.strip()
        contact_request.outcome_concerns = concerns.strip()
        contact_request.completed_at = timezone.now()
        contact_request.save()
        _audit(actor, contact_request, "complete", from_state, to_state)
        if contact_request.outcome_concerns:
            _concern_for_the_decider(
                actor, contact_request, "a concern was recorded with the outcome"
            )
    return contact_request


def _concern_for_the_decider(actor: Staff, contact_request: ContactRequest, words: str) -> None:
    """A concern written with an outcome or a session needs the decider's attention: an alert
    they acknowledge and close with a reason, and a notice."""
    raise_alert(
        actor=actor,
        subject=contact_request,
        owner_role=workflow.route_now(contact_request) or Route.HEADTEACHER,
    )
    notify(
        recipients=workflow.deciders(contact_request),
        message=f"{contact_request.reference}: {words}",
        path=_path(contact_request),
    )


def request_cancel(
    *,
    actor: Staff,
    contact_request: ContactRequest,
    expected_version: int | None,
    reason: str,
) -> ContactRequest:
    """Approved contact that will not happen: the requester or a decider calls it off."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why the contact is cancelled."})
    with transaction.atomic():
        contact_request, _ = _locked(contact_request, actor, "cancel", expected_version)
        from_state, to_state = _move(contact_request, "cancel")
        contact_request.save()
        _audit(actor, contact_request, "cancel", from_state, to_state, reason.strip())
    return contact_request


def request_note_add(*, actor: Staff, contact_request: ContactRequest, text: str) -> RequestNote:
    """A note on the request: by the requester, a decider, or the monitoring line manager."""
    with transaction.atomic():
        contact_request, actions = _locked(contact_request, actor, "note", None)
        if not text.strip():
            raise ValidationError({"text": "Write the note."})
        note = RequestNote.objects.create(
            request=contact_request,
            author=actor,
            kind=NoteKind.MONITORING if actions.monitors else NoteKind.NOTE,
            text=text.strip(),
        )
        _audit(actor, contact_request, "note", reason=f"{note.get_kind_display()} added")
        notify(
            recipients=[person for person in _note_readers(contact_request) if person != actor],
            message=f"{actor.full_name} added a note to {contact_request.reference}",
            path=_path(contact_request),
            what_to_do="Read the note on the request's page.",
        )
    return note


def _note_readers(contact_request: ContactRequest) -> list[Staff]:
    """Who is told of a new note: the requester, and whoever decides the request (those who
    may decide it while it waits, the person who decided it after), each only while they may
    still read it (a chair who has handed the role on is not told of the head's request)."""
    if contact_request.status == Status.SUBMITTED:
        deciders = list(workflow.deciders(contact_request))
    else:
        deciders = [contact_request.decided_by] if contact_request.decided_by else []
    people = [contact_request.requester, *deciders]
    return [
        person
        for person in people
        if planned_selectors.requests_visible_to(person).filter(pk=contact_request.pk).exists()
        and planned_selectors.can_read_request(person, contact_request)
    ]


def request_review(
    *, actor: Staff, contact_request: ContactRequest, note: str = ""
) -> ContactRequest:
    """The line manager marks approved or completed contact as reviewed (000 §intended contact)."""
    with transaction.atomic():
        contact_request, _ = _locked(contact_request, actor, "review", None)
        if note.strip():
            RequestNote.objects.create(
                request=contact_request, author=actor, kind=NoteKind.MONITORING, text=note.strip()
            )
        contact_request.reviewed_by = actor
        contact_request.reviewed_at = timezone.now()
        contact_request.save(update_fields=["reviewed_by", "reviewed_at", "updated_at"])
        _audit(actor, contact_request, "review", reason=note.strip())
    return contact_request


def _monitor_of(contact_request: ContactRequest) -> list[Staff]:
    """The line manager who monitors the request's contact, if anyone does (never for the
    restricted family-liaison log, which the head alone monitors)."""
    manager = contact_request.requester.line_manager
    if manager is None or contact_request.restricted or not monitors(manager, contact_request):
        return []
    return [manager]


def _session_date_errors(contact_request: ContactRequest, held_on: dt.date) -> dict[str, str]:
    if held_on > timezone.localdate():
        return {
            "held_on": "Log a session once it has taken place: the date cannot be in the future."
        }
    assert contact_request.decided_at is not None  # a live plan was approved
    approved_on = timezone.localtime(contact_request.decided_at).date()
    if held_on < approved_on:
        return {
            "held_on": f"A session under the plan cannot be before it was approved "
            f"({approved_on:%d %b %Y})."
        }
    return {}


def plan_session_log(
    *,
    actor: Staff,
    contact_request: ContactRequest,
    held_on: dt.date,
    what_happened: str,
    concerns: str = "",
) -> PlanSession:
    """The requester logs one session under the agreed plan of involvement, after it took
    place: what happened and anything of concern (000 §contact with former pupils: all such
    contact is recorded). The line manager, who monitors it, is told of each one; a concern
    needs the attention of whoever decides the request, as an outcome's concern does."""
    what_happened, concerns = what_happened.strip(), concerns.strip()
    with transaction.atomic():
        contact_request, _ = _locked(contact_request, actor, "log_session", None)
        errors = _session_date_errors(contact_request, held_on)
        if not what_happened:
            errors["what_happened"] = "Say what happened in the session."
        if errors:
            raise ValidationError(errors)
        contact_request.sessions_logged += 1
        contact_request.version += 1
        # New contact to monitor: back in the line manager's queue as not yet reviewed.
        contact_request.reviewed_by = None
        contact_request.reviewed_at = None
        contact_request.save()
        session = PlanSession.objects.create(
            request=contact_request,
            number=contact_request.sessions_logged,
            held_on=held_on,
            what_happened=what_happened,
            concerns=concerns,
            logged_by=actor,
        )
        reason = f"session {session.number} on {held_on:%Y-%m-%d}"
        _audit(
            actor, contact_request, "session", reason=reason + ("; a concern" if concerns else "")
        )
        ref = contact_request.reference
        notify(
            recipients=_monitor_of(contact_request),
            message=f"{ref}: session {session.number} of the plan was logged",
            path=_path(contact_request),
        )
        if concerns:
            _concern_for_the_decider(
                actor,
                contact_request,
                f"a concern was recorded in session {session.number} of the plan",
            )
    return session


def _plan_changes(
    contact_request: ContactRequest, decision: str, plan: dict[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    """(the parts of the plan the review changes, with their new words; errors)."""
    changed = {
        name: text.strip()
        for name, text in plan.items()
        if name in PLAN_PARTS and text.strip() != getattr(contact_request, name)
    }
    errors: dict[str, str] = {}
    if decision == PlanDecision.CHANGE:
        if not changed:
            errors["decision"] = (
                "Nothing in the plan was changed: change the parts below that the review "
                "changes, or choose to continue the plan as agreed."
            )
        for name in PLAN_REQUIRED:
            if name in changed and not changed[name]:
                errors[name] = f"A plan of involvement cannot do without this: {PLAN_PARTS[name]}."
    elif changed:
        errors["decision"] = (
            "You changed parts of the plan: choose “change the plan” to keep the changes, or "
            "put them back as they were."
        )
    return changed, errors


def _review_errors(
    contact_request: ContactRequest,
    decision: str,
    note: str,
    reviewed_on: dt.date,
    next_review_date: dt.date | None,
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if decision not in PlanDecision.values:
        return {"decision": "Choose whether the plan continues, changes or ends."}
    if not note:
        errors["note"] = "Write what the review found: it is the record of the review."
    if reviewed_on > timezone.localdate():
        errors["reviewed_on"] = "Record a review once it has taken place: not a future date."
    else:
        assert contact_request.decided_at is not None  # a live plan was approved
        approved_on = timezone.localtime(contact_request.decided_at).date()
        if reviewed_on < approved_on:
            errors["reviewed_on"] = (
                f"A review cannot be before the plan was approved ({approved_on:%d %b %Y})."
            )
    if decision == PlanDecision.END:
        if next_review_date is not None:
            errors["next_review_date"] = "An ended plan has no next review: leave it empty."
    elif next_review_date is None:
        errors["next_review_date"] = "Give the date of the plan's next review."
    elif next_review_date <= timezone.localdate():
        errors["next_review_date"] = "The next review must be after today."
    return errors


def plan_review_record(
    *,
    actor: Staff,
    contact_request: ContactRequest,
    expected_version: int | None,
    reviewed_on: dt.date,
    decision: str,
    note: str,
    next_review_date: dt.date | None = None,
    plan: dict[str, str] | None = None,
) -> PlanReview:
    """Whoever decides the request signs off a review of its plan of involvement (000 §contact
    with former pupils: the head agrees the plan and ensures all such contact and plans are
    recorded): to continue it as agreed, change it, or end it.

    A change is made in the same review: `plan` holds the plan's parts as the review leaves
    them, and the review records each part it changed, before and after. Continuing or changing
    sets the next review date; ending the plan closes it (no more sessions) and finishes the
    request. Either way the plan is no longer past review."""
    note = note.strip()
    with transaction.atomic():
        contact_request, actions = _locked(contact_request, actor, "review_plan", expected_version)
        errors = _review_errors(contact_request, decision, note, reviewed_on, next_review_date)
        changed, plan_errors = _plan_changes(contact_request, decision, plan or {})
        errors = plan_errors | errors
        if errors:
            raise ValidationError(errors)
        words = "\n".join(
            f"{PLAN_PARTS[name]}: was “{getattr(contact_request, name)}”; now “{text}”."
            for name, text in changed.items()
        )
        assert contact_request.plan_review_date is not None  # a plan always has one
        review = PlanReview.objects.create(
            request=contact_request,
            reviewed_on=reviewed_on,
            reviewed_by=actor,
            reviewed_as=actions.decides_as,
            decision=decision,
            note=note,
            changes=words,
            due_on=contact_request.plan_review_date,
            next_review_date=next_review_date if decision != PlanDecision.END else None,
        )
        for name, text in changed.items():
            setattr(contact_request, name, text)
        from_state = to_state = contact_request.status
        if decision == PlanDecision.END and contact_request.status == Status.APPROVED:
            from_state, to_state = _move(contact_request, "end_plan")
            contact_request.outcome = f"The plan was ended at its review: {note}"
            contact_request.completed_at = timezone.now()
        else:
            contact_request.version += 1
        if decision == PlanDecision.END:
            contact_request.plan_ended_at = timezone.now()
        else:
            assert next_review_date is not None  # checked above
            contact_request.plan_review_date = next_review_date
        contact_request.save()
        label = review.get_decision_display().lower()
        if decision == PlanDecision.END:
            reason = label
        else:
            reason = f"{label}; next review {next_review_date:%Y-%m-%d}"
        if changed:
            reason += "; changed: " + ", ".join(PLAN_PARTS[name].lower() for name in changed)
        _audit(actor, contact_request, "plan_review", from_state, to_state, reason)
        notify(
            recipients=[contact_request.requester, *_monitor_of(contact_request)],
            message=f"{contact_request.reference}: the plan was reviewed ({label})",
            path=_path(contact_request),
        )
    return review


def absence_record(
    *, actor: Staff, school: School, starts_on: dt.date, ends_on: dt.date, note: str = ""
) -> HeadAbsence:
    """Record the headteacher's absence: the deputy decides in their place meanwhile. The head
    or the chair of governors records it, never the administrator; the head is always told."""
    if actor.school_id != school.pk or not roles.has_role(actor, roles.ABSENCE_RECORDERS):
        raise PermissionDenied("Only the headteacher or the chair of governors can do this.")
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
        _tell_the_head(
            actor, school, f"Your absence was recorded from {starts_on:%d %b} to {ends_on:%d %b}"
        )
    return absence


def _tell_the_head(actor: Staff, school: School, message: str) -> None:
    """The head learns at once of an absence someone else recorded or ended for them."""
    heads = Staff.objects.filter(
        school=school, is_active=True, role_assignments__role=roles.Role.HEADTEACHER
    ).exclude(pk=actor.pk)
    notify(recipients=heads, message=message, path=reverse("absences"))


def absence_end(*, actor: Staff, absence: HeadAbsence) -> HeadAbsence | None:
    """The headteacher is back. An absence that began before today now ended yesterday; one
    that has not begun yet is removed."""
    if actor.school_id != absence.school_id or not roles.has_role(actor, roles.ABSENCE_RECORDERS):
        raise PermissionDenied("Only the headteacher or the chair of governors can do this.")
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    with transaction.atomic():
        audit_record(actor=actor, school=absence.school, action="absence.end", obj=absence)
        _tell_the_head(actor, absence.school, "Your recorded absence was ended")
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
    for contact_request in waiting:
        submitted_on = timezone.localtime(contact_request.submitted_at).date()
        if _school_days_between(submitted_on, today) <= contact_request.school.response_days:
            continue
        with transaction.atomic():
            locked = ContactRequest.objects.select_for_update().get(pk=contact_request.pk)
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
