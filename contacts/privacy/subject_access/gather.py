"""Gathering a subject-access export (UK GDPR Article 15): everything Safeguard holds about one
pupil or one member of staff, for the headteacher to review before anything is released.

Everything is included, third parties' information too: deciding what to redact is the
headteacher's job, and the summary lists what to check before release. Which fields of which
model each table holds is declared in `columns`; how it is written out is `pack`.

Requests and records are read school-wide, unsubmitted drafts included: the school holds them,
though in the app only their author sees a draft. What is left out is what the headteacher
making the export may not see: boundary concerns and LADO referrals about themself, and concerns
managed by the chair of governors (read through `selectors.concerns_visible_to` and
`lado_visible_to`; audit events filtered as the audit trail is,
`safeguard.audit.selectors.hidden_from`).
The summary always says so, in the same words whether or not any exist, so it gives nothing
away. A member of staff's export lists the disclosures they wrote down without what was said:
that is the pupil's information, not theirs.

Reads only, in a fixed number of queries however much there is:
`contacts.privacy.services.subject_access_export` checks who may export, writes the zip and
audits it in one transaction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import models
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from contacts.alerts.models import ESCALATION_STEPS, Alert, AlertEntry, CaseAction, CaseReferral
from contacts.concerns import selectors
from contacts.concerns.models import BoundaryConcern, LadoReferral
from contacts.notifications.models import Notification
from contacts.people.models import (
    ColleagueRelationship,
    Invitation,
    ParentCarer,
    Pupil,
    Staff,
    StaffRelative,
)
from contacts.planned.models import ContactRequest, PlanReview, PlanSession, RequestNote
from contacts.privacy.models import LegalHold
from contacts.privacy.subject_access.columns import (
    ACKNOWLEDGEMENTS,
    ACTIONS_ASSIGNED,
    ADDENDA,
    ALERT_ENTRIES,
    ALERTS,
    AUDIT_CODES,
    AUDIT_EVENTS,
    CASE_ACTIONS,
    CASE_REFERRALS,
    COLLEAGUES,
    CONCERNS,
    DECISIONS,
    DISCLOSURES,
    DISCLOSURES_RECORDED,
    INVITATIONS,
    LADO_REFERRALS,
    LEGAL_HOLDS,
    NOTIFICATIONS,
    PARENTS,
    PLAN_REVIEWS,
    PLAN_SESSIONS,
    PUPIL_ROW,
    RECORDS,
    RELATIVES,
    REQUEST_NOTES,
    REQUESTS,
    ROLES,
    STAFF_CONCERNS,
    STAFF_RELATIVES,
    STAFF_ROW,
    ExportTable,
    OwnRow,
)
from contacts.privacy.subject_access.pack import Attachment, SubjectAccess, Table
from contacts.records.models import Addendum, ContactRecord, Disclosure
from policies.engine import ACTION_LABELS, EXEMPTION_LABELS, VERDICT_LABELS
from policies.models import Acknowledgement
from safeguard.accounts.services import two_factor_enabled
from safeguard.audit.models import AuditEvent
from safeguard.audit.selectors import hidden_from, is_withheld, role_words, withheld_reporters
from safeguard.audit.vocabulary import action_words, state_words
from safeguard.core.roles import Role
from safeguard.core.uploads import stored_present

# --- People and references --------------------------------------------------------------------


def _named(person: Staff | Pupil | None) -> str:
    return person.full_name if person is not None else ""


def _colleague_relationships(staff: Staff) -> QuerySet[ColleagueRelationship]:
    return (
        ColleagueRelationship.objects.filter(Q(first=staff) | Q(second=staff))
        .select_related("first", "second", "declared_by", "ended_by")
        .order_by("created_at", "pk")
    )


def _colleague_row(item: ColleagueRelationship, staff: Staff) -> dict[str, Any]:
    return {
        "reference": item.audit_ref,
        "colleague": item.other(staff.pk).full_name,
        "relationship": item.get_kind_display(),
        "declared_at": item.created_at,
        "declared_by": _named(item.declared_by),
        "ended_at": item.ended_at,
        "ended_by": _named(item.ended_by),
    }


def _ref(obj: Any) -> str:
    return obj.audit_ref if obj is not None else ""


def _pupils(pupils: Iterable[Pupil]) -> list[str]:
    return [f"{p.full_name} ({p.audit_ref})" for p in sorted(pupils, key=lambda p: p.pk)]


def _labels(codes: Iterable[str], labels: dict[str, str]) -> list[str]:
    return [labels.get(code, code) for code in codes]


def _own_row(person: Pupil | Staff, spec: OwnRow) -> dict[str, Any]:
    """Every stored field of the person's own row but those `spec` leaves out, as read."""
    row: dict[str, Any] = {"reference": person.audit_ref}
    for model_field in spec.fields():
        value = getattr(person, model_field.name)
        if model_field.is_relation:
            value = str(value) if value is not None else ""
        elif model_field.choices and value is not None:
            value = getattr(person, f"get_{model_field.name}_display")()
        row[model_field.name] = value
    return row


