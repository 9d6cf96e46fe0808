"""Records after the fact: contact records, disclosures, boundary concerns, LADO referrals.

Records are never edited once saved; corrections and additions are dated addenda. Each write
is one transaction with its audit event; alerts go out when the transaction commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from contacts.notifications.services import notify
from contacts.people.models import Pupil, Staff
from contacts.planned import workflow
from contacts.planned.assessments import snapshot
from contacts.planned.models import Route
from contacts.records.models import (
    DIRECTED,
    RECORD_KINDS,
    Addendum,
    ContactRecord,
    Disclosure,
    DisclosureType,
    RecordType,
)
from contacts.records.seals import seal_words
from contacts.records.selectors import can_read_record
from policies.facts import assess_contact
from safeguard.audit.services import audit_record
from safeguard.core import roles
from safeguard.core.attention import raise_alert
from safeguard.core.roles import Role
from safeguard.core.uploads import discard, store_upload

ATTACHMENT_TYPES = ("pdf", "png", "jpeg")


def not_in_future(when: dt.datetime | dt.date, field: str, what: str) -> None:
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
    not_in_future(occurred_at, "occurred_at", "Something that has already happened")


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
    arranged: bool = False,
    signposting: str = "",
) -> ContactRecord:
    """Record contact that has happened; the actions the policies name follow from it.
    Unplanned contact that was `arranged` beforehand is also assessed as it would have been in
    advance: if that needed approval, the record says it should have been asked about first."""
    pupils = _same_school(actor, pupils)
    _check_record(record_type, kind, details, direction, occurred_at)
    with_family_only = record_type == RecordType.FAMILY
    arranged = arranged and record_type == RecordType.UNPLANNED
    answers: dict[str, Any] = {
        "with_family_only": with_family_only,
        "on": timezone.localtime(occurred_at).date(),
        "kind": kind,
        "purpose": purpose,
        "school_channel": school_channel,
    }
    assessment = assess_contact(requester=actor, pupils=pupils, planned=False, **answers)
    planned_verdict = (
        assess_contact(requester=actor, pupils=pupils, planned=True, **answers).verdict
        if arranged
        else ""
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
        signposting=signposting.strip(),
        route=workflow.route_for(requester=actor, referred=False),
        arranged=arranged,
        planned_verdict=planned_verdict,
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
                reason=f"{record.get_record_type_display()}; verdict {record.verdict}; "
                f"{seal_words(record)}",
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
        or (record.arranged and record.planned_verdict == "prohibited")
    )
    head_side = (
        list(
            workflow.people_for_route(
                record.school_id,
                record.route,
                exclude=[record.author_id],
                restricted=record.restricted,
            )
        )
        if tell_head
        else []
    )
    manager = record.author.line_manager
    # The line manager discusses contact that should have been asked about first (004 §12).
    tell_manager = "notify_line_manager" in record.actions or record.should_have_been_asked
    managers = [manager] if manager and tell_manager else []
    return head_side, managers


def _alert_for_record(actor: Staff, record: ContactRecord) -> None:
    path = reverse("record_detail", args=[record.pk])
    head_side, managers = record_alert_groups(record)
    if head_side:
        # Needs the head's attention (the chair's, for the head's own): acknowledged and closed
        # with a reason on the Needs attention page.
        raise_alert(actor=actor, subject=record, owner_role=record.route)
        notify(
            recipients=head_side,
            message=f"{record.reference} was recorded and needs your attention",
            path=path,
        )
    if managers:
        # The line manager is told (000), but a record is not theirs to read: the notice leads
        # to the member of staff's page, which they may open.
        notify(
            recipients=managers,
            message=f"{record.reference} was recorded by a member of your team",
            path=reverse("staff_detail", args=[record.author_id]),
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
        audit_record(
            actor=actor,
            school=record.school,
            action="record.addendum",
            obj=record,
            reason=f"addendum {addendum.pk}; {seal_words(addendum)}",
        )
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
    not_in_future(disclosed_at, "disclosed_at", "The time of the disclosure")
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
            reason=f"{disclosure.get_disclosure_type_display()}; {seal_words(disclosure)}",
        )
        # A child-protection disclosure is the DSL's case, acknowledged within the school's
        # time or escalated; another personal disclosure needs the headteacher's attention.
        raise_alert(
            actor=actor,
            subject=disclosure,
            owner_role=Role.DSL if disclosure.is_child_protection else Route.HEADTEACHER,
            urgent=disclosure.is_child_protection,
        )
        urgent = "child protection disclosure" if disclosure.is_child_protection else "disclosure"
        notify(
            recipients=disclosure_alert_recipients(disclosure),
            message=f"A {urgent} was recorded ({disclosure.reference}): open it now",
            path=reverse("disclosure_detail", args=[disclosure.pk]),
            what_to_do="Read it and acknowledge it now. If nobody acknowledges it within the "
            "school's time, it is passed on to the next person on the safeguarding team."
            if disclosure.is_child_protection
            else "",
        )
    return disclosure


def disclosure_addendum_add(*, actor: Staff, disclosure: Disclosure, text: str) -> Addendum:
    """Disclosures are never edited; the author, DSL or headteacher add dated addenda."""
    readers = (
        roles.DISCLOSURE_ADDERS if disclosure.is_child_protection else roles.DISCLOSURE_READERS
    )
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
            actor=actor,
            school=disclosure.school,
            action="disclosure.addendum",
            obj=disclosure,
            reason=f"addendum {addendum.pk}; {seal_words(addendum)}",
        )
    return addendum
