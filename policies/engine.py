"""Safeguard rules engine: decides what a member of staff must do about a contact.

Pure Python on purpose (no Django, no database, no I/O) so the rules can be read, tested and
cited on their own. The forms and pages use the constants and label dicts below as the app's
public vocabulary; ``assess()`` is the only entry point that applies the rules.

Every rule paraphrases one of five seed policies (see ``SOURCES``); the wording of each clause
lives in ``CLAUSES`` and is cited by document number and section, never quoted.
docs/policy-rules.md explains each rule and every judgement call made where the policies are
silent.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal, get_args

# --- Vocabulary -----------------------------------------------------------------------------

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


def _cite(source: str, section: str) -> str:
    # Numbered sections already carry "§"; named headings get one so citations read alike.
    return f"{source} {section}" if section.startswith("§") else f"{source} §{section}"


# --- Clause catalogue -----------------------------------------------------------------------


@dataclass(frozen=True)
class Clause:
    """One citable rule: a stable id, where it comes from and a one-sentence paraphrase."""

    id: str
    source: Source
    section: str
    text: str

    @property
    def citation(self) -> str:
        return _cite(self.source, self.section)


def _catalogue(*clauses: Clause) -> dict[str, Clause]:
    return {clause.id: clause for clause in clauses}


CLAUSES: dict[str, Clause] = _catalogue(
    # Rule 1: relationships.
    Clause(
        "relationship.current_or_child",
        "001",
        "§6",
        "Never start an intimate relationship with a pupil, or with a former pupil under 18; "
        "it abuses your position of trust and can be a criminal offence.",
    ),
    Clause(
        "relationship.breach_of_trust",
        "004",
        "§13",
        "Being intimate with a young person you work with is a serious betrayal of trust and will "
        "always lead to disciplinary action.",
    ),
    Clause(
        "relationship.vulnerable_window",
        "003",
        "§2",
        "A personal relationship with a vulnerable former pupil is not permitted in the "
        "restricted period after they leave.",
    ),
    Clause(
        "relationship.former_pupil",
        "000",
        "contact with former pupils",
        "A close relationship with an adult former pupil must be raised with the head, who may ask "
        "the LADO whether it calls your fitness to work with young people into question.",
    ),
    # Rule 2: social media.
    Clause(
        "social_media.current_or_child",
        "001",
        "§5.2",
        "Do not connect or chat with pupils of any age, or former pupils under 18, on social "
        "networks or chat services.",
    ),
    Clause(
        "social_media.vulnerable_window",
        "003",
        "§2",
        "Online social contact with a vulnerable pupil, or a vulnerable ex-pupil in the "
        "restricted period after leaving, is not permitted.",
    ),
    Clause(
        "social_media.former_adult",
        "000",
        "correspondence",
        "Online contact with an adult former pupil is not barred, but keep your profiles private "
        "and keep a note of the contact.",
    ),
    # Rule 3: planned personal contact, and the exemptions that relax it.
    Clause(
        "personal_contact.current_or_child",
        "000",
        "introduction",
        "Do not arrange personal contact outside work with pupils or school-age former pupils "
        "unless a recognised exemption applies.",
    ),
    Clause(
        "personal_contact.vulnerable_window",
        "003",
        "§2",
        "Social contact with a vulnerable pupil, or a vulnerable ex-pupil in the restricted period "
        "after leaving, is not permitted unless a parent or carer arranges the meeting.",
    ),
    Clause(
        "personal_contact.vulnerable_parent_organised",
        "003",
        "§2",
        "A specific meeting that a vulnerable pupil's parent or carer has arranged is the one "
        "exception to the bar on social contact, and it still needs approval.",
    ),
    Clause(
        "personal_contact.former_pupil",
        "000",
        "contact with former pupils",
        "Further personal contact with a former pupil needs the head's agreement and a written "
        "plan of involvement with expected outcomes and timescales.",
    ),
    Clause(
        "exemption.activity",
        "000",
        "introduction",
        "Contact through a shared interest such as sport, volunteering, scouts or an organised "
        "social event is an accepted exception to the no-personal-contact rule.",
    ),
    Clause(
        "exemption.family_invitation",
        "001",
        "§4.2",
        "A pupil's party or social occasion is only open to you when it is a family event and "
        "the family asked you personally.",
    ),
    Clause(
        "exemption.own_family",
        "000",
        "intended contact",
        "Contact that comes from your own family life, for example with your own children or "
        "relatives who are pupils, is normal and only needs a record.",
    ),
    Clause(
        "exemption.own_family_individual",
        "001",
        "§3",
        "For a pupil in your own family the head can agree an individual exemption, so ask "
        "first rather than assume this is allowed.",
    ),
    # Rule 4: planned work contact outside the usual setting.
    Clause(
        "work_contact.approval",
        "000",
        "intended contact",
        "Work contact with a pupil away from the usual work setting needs the head's agreement "
        "beforehand and a note of the reasons on your own and the pupil's records.",
    ),
    Clause(
        "work_contact.former_pupil",
        "000",
        "contact with former pupils",
        "If the head agrees to more contact with a former pupil, you and the head must settle a "
        "written plan stating its aims and timeline.",
    ),
    Clause(
        "work_contact.vulnerable_social",
        "003",
        "§2",
        "A social event with a vulnerable pupil or recent vulnerable ex-pupil is social contact "
        "even when it is for work, so only a parent or carer can arrange it.",
    ),
    # Rule 5: parents and families.
    Clause(
        "family.planned",
        "002",
        "external contact",
        "Tell the head before meeting or contacting a pupil's family outside school; if it goes "
        "ahead it is logged on the restricted liaison form.",
    ),
    Clause(
        "family.unplanned",
        "002",
        "external contact",
        "Any contact with a pupil's family outside school must be disclosed to the head and "
        "logged on the restricted liaison form.",
    ),
    Clause(
        "family.relationship",
        "001",
        "§7",
        "Be alert to conflicts of interest in personal relationships with pupils' parents or "
        "families and raise them with the head.",
    ),
    Clause(
        "family.relationship_vulnerable",
        "003",
        "§2",
        "A personal, non-professional relationship with the family of a vulnerable pupil is not "
        "permitted.",
    ),
    Clause(
        "family.social_media",
        "000",
        "correspondence",
        "Keep your social media profiles private and do not let pupils' families connect with you.",
    ),
    Clause(
        "family.personal_email",
        "004",
        "covering letter",
        "Do not send private messages to a pupil's parents by email or any other online route.",
    ),
    # Rule 6: lifts.
    Clause(
        "transport.planned_work",
        "001",
        "§6",
        "Lifts for pupils should be the exception, so a planned lift for work needs approval and a "
        "note on the pupil's file.",
    ),
    Clause(
        "transport.emergency",
        "001",
        "§6",
        "If you had to drive a pupil somewhere for their safety, tell the head and have it noted "
        "on the pupil's file promptly.",
    ),
    # Rule 7: personal details.
    Clause(
        "personal_details.planned",
        "000",
        "correspondence",
        "Only give a pupil your personal phone number, address or email if the head agrees there "
        "is a need.",
    ),
    Clause(
        "personal_details.parental_consent",
        "004",
        "§11",
        "Sharing personal contact details with a child also needs the agreement of their parents "
        "or carers.",
    ),
    Clause(
        "personal_details.already_given",
        "000",
        "correspondence",
        "If a pupil has your personal details, tell the head straight away, and report any "
        "further contact that follows.",
    ),
    # Rule 8: calls, texts, emails and letters.
    Clause(
        "messaging.school_email",
        "000",
        "correspondence",
        "When you email a pupil about work from your school account, copy in the head so there "
        "is a complete trail.",
    ),
    Clause(
        "messaging.school_call_text",
        "000",
        "correspondence",
        "Work calls or texts to a pupil on a school phone are fine but should be noted on the "
        "pupil's record.",
    ),
    Clause(
        "messaging.personal_channel",
        "001",
        "§5.2",
        "Do not text or email pupils from personal phones or accounts; such contact must go "
        "through school systems.",
    ),
    Clause(
        "messaging.personal_purpose",
        "004",
        "§11",
        "Contact children only for professional reasons; private messages to a child, by any "
        "route, are not acceptable.",
    ),
    Clause(
        "messaging.already_happened",
        "001",
        "§5.2",
        "If a text or personal message exchange with a pupil has taken place, record it on the "
        "pupil's file and tell the head.",
    ),
    Clause(
        "messaging.former_adult",
        "000",
        "contact with former pupils",
        "Discuss significant personal contact with an adult former pupil with the head and take "
        "their advice before it continues.",
    ),
    Clause(
        "letter.record",
        "000",
        "correspondence",
        "Show letters or cards exchanged with a pupil to your line manager and file them, with "
        "any reply, in the school's records.",
    ),
    # Rule 9: photography.
    Clause(
        "photography.planned",
        "003",
        "§5",
        "Photographing or filming pupils needs express permission in advance from the head or "
        "senior leaders.",
    ),
    Clause(
        "photography.personal_purpose",
        "003",
        "§5",
        "Photos or video of pupils are only permitted for a genuine work purpose, never for your "
        "own use.",
    ),
    Clause(
        "photography.personal_device",
        "004",
        "§11",
        "Use school-provided equipment, not your own phone or camera, when recording or "
        "contacting pupils.",
    ),
    Clause(
        "photography.unapproved",
        "003",
        "§5",
        "If pupils were photographed or filmed without permission given in advance, report it to "
        "the head straight away.",
    ),
    # Rule 10: gifts.
    Clause(
        "gift.record",
        "004",
        "§12",
        "Personal items such as presents or birthday cards exchanged with a pupil or family "
        "should be recorded and discussed with your line manager.",
    ),
    Clause(
        "gift.planned_protected",
        "003",
        "§2",
        "A personal gift singles one pupil out and can look like favouritism, so check with the "
        "head before giving one.",
    ),
    # Rule 11: who approves.
    Clause(
        "approval.headteacher",
        "000",
        "introduction",
        "The headteacher decides whether the contact can go ahead and advises when you are unsure.",
    ),
    Clause(
        "approval.chair_of_governors",
        "000",
        "introduction",
        "When the headteacher is the one asking, the chair of governors takes the head's place "
        "in giving advice and approval.",
    ),
    # Rule 12: unplanned contact.
    Clause(
        "unplanned.record",
        "000",
        "unplanned contact",
        "Chance encounters with pupils will happen; keep them brief, like a greeting in the "
        "street, and note them on your file.",
    ),
    # Consequences applied after the merge, and the safety net.
    Clause(
        "general.breach",
        "003",
        "§6",
        "A boundary has been crossed: tell the head now and make sure a written record is kept, "
        "which also protects you.",
    ),
    Clause(
        "general.keep_record",
        "003",
        "§6",
        "Keep a written record of the contact so it stays open and can be monitored.",
    ),
    Clause(
        "general.unmatched",
        "004",
        "§12",
        "This situation is not specifically covered, so agree planned contact with a senior "
        "colleague and report anything that has already happened.",
    ),
)


# --- Facts, settings, findings, assessment --------------------------------------------------


def _is_int(value: object) -> bool:
    # bool is a subclass of int, but True is not an age.
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    # Rejects NaN and infinity too: NaN compares False with everything and would quietly
    # fall outside the window.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value)


def _require_choice(name: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{name}: {value!r} is not one of {', '.join(allowed)}")


def _require_bool(name: str, value: object) -> None:
    if not isinstance(value, bool):
        raise ValueError(f"{name}: must be True or False, not {value!r}")


@dataclass(frozen=True)
class EngineSettings:
    """School-adjustable thresholds; the defaults follow the seed policies."""

    child_age: int = 18
    window_years: float = 3.0
    exemption_needs_approval: bool = True

    def __post_init__(self) -> None:
        if not _is_int(self.child_age) or self.child_age < 0:
            raise ValueError(
                f"child_age: must be a whole number of years >= 0, not {self.child_age!r}"
            )
        if not _is_number(self.window_years) or self.window_years < 0:
            raise ValueError(f"window_years: must be a number >= 0, not {self.window_years!r}")
        _require_bool("exemption_needs_approval", self.exemption_needs_approval)


@dataclass(frozen=True)
class ContactFacts:
    """What happened, or is planned, as the member of staff describes it."""

    kind: Kind
    purpose: Purpose
    pupil_status: PupilStatus
    pupil_age: int | None
    years_since_leaving: float | None = None
    vulnerable: bool = False
    exemption: Exemption | None = None
    parent_organised: bool = False
    requester_is_head: bool = False
    planned: bool = False
    school_channel: bool = False

    def __post_init__(self) -> None:
        _require_choice("kind", self.kind, KINDS)
        _require_choice("purpose", self.purpose, PURPOSES)
        _require_choice("pupil_status", self.pupil_status, PUPIL_STATUSES)
        if self.exemption is not None:
            _require_choice("exemption", self.exemption, EXEMPTIONS)
        for name in (
            "vulnerable",
            "parent_organised",
            "requester_is_head",
            "planned",
            "school_channel",
        ):
            _require_bool(name, getattr(self, name))
        self._check_age()
        self._check_years_since_leaving()

    def _check_age(self) -> None:
        if self.pupil_status == "none":
            # No pupil is involved, so an age would be silently ignored: reject it instead.
            if self.pupil_age is not None:
                raise ValueError("pupil_age: must be None when pupil_status is none")
            return
        if self.pupil_age is None:
            raise ValueError(f"pupil_age: required when pupil_status is {self.pupil_status}")
        if not _is_int(self.pupil_age) or self.pupil_age < 0:
            raise ValueError(f"pupil_age: must be whole years >= 0, not {self.pupil_age!r}")

    def _check_years_since_leaving(self) -> None:
        years = self.years_since_leaving
        if self.pupil_status != "former":
            if years is not None:
                raise ValueError("years_since_leaving: only applies to a former pupil")
            return
        if years is None:
            raise ValueError("years_since_leaving: required for a former pupil")
        if not _is_number(years) or years < 0:
            raise ValueError(f"years_since_leaving: must be a number >= 0, not {years!r}")


@dataclass(frozen=True)
class Finding:
    """One clause that applies to the facts, with what that clause alone would decide."""

    clause: str
    verdict: Verdict
    source: Source
    section: str
    text: str
    actions: frozenset[Action] = field(default_factory=frozenset)

    @property
    def citation(self) -> str:
        return _cite(self.source, self.section)


@dataclass(frozen=True)
class Assessment:
    """The merged outcome: strictest verdict, who approves, every action and every reason."""

    verdict: Verdict
    approver: Approver | None
    actions: frozenset[Action]
    findings: tuple[Finding, ...]

    def __post_init__(self) -> None:
        _require_choice("verdict", self.verdict, VERDICTS)
        if (self.approver is not None) != (self.verdict == NEEDS_APPROVAL):
            raise ValueError("approver: must be set exactly when the verdict is needs_approval")
        if self.approver is not None:
            _require_choice("approver", self.approver, APPROVERS)
        for action in self.actions:
            _require_choice("actions", action, ACTIONS)

    @property
    def is_prohibited(self) -> bool:
        return self.verdict == PROHIBITED

    @property
    def needs_approval(self) -> bool:
        return self.verdict == NEEDS_APPROVAL

    @property
    def citations(self) -> tuple[str, ...]:
        """Distinct citations in findings order, for a 'why' line on the page."""
        return tuple(dict.fromkeys(finding.citation for finding in self.findings))


def _finding(clause_id: str, verdict: Verdict, *actions: Action) -> Finding:
    clause = CLAUSES[clause_id]
    return Finding(
        clause=clause.id,
        verdict=verdict,
        source=clause.source,
        section=clause.section,
        text=clause.text,
        actions=frozenset(actions),
    )


# --- Definitions shared by the rules ----------------------------------------------------------


def is_child(facts: ContactFacts, settings: EngineSettings) -> bool:
    """Under the child age on the contact date; exactly child_age counts as an adult."""
    return facts.pupil_age is not None and facts.pupil_age < settings.child_age


def in_window(facts: ContactFacts, settings: EngineSettings) -> bool:
    """A former pupil who left less than window_years ago; exactly window_years is outside."""
    return (
        facts.pupil_status == "former"
        and facts.years_since_leaving is not None
        and facts.years_since_leaving < settings.window_years
    )


def is_protected(facts: ContactFacts, settings: EngineSettings) -> bool:
    """A current pupil (any age), a former pupil who is a child, or a vulnerable recent leaver."""
    if facts.pupil_status == "current":
        return True
    if facts.pupil_status != "former":
        return False
    return is_child(facts, settings) or (facts.vulnerable and in_window(facts, settings))


def _has_pupil(facts: ContactFacts) -> bool:
    return facts.pupil_status != "none"


def _current_or_child(facts: ContactFacts, settings: EngineSettings) -> bool:
    return facts.pupil_status == "current" or (
        facts.pupil_status == "former" and is_child(facts, settings)
    )


def _vulnerable_restricted(facts: ContactFacts, settings: EngineSettings) -> bool:
    # 003 §2 is written about ex-pupils, but a vulnerable current pupil is at least as exposed,
    # and leaving them out would let "current" score softer than "former" (see the docs).
    return facts.vulnerable and (facts.pupil_status == "current" or in_window(facts, settings))


def _own_family(facts: ContactFacts) -> bool:
    # Exemptions only ever relax personal contact; work contact is governed by rule 4.
    return facts.exemption == "own_family" and facts.purpose == "personal"


def _exemption_verdict(settings: EngineSettings) -> Verdict:
    return NEEDS_APPROVAL if settings.exemption_needs_approval else RECORD


def _barred(clause_id: str, facts: ContactFacts, *actions: Action) -> Finding:
    """A prohibition the head may lift individually when the pupil is the requester's family."""
    if _own_family(facts):
        return _finding("exemption.own_family_individual", NEEDS_APPROVAL)
    return _finding(clause_id, PROHIBITED, *actions)