def _table(
    spec: ExportTable | OwnRow, title: str, rows: list[dict[str, Any]], **options: Any
) -> Table:
    """A table named and laid out as columns.py declares it."""
    return Table(spec.name, title, spec.columns, rows, **options)


# --- Entries in both kinds of export ------------------------------------------------------------


def _relative_row(item: StaffRelative, other: str) -> dict[str, Any]:
    """A pupil recorded as a relative of a member of staff, naming the `other` side ("staff" in
    the pupil's export, "pupil" in the member of staff's)."""
    person = getattr(item, other)
    return {
        "reference": item.audit_ref,
        f"{other}_reference": person.audit_ref,
        other: person.full_name,
        "relationship": item.get_relationship_display(),
        "recorded_at": item.created_at,
        "declared_by": _named(item.declared_by),
        "acknowledged_by": _named(item.acknowledged_by),
        "acknowledged_at": item.acknowledged_at,
        "contact": item.contact,
        "covers": "; ".join(item.covers_labels),
        "conditions": item.conditions,
        "review_due": item.review_due,
        "ended_at": item.ended_at,
        "ended_by": _named(item.ended_by),
        "end_reason": item.end_reason,
    }


def _request_row(item: ContactRequest) -> dict[str, Any]:
    return {
        "reference": item.reference,
        "status": item.get_status_display(),
        "requester_reference": _ref(item.requester),
        "requester": _named(item.requester),
        "pupils": _pupils(item.pupils.all()),
        "with_family_only": item.with_family_only,
        "kind": item.get_kind_label(),
        "purpose": item.get_purpose_label(),
        "exemption": EXEMPTION_LABELS.get(item.exemption, item.exemption),
        "parent_organised": item.parent_organised,
        "school_channel": item.school_channel,
        "vulnerable_context": item.vulnerable_context,
        "starts_at": item.starts_at,
        "place": item.place,
        "reasons": item.reasons,
        "plan_outcomes": item.plan_outcomes,
        "plan_timescales": item.plan_timescales,
        "plan_review_date": item.plan_review_date,
        "plan_support": item.plan_support,
        "plan_agencies": item.plan_agencies,
        "plan_signposting": item.plan_signposting,
        "plan_ended_at": item.plan_ended_at,
        "sessions_logged": item.sessions_logged,
        "verdict": VERDICT_LABELS.get(item.verdict, item.verdict),
        "route": item.get_route_display() if item.route else "",
        "actions": _labels(item.actions or [], ACTION_LABELS),
        "findings": list(item.findings or []),
        "restricted": item.restricted,
        "referred_to_chair": item.referred_to_chair,
        "submitted_at": item.submitted_at,
        "decided_by": _named(item.decided_by),
        "decided_as": item.decided_as,
        "decided_at": item.decided_at,
        "decision_reason": item.decision_reason,
        "conditions": item.conditions,
        "outcome": item.outcome,
        "outcome_concerns": item.outcome_concerns,
        "completed_at": item.completed_at,
        "reviewed_by": _named(item.reviewed_by),
        "reviewed_at": item.reviewed_at,
        "created_at": item.created_at,
        "updated_at": item.updated_at,
    }


def _requests(rows: QuerySet[ContactRequest]) -> list[ContactRequest]:
    return list(
        rows.select_related("requester", "decided_by", "reviewed_by")
        .prefetch_related("pupils")
        .order_by("starts_at", "pk")
    )


def _note_rows(rows: QuerySet[RequestNote]) -> list[dict[str, Any]]:
    notes = rows.select_related("author", "request").order_by("created_at", "pk")
    return [
        {
            "request": note.request.reference,
            "kind": note.get_kind_display(),
            "author": _named(note.author),
            "text": note.text,
            "written_at": note.created_at,
        }
        for note in notes
    ]


def _session_rows(rows: QuerySet[PlanSession]) -> list[dict[str, Any]]:
    sessions = rows.select_related("logged_by", "request").order_by("request", "number")
    return [
        {
            "request": session.request.reference,
            "number": session.number,
            "held_on": session.held_on,
            "what_happened": session.what_happened,
            "concerns": session.concerns,
            "logged_by": _named(session.logged_by),
            "logged_at": session.logged_at,
        }
        for session in sessions
    ]


def _plan_review_rows(rows: QuerySet[PlanReview]) -> list[dict[str, Any]]:
    reviews = rows.select_related("reviewed_by", "request").order_by("request", "created_at", "pk")
    return [
        {
            "request": review.request.reference,
            "reviewed_on": review.reviewed_on,
            "reviewed_by": _named(review.reviewed_by),
            "reviewed_as": review.reviewed_as,
            "decision": review.get_decision_display(),
            "note": review.note,
            "changes": review.changes,
            "due_on": review.due_on,
            "next_review_date": review.next_review_date,
            "recorded_at": review.created_at,
        }
        for review in reviews
    ]


def _attachment(record: ContactRecord, present: set[str]) -> Attachment | None:
    if not record.attachment:
        return None
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(record.attachment_name or "").name).strip("._")
    return Attachment(
        reference=record.reference,
        stored_name=record.attachment,
        original_name=record.attachment_name,
        content_type=record.attachment_type,
        zip_path=f"attachments/{record.reference}-{safe or 'attachment'}",
        present=record.attachment in present,
    )


