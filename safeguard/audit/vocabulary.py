"""Every action the audit trail can record, with the words people read for it.

One declaration, in the manner of Zulip's AuditLogEventType: an event's `action` is one of the
codes below, and `audit_record` refuses any other, so a new kind of event cannot be written
before it has words. The audit trail page, its filter and its CSV, and a subject-access export,
show the words, never the code. tests/test_audit_vocabulary.py walks the product's source for
every code it writes and checks the two agree both ways.

Codes are stored in every event and covered by its hash: a code, once written, is never renamed
or removed from here, only given better words.
"""

from typing import Literal, get_args

# Somebody opened an object's page (`audit_view`).
VIEW = "view"
# Somebody took a copy out of Safeguard (`audit_download`).
ATTACHMENT_DOWNLOAD = "attachment.download"
REPORT_EXPORT = "report.export"
AUDIT_EXPORT = "audit.export"
SUBJECT_ACCESS_EXPORT = "subject_access.export"
# The events that say who has seen an object, listed in its "Who has seen this" panel.
SEEN = (VIEW, ATTACHMENT_DOWNLOAD, SUBJECT_ACCESS_EXPORT)
# The events that change nothing a page shows: reading and copying out. Signing in and out
# ("account.*") neither. Every other event is a change (`last_change`).
READS = (*SEEN, REPORT_EXPORT, AUDIT_EXPORT)
ACCOUNT_PREFIX = "account."

# The steps of a contact request's life, each written as "request.<step>" (`request_action`).
RequestStep = Literal[
    "create",
    "edit",
    "submit",
    "approve",
    "reject",
    "ask",
    "refer",
    "withdraw",
    "complete",
    "cancel",
    "note",
    "review",
    "remind",
    "session",
    "plan_review",
]
# The kinds of call to the LADO, each written as "lado.<kind>" (`lado_action`); the same as
# the values of LadoType (tests/test_audit_vocabulary.py checks).
LadoKind = Literal["consultation", "referral"]

ACTIONS: dict[str, str] = {
    VIEW: "Viewed",
    # Planned contact
    "request.create": "Request drafted",
    "request.edit": "Request changed",
    "request.submit": "Request submitted",
    "request.approve": "Request approved",
    "request.reject": "Request rejected",
    "request.ask": "More information asked for",
    "request.refer": "Request referred to the chair of governors",
    "request.withdraw": "Request withdrawn",
    "request.complete": "Contact completed",
    "request.cancel": "Request cancelled",
    "request.note": "Note added to a request",
    "request.review": "Request reviewed by the line manager",
    "request.remind": "Reminder sent about a waiting request",
    "request.session": "Session logged under a plan of involvement",
    "request.plan_review": "Plan of involvement reviewed",
    "absence.record": "Headteacher's absence recorded",
    "absence.end": "Headteacher's absence ended",
    # Records of contact and disclosures
    "record.create": "Record made",
    "record.addendum": "Addendum added to a record",
    "disclosure.create": "Disclosure recorded",
    "disclosure.addendum": "Addendum added to a disclosure",
    # Concerns about staff
    "concern.raise": "Boundary concern raised",
    "concern.respond": "Response to a boundary concern recorded",
    "concern.close": "Boundary concern closed",
    "lado.consultation": "LADO consulted",
    "lado.referral": "LADO referral made",
    "lado.outcome": "LADO outcome recorded",
    # People and the school
    "staff.create": "Member of staff added",
    "staff.update": "Member of staff changed",
    "staff.import": "Member of staff imported",
    "staff.activate": "Member of staff reactivated",
    "staff.deactivate": "Member of staff deactivated",
    "staff.leaving_date_held": "Leaving date not acted on: set by someone who may no longer",
    "staff.roles_change": "Safeguarding roles changed",
    "staff.line_manager_change": "Line manager changed",
    "pupil.create": "Pupil added",
    "pupil.update": "Pupil changed",
    "pupil.import": "Pupil imported",
    "parent.create": "Parent or carer added",
    "relative.add": "Relationship with a pupil declared",
    "relative.acknowledge": "Declared relationship acknowledged",
    "relative.decline": "Declared relationship declined",
    "relative.review": "Declared relationship reviewed",
    "relative.end": "Declared relationship ended",
    "relative.remind": "Declared relationship due for review",
    "colleague.declare": "Relationship between colleagues declared",
    "colleague.end": "Relationship between colleagues ended",
    "school.create": "School set up",
    "school.update": "School settings changed",
    "school.sign_in_methods_change": "Sign-in methods changed",
    # Needs attention: alerts and the DSL's cases
    "alert.raise": "Needs attention: raised",
    "alert.acknowledge": "Needs attention: acknowledged",
    "alert.note": "Needs attention: note added",
    "alert.close": "Needs attention: closed",
    "alert.reopen": "Needs attention: reopened",
    "alert.escalate": "Needs attention: escalated, not acknowledged in time",
    "case.action_add": "Case action added",
    "case.action_done": "Case action done",
    "case.referral_add": "Case referral recorded",
    "case.referral_response": "Case referral response recorded",
    # Signing in
    "account.sign_in": "Signed in",
    "account.sign_in_failed": "Sign-in refused",
    "account.sign_out": "Signed out",
    "account.password_reset_request": "Password reset asked for",
    "account.password_reset": "Password reset",
    "invitation.send": "Invitation to sign in sent",
    "invitation.revoke": "Invitation withdrawn",
    "invitation.accept": "Invitation accepted, password chosen",
    "account.sso_refused": "Single sign-on refused",
    "account.sso_reconfirm": "Sign-in confirmed again with the identity provider",
    "two_factor.enable": "Two-factor sign-in set up",
    "two_factor.recovery_code_used": "Signed in with a recovery code",
    "two_factor.recovery_codes_regenerate": "New recovery codes issued",
    "two_factor.reset": "Two-factor sign-in reset",
    # Policies
    "policy.create": "Policy written",
    "policy.update": "Policy changed",
    "policy.version_add": "New policy version",
    "policy.sign": "Policy version signed",
    "policy.adopt": "Policy version adopted",
    "policy.acknowledge": "Policy read and acknowledged",
    # Keeping and releasing information
    "retention.run": "Retention schedule applied",
    "retention.delete": "Deleted under the retention schedule",
    "retention.flag": "Disclosure due for a retention review",
    "retention.review": "Disclosure kept after a retention review",
    "hold.place": "Legal hold placed",
    "hold.lift": "Legal hold lifted",
    "subject_access.export": "Subject-access export made",
    # Copies taken out of Safeguard
    ATTACHMENT_DOWNLOAD: "Attachment downloaded",
    REPORT_EXPORT: "Governors' report exported",
    AUDIT_EXPORT: "Audit trail exported",
    # The benchmark school (seed_bench) on a test installation
    "bench.replace": "Benchmark data replaced",
}