# --- The rules --------------------------------------------------------------------------------
# Each rule returns the findings that match, or [] when it does not apply. assess() merges them.

Rule = Callable[[ContactFacts, EngineSettings], list[Finding]]


def relationship_rule(facts: ContactFacts, settings: EngineSettings) -> list[Finding]:
    """Rule 1 (000 contact with former pupils; 001 §6; 003 §2; 004 §13)."""
    if facts.kind != "relationship" or not _has_pupil(facts):
        return []
    found: list[Finding] = []
    if _current_or_child(facts, settings):
        found.append(_finding("relationship.current_or_child", PROHIBITED, "consider_lado"))
        found.append(_finding("relationship.breach_of_trust", PROHIBITED, "consider_lado"))
    if facts.vulnerable and in_window(facts, settings):
        found.append(_finding("relationship.vulnerable_window", PROHIBITED, "consider_lado"))
    if not found:
        found.append(
            _finding(
                "relationship.former_pupil",
                NEEDS_APPROVAL,
                "consider_lado",
                "plan_of_involvement",
            )
        )
    return found


def social_media_rule(facts: ContactFacts, settings: EngineSettings) -> list[Finding]:
    """Rule 2 (001 §5.2; 003 §2; 000 correspondence)."""
    if facts.kind != "social_media" or not _has_pupil(facts):
        return []
    found: list[Finding] = []
    if _current_or_child(facts, settings):
        found.append(_barred("social_media.current_or_child", facts))
    if _vulnerable_restricted(facts, settings):
        found.append(_barred("social_media.vulnerable_window", facts))
    if not found:
        found.append(_finding("social_media.former_adult", RECORD))
    return found