def _record_row(item: ContactRecord, attachment: Attachment | None) -> dict[str, Any]:
    return {
        "reference": item.reference,
        "record_type": item.get_record_type_display(),
        "author_reference": _ref(item.author),
        "author": _named(item.author),
        "pupils": _pupils(item.pupils.all()),
        "with_family_only": item.with_family_only,
        "kind": item.get_kind_label(),
        "purpose": item.get_purpose_label(),
        "school_channel": item.school_channel,
        "direction": item.get_direction_display() if item.direction else "",
        "occurred_at": item.occurred_at,
        "place": item.place,
        "details": item.details,
        "reply": item.reply,
        "signposting": item.signposting,
        "arranged": item.arranged,
        "planned_verdict": VERDICT_LABELS.get(item.planned_verdict, item.planned_verdict),
        "verdict": VERDICT_LABELS.get(item.verdict, item.verdict),
        "route": item.get_route_display() if item.route else "",
        "actions": _labels(item.actions or [], ACTION_LABELS),
        "findings": list(item.findings or []),
        "restricted": item.restricted,
        "attachment_name": item.attachment_name,
        "attachment_file": attachment.zip_path if attachment and attachment.present else "",
        "created_at": item.created_at,
    }


def _records(
    rows: QuerySet[ContactRecord],
) -> tuple[list[ContactRecord], list[dict[str, Any]], list[Attachment]]:
    records = list(
        rows.select_related("author").prefetch_related("pupils").order_by("occurred_at", "pk")
    )
    present = stored_present(record.attachment for record in records if record.attachment)
    attachments = {record.pk: _attachment(record, present) for record in records}
    table = [_record_row(record, attachments[record.pk]) for record in records]
    return records, table, [a for a in attachments.values() if a is not None]


def _addendum_rows(rows: QuerySet[Addendum]) -> list[dict[str, Any]]:
    addenda = rows.select_related("author", "record", "disclosure").order_by("created_at", "pk")
    return [
        {
            # Every addendum is to a record or to a disclosure (a check constraint says so).
            "to": (item.record or item.disclosure).reference,  # type: ignore[union-attr]
            "author": _named(item.author),
            "text": item.text,
            "written_at": item.created_at,
        }
        for item in addenda
    ]


def _concern_row(item: BoundaryConcern) -> dict[str, Any]:
    return {
        "reference": item.reference,
        "about_reference": _ref(item.subject),
        "about": _named(item.subject),
        "raised_by_reference": _ref(item.reporter),
        "raised_by": _named(item.reporter),
        "confidential": item.confidential,
        "harm_to_pupils": item.harm_to_pupils,
        "told_line_manager": item.told_line_manager,
        "whistleblowing": item.whistleblowing,
        "route": item.get_route_display(),
        "occurred_on": item.occurred_on,
        "description": item.description,
        "related_record": _ref(item.related_record),
        "related_request": _ref(item.related_request),
        "response": item.response,
        "outcome": item.get_outcome_display() if item.outcome else "",
        "closed_by": _named(item.closed_by),
        "closed_at": item.closed_at,
        "created_at": item.created_at,
    }


def _concerns(actor: Staff, rows: QuerySet[BoundaryConcern]) -> list[BoundaryConcern]:
    """Only concerns the headteacher manages or raised: never one about them (see the module)."""
    visible = selectors.concerns_visible_to(actor).values("pk")
    return list(
        rows.filter(pk__in=visible)
        .select_related("subject", "reporter", "closed_by", "related_record", "related_request")
        .order_by("created_at", "pk")
    )


def _lado_rows(actor: Staff, rows: QuerySet[LadoReferral]) -> list[LadoReferral]:
    visible = selectors.lado_visible_to(actor).values("pk")
    return list(
        rows.filter(pk__in=visible)
        .select_related("subject", "recorded_by", "concern", "related_request")
        .order_by("contacted_at", "pk")
    )


def _lado_row(item: LadoReferral) -> dict[str, Any]:
    return {
        "reference": item.reference,
        "about_reference": _ref(item.subject),
        "about": _named(item.subject),
        "referral_type": item.get_referral_type_display(),
        "concern": _ref(item.concern),
        "related_request": _ref(item.related_request),
        "contacted_at": item.contacted_at,
        "spoke_to": item.spoke_to,
        "advice": item.advice,
        "outcome": item.get_outcome_display() if item.outcome else "",
        "outcome_on": item.outcome_on,
        "recorded_by": _named(item.recorded_by),
        "created_at": item.created_at,
    }


def _notification_rows(rows: QuerySet[Notification]) -> list[dict[str, Any]]:
    notices = rows.select_related("recipient").order_by("created_at", "pk")
    return [
        {
            "recipient_reference": _ref(item.recipient),
            "recipient": _named(item.recipient),
            "message": item.message,
            "link": item.url,
            "sent_at": item.created_at,
            "read_at": item.read_at,
        }
        for item in notices
    ]


def _type_of(model: type[models.Model]) -> str:
    return model._meta.label_lower


