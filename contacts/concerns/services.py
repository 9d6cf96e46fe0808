"""Records after the fact: contact records, disclosures, boundary concerns, LADO referrals.

Records are never edited once saved; corrections and additions are dated addenda. Each write
is one transaction with its audit event; alerts go out when the transaction commits.
"""

from __future__ import annotations

import datetime as dt
from typing import cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from contacts.concerns.models import BoundaryConcern, LadoOutcome, LadoReferral, LadoType, Outcome
from contacts.concerns.selectors import case_managers, is_case_manager
from contacts.notifications.services import notify
from contacts.people import selectors as people_selectors
from contacts.people.models import Staff
from contacts.planned import selectors as planned_selectors
from contacts.planned import workflow
from contacts.planned.models import ContactRequest, Route
from contacts.records.models import ContactRecord
from contacts.records.services import not_in_future
from safeguard.audit.services import audit_record
from safeguard.audit.vocabulary import LadoKind, lado_action
from safeguard.core import roles
from safeguard.core.attention import raise_alert
from safeguard.core.roles import Role


def concern_route(subject: Staff) -> str:
    """A concern about the headteacher, or about someone the head declared a relationship with
    (003 §3), goes to the chair of governors; any other to the head."""
    if roles.has_role(subject, Role.HEADTEACHER) or workflow.related_to_a_head(subject):
        return Route.CHAIR_OF_GOVERNORS
    return Route.HEADTEACHER


def concern_raise(
    *,
    actor: Staff,
    subject: Staff,
    occurred_on: dt.date,
    description: str,
    confidential: bool = False,
    harm_to_pupils: bool = False,
    tell_line_manager: bool = False,
    whistleblowing: bool = False,
    related_record: ContactRecord | None = None,
    related_request: ContactRequest | None = None,
) -> BoundaryConcern:
    """Any member of staff raises a concern about themself or a colleague (003 §6). It goes to
    the case manager; the DSL is told one was raised (not by whom), and reads it at once if it
    is about a relationship that could harm a pupil (003 §3); the reporter's line manager is
    told they raised it if they ask. By the whistleblowing route it goes to the governor for
    whistleblowing alone, and the reporter's name with it to nobody else."""
    if subject.school_id != actor.school_id:
        raise ValidationError({"subject": "Choose a member of staff at your own school."})
    if not description.strip():
        raise ValidationError({"description": "Say what happened, or what worries you."})
    not_in_future(occurred_on, "occurred_on", "The date")
    if whistleblowing and (tell_line_manager or harm_to_pupils):
        raise ValidationError(
            {
                "whistleblowing": "The whistleblowing route goes to the governor alone: untick "
                "“could harm a pupil” and “tell my line manager”, or choose the usual route."
            }
        )
    manager = actor.line_manager
    if tell_line_manager and (manager is None or manager.pk == subject.pk):
        raise ValidationError(
            {"tell_line_manager": "You have no line manager to tell but the person it is about."}
        )
    for related in (related_record, related_request):
        if related is not None and related.school_id != actor.school_id:
            raise PermissionDenied("That record belongs to another school.")
    concern = BoundaryConcern(
        school=actor.school,
        reporter=actor,
        subject=subject,
        route=concern_route(subject),
        occurred_on=occurred_on,
        description=description.strip(),
        confidential=confidential or whistleblowing,
        harm_to_pupils=harm_to_pupils,
        told_line_manager=tell_line_manager,
        whistleblowing=whistleblowing,
        related_record=related_record,
        related_request=related_request,
    )
    with transaction.atomic():
        concern.save()
        audit_record(
            actor=actor,
            school=concern.school,
            action="concern.raise",
            obj=concern,
            reason="self-referral" if concern.is_self_referral else "",
        )
        # Needs the case manager's attention: the head's, the chair's for one about the head,
        # the governor for whistleblowing's by that route.
        owner = "whistleblowing" if whistleblowing else concern.route
        raise_alert(actor=actor, subject=concern, owner_role=owner)
        notify(
            recipients=case_managers(concern).exclude(pk=actor.pk),
            message=f"A boundary concern was raised ({concern.reference})",
            path=reverse("concern_detail", args=[concern.pk]),
        )
        if not whistleblowing:
            _tell_the_dsl(actor, concern)
        if tell_line_manager and manager is not None:
            notify(
                recipients=[manager],
                message=f"A member of your team raised a boundary concern ({concern.reference}) "
                "and asked for you to know",
                path=reverse("staff_detail", args=[actor.pk]),
            )
    return concern