def _exemption_finding(facts: ContactFacts, settings: EngineSettings) -> Finding:
    if facts.exemption == "family_invitation":
        return _finding("exemption.family_invitation", _exemption_verdict(settings))
    return _finding("exemption.activity", _exemption_verdict(settings))


def personal_contact_rule(facts: ContactFacts, settings: EngineSettings) -> list[Finding]:
    """Rule 3 (000 introduction, intended contact, contact with former pupils; 001 §4.2; 003 §2)."""
    if not (
        _has_pupil(facts)
        and facts.planned
        and facts.purpose == "personal"
        and facts.kind in PERSONAL_CONTACT_KINDS
    ):
        return []
    if _own_family(facts):
        return [_finding("exemption.own_family", RECORD)]
    found: list[Finding] = []
    if _current_or_child(facts, settings):
        if facts.exemption is None:
            found.append(_finding("personal_contact.current_or_child", PROHIBITED))
        else:
            found.append(_exemption_finding(facts, settings))
    if _vulnerable_restricted(facts, settings):
        # Only a parent-arranged meeting lifts 003 §2; other exemptions, even a family
        # invitation, do not (see "Gaps and judgement calls").
        if facts.parent_organised:
            found.append(_finding("personal_contact.vulnerable_parent_organised", NEEDS_APPROVAL))
        else:
            found.append(_finding("personal_contact.vulnerable_window", PROHIBITED))
    if found:
        return found
    # An adult former pupil with no extra vulnerability.
    if facts.exemption is not None:
        found.append(_exemption_finding(facts, settings))
    if facts.exemption is None or settings.exemption_needs_approval:
        found.append(
            _finding("personal_contact.former_pupil", NEEDS_APPROVAL, "plan_of_involvement")
        )
    return found