def _about(objects: dict[type[models.Model], Iterable[Any]]) -> Q:
    """Events about any of these objects (object_type and object_id as audit_record stores)."""
    where = Q(pk__in=[])
    for model, items in objects.items():
        ids = [str(item.pk) for item in items]
        if ids:
            where |= Q(object_type=_type_of(model), object_id__in=ids)
    return where


def _audit_rows(actor: Staff, where: Q) -> list[dict[str, Any]]:
    """The events of the actor's school matching `where`, oldest first, less what the
    headteacher may not see in the audit trail (events about concerns and referrals about
    them; the acts of a confidential reporter whose name is withheld from them)."""
    rows = AuditEvent.objects.filter(school_id=actor.school_id).filter(where)
    for object_type, object_ids in hidden_from(actor).items():
        if object_ids:
            rows = rows.exclude(object_type=object_type, object_id__in=object_ids)
    withheld = withheld_reporters(actor)
    return [
        {
            "when": event.created_at,
            "actor_reference": _ref(event.actor),
            "actor": _named(event.actor) if event.actor is not None else "The system",
            "actor_role": role_words(event.actor_role),
            "action": event.action,
            "action_words": action_words(event.action),
            "object_reference": event.object_ref,
            "from_state": state_words(event.from_state),
            "to_state": state_words(event.to_state),
            "reason": event.reason,
        }
        for event in rows.select_related("actor").order_by("id")
        if not is_withheld(event, withheld)
    ]


def _refs(items: Iterable[Any]) -> str:
    return ", ".join(item.reference for item in items)


def _common_points(attachments: list[Attachment]) -> list[str]:
    points = [
        "Free text written by staff (reasons, details, notes, responses, audit details) may "
        "name other people or say things about them: read all of it.",
    ]
    missing = [a.reference for a in attachments if not a.present]
    if missing:
        points.append(
            f"Attached files missing from storage, so not in this export: {', '.join(missing)}."
        )
    return points


def _confidential_point(concerns: list[BoundaryConcern]) -> list[str]:
    confidential = [c for c in concerns if c.confidential]
    if not confidential:
        return []
    return [
        f"Raised in confidence: {_refs(confidential)}. The name of the person who raised each "
        "of these concerns is included here and must be removed, with anything else that "
        "identifies them."
    ]


def _subject(
    kind: str, person: Pupil | Staff, actor: Staff, tables: list[Table], **rest: Any
) -> SubjectAccess:
    return SubjectAccess(
        kind=kind,
        subject=person,
        reference=person.audit_ref,
        name=person.full_name,
        school_name=actor.school.name,
        prepared_by=actor.full_name,
        generated_at=timezone.now(),
        tables=tables,
        **rest,
    )


# --- A pupil ----------------------------------------------------------------------------------


def _parent_row(item: ParentCarer) -> dict[str, Any]:
    return {
        "reference": item.audit_ref,
        "first_name": item.first_name,
        "last_name": item.last_name,
        "relationship": item.relationship,
        "email": item.email,
        "phone": item.phone,
    }


def _disclosure_row(item: Disclosure) -> dict[str, Any]:
    return {
        "reference": item.reference,
        "disclosure_type": item.get_disclosure_type_display(),
        "author_reference": _ref(item.author),
        "author": _named(item.author),
        "disclosed_at": item.disclosed_at,
        "disclosed_by": item.disclosed_by,
        "account": item.account,
        "circumstances": item.circumstances,
        "action_taken": item.action_taken,
        "created_at": item.created_at,
    }


@dataclass
class _PupilFile:
    """The rows gathered about a pupil, before they become tables."""

    parents: list[ParentCarer]
    relatives: list[StaffRelative]
    requests: list[ContactRequest]
    records: list[ContactRecord]
    record_rows: list[dict[str, Any]]
    attachments: list[Attachment]
    disclosures: list[Disclosure]
    concerns: list[BoundaryConcern]
    referrals: list[LadoReferral]


def _gather_pupil(actor: Staff, pupil: Pupil) -> _PupilFile:
    school_id = pupil.school_id
    requests = _requests(ContactRequest.objects.filter(school_id=school_id, pupils=pupil))
    records, record_rows, attachments = _records(
        ContactRecord.objects.filter(school_id=school_id, pupils=pupil)
    )
    concerns = _concerns(
        actor,
        BoundaryConcern.objects.filter(school_id=school_id).filter(
            Q(related_record__in=[r.pk for r in records])
            | Q(related_request__in=[r.pk for r in requests])
        ),
    )
    return _PupilFile(
        parents=list(
            ParentCarer.objects.filter(school_id=school_id, children=pupil).order_by("pk")
        ),
        relatives=list(
            StaffRelative.objects.filter(pupil=pupil)
            .select_related("staff", "declared_by", "acknowledged_by", "ended_by")
            .order_by("pk")
        ),
        requests=requests,
        records=records,
        record_rows=record_rows,
        attachments=attachments,
        disclosures=list(
            Disclosure.objects.filter(school_id=school_id, pupil=pupil)
            .select_related("author")
            .order_by("disclosed_at", "pk")
        ),
        concerns=concerns,
        referrals=_lado_rows(
            actor,
            LadoReferral.objects.filter(school_id=school_id).filter(
                Q(concern__in=[c.pk for c in concerns])
                | Q(related_request__in=[r.pk for r in requests])
            ),
        ),
    )