# The states an event names (`from_state`, `to_state`). A contact request's are its Status
# values (tests/test_audit_vocabulary.py keeps the two the same).
STATES: dict[str, str] = {
    "draft": "Draft",
    "submitted": "Waiting for a decision",
    "more_information": "More information asked for",
    "approved": "Approved",
    "rejected": "Rejected",
    "withdrawn": "Withdrawn",
    "completed": "Completed",
    "cancelled": "Cancelled",
    "open": "Open",
    "closed": "Closed",
    "active": "Active",
    "inactive": "Inactive",
    "lifted": "Lifted",
    "review due": "Review due",
    "kept": "Kept",
    "deleted": "Deleted",
}


def _plain(code: str) -> str:
    # Only for an event written before its code was declared: never shown as a raw code.
    return code.replace(".", " ").replace("_", " ").strip().capitalize()


# Codes no longer written, kept so that older trails still read in words.
RETIRED_ACTIONS: dict[str, str] = {
    # Before a declaration was kept, ended, on both files (relative.end).
    "relative.remove": "Staff relative removed",
}


def action_words(code: str) -> str:
    """An action as people say it ("request.approve" is "Request approved")."""
    return ACTIONS.get(code) or RETIRED_ACTIONS.get(code) or _plain(code)


def state_words(code: str) -> str:
    """A state as people say it ("submitted" is "Waiting for a decision")."""
    return STATES.get(code) or _plain(code)


def known_action(code: str) -> str:
    """The code itself, or ValueError if the vocabulary does not declare it."""
    if code not in ACTIONS:
        raise ValueError(
            f"Unknown audit action {code!r}: declare it, with its words, in "
            "safeguard/audit/vocabulary.py"
        )
    return code


def request_action(step: RequestStep) -> str:
    """The code of a step in a contact request's life ("approve" is "request.approve")."""
    return known_action(f"request.{step}")


def lado_action(kind: LadoKind) -> str:
    """The code of a call to the LADO ("consultation" is "lado.consultation")."""
    return known_action(f"lado.{kind}")


REQUEST_STEPS: tuple[str, ...] = get_args(RequestStep)
LADO_KINDS: tuple[str, ...] = get_args(LadoKind)