def work_contact_rule(facts: ContactFacts, settings: EngineSettings) -> list[Finding]:
    """Rule 4 (000 intended contact, contact with former pupils; 003 §2 for social events)."""
    if not (
        _has_pupil(facts)
        and facts.planned
        and facts.purpose == "work"
        and facts.kind in WORK_CONTACT_KINDS
    ):
        return []
    found = [
        _finding(
            "work_contact.approval",
            NEEDS_APPROVAL,
            "record_on_staff_file",
            "record_on_pupil_file",
            "notify_line_manager",
        )
    ]
    if facts.pupil_status == "former":
        found.append(_finding("work_contact.former_pupil", NEEDS_APPROVAL, "plan_of_involvement"))
    if facts.kind == "social_event" and _vulnerable_restricted(facts, settings):
        if facts.parent_organised:
            found.append(_finding("personal_contact.vulnerable_parent_organised", NEEDS_APPROVAL))
        else:
            found.append(_finding("work_contact.vulnerable_social", PROHIBITED))
    return found


def family_rule(facts: ContactFacts, settings: EngineSettings) -> list[Finding]:
    """Rule 5 (002 external contact; 001 §7; 003 §2; 000 correspondence; 004 covering letter)."""
    if _has_pupil(facts):
        return []
    if facts.planned:
        found = [_finding("family.planned", NEEDS_APPROVAL, "restricted_liaison_log")]
    else:
        found = [
            _finding(
                "family.unplanned",
                RECORD,
                "restricted_liaison_log",
                "report_to_head_immediately",
            )
        ]
    if facts.kind == "relationship":
        if facts.vulnerable:
            found.append(_finding("family.relationship_vulnerable", PROHIBITED))
        else:
            found.append(_finding("family.relationship", found[0].verdict))
    if facts.planned and not _own_family(facts):
        if facts.kind == "social_media":
            found.append(_finding("family.social_media", PROHIBITED))
        elif facts.kind == "email" and facts.purpose == "personal":
            found.append(_finding("family.personal_email", PROHIBITED))
    return found