def _pupil_notifications(pupil: Pupil, found: _PupilFile) -> QuerySet[Notification]:
    """Notices never name a pupil: those linking to one of the pupil's entries."""
    links = (
        [reverse("request_detail", args=[r.pk]) for r in found.requests]
        + [reverse("record_detail", args=[r.pk]) for r in found.records]
        + [reverse("disclosure_detail", args=[d.pk]) for d in found.disclosures]
        + [reverse("concern_detail", args=[c.pk]) for c in found.concerns]
    )
    return Notification.objects.filter(recipient__school_id=pupil.school_id, url__in=links)


def _pupil_points(pupil: Pupil, found: _PupilFile) -> list[str]:
    points = []
    # Requests and records both name pupils; mypy joins the two lists' types to a bare Model.
    others = [
        e
        for e in [*found.requests, *found.records]
        if any(p.pk != pupil.pk for p in e.pupils.all())  # type: ignore[attr-defined]
    ]
    if others:
        points.append(
            f"Other pupils are named as well in {_refs(others)}: remove their names and "
            "anything that identifies them."
        )
    if found.parents:
        points.append("Parents' and carers' contact details are included.")
    if found.relatives:
        points.append("Members of staff who recorded the pupil as their relative are named.")
    if found.disclosures:
        points.append(
            f"The disclosures ({_refs(found.disclosures)}) hold child-protection or personal "
            "information, and 'who said it' may be another child. Decide with the designated "
            "safeguarding lead whether any of it must be withheld, for example because "
            "releasing it could put a child at risk of serious harm."
        )
    if found.concerns or found.referrals:
        points.append(
            "Boundary concerns and LADO referrals are about members of staff: release only "
            "what is about the pupil, and ask the LADO before releasing their advice."
        )
    points += _confidential_point(found.concerns)
    points.append(
        "Staff are named as authors, deciders, recipients of notifications and in the audit "
        "trail (who opened the pupil's file): decide whether any name should be withheld."
    )
    return points + _common_points(found.attachments)


def pupil_export(*, actor: Staff, pupil: Pupil) -> SubjectAccess:
    """Everything held about a pupil. A fixed number of queries, however much there is."""
    found = _gather_pupil(actor, pupil)
    about = _about(
        {
            Pupil: [pupil],
            ParentCarer: found.parents,
            StaffRelative: found.relatives,
            ContactRequest: found.requests,
            ContactRecord: found.records,
            Disclosure: found.disclosures,
            BoundaryConcern: found.concerns,
            LadoReferral: found.referrals,
        }
    )
    alerts = list(
        Alert.objects.filter(
            Q(disclosure__in=[d.pk for d in found.disclosures])
            | Q(record__in=[r.pk for r in found.records])
            | Q(request__in=[r.pk for r in found.requests])
        )
        .select_related("disclosure", "record", "request", "acknowledged_by", "closed_by")
        .order_by("raised_at", "pk")
    )
    about |= _about({Alert: alerts})
    own_row = _own_row(pupil, PUPIL_ROW)
    own_row["status"] = "Current pupil" if pupil.is_current() else "Former pupil"
    request_ids = [r.pk for r in found.requests]
    addenda = Addendum.objects.filter(
        Q(record__in=[r.pk for r in found.records])
        | Q(disclosure__in=[d.pk for d in found.disclosures])
    )
    tables = [
        _table(PUPIL_ROW, "The pupil", [own_row], wide=True),
        _table(
            PARENTS,
            "Parents and carers",
            [_parent_row(p) for p in found.parents],
        ),
        _table(
            STAFF_RELATIVES,
            "Members of staff who declared a relationship with the pupil",
            [_relative_row(r, "staff") for r in found.relatives],
        ),
        _table(
            REQUESTS,
            "Requests for planned contact naming the pupil",
            [_request_row(r) for r in found.requests],
            wide=True,
            note="Every state is included, unsubmitted drafts too.",
        ),
        _table(
            REQUEST_NOTES,
            "Notes on those requests",
            _note_rows(RequestNote.objects.filter(request__in=request_ids)),
        ),
        _table(
            PLAN_SESSIONS,
            "Sessions logged under their plans of involvement",
            _session_rows(PlanSession.objects.filter(request__in=request_ids)),
            wide=True,
        ),
        _table(
            PLAN_REVIEWS,
            "Reviews of those plans",
            _plan_review_rows(PlanReview.objects.filter(request__in=request_ids)),
            wide=True,
        ),
        _table(
            RECORDS,
            "Records of contact naming the pupil",
            found.record_rows,
            wide=True,
        ),
        _table(
            DISCLOSURES,
            "Disclosures",
            [_disclosure_row(d) for d in found.disclosures],
            wide=True,
        ),
        _table(
            ADDENDA,
            "Addenda to those records and disclosures",
            _addendum_rows(addenda),
        ),
        _table(
            ALERTS,
            "How those disclosures and records were acted on",
            _alert_rows(alerts),
            wide=True,
        ),
        _table(
            ALERT_ENTRIES,
            "Their chronology: notes, decisions and their reasons",
            _alert_entry_rows(
                AlertEntry.objects.filter(alert__in=[a.pk for a in alerts])
                .select_related("alert", "author")
                .order_by("created_at", "pk")
            ),
        ),
        _table(
            CASE_ACTIONS,
            "Actions on the child-protection cases",
            _case_action_rows(
                CaseAction.objects.filter(alert__in=[a.pk for a in alerts])
                .select_related("alert", "assigned_to", "created_by", "done_by")
                .order_by("created_at", "pk")
            ),
        ),
        _table(
            CASE_REFERRALS,
            "Referrals made on those cases",
            _case_referral_rows(
                CaseReferral.objects.filter(alert__in=[a.pk for a in alerts])
                .select_related("alert", "created_by")
                .order_by("referred_on", "pk")
            ),
        ),
        _table(
            CONCERNS,
            "Boundary concerns linked to a request or record naming the pupil",
            [_concern_row(c) for c in found.concerns],
            wide=True,
        ),
        _table(
            LADO_REFERRALS,
            "LADO consultations and referrals about those concerns and requests",
            [_lado_row(r) for r in found.referrals],
            wide=True,
        ),
        _table(
            NOTIFICATIONS,
            "Notifications linking to those entries",
            _notification_rows(_pupil_notifications(pupil, found)),
            note="Notifications never name the pupil; each links to one of the entries above.",
        ),
        _table(
            LEGAL_HOLDS,
            "Legal holds on the pupil's records",
            _legal_hold_rows(LegalHold.objects.filter(pupil=pupil)),
        ),
        _table(
            AUDIT_EVENTS,
            "Audit trail: who opened, made or changed any of the above",
            _audit_rows(actor, about),
            not_in_summary=AUDIT_CODES,
        ),
    ]
    return _subject(
        "pupil",
        pupil,
        actor,
        tables,
        attachments=found.attachments,
        review_points=_pupil_points(pupil, found),
    )


