"""The engine's vocabulary: kinds of contact, purposes, exemptions, verdicts, approvers,
actions and the sources cited, each with the words the pages show for it.
"""

from __future__ import annotations

from typing import Literal, get_args

Kind = Literal[
    "meeting",
    "social_event",
    "activity",
    "transport",
    "phone_call",
    "text_message",
    "email",
    "letter",
    "social_media",
    "personal_details",
    "photography",
    "gift",
    "relationship",
]
Purpose = Literal["work", "personal"]
PupilStatus = Literal["current", "former", "none"]
Exemption = Literal[
    "sport", "organised_social", "volunteering", "scouts", "own_family", "family_invitation"
]
# Ordered strictest first: the merge in assess() relies on this order.
Verdict = Literal["prohibited", "needs_approval", "record"]
Approver = Literal["headteacher", "chair_of_governors"]
Action = Literal[
    "record_on_staff_file",
    "record_on_pupil_file",
    "notify_line_manager",
    "copy_headteacher",
    "report_to_head_immediately",
    "parental_consent",
    "plan_of_involvement",
    "consider_lado",
    "consult_lado",
    "restricted_liaison_log",
    "use_school_channel",
]
Source = Literal["000", "001", "002", "003", "004"]

KINDS: tuple[Kind, ...] = get_args(Kind)
PURPOSES: tuple[Purpose, ...] = get_args(Purpose)
PUPIL_STATUSES: tuple[PupilStatus, ...] = get_args(PupilStatus)
EXEMPTIONS: tuple[Exemption, ...] = get_args(Exemption)
VERDICTS: tuple[Verdict, ...] = get_args(Verdict)
APPROVERS: tuple[Approver, ...] = get_args(Approver)
ACTIONS: tuple[Action, ...] = get_args(Action)

PROHIBITED: Verdict = "prohibited"
NEEDS_APPROVAL: Verdict = "needs_approval"
RECORD: Verdict = "record"

# Kinds of face-to-face contact that the personal and work contact rules (3, 4, 12) cover.
PERSONAL_CONTACT_KINDS: tuple[Kind, ...] = ("meeting", "social_event", "activity", "transport")
WORK_CONTACT_KINDS: tuple[Kind, ...] = ("meeting", "social_event", "activity")
MESSAGE_KINDS: tuple[Kind, ...] = ("phone_call", "text_message", "email")

KIND_LABELS: dict[str, str] = {
    "meeting": "A meeting in person",
    "social_event": "A social event or party",
    "activity": "An activity, such as a club, match or outing",
    "transport": "A lift in your vehicle",
    "phone_call": "A phone call",
    "text_message": "A text or instant message",
    "email": "An email",
    "letter": "A letter or card",
    "social_media": "Contact on social media (friending, following or messaging)",
    "personal_details": "Giving your personal phone number, address or email",
    "photography": "Taking photos or video",
    "gift": "A gift",
    "relationship": "A close personal or romantic relationship",
}
PURPOSE_LABELS: dict[str, str] = {
    "work": "Work: part of your job",
    "personal": "Personal: not part of your job",
}
PUPIL_STATUS_LABELS: dict[str, str] = {
    "current": "A current pupil",
    "former": "A former pupil",
    "none": "A parent or family member only (no pupil involved)",
}
EXEMPTION_LABELS: dict[str, str] = {
    "sport": "Sport, such as a club or match you both take part in",
    "organised_social": "An organised social event, such as a community event",
    "volunteering": "Volunteering you both do",
    "scouts": "Scouts, Guides or a similar youth organisation",
    "own_family": "The pupil is a member of your own family",
    "family_invitation": "A family event the pupil's family personally invited you to",
}
VERDICT_LABELS: dict[str, str] = {
    "prohibited": "Not allowed",
    "needs_approval": "Needs approval first",
    "record": "Allowed, but it must be recorded",
}
APPROVER_LABELS: dict[str, str] = {
    "headteacher": "The headteacher",
    "chair_of_governors": "The chair of governors",
}
ACTION_LABELS: dict[str, str] = {
    "record_on_staff_file": "Record it on your staff file",
    "record_on_pupil_file": "Record it on the pupil's file",
    "notify_line_manager": "Tell your line manager",
    "copy_headteacher": "Copy the headteacher into the email",
    "report_to_head_immediately": "Report it to the headteacher straight away",
    "parental_consent": "Get the agreement of the pupil's parents or carers first",
    "plan_of_involvement": "Agree a written plan of involvement, with aims and timescales",
    "consider_lado": "Consider consulting the LADO (local authority designated officer)",
    "consult_lado": "The headteacher asks the LADO (local authority designated officer) for "
    "advice before deciding",
    "restricted_liaison_log": "Log it on the restricted parent liaison form in the school office",
    "use_school_channel": "Use the school's own email, phone or equipment instead",
}

SOURCES: dict[str, str] = {
    "000": "The Pilgrim School: contact between staff and pupils outside the work context",
    "001": "Ashton Hayes Primary School: professional relations policy",
    "002": "The Clare School: home/school liaison policy",
    "003": "Seadown School: professional relationship boundaries (OP06)",
    "004": "Northumberland circular G10/11 with the safer working practice guidance",
}


def cite(source: str, section: str) -> str:
    # Numbered sections already carry "§"; named headings get one so citations read alike.
    return f"{source} {section}" if section.startswith("§") else f"{source} §{section}"
