"""Records after the fact: contact records, disclosures, boundary concerns, LADO referrals.

Records are never edited once saved; corrections and additions are dated addenda. Each write
is one transaction with its audit event; alerts go out when the transaction commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from contacts import workflow
from contacts.assessments import snapshot
from contacts.models import (
    DIRECTED,
    RECORD_KINDS,
    Addendum,
    BoundaryConcern,
    ContactRecord,
    ContactRequest,
    Disclosure,
    DisclosureType,
    LadoOutcome,
    LadoReferral,
    LadoType,
    Outcome,
    Pupil,
    RecordType,
    Route,
    Staff,
)
from contacts.selectors import can_read_record
from contacts.services.notifications import notify
from policies.facts import assess_contact
from safeguard import roles
from safeguard.audit import audit_record
from safeguard.roles import Role
from safeguard.uploads import discard, store_upload

ATTACHMENT_TYPES = ("pdf", "png", "jpeg")


def _not_future(when: dt.datetime | dt.date, field: str, what: str) -> None:
    now = timezone.now() if isinstance(when, dt.datetime) else timezone.localdate()
    if when > now:
        raise ValidationError({field: f"{what} cannot be in the future."})


def _same_school(actor: Staff, pupils: Iterable[Pupil], field: str = "pupils") -> list[Pupil]:
    chosen = list(pupils)
    if not chosen:
        raise ValidationError({field: "Choose at least one pupil."})
    if any(p.school_id != actor.school_id for p in chosen):
        raise ValidationError({field: "Choose pupils from your own school only."})
    return chosen


def _check_record(
    record_type: str, kind: str, details: str, direction: str, occurred_at: dt.datetime
) -> None:
    if record_type not in RecordType.values:
        raise ValidationError({"record_type": "Choose what you are recording."})
    if kind not in RECORD_KINDS[record_type]:
        raise ValidationError({"kind": "Choose one of the kinds of contact offered."})
    if not details.strip():
        raise ValidationError({"details": "Say what happened."})
    if record_type in DIRECTED and not direction:
        raise ValidationError({"direction": "Say whether it was given or received."})
    _not_future(occurred_at, "occurred_at", "Something that has already happened")


def record_create(
    *,
    actor: Staff,
    record_type: str,
    pupils: Iterable[Pupil],
    kind: str,
    purpose: str,
    occurred_at: dt.datetime,
    details: str,
    place: str = "",
    school_channel: bool = False,
    direction: str = "",
    reply: str = "",
    attachment: UploadedFile | None = None,
) -> ContactRecord:
    """Record contact that has happened; the actions the policies name follow from it."""
    pupils = _same_school(actor, pupils)
    _check_record(record_type, kind, details, direction, occurred_at)
    with_family_only = record_type == RecordType.FAMILY
    assessment = assess_contact(
        requester=actor,
        pupils=pupils,
        with_family_only=with_family_only,
        on=timezone.localtime(occurred_at).date(),
        kind=kind,
        purpose=purpose,
        planned=False,
        school_channel=school_channel,
    )
    record = ContactRecord(
        school=actor.school,
        author=actor,
        record_type=record_type,
        with_family_only=with_family_only,
        kind=kind,
        purpose=purpose,
        school_channel=school_channel,
        direction=direction if record_type in DIRECTED else "",
        occurred_at=occurred_at,
        place=place.strip(),
        details=details.strip(),
        reply=reply.strip(),
        route=workflow.route_for(requester=actor, referred=False),
    )
    snapshot(record, assessment)
    stored = None
    if attachment is not None:
        stored = store_upload(attachment, allowed=ATTACHMENT_TYPES, field="attachment")
        record.attachment = stored.stored_name
        record.attachment_name = stored.original_name
        record.attachment_type = stored.content_type
    try:
        with transaction.atomic():
            record.save()
            record.pupils.set(pupils)
            audit_record(
                actor=actor,
                school=record.school,
                action="record.create",
                obj=record,
                reason=f"{record.get_record_type_display()}; verdict {record.verdict}",
            )
            _alert_for_record(actor, record)
    except Exception:
        discard(stored)
        raise
    return record


def record_alert_groups(record: ContactRecord) -> tuple[list[Staff], list[Staff]]:
    """Who a record alerts: (the headteacher's side, the line manager). The headteacher (or the
    chair, for the head's own record) hears of anything reported at once, of ongoing contact
    and of anything that was not simply allowed; the line manager when the policies say so."""
    tell_head = (
        "report_to_head_immediately" in record.actions
        or record.record_type == RecordType.ONGOING
        or record.verdict != "record"
    )
    head_side = (
        list(workflow.people_for_route(record.school_id, record.route, exclude=[record.author_id]))
        if tell_head
        else []
    )
    manager = record.author.line_manager
    managers = [manager] if manager and "notify_line_manager" in record.actions else []
    return head_side, managers


def _alert_for_record(actor: Staff, record: ContactRecord) -> None:
    path = reverse("record_detail", args=[record.pk])
    head_side, managers = record_alert_groups(record)
    if head_side:
        notify(
            recipients=head_side,
            message=f"{record.reference} was recorded and needs your attention",
            path=path,
        )
    if managers:
        notify(
            recipients=managers,
            message=f"{record.reference} was recorded by a member of your team",
            path=path,
        )


def _may_add_to_record(actor: Staff, record: ContactRecord) -> bool:
    if actor.school_id != record.school_id:
        return False
    if actor.pk == record.author_id:
        return True
    return roles.has_role(actor, roles.SENIOR_LEADERS) and can_read_record(actor, record)


def record_addendum_add(*, actor: Staff, record: ContactRecord, text: str) -> Addendum:
    """A dated addition to a record, which itself is never edited."""
    if not _may_add_to_record(actor, record):
        raise PermissionDenied("Only the author or a senior leader can add to this record.")
    if not text.strip():
        raise ValidationError({"text": "Write the addendum."})
    with transaction.atomic():
        addendum = Addendum.objects.create(author=actor, record=record, text=text.strip())
        audit_record(actor=actor, school=record.school, action="record.addendum", obj=record)
    return addendum


def disclosure_alert_recipients(disclosure: Disclosure) -> Iterable[Staff]:
    """Who is alerted: for child protection the DSL and the headteacher (and the deputy while
    the head is absent); for other personal disclosures the headteacher (001 §4.2)."""
    school_id = disclosure.school_id
    exclude = [disclosure.author_id]
    if disclosure.disclosure_type != DisclosureType.CHILD_PROTECTION:
        # Personal disclosures go to the headteacher alone, who alone (with the DSL) reads them.
        return Staff.objects.filter(
            school_id=school_id, is_active=True, role_assignments__role=Role.HEADTEACHER
        ).exclude(pk__in=exclude)
    head_side = workflow.people_for_route(school_id, Route.HEADTEACHER, exclude=exclude)
    dsl = Staff.objects.filter(
        school_id=school_id, is_active=True, role_assignments__role=Role.DSL
    ).exclude(pk__in=exclude)
    return list(head_side) + list(dsl)


def disclosure_record(
    *,
    actor: Staff,
    pupil: Pupil,
    disclosure_type: str,
    disclosed_at: dt.datetime,
    account: str,
    disclosed_by: str = "The pupil",
    circumstances: str = "",
    action_taken: str = "",
) -> Disclosure:
    """Write down what a pupil disclosed, and alert the DSL and the headteacher at once."""
    _same_school(actor, [pupil], field="pupil")
    if disclosure_type not in DisclosureType.values:
        raise ValidationError({"disclosure_type": "Choose the kind of disclosure."})
    if not account.strip():
        raise ValidationError({"account": "Write down what was said."})
    _not_future(disclosed_at, "disclosed_at", "The time of the disclosure")
    disclosure = Disclosure(
        school=actor.school,
        author=actor,
        pupil=pupil,
        disclosure_type=disclosure_type,
        disclosed_at=disclosed_at,
        disclosed_by=disclosed_by.strip() or "The pupil",
        account=account.strip(),
        circumstances=circumstances.strip(),
        action_taken=action_taken.strip(),
    )
    with transaction.atomic():
        disclosure.save()
        audit_record(
            actor=actor,
            school=disclosure.school,
            action="disclosure.create",
            obj=disclosure,
            reason=disclosure.get_disclosure_type_display(),
        )
        urgent = "child protection disclosure" if disclosure.is_child_protection else "disclosure"
        notify(
            recipients=disclosure_alert_recipients(disclosure),
            message=f"A {urgent} was recorded ({disclosure.reference}): open it now",
            path=reverse("disclosure_detail", args=[disclosure.pk]),
        )
    return disclosure


def disclosure_addendum_add(*, actor: Staff, disclosure: Disclosure, text: str) -> Addendum:
    """Disclosures are never edited; the author, DSL or headteacher add dated addenda."""
    readers = {Role.DSL, Role.HEADTEACHER}
    if disclosure.is_child_protection:
        readers.add(Role.DEPUTY_HEAD)
    allowed = actor.school_id == disclosure.school_id and (
        actor.pk == disclosure.author_id or roles.has_role(actor, readers)
    )
    if not allowed:
        raise PermissionDenied("You cannot add to this disclosure.")
    if not text.strip():
        raise ValidationError({"text": "Write the addendum."})
    with transaction.atomic():
        addendum = Addendum.objects.create(author=actor, disclosure=disclosure, text=text.strip())
        audit_record(
            actor=actor, school=disclosure.school, action="disclosure.addendum", obj=disclosure
        )
    return addendum


def concern_route(subject: Staff) -> str:
    """A concern about the headteacher goes to the chair of governors; any other to the head."""
    if roles.has_role(subject, Role.HEADTEACHER):
        return Route.CHAIR_OF_GOVERNORS
    return Route.HEADTEACHER


def concern_raise(
    *,
    actor: Staff,
    subject: Staff,
    occurred_on: dt.date,
    description: str,
    confidential: bool = False,
    related_record: ContactRecord | None = None,
    related_request: ContactRequest | None = None,
) -> BoundaryConcern:
    """Any member of staff raises a concern about themself or a colleague (003 §6)."""
    if subject.school_id != actor.school_id:
        raise ValidationError({"subject": "Choose a member of staff at your own school."})
    if not description.strip():
        raise ValidationError({"description": "Say what happened, or what worries you."})
    _not_future(occurred_on, "occurred_on", "The date")
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
        confidential=confidential,
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
        notify(
            recipients=case_managers(concern).exclude(pk=actor.pk),
            message=f"A boundary concern was raised ({concern.reference})",
            path=reverse("concern_detail", args=[concern.pk]),
        )
    return concern


def case_managers(concern: BoundaryConcern):
    """Who manages the concern now: never the person it is about."""
    return workflow.people_for_route(concern.school_id, concern.route, exclude=[concern.subject_id])


def is_case_manager(user: Staff, concern: BoundaryConcern) -> bool:
    return case_managers(concern).filter(pk=user.pk).exists()


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


LADO_RECORDERS = frozenset({Role.HEADTEACHER, Role.CHAIR_OF_GOVERNORS, Role.DSL})


def lado_record(
    *,
    actor: Staff,
    subject: Staff,
    referral_type: str,
    contacted_at: dt.datetime,
    spoke_to: str,
    advice: str,
    concern: BoundaryConcern | None = None,
) -> LadoReferral:
    """A consultation with, or referral to, the LADO about a member of staff."""
    if actor.school_id != subject.school_id or not roles.has_role(actor, LADO_RECORDERS):
        raise PermissionDenied("Only the headteacher, the chair or the DSL record LADO contact.")
    if actor.pk == subject.pk:
        raise PermissionDenied("A referral about you is recorded by someone else.")
    if concern is not None and concern.school_id != actor.school_id:
        raise PermissionDenied("That concern belongs to another school.")
    errors: dict[str, str] = {}
    if referral_type not in LadoType.values:
        errors["referral_type"] = "Choose consultation or referral."
    if not spoke_to.strip():
        errors["spoke_to"] = "Say who you spoke to."
    if not advice.strip():
        errors["advice"] = "Record the advice given."
    if errors:
        raise ValidationError(errors)
    _not_future(contacted_at, "contacted_at", "The call")
    referral = LadoReferral(
        school=actor.school,
        recorded_by=actor,
        subject=subject,
        concern=concern,
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
            action=f"lado.{referral_type}",
            obj=referral,
            reason=f"about {subject.audit_ref}",
        )
    return referral


def lado_outcome_record(
    *, actor: Staff, referral: LadoReferral, outcome: str, outcome_on: dt.date
) -> LadoReferral:
    """The LADO's outcome of a referral, once known."""
    if actor.school_id != referral.school_id or not roles.has_role(actor, LADO_RECORDERS):
        raise PermissionDenied("Only the headteacher, the chair or the DSL record LADO outcomes.")
    if actor.pk == referral.subject_id:
        raise PermissionDenied("The outcome of a referral about you is recorded by someone else.")
    if referral.referral_type != LadoType.REFERRAL:
        raise ValidationError(
            "A consultation has no outcome: record a referral if the LADO takes it further."
        )
    if outcome not in LadoOutcome.values:
        raise ValidationError({"outcome": "Choose the outcome the LADO gave."})
    _not_future(outcome_on, "outcome_on", "The outcome")
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