# --- A member of staff ------------------------------------------------------------------------


def _legal_hold_rows(rows: QuerySet[LegalHold]) -> list[dict[str, Any]]:
    """A hold is information about the person too: why their records are kept, and by whom."""
    return [
        {
            "reference": f"HOLD-{item.pk}",
            "reason": item.reason,
            "placed_by": _named(item.placed_by),
            "placed_at": item.placed_at,
            "lifted_by": _named(item.lifted_by),
            "lifted_at": item.lifted_at,
            "lift_reason": item.lift_reason,
        }
        for item in rows.select_related("placed_by", "lifted_by").order_by("placed_at", "pk")
    ]


def _alert_rows(rows: Iterable[Alert]) -> list[dict[str, Any]]:
    return [
        {
            "reference": item.reference,
            "about": item.subject_ref,
            "owner": item.get_owner_display(),
            "urgent": "Yes" if item.urgent else "No",
            "status": item.get_status_display(),
            "raised_at": item.raised_at,
            "acknowledge_by": item.acknowledge_by,
            "acknowledged_at": item.acknowledged_at,
            "acknowledged_by": _named(item.acknowledged_by),
            "escalated_to": ESCALATION_STEPS[item.escalation_level] if item.escalated_at else "",
            "escalated_at": item.escalated_at,
            "closed_at": item.closed_at,
            "closed_by": _named(item.closed_by),
            "outcome": item.outcome,
            "rationale": item.rationale,
        }
        for item in rows
    ]


def _alert_entry_rows(rows: Iterable[AlertEntry]) -> list[dict[str, Any]]:
    return [
        {
            "alert": item.alert.reference,
            "when": item.created_at,
            "by": _named(item.author) if item.author else "The system",
            "kind": item.get_kind_display(),
            "text": item.text,
        }
        for item in rows
    ]


def _case_action_rows(rows: Iterable[CaseAction]) -> list[dict[str, Any]]:
    return [
        {
            "alert": item.alert.reference,
            "description": item.description,
            "assigned_to": _named(item.assigned_to),
            "due_on": item.due_on,
            "created_by": _named(item.created_by),
            "created_at": item.created_at,
            "done_at": item.done_at,
            "done_by": _named(item.done_by),
            "reminded_at": item.reminded_at,
        }
        for item in rows
    ]


def _case_referral_rows(rows: Iterable[CaseReferral]) -> list[dict[str, Any]]:
    return [
        {
            "alert": item.alert.reference,
            "agency": item.agency_other or item.get_agency_display(),
            "referred_on": item.referred_on,
            "reference": item.reference,
            "contact": item.contact,
            "response": item.response,
            "created_by": _named(item.created_by),
            "created_at": item.created_at,
        }
        for item in rows
    ]