def transport_rule(facts: ContactFacts, settings: EngineSettings) -> list[Finding]:
    """Rule 6 (001 §6). Planned personal lifts are rule 3's business."""
    if facts.kind != "transport" or not _has_pupil(facts):
        return []
    if not facts.planned:
        return [
            _finding(
                "transport.emergency",
                RECORD,
                "report_to_head_immediately",
                "record_on_pupil_file",
            )
        ]
    if facts.purpose == "work":
        return [_finding("transport.planned_work", NEEDS_APPROVAL, "record_on_pupil_file")]
    return []


def personal_details_rule(facts: ContactFacts, settings: EngineSettings) -> list[Finding]:
    """Rule 7 (000 correspondence; 004 §11)."""
    if facts.kind != "personal_details" or not _has_pupil(facts):
        return []
    if not facts.planned:
        return [_finding("personal_details.already_given", RECORD, "report_to_head_immediately")]
    found = [_finding("personal_details.planned", NEEDS_APPROVAL)]
    # Parental consent means nothing for an adult ex-pupil, so only ask it for protected pupils.
    if is_protected(facts, settings):
        found.append(
            _finding("personal_details.parental_consent", NEEDS_APPROVAL, "parental_consent")
        )
    return found


def messaging_rule(facts: ContactFacts, settings: EngineSettings) -> list[Finding]:
    """Rule 8 (000 correspondence, contact with former pupils; 001 §5.2; 004 §11)."""
    if not _has_pupil(facts):
        return []
    if facts.kind == "letter":
        return [_finding("letter.record", RECORD, "notify_line_manager")]
    if facts.kind not in MESSAGE_KINDS:
        return []
    if facts.purpose == "work" and facts.school_channel:
        if facts.kind == "email":
            return [_finding("messaging.school_email", RECORD, "copy_headteacher")]
        return [_finding("messaging.school_call_text", RECORD, "record_on_pupil_file")]
    # From here on the message is personal: a personal channel, a personal purpose, or both.
    if not facts.planned:
        return [
            _finding(
                "messaging.already_happened",
                RECORD,
                "record_on_pupil_file",
                "report_to_head_immediately",
            )
        ]
    if facts.purpose == "work":
        return [_finding("messaging.personal_channel", PROHIBITED, "use_school_channel")]
    if is_protected(facts, settings):
        return [_barred("messaging.personal_purpose", facts)]
    if _own_family(facts):
        return [_finding("exemption.own_family", RECORD)]
    return [_finding("messaging.former_adult", NEEDS_APPROVAL)]