def _tell_the_dsl(actor: Staff, concern: BoundaryConcern) -> None:
    """The DSL hears that a concern was raised about someone, never by whom; one about a
    relationship that could harm a pupil is theirs to read and act on at once (003 §3)."""
    dsl = Staff.objects.filter(
        school_id=concern.school_id, is_active=True, role_assignments__role=Role.DSL
    ).exclude(pk__in=[concern.subject_id, actor.pk])
    if concern.harm_to_pupils:
        raise_alert(actor=actor, subject=concern, owner_role=Role.DSL)
        notify(
            recipients=dsl,
            message=f"A concern that a relationship could harm a pupil was raised "
            f"({concern.reference}): open it now",
            path=reverse("concern_detail", args=[concern.pk]),
        )
        return
    notify(
        recipients=dsl,
        # Notices are emailed too: no name in the words, the link leads to the person's page.
        message=f"A boundary concern ({concern.reference}) was raised about a member of staff; "
        "the case manager has it",
        path=reverse("staff_detail", args=[concern.subject_id]),
    )


def concern_respond(
    *,
    actor: Staff,
    concern: BoundaryConcern,
    response: str,
    outcome: str = "",
    close: bool = False,
) -> BoundaryConcern:
    """The case manager records the response; closing it needs an outcome."""
    if not is_case_manager(actor, concern):
        raise PermissionDenied("Only the case manager responds to this concern.")
    if not response.strip():
        raise ValidationError({"response": "Record your response."})
    if outcome and outcome not in Outcome.values:
        raise ValidationError({"outcome": "Choose one of the outcomes."})
    if close and not outcome:
        raise ValidationError({"outcome": "Choose the outcome before closing the concern."})
    with transaction.atomic():
        concern = BoundaryConcern.objects.select_for_update().get(pk=concern.pk)
        if not concern.is_open:
            raise ValidationError("This concern is closed.")
        stamp = timezone.localtime().strftime("%d %b %Y %H:%M")
        entry = f"{stamp}, {actor.full_name}: {response.strip()}"
        concern.response = f"{concern.response}\n\n{entry}".strip()
        concern.outcome = outcome or concern.outcome
        if close:
            concern.closed_by = actor
            concern.closed_at = timezone.now()
        concern.save()
        audit_record(
            actor=actor,
            school=concern.school,
            action="concern.close" if close else "concern.respond",
            obj=concern,
            from_state="open",
            to_state="closed" if close else "open",
            reason=concern.get_outcome_display() if outcome else "",
        )
    return concern