def _notices_about_what_they_may_see(actor: Staff, staff: Staff) -> QuerySet[Notification]:
    """The person's notices, less those about a concern the one exporting may not know of (one
    about them, one sent by the whistleblowing route): a notice names it by reference or links
    to it."""
    hidden = BoundaryConcern.objects.filter(school_id=staff.school_id).exclude(
        pk__in=selectors.concerns_visible_to(actor).values("pk")
    )
    rows = Notification.objects.filter(recipient=staff)
    for concern in hidden.only("pk"):
        rows = rows.exclude(
            Q(url=reverse("concern_detail", args=[concern.pk]))
            | Q(message__contains=f"({concern.reference})")
        )
    return rows


def _invitation_rows(rows: Iterable[Invitation]) -> list[dict[str, Any]]:
    return [
        {
            "reference": item.audit_ref,
            "sent_to": item.sent_to,
            "sent_by": _named(item.sent_by),
            "sent_at": item.created_at,
            "expires_at": item.expires_at,
            "accepted_at": item.accepted_at,
            "revoked_at": item.revoked_at,
        }
        for item in rows
    ]


def _decision_row(item: ContactRequest) -> dict[str, Any]:
    return {
        "reference": item.reference,
        "requester": _named(item.requester),
        "pupils": _pupils(item.pupils.all()),
        "status": item.get_status_display(),
        "decided_as": item.decided_as,
        "decided_at": item.decided_at,
        "decision_reason": item.decision_reason,
        "conditions": item.conditions,
    }


def _disclosure_listed(item: Disclosure) -> dict[str, Any]:
    return {
        "reference": item.reference,
        "disclosure_type": item.get_disclosure_type_display(),
        "pupil": f"{item.pupil.full_name} ({item.pupil.audit_ref})",
        "disclosed_at": item.disclosed_at,
        "created_at": item.created_at,
    }


def _acknowledgement_row(item: Acknowledgement) -> dict[str, Any]:
    return {
        "policy": item.version.policy.title,
        "version": item.version.number,
        "acknowledged_at": item.acknowledged_at,
    }


def _staff_concern_row(item: BoundaryConcern, staff: Staff) -> dict[str, Any]:
    if item.subject_id == staff.pk and item.reporter_id == staff.pk:
        relation = "Self-referral"
    elif item.subject_id == staff.pk:
        relation = "About them"
    else:
        relation = "Raised by them"
    row = _concern_row(item)
    return {"reference": row.pop("reference"), "relation": relation} | row


@dataclass
class _StaffFile:
    """The rows gathered about a member of staff, before they become tables."""

    roles: list[str]
    relatives: list[StaffRelative]
    requests: list[ContactRequest]
    decided: list[ContactRequest]
    records: list[ContactRecord]
    record_rows: list[dict[str, Any]]
    attachments: list[Attachment]
    disclosures: list[Disclosure]
    concerns: list[BoundaryConcern]
    referrals: list[LadoReferral]


def _gather_staff(actor: Staff, staff: Staff) -> _StaffFile:
    school_id = staff.school_id
    records, record_rows, attachments = _records(
        ContactRecord.objects.filter(school_id=school_id, author=staff)
    )
    held = staff.role_assignments.values_list("role", flat=True)
    return _StaffFile(
        roles=[Role(code).label if code in Role.values else code for code in sorted(held)],
        relatives=list(
            StaffRelative.objects.filter(staff=staff)
            .select_related("pupil", "declared_by", "acknowledged_by", "ended_by")
            .order_by("pk")
        ),
        requests=_requests(ContactRequest.objects.filter(school_id=school_id, requester=staff)),
        decided=_requests(ContactRequest.objects.filter(school_id=school_id, decided_by=staff)),
        records=records,
        record_rows=record_rows,
        attachments=attachments,
        disclosures=list(
            Disclosure.objects.filter(school_id=school_id, author=staff)
            .select_related("pupil")
            .order_by("disclosed_at", "pk")
        ),
        concerns=_concerns(
            actor,
            BoundaryConcern.objects.filter(school_id=school_id).filter(
                Q(subject=staff) | Q(reporter=staff)
            ),
        ),
        referrals=_lado_rows(
            actor, LadoReferral.objects.filter(school_id=school_id, subject=staff)
        ),
    )


def _staff_points(staff: Staff, found: _StaffFile) -> list[str]:
    points = []
    # Requests and records both name pupils; mypy joins the two lists' types to a bare Model.
    naming = [e for e in [*found.requests, *found.records, *found.decided] if e.pupils.all()]  # type: ignore[attr-defined]
    if naming or found.relatives or found.disclosures:
        refs = _refs(naming + found.disclosures)
        points.append(
            "Pupils are named in their requests, records, decisions, the disclosures they wrote "
            f"down and the relatives they declared{f' ({refs})' if refs else ''}: a pupil's "
            "details are that pupil's information; remove what is not about this member of "
            "staff."
        )
    about = [c for c in found.concerns if c.subject_id == staff.pk and c.reporter_id != staff.pk]
    if about:
        points.append(
            f"Boundary concerns about them ({_refs(about)}) name who raised them, and each "
            "description is that person's account: check whether the person who raised each "
            "may be named."
        )
    points += _confidential_point(about)
    if found.referrals:
        points.append(
            f"LADO consultations and referrals ({_refs(found.referrals)}): ask the LADO before "
            "releasing their advice, and check whether an investigation is still open."
        )
    points.append(
        "Other staff are named as deciders, reviewers, authors of notes and in the audit trail: "
        "decide whether any name should be withheld."
    )
    return points + _common_points(found.attachments)