def photography_rule(facts: ContactFacts, settings: EngineSettings) -> list[Finding]:
    """Rule 9 (003 §5; 004 §11). school_channel here means a school-owned device."""
    if facts.kind != "photography" or not _has_pupil(facts):
        return []
    if not facts.planned:
        return [_finding("photography.unapproved", RECORD, "report_to_head_immediately")]
    found: list[Finding] = []
    if facts.purpose == "personal" and is_protected(facts, settings):
        found.append(_barred("photography.personal_purpose", facts))
    else:
        found.append(_finding("photography.planned", NEEDS_APPROVAL))
    if facts.purpose == "work" and not facts.school_channel:
        found.append(_finding("photography.personal_device", NEEDS_APPROVAL, "use_school_channel"))
    return found


def gift_rule(facts: ContactFacts, settings: EngineSettings) -> list[Finding]:
    """Rule 10 (004 §12; 003 §2 on favouritism for gifts planned for protected pupils)."""
    if facts.kind != "gift":
        return []
    found = [_finding("gift.record", RECORD, "notify_line_manager")]
    if facts.planned and is_protected(facts, settings) and not _own_family(facts):
        found.append(_finding("gift.planned_protected", NEEDS_APPROVAL))
    return found


def unplanned_contact_rule(facts: ContactFacts, settings: EngineSettings) -> list[Finding]:
    """Rule 12 (000 unplanned contact). Rules 1 and 2 still judge what already happened."""
    if _has_pupil(facts) and not facts.planned and facts.kind in WORK_CONTACT_KINDS:
        return [_finding("unplanned.record", RECORD, "record_on_staff_file")]
    return []