def lado_record(
    *,
    actor: Staff,
    subject: Staff,
    referral_type: str,
    contacted_at: dt.datetime,
    spoke_to: str,
    advice: str,
    concern: BoundaryConcern | None = None,
    contact_request: ContactRequest | None = None,
) -> LadoReferral:
    """A consultation with, or referral to, the LADO about a member of staff; about one of
    their requests when it is the LADO's advice on it (a close relationship with a former
    pupil waits for it before it is decided), and then its deciders are told."""
    if actor.school_id != subject.school_id or not roles.has_role(actor, roles.LADO_RECORDERS):
        raise PermissionDenied("Only the headteacher, the chair or the DSL record LADO contact.")
    if actor.pk == subject.pk:
        raise PermissionDenied("A referral about you is recorded by someone else.")
    if subject.pk in people_selectors.related_colleague_ids(actor.pk):
        # Neither manages a concern about the other (003 §3), nor vouches for the other's
        # relationship with a former pupil by recording the LADO's advice on it.
        raise ValidationError(
            {
                "subject": f"You declared a relationship with {subject.full_name}: someone else "
                "records the LADO's advice about them (003 §3)."
            }
        )
    if concern is not None and concern.school_id != actor.school_id:
        raise PermissionDenied("That concern belongs to another school.")
    if contact_request is not None and not (
        planned_selectors.requests_visible_to(actor).filter(pk=contact_request.pk).exists()
    ):
        raise PermissionDenied("That request is not one you can see.")
    errors: dict[str, str] = {}
    if contact_request is not None and contact_request.requester_id != subject.pk:
        errors["subject"] = (
            f"The LADO is asked about {contact_request.reference} about the member of staff "
            f"who made it, {contact_request.requester.full_name}."
        )
    if referral_type not in LadoType.values:
        errors["referral_type"] = "Choose consultation or referral."
    if not spoke_to.strip():
        errors["spoke_to"] = "Say who you spoke to."
    if not advice.strip():
        errors["advice"] = "Record the advice given."
    if errors:
        raise ValidationError(errors)
    not_in_future(contacted_at, "contacted_at", "The call")
    referral = LadoReferral(
        school=actor.school,
        recorded_by=actor,
        subject=subject,
        concern=concern,
        related_request=contact_request,
        referral_type=referral_type,
        contacted_at=contacted_at,
        spoke_to=spoke_to.strip(),
        advice=advice.strip(),
    )
    with transaction.atomic():
        referral.save()
        audit_record(
            actor=actor,
            school=referral.school,
            # One of LadoType.values, as checked above.
            action=lado_action(cast("LadoKind", referral_type)),
            obj=referral,
            reason=f"about {subject.audit_ref}"
            + (f", on {contact_request.reference}" if contact_request else ""),
        )
        if contact_request is not None:
            notify(
                recipients=workflow.deciders(contact_request).exclude(pk=actor.pk),
                message=f"{contact_request.reference}: the LADO's advice on it is recorded",
                path=reverse("request_detail", args=[contact_request.pk]),
            )
    return referral


def lado_outcome_record(
    *, actor: Staff, referral: LadoReferral, outcome: str, outcome_on: dt.date
) -> LadoReferral:
    """The LADO's outcome of a referral, once known."""
    if actor.school_id != referral.school_id or not roles.has_role(actor, roles.LADO_RECORDERS):
        raise PermissionDenied("Only the headteacher, the chair or the DSL record LADO outcomes.")
    if actor.pk == referral.subject_id:
        raise PermissionDenied("The outcome of a referral about you is recorded by someone else.")
    if referral.subject_id in people_selectors.related_colleague_ids(actor.pk):
        raise PermissionDenied(
            "You declared a relationship with the member of staff it is about: someone else "
            "records its outcome (003 §3)."
        )
    if referral.referral_type != LadoType.REFERRAL:
        raise ValidationError(
            "A consultation has no outcome: record a referral if the LADO takes it further."
        )
    if outcome not in LadoOutcome.values:
        raise ValidationError({"outcome": "Choose the outcome the LADO gave."})
    not_in_future(outcome_on, "outcome_on", "The outcome")
    if outcome_on < timezone.localtime(referral.contacted_at).date():
        raise ValidationError({"outcome_on": "The outcome cannot come before the referral."})
    with transaction.atomic():
        referral = LadoReferral.objects.select_for_update().get(pk=referral.pk)
        if referral.outcome:
            raise ValidationError("The outcome of this referral is already recorded.")
        referral.outcome = outcome
        referral.outcome_on = outcome_on
        referral.save(update_fields=["outcome", "outcome_on"])
        audit_record(
            actor=actor,
            school=referral.school,
            action="lado.outcome",
            obj=referral,
            reason=referral.get_outcome_display(),
        )
    return referral
