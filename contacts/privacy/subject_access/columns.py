"""What a subject-access export holds: the columns of each table, which stored field of which
model each column comes from, and each stored field left out, with the reason.

tests/test_subject_access_columns.py checks this against the models: every stored field of
every model exported is either exported or left out here with a reason, and every model that
holds data about a pupil or a member of staff is either exported or listed in `NOT_EXPORTED`
with a reason. A field added to such a model fails that test until it is placed here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.db import models
from django.utils.text import capfirst
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from contacts.alerts.models import Alert, AlertEntry, CaseAction, CaseReferral
from contacts.concerns.models import BoundaryConcern, LadoReferral
from contacts.notifications.models import Notification
from contacts.people.models import (
    ColleagueRelationship,
    Invitation,
    ParentCarer,
    Pupil,
    Staff,
    StaffRelative,
    StaffRole,
)
from contacts.planned.models import (
    ContactRequest,
    HeadAbsence,
    PlanReview,
    PlanSession,
    RequestNote,
)
from contacts.privacy.models import LegalHold
from contacts.records.models import Addendum, ContactRecord, Disclosure
from policies.models import Acknowledgement, PolicySignature, PolicyVersion
from safeguard.audit.models import AuditCheck, AuditEvent

Columns = tuple[tuple[str, str], ...]

CHAIR_ONLY = (
    "Boundary concerns about a headteacher are managed by the chair of governors, and "
    "concerns and LADO referrals about the headteacher making this export are never shown to "
    "them: any such entries are left out of this export. Ask the chair of governors to check "
    "for them before anything is released."
)


# --- The columns of each table ----------------------------------------------------------------

REQUEST_COLUMNS: Columns = (
    ("reference", "Reference"),
    ("status", "Status"),
    ("requester_reference", "Requester's reference"),
    ("requester", "Requested by"),
    ("pupils", "Pupils named"),
    ("with_family_only", "Contact with the family only"),
    ("kind", "Kind of contact"),
    ("purpose", "Purpose"),
    ("exemption", "Exemption claimed"),
    ("parent_organised", "Organised by a parent"),
    ("school_channel", "Through the school's channels"),
    ("vulnerable_context", "Vulnerable context"),
    ("starts_at", "Date and time"),
    ("place", "Place"),
    ("reasons", "Reasons"),
    ("plan_outcomes", "Plan: expected outcomes"),
    ("plan_timescales", "Plan: timescales"),
    ("plan_review_date", "Plan review date"),
    ("plan_support", "Plan: support or supervision for the member of staff"),
    ("plan_agencies", "Plan: other agencies involved"),
    ("plan_signposting", "Plan: signposting to services outside school"),
    ("plan_ended_at", "Plan ended"),
    ("sessions_logged", "Plan: sessions logged"),
    ("verdict", "What the policies said"),
    ("route", "Decided by (route)"),
    ("actions", "Actions the policies require"),
    ("findings", "Policy findings"),
    ("restricted", "Restricted family-liaison entry"),
    ("referred_to_chair", "Referred to the chair of governors"),
    ("submitted_at", "Submitted"),
    ("decided_by", "Decided by"),
    ("decided_as", "Decided as"),
    ("decided_at", "Decided"),
    ("decision_reason", "Reason for the decision"),
    ("conditions", "Conditions"),
    ("outcome", "Outcome"),
    ("outcome_concerns", "Anything of concern"),
    ("completed_at", "Outcome recorded"),
    ("reviewed_by", "Reviewed by"),
    ("reviewed_at", "Reviewed"),
    ("created_at", "Created"),
    ("updated_at", "Last changed"),
)

SESSION_COLUMNS: Columns = (
    ("request", "Request"),
    ("number", "Session"),
    ("held_on", "Date of the session"),
    ("what_happened", "What happened"),
    ("concerns", "Anything of concern"),
    ("logged_by", "Logged by"),
    ("logged_at", "Logged"),
)

PLAN_REVIEW_COLUMNS: Columns = (
    ("request", "Request"),
    ("reviewed_on", "Date of the review"),
    ("reviewed_by", "Reviewed by"),
    ("reviewed_as", "Reviewed as"),
    ("decision", "The plan"),
    ("note", "What the review found"),
    ("changes", "What changed"),
    ("due_on", "Review was due"),
    ("next_review_date", "Next review"),
    ("recorded_at", "Recorded"),
)

NOTE_COLUMNS: Columns = (
    ("request", "Request"),
    ("kind", "Kind of note"),
    ("author", "Written by"),
    ("text", "Note"),
    ("written_at", "Written"),
)

RECORD_COLUMNS: Columns = (
    ("reference", "Reference"),
    ("record_type", "What was recorded"),
    ("author_reference", "Author's reference"),
    ("author", "Recorded by"),
    ("pupils", "Pupils named"),
    ("with_family_only", "Contact with the family only"),
    ("kind", "Kind of contact"),
    ("purpose", "Purpose"),
    ("school_channel", "Through the school's channels"),
    ("direction", "Given or received"),
    ("occurred_at", "When it happened"),
    ("place", "Place"),
    ("details", "What happened"),
    ("reply", "Any reply sent"),
    ("signposting", "Signposting given to services outside school"),
    ("arranged", "Arranged beforehand"),
    ("planned_verdict", "What the policies would have said if asked first"),
    ("verdict", "What the policies said"),
    ("route", "Reported to (route)"),
    ("actions", "Actions the policies require"),
    ("findings", "Policy findings"),
    ("restricted", "Restricted family-liaison entry"),
    ("attachment_name", "Attached file"),
    ("attachment_file", "File in this export"),
    ("created_at", "Recorded"),
)

ADDENDUM_COLUMNS: Columns = (
    ("to", "Added to"),
    ("author", "Written by"),
    ("text", "Addendum"),
    ("written_at", "Written"),
)

DISCLOSURE_COLUMNS: Columns = (
    ("reference", "Reference"),
    ("disclosure_type", "Kind of disclosure"),
    ("author_reference", "Author's reference"),
    ("author", "Recorded by"),
    ("disclosed_at", "When it was said"),
    ("disclosed_by", "Who said it"),
    ("account", "What was said"),
    ("circumstances", "Where and how"),
    ("action_taken", "What was done next"),
    ("created_at", "Recorded"),
)

DISCLOSURE_LIST_COLUMNS: Columns = (
    ("reference", "Reference"),
    ("disclosure_type", "Kind of disclosure"),
    ("pupil", "Pupil"),
    ("disclosed_at", "When it was said"),
    ("created_at", "Recorded"),
)

CONCERN_COLUMNS: Columns = (
    ("reference", "Reference"),
    ("about_reference", "About (reference)"),
    ("about", "About"),
    ("raised_by_reference", "Raised by (reference)"),
    ("raised_by", "Raised by"),
    ("confidential", "Raised in confidence"),
    ("harm_to_pupils", "About a relationship that could harm a pupil"),
    ("told_line_manager", "Reporter's line manager told"),
    ("whistleblowing", "Sent by the whistleblowing route"),
    ("route", "Case manager (route)"),
    ("occurred_on", "When it happened"),
    ("description", "What happened, or what worries them"),
    ("related_record", "Related record"),
    ("related_request", "Related request"),
    ("response", "Case manager's response"),
    ("outcome", "Outcome"),
    ("closed_by", "Closed by"),
    ("closed_at", "Closed"),
    ("created_at", "Raised"),
)

STAFF_CONCERN_COLUMNS: Columns = (
    CONCERN_COLUMNS[0],
    ("relation", "Their part"),
    *CONCERN_COLUMNS[1:],
)

LADO_COLUMNS: Columns = (
    ("reference", "Reference"),
    ("about_reference", "About (reference)"),
    ("about", "About"),
    ("referral_type", "Consultation or referral"),
    ("concern", "Boundary concern"),
    ("related_request", "Request it was about"),
    ("contacted_at", "Date and time of the call"),
    ("spoke_to", "Who was spoken to"),
    ("advice", "Advice given"),
    ("outcome", "Outcome"),
    ("outcome_on", "Date of the outcome"),
    ("recorded_by", "Recorded by"),
    ("created_at", "Recorded"),
)

NOTIFICATION_COLUMNS: Columns = (
    ("recipient_reference", "Sent to (reference)"),
    ("recipient", "Sent to"),
    ("message", "Message"),
    ("link", "Link"),
    ("sent_at", "Sent"),
    ("read_at", "Read"),
)

AUDIT_COLUMNS: Columns = (
    ("when", "When"),
    ("actor_reference", "Who (reference)"),
    ("actor", "Who"),
    ("actor_role", "Acting as"),
    ("action", "Action"),
    ("action_words", "What was done"),
    ("object_reference", "To what"),
    ("from_state", "From"),
    ("to_state", "To"),
    ("reason", "Details recorded"),
)

# Columns the summary leaves out of the audit trail to stay readable (the CSV and data.json
# keep them).
AUDIT_CODES = frozenset({"actor_reference", "action"})

PARENT_COLUMNS: Columns = (
    ("reference", "Reference"),
    ("first_name", "First name"),
    ("last_name", "Last name"),
    ("relationship", "Relationship"),
    ("email", "Email"),
    ("phone", "Phone"),
)

STAFF_RELATIVE_COLUMNS: Columns = (
    ("reference", "Reference"),
    ("staff_reference", "Member of staff (reference)"),
    ("staff", "Member of staff"),
    ("relationship", "Relationship"),
    ("recorded_at", "Recorded"),
    ("declared_by", "Declared by"),
    ("acknowledged_by", "Acknowledged by"),
    ("acknowledged_at", "Acknowledged"),
    ("contact", "What contact it involves"),
    ("covers", "Contact it covers"),
    ("conditions", "Conditions"),
    ("review_due", "Next review"),
    ("ended_at", "Ended"),
    ("ended_by", "Ended by"),
    ("end_reason", "Why it ended"),
)

ROLE_COLUMNS: Columns = (("role", "Role"),)

COLLEAGUE_COLUMNS: Columns = (
    ("reference", "Reference"),
    ("colleague", "Colleague"),
    ("relationship", "Relationship"),
    ("declared_at", "Declared"),
    ("declared_by", "Declared by"),
    ("ended_at", "Ended"),
    ("ended_by", "Ended by"),
)

ALERT_COLUMNS: Columns = (
    ("reference", "Reference"),
    ("about", "About"),
    ("owner", "Needs the attention of"),
    ("urgent", "Child protection"),
    ("status", "Status"),
    ("raised_at", "Raised"),
    ("acknowledge_by", "To be acknowledged by"),
    ("acknowledged_at", "Acknowledged"),
    ("acknowledged_by", "Acknowledged by"),
    ("escalated_to", "Escalated to"),
    ("escalated_at", "Escalated"),
    ("closed_at", "Closed"),
    ("closed_by", "Closed by"),
    ("outcome", "Outcome"),
    ("rationale", "Rationale"),
)

ALERT_ENTRY_COLUMNS: Columns = (
    ("alert", "Alert"),
    ("when", "When"),
    ("by", "By"),
    ("kind", "What"),
    ("text", "Entry"),
)

CASE_ACTION_COLUMNS: Columns = (
    ("alert", "Case"),
    ("description", "What is to be done"),
    ("assigned_to", "Who does it"),
    ("due_on", "By when"),
    ("created_by", "Added by"),
    ("created_at", "Added"),
    ("done_at", "Done"),
    ("done_by", "Done by"),
    ("reminded_at", "Reminded (overdue)"),
)

CASE_REFERRAL_COLUMNS: Columns = (
    ("alert", "Case"),
    ("agency", "Referred to"),
    ("referred_on", "Date of the referral"),
    ("reference", "Their reference"),
    ("contact", "Who was spoken to"),
    ("response", "Their response"),
    ("created_by", "Recorded by"),
    ("created_at", "Recorded"),
)

INVITATION_COLUMNS: Columns = (
    ("reference", "Reference"),
    ("sent_to", "Sent to"),
    ("sent_by", "Sent by"),
    ("sent_at", "Sent"),
    ("expires_at", "Link expires"),
    ("accepted_at", "Accepted"),
    ("revoked_at", "Withdrawn"),
)

RELATIVE_COLUMNS: Columns = (
    ("reference", "Reference"),
    ("pupil_reference", "Pupil (reference)"),
    ("pupil", "Pupil"),
    ("relationship", "Relationship"),
    ("recorded_at", "Recorded"),
    ("declared_by", "Declared by"),
    ("acknowledged_by", "Acknowledged by"),
    ("acknowledged_at", "Acknowledged"),
    ("contact", "What contact it involves"),
    ("covers", "Contact it covers"),
    ("conditions", "Conditions"),
    ("review_due", "Next review"),
    ("ended_at", "Ended"),
    ("ended_by", "Ended by"),
    ("end_reason", "Why it ended"),
)

DECISION_COLUMNS: Columns = (
    ("reference", "Request"),
    ("requester", "Requested by"),
    ("pupils", "Pupils named"),
    ("status", "Status now"),
    ("decided_as", "Decided as"),
    ("decided_at", "Decided"),
    ("decision_reason", "Reason for the decision"),
    ("conditions", "Conditions"),
)

LEGAL_HOLD_COLUMNS: Columns = (
    ("reference", "Reference"),
    ("reason", "Why the records are kept"),
    ("placed_by", "Placed by"),
    ("placed_at", "Placed"),
    ("lifted_by", "Lifted by"),
    ("lifted_at", "Lifted"),
    ("lift_reason", "Why it was lifted"),
)

ACKNOWLEDGEMENT_COLUMNS: Columns = (
    ("policy", "Policy"),
    ("version", "Version"),
    ("acknowledged_at", "Read and acknowledged"),
)


# --- Where each stored field goes -------------------------------------------------------------


@dataclass(frozen=True)
class ExportTable:
    """One table of an export (a CSV file, a key of data.json, a section of the summary): its
    columns, the model its rows come from, and what became of each stored field of that model."""

    name: str
    model: type[models.Model]
    columns: Columns
    # Stored field (or many-to-many) -> the column that holds it.
    exported: Mapping[str, str]
    # Stored field -> why it is not exported.
    left_out: Mapping[str, str] = field(default_factory=dict)
    # Why the table holds only some of the model's fields, when it does by design; the fields it
    # names neither way are placed by another table of the same model.
    partial: str = ""


@dataclass(frozen=True)
class OwnRow:
    """The person's own row: every stored field but those left out, under its own name, then a
    few worked-out columns (`extra`). A field added to the model is exported with no change."""

    name: str
    model: type[Pupil] | type[Staff]
    left_out: Mapping[str, str]
    extra: Columns
    partial: str = ""

    def fields(self) -> list[models.Field]:
        return [f for f in self.model._meta.concrete_fields if f.name not in self.left_out]

    @property
    def exported(self) -> dict[str, str]:
        return {f.name: f.name for f in self.fields()}

    @property
    def columns(self) -> Columns:
        stored = tuple((f.name, capfirst(str(f.verbose_name))) for f in self.fields())
        return (("reference", "Reference"), *stored, *self.extra)


SUBJECT = "the person this export is about"
REFERENCE = "given as the reference"
SCHOOL = "the school, named at the top of the export"
INTERNAL_ID = "an internal number, never shown in the app"
ORDER_ONLY = "an internal number; the entries are listed in its order"


PUPIL_ROW = OwnRow(
    "pupil",
    Pupil,
    left_out={"id": REFERENCE, "school": SCHOOL},
    extra=(("status", "On roll or left"),),
)
STAFF_ROW = OwnRow(
    "staff",
    Staff,
    left_out={"id": REFERENCE, "school": SCHOOL, "password": "a secret (the password's hash)"},
    # Whether it is on, never the secrets or recovery codes behind it.
    extra=(("two_factor_enabled", "Two-factor sign-in set up"),),
)
PARENTS = ExportTable(
    "parents_carers",
    ParentCarer,
    PARENT_COLUMNS,
    exported={
        "id": "reference",
        "first_name": "first_name",
        "last_name": "last_name",
        "relationship": "relationship",
        "email": "email",
        "phone": "phone",
    },
    left_out={
        "school": SCHOOL,
        "children": "the pupil this export is about; their other children are other pupils",
    },
)
STAFF_RELATIVES = ExportTable(
    "staff_relatives",
    StaffRelative,
    STAFF_RELATIVE_COLUMNS,
    exported={
        "id": "reference",
        "staff": "staff",
        "relationship": "relationship",
        "created_at": "recorded_at",
        "declared_by": "declared_by",
        "acknowledged_by": "acknowledged_by",
        "acknowledged_at": "acknowledged_at",
        "contact": "contact",
        "contact_kinds": "covers",
        "conditions": "conditions",
        "review_due": "review_due",
        "ended_at": "ended_at",
        "ended_by": "ended_by",
        "end_reason": "end_reason",
    },
    left_out={
        "pupil": SUBJECT,
        "review_reminded_on": "the date a review reminder went out: the app's housekeeping",
    },
)
RELATIVES = ExportTable(
    "relatives",
    StaffRelative,
    RELATIVE_COLUMNS,
    exported={
        "id": "reference",
        "pupil": "pupil",
        "relationship": "relationship",
        "created_at": "recorded_at",
        "declared_by": "declared_by",
        "acknowledged_by": "acknowledged_by",
        "acknowledged_at": "acknowledged_at",
        "contact": "contact",
        "contact_kinds": "covers",
        "conditions": "conditions",
        "review_due": "review_due",
        "ended_at": "ended_at",
        "ended_by": "ended_by",
        "end_reason": "end_reason",
    },
    left_out={
        "staff": SUBJECT,
        "review_reminded_on": "the date a review reminder went out: the app's housekeeping",
    },
)
ROLES = ExportTable(
    "roles",
    StaffRole,
    ROLE_COLUMNS,
    exported={"role": "role"},
    left_out={"id": INTERNAL_ID, "staff": SUBJECT},
)
COLLEAGUES = ExportTable(
    "colleague_relationships",
    ColleagueRelationship,
    COLLEAGUE_COLUMNS,
    exported={
        "id": "reference",
        # One of the two is the person the export is about; the other is the colleague.
        "first": "colleague",
        "second": "colleague",
        "kind": "relationship",
        "created_at": "declared_at",
        "declared_by": "declared_by",
        "ended_at": "ended_at",
        "ended_by": "ended_by",
    },
)
ALERTS = ExportTable(
    "needs_attention",
    Alert,
    ALERT_COLUMNS,
    exported={
        "id": "reference",
        "disclosure": "about",
        "record": "about",
        "request": "about",
        "owner": "owner",
        "urgent": "urgent",
        "status": "status",
        "raised_at": "raised_at",
        "acknowledge_by": "acknowledge_by",
        "acknowledged_at": "acknowledged_at",
        "acknowledged_by": "acknowledged_by",
        "escalation_level": "escalated_to",
        "escalated_at": "escalated_at",
        "closed_at": "closed_at",
        "closed_by": "closed_by",
        "outcome": "outcome",
        "rationale": "rationale",
    },
    left_out={
        "school": SCHOOL,
        "concern": "a boundary concern's alert is about a member of staff: in the concern's "
        "own table where the concern is linked to the pupil",
    },
)
ALERT_ENTRIES = ExportTable(
    "needs_attention_chronology",
    AlertEntry,
    ALERT_ENTRY_COLUMNS,
    exported={
        "alert": "alert",
        "created_at": "when",
        "author": "by",
        "kind": "kind",
        "text": "text",
    },
    left_out={"id": ORDER_ONLY},
)
# A case action is exported whole, in the pupil's export and in the export of the member of
# staff it was given to.
_CASE_ACTION_FIELDS = {
    name: name
    for name in (
        "alert",
        "description",
        "assigned_to",
        "due_on",
        "created_by",
        "created_at",
        "done_at",
        "done_by",
        "reminded_at",
    )
}
CASE_ACTIONS = ExportTable(
    "case_actions",
    CaseAction,
    CASE_ACTION_COLUMNS,
    exported=_CASE_ACTION_FIELDS,
    left_out={"id": ORDER_ONLY},
)
CASE_REFERRALS = ExportTable(
    "case_referrals",
    CaseReferral,
    CASE_REFERRAL_COLUMNS,
    exported={
        "alert": "alert",
        "agency": "agency",
        "agency_other": "agency",
        "referred_on": "referred_on",
        "reference": "reference",
        "contact": "contact",
        "response": "response",
        "created_by": "created_by",
        "created_at": "created_at",
    },
    left_out={"id": ORDER_ONLY},
)
ACTIONS_ASSIGNED = ExportTable(
    "case_actions_assigned",
    CaseAction,
    CASE_ACTION_COLUMNS,
    exported=_CASE_ACTION_FIELDS,
    left_out={"id": ORDER_ONLY},
)
INVITATIONS = ExportTable(
    "invitations",
    Invitation,
    INVITATION_COLUMNS,
    exported={
        "id": "reference",
        "sent_to": "sent_to",
        "sent_by": "sent_by",
        "created_at": "sent_at",
        "expires_at": "expires_at",
        "accepted_at": "accepted_at",
        "revoked_at": "revoked_at",
    },
    left_out={
        "staff": SUBJECT,
        "token_hash": "a secret (a hash of the link's token), about nobody",
    },
)
REQUESTS = ExportTable(
    "requests",
    ContactRequest,
    REQUEST_COLUMNS,
    exported={
        "id": "reference",
        "requester": "requester",
        "pupils": "pupils",
        **{
            name: name
            for name in (
                "status",
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
                "plan_ended_at",
                "sessions_logged",
                "verdict",
                "route",
                "actions",
                "findings",
                "restricted",
                "referred_to_chair",
                "submitted_at",
                "decided_by",
                "decided_as",
                "decided_at",
                "decision_reason",
                "conditions",
                "outcome",
                "outcome_concerns",
                "completed_at",
                "reviewed_by",
                "reviewed_at",
                "created_at",
                "updated_at",
            )
        },
    },
    left_out={
        "school": SCHOOL,
        "reminded_at": "when the reminder to record the outcome was sent: the reminder itself "
        "is in the notifications",
        "version": "a counter that stops two people changing the request at once",
        "submission_key": "a one-time key of the form that sent it, about nobody",
    },
)
DECISIONS = ExportTable(
    "decisions",
    ContactRequest,
    DECISION_COLUMNS,
    exported={
        "id": "reference",
        "requester": "requester",
        "pupils": "pupils",
        "status": "status",
        "decided_as": "decided_as",
        "decided_at": "decided_at",
        "decision_reason": "decision_reason",
        "conditions": "conditions",
    },
    left_out={"decided_by": SUBJECT},
    partial="a request someone else made: only the decision is about the person who decided",
)
PLAN_SESSIONS = ExportTable(
    "plan_sessions",
    PlanSession,
    SESSION_COLUMNS,
    exported={
        name: name
        for name in (
            "request",
            "number",
            "held_on",
            "what_happened",
            "concerns",
            "logged_by",
            "logged_at",
        )
    },
    left_out={"id": ORDER_ONLY},
)
PLAN_REVIEWS = ExportTable(
    "plan_reviews",
    PlanReview,
    PLAN_REVIEW_COLUMNS,
    exported={
        "created_at": "recorded_at",
        **{
            name: name
            for name in (
                "request",
                "reviewed_on",
                "reviewed_by",
                "reviewed_as",
                "decision",
                "note",
                "changes",
                "due_on",
                "next_review_date",
            )
        },
    },
    left_out={"id": ORDER_ONLY},
)
REQUEST_NOTES = ExportTable(
    "request_notes",
    RequestNote,
    NOTE_COLUMNS,
    exported={
        "request": "request",
        "kind": "kind",
        "author": "author",
        "text": "text",
        "created_at": "written_at",
    },
    left_out={"id": ORDER_ONLY},
)
RECORDS = ExportTable(
    "records",
    ContactRecord,
    RECORD_COLUMNS,
    exported={
        "id": "reference",
        "author": "author",
        "pupils": "pupils",
        "attachment": "attachment_file",
        "attachment_name": "attachment_name",
        **{
            name: name
            for name in (
                "record_type",
                "with_family_only",
                "kind",
                "purpose",
                "school_channel",
                "direction",
                "occurred_at",
                "place",
                "details",
                "reply",
                "signposting",
                "arranged",
                "planned_verdict",
                "verdict",
                "route",
                "actions",
                "findings",
                "restricted",
                "created_at",
            )
        },
    },
    left_out={
        "school": SCHOOL,
        "attachment_type": "the file's type, given with the file in data.json's attachments",
    },
)
ADDENDA = ExportTable(
    "addenda",
    Addendum,
    ADDENDUM_COLUMNS,
    exported={
        "record": "to",
        "disclosure": "to",
        "author": "author",
        "text": "text",
        "created_at": "written_at",
    },
    left_out={"id": ORDER_ONLY},
)
DISCLOSURES = ExportTable(
    "disclosures",
    Disclosure,
    DISCLOSURE_COLUMNS,
    exported={
        "id": "reference",
        "author": "author",
        **{
            name: name
            for name in (
                "disclosure_type",
                "disclosed_at",
                "disclosed_by",
                "account",
                "circumstances",
                "action_taken",
                "created_at",
            )
        },
    },
    left_out={
        "school": SCHOOL,
        "pupil": SUBJECT,
        "retention_flagged_at": "retention bookkeeping: a review that followed is in the "
        "addenda and the audit trail",
        "retention_review_on": "retention bookkeeping: a review that followed is in the "
        "addenda and the audit trail",
    },
)
DISCLOSURES_RECORDED = ExportTable(
    "disclosures_recorded",
    Disclosure,
    DISCLOSURE_LIST_COLUMNS,
    exported={
        "id": "reference",
        "pupil": "pupil",
        "disclosure_type": "disclosure_type",
        "disclosed_at": "disclosed_at",
        "created_at": "created_at",
    },
    left_out={"author": SUBJECT},
    partial="what was said is about the pupil, not about the member of staff who wrote it down",
)
_CONCERN_FIELDS = {
    "id": "reference",
    "subject": "about",
    "reporter": "raised_by",
    **{
        name: name
        for name in (
            "confidential",
            "harm_to_pupils",
            "told_line_manager",
            "whistleblowing",
            "route",
            "occurred_on",
            "description",
            "related_record",
            "related_request",
            "response",
            "outcome",
            "closed_by",
            "closed_at",
            "created_at",
        )
    },
}
CONCERNS = ExportTable(
    "boundary_concerns",
    BoundaryConcern,
    CONCERN_COLUMNS,
    exported=_CONCERN_FIELDS,
    left_out={"school": SCHOOL},
)
STAFF_CONCERNS = ExportTable(
    "boundary_concerns",
    BoundaryConcern,
    STAFF_CONCERN_COLUMNS,
    exported=_CONCERN_FIELDS,
    left_out={"school": SCHOOL},
)
LADO_REFERRALS = ExportTable(
    "lado_referrals",
    LadoReferral,
    LADO_COLUMNS,
    exported={
        "id": "reference",
        "subject": "about",
        **{
            name: name
            for name in (
                "referral_type",
                "concern",
                "related_request",
                "contacted_at",
                "spoke_to",
                "advice",
                "outcome",
                "outcome_on",
                "recorded_by",
                "created_at",
            )
        },
    },
    left_out={"school": SCHOOL},
)
ACKNOWLEDGEMENTS = ExportTable(
    "policy_acknowledgements",
    Acknowledgement,
    ACKNOWLEDGEMENT_COLUMNS,
    exported={"version": "version", "acknowledged_at": "acknowledged_at"},
    left_out={"id": ORDER_ONLY, "staff": SUBJECT},
)
NOTIFICATIONS = ExportTable(
    "notifications",
    Notification,
    NOTIFICATION_COLUMNS,
    exported={
        "recipient": "recipient",
        "message": "message",
        "url": "link",
        "created_at": "sent_at",
        "read_at": "read_at",
    },
    left_out={"id": ORDER_ONLY},
)
LEGAL_HOLDS = ExportTable(
    "legal_holds",
    LegalHold,
    LEGAL_HOLD_COLUMNS,
    exported={
        "id": "reference",
        "reason": "reason",
        "placed_by": "placed_by",
        "placed_at": "placed_at",
        "lifted_by": "lifted_by",
        "lifted_at": "lifted_at",
        "lift_reason": "lift_reason",
    },
    left_out={
        "school": SCHOOL,
        "pupil": "the person the hold is on: " + SUBJECT,
        "staff": "the person the hold is on: " + SUBJECT,
    },
)
AUDIT_EVENTS = ExportTable(
    "audit_events",
    AuditEvent,
    AUDIT_COLUMNS,
    exported={
        "created_at": "when",
        "actor": "actor",
        "actor_role": "actor_role",
        "action": "action",
        "object_ref": "object_reference",
        "from_state": "from_state",
        "to_state": "to_state",
        "reason": "reason",
    },
    left_out={
        "id": ORDER_ONLY,
        "school": SCHOOL,
        "object_type": "which entry the event is about, given as its reference (To what)",
        "object_id": "which entry the event is about, given as its reference (To what)",
        "prev_hash": "the audit trail's tamper check: a checksum, about nobody",
        "hash": "the audit trail's tamper check: a checksum, about nobody",
    },
)

# The tables of each export, in the order they are written.
PUPIL_TABLES: tuple[ExportTable | OwnRow, ...] = (
    PUPIL_ROW,
    PARENTS,
    STAFF_RELATIVES,
    REQUESTS,
    REQUEST_NOTES,
    PLAN_SESSIONS,
    PLAN_REVIEWS,
    RECORDS,
    DISCLOSURES,
    ADDENDA,
    ALERTS,
    ALERT_ENTRIES,
    CASE_ACTIONS,
    CASE_REFERRALS,
    CONCERNS,
    LADO_REFERRALS,
    NOTIFICATIONS,
    LEGAL_HOLDS,
    AUDIT_EVENTS,
)
STAFF_TABLES: tuple[ExportTable | OwnRow, ...] = (
    STAFF_ROW,
    ROLES,
    INVITATIONS,
    RELATIVES,
    COLLEAGUES,
    REQUESTS,
    REQUEST_NOTES,
    PLAN_SESSIONS,
    PLAN_REVIEWS,
    DECISIONS,
    RECORDS,
    ADDENDA,
    DISCLOSURES_RECORDED,
    ACTIONS_ASSIGNED,
    STAFF_CONCERNS,
    LADO_REFERRALS,
    ACKNOWLEDGEMENTS,
    NOTIFICATIONS,
    LEGAL_HOLDS,
    AUDIT_EVENTS,
)

# Models that point at a pupil or a member of staff and are in neither export, and why.
NOT_EXPORTED: dict[type[models.Model], str] = {
    TOTPDevice: "the two-factor secret: the staff row says only whether two-factor sign-in is "
    "set up",
    StaticDevice: "the recovery codes, secrets: the staff row says only whether two-factor "
    "sign-in is set up",
    HeadAbsence: "the dates a headteacher is away, about the headteacher, whose own file is "
    "never exported here; who recorded them is in the audit trail",
    PolicyVersion: "a version of a school policy, the school's document; who added it is in "
    "the audit trail",
    PolicySignature: "a signature adopting a version of a school policy, given in a governance "
    "role on the school's document; each signature is in the audit trail (policy version "
    "signed), which the export holds",
    AuditCheck: "a check that the audit trail is intact: when it ran, who ran it and what it "
    "found are about the trail, not about the person",
    EmailAddress: "django-allauth's table of addresses, which single sign-on leaves empty: the "
    "staff row holds the one address",
    SocialAccount: "django-allauth's table of linked provider accounts, which single sign-on "
    "leaves empty (safeguard.accounts.adapters); each sign-in is in the audit trail",
}