RULES: tuple[Rule, ...] = (
    relationship_rule,
    social_media_rule,
    personal_contact_rule,
    work_contact_rule,
    family_rule,
    transport_rule,
    personal_details_rule,
    messaging_rule,
    photography_rule,
    gift_rule,
    unplanned_contact_rule,
)


# --- Merging ----------------------------------------------------------------------------------

_STRICTNESS: dict[str, int] = {verdict: rank for rank, verdict in enumerate(VERDICTS)}


def strictest(verdicts: Iterable[Verdict]) -> Verdict:
    """The strictest of the verdicts: prohibited beats needs_approval beats record."""
    return min(verdicts, key=_STRICTNESS.__getitem__)


def _unmatched(facts: ContactFacts) -> list[Finding]:
    # Safety net for future kinds: never allow silently, so planned contact needs approval.
    if facts.planned:
        return [_finding("general.unmatched", NEEDS_APPROVAL)]
    return [_finding("general.unmatched", RECORD, "notify_line_manager")]


def _consequences(facts: ContactFacts, verdict: Verdict, findings: list[Finding]) -> list[Finding]:
    """Findings that follow from the merged verdict rather than from any single rule."""
    if verdict == PROHIBITED and not facts.planned:
        return [
            _finding(
                "general.breach",
                PROHIBITED,
                "report_to_head_immediately",
                "record_on_staff_file",
            )
        ]
    if verdict == NEEDS_APPROVAL:
        if facts.requester_is_head:
            return [_finding("approval.chair_of_governors", NEEDS_APPROVAL)]
        return [_finding("approval.headteacher", NEEDS_APPROVAL)]
    if verdict == RECORD and not any(finding.actions for finding in findings):
        # A record with nothing to do would leave no trace; default to the staff file.
        return [_finding("general.keep_record", RECORD, "record_on_staff_file")]
    return []