def staff_export(*, actor: Staff, staff: Staff) -> SubjectAccess:
    """Everything held about a member of staff. A fixed number of queries."""
    school_id = staff.school_id
    found = _gather_staff(actor, staff)
    about = Q(actor_id=staff.pk) | _about(
        {
            Staff: [staff],
            StaffRelative: found.relatives,
            ContactRequest: found.requests,
            ContactRecord: found.records,
            BoundaryConcern: found.concerns,
            LadoReferral: found.referrals,
        }
    )
    own_row = _own_row(staff, STAFF_ROW)
    # Whether it is on, never the secrets or recovery codes behind it.
    own_row["two_factor_enabled"] = two_factor_enabled(staff)
    notes = RequestNote.objects.filter(request__school_id=school_id).filter(
        Q(request__requester=staff) | Q(author=staff)
    )
    addenda = Addendum.objects.filter(record__school_id=school_id).filter(
        Q(record__author=staff) | Q(author=staff)
    )
    acknowledgements = (
        Acknowledgement.objects.filter(staff=staff)
        .select_related("version__policy")
        .order_by("acknowledged_at", "pk")
    )
    tables = [
        _table(STAFF_ROW, "The member of staff", [own_row], wide=True),
        _table(ROLES, "Roles held in Safeguard", [{"role": r} for r in found.roles]),
        _table(
            INVITATIONS,
            "Invitations to sign in sent to them",
            _invitation_rows(staff.invitations.select_related("sent_by").order_by("pk")),
        ),
        _table(
            RELATIVES,
            "Relationships with pupils they declared",
            [_relative_row(r, "pupil") for r in found.relatives],
        ),
        _table(
            COLLEAGUES,
            "Relationships with colleagues declared",
            [_colleague_row(r, staff) for r in _colleague_relationships(staff)],
        ),
        _table(
            REQUESTS,
            "Their requests for planned contact",
            [_request_row(r) for r in found.requests],
            wide=True,
            note="Every state is included, unsubmitted drafts too.",
        ),
        _table(
            REQUEST_NOTES,
            "Notes on their requests, and notes they wrote",
            _note_rows(notes),
        ),
        _table(
            PLAN_SESSIONS,
            "Sessions logged under the plans of involvement of their requests",
            _session_rows(PlanSession.objects.filter(request__in=[r.pk for r in found.requests])),
            wide=True,
        ),
        _table(
            PLAN_REVIEWS,
            "Reviews of those plans, and plans they reviewed",
            _plan_review_rows(
                PlanReview.objects.filter(request__school_id=school_id).filter(
                    Q(request__in=[r.pk for r in found.requests]) | Q(reviewed_by=staff)
                )
            ),
            wide=True,
        ),
        _table(
            DECISIONS,
            "Requests they decided",
            [_decision_row(r) for r in found.decided],
        ),
        _table(
            RECORDS,
            "Records of contact they made",
            found.record_rows,
            wide=True,
        ),
        _table(
            ADDENDA,
            "Addenda to their records, and addenda they wrote to records",
            _addendum_rows(addenda),
        ),
        _table(
            DISCLOSURES_RECORDED,
            "Disclosures they wrote down",
            [_disclosure_listed(d) for d in found.disclosures],
            note="Listed without what was said: a disclosure is about the pupil, not about the "
            "member of staff who wrote it down.",
        ),
        _table(
            ACTIONS_ASSIGNED,
            "Actions on child-protection cases given to them",
            _case_action_rows(
                CaseAction.objects.filter(assigned_to=staff)
                .select_related("alert", "assigned_to", "created_by", "done_by")
                .order_by("created_at", "pk")
            ),
            note="Listed without the case's content: a case is about the pupil.",
        ),
        _table(
            STAFF_CONCERNS,
            "Boundary concerns about them, and concerns they raised",
            [_staff_concern_row(c, staff) for c in found.concerns],
            wide=True,
        ),
        _table(
            LADO_REFERRALS,
            "LADO consultations and referrals about them",
            [_lado_row(r) for r in found.referrals],
            wide=True,
        ),
        _table(
            ACKNOWLEDGEMENTS,
            "Policies they confirmed they had read",
            [_acknowledgement_row(a) for a in acknowledgements],
        ),
        _table(
            NOTIFICATIONS,
            "Notifications sent to them",
            _notification_rows(_notices_about_what_they_may_see(actor, staff)),
        ),
        _table(
            LEGAL_HOLDS,
            "Legal holds on their records",
            _legal_hold_rows(LegalHold.objects.filter(staff=staff)),
        ),
        _table(
            AUDIT_EVENTS,
            "Audit trail: what they did, and what was done about them or their entries",
            _audit_rows(actor, about),
            not_in_summary=AUDIT_CODES,
        ),
    ]
    return _subject(
        "staff",
        staff,
        actor,
        tables,
        attachments=found.attachments,
        review_points=_staff_points(staff, found),
    )