def assess(facts: ContactFacts, settings: EngineSettings | None = None) -> Assessment:
    """Apply every rule to the facts and merge: strictest verdict wins, actions add up."""
    if settings is None:
        settings = EngineSettings()
    findings = [finding for rule in RULES for finding in rule(facts, settings)]
    if not findings:
        findings = _unmatched(facts)
    verdict = strictest(finding.verdict for finding in findings)
    findings += _consequences(facts, verdict, findings)
    # Drop exact duplicates, then order strictest first; sorted() keeps rule order within a tier.
    ordered = sorted(dict.fromkeys(findings), key=lambda f: _STRICTNESS[f.verdict])
    approver: Approver | None = None
    if verdict == NEEDS_APPROVAL:
        approver = "chair_of_governors" if facts.requester_is_head else "headteacher"
    return Assessment(
        verdict=verdict,
        approver=approver,
        actions=frozenset().union(*(finding.actions for finding in ordered)),
        findings=tuple(ordered),
    )


def is_breach(facts: ContactFacts, assessment: Assessment) -> bool:
    """True when a report of something that already happened describes prohibited contact."""
    return not facts.planned and assessment.is_prohibited


def combine(assessments: Iterable[Assessment]) -> Assessment:
    """One contact with several pupils: the strictest verdict over all of them, every action,
    and each finding once. The approver is the same for all (it depends on the requester)."""
    parts = list(assessments)
    if not parts:
        raise ValueError("assessments: at least one is needed")
    verdict = strictest(part.verdict for part in parts)
    findings = dict.fromkeys(finding for part in parts for finding in part.findings)
    approvers = {part.approver for part in parts if part.approver}
    return Assessment(
        verdict=verdict,
        approver=approvers.pop() if verdict == NEEDS_APPROVAL and approvers else None,
        actions=frozenset().union(*(part.actions for part in parts)),
        findings=tuple(sorted(findings, key=lambda f: _STRICTNESS[f.verdict])),
    )
