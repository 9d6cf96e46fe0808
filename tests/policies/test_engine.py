"""Tests for the pure rules engine (no Django needed: run with ``-p no:django``)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policies import engine
from policies.engine import (
    ACTION_LABELS,
    ACTIONS,
    APPROVER_LABELS,
    APPROVERS,
    CLAUSES,
    EXEMPTION_LABELS,
    EXEMPTIONS,
    KIND_LABELS,
    KINDS,
    PUPIL_STATUS_LABELS,
    PUPIL_STATUSES,
    PURPOSE_LABELS,
    PURPOSES,
    SOURCES,
    VERDICT_LABELS,
    VERDICTS,
    Assessment,
    ContactFacts,
    EngineSettings,
    Finding,
    assess,
    is_breach,
)
from policies.engine import rules as engine_rules

RANK = {verdict: rank for rank, verdict in enumerate(VERDICTS)}

# Defaults per pupil status, so each table row only states what matters to it. A "former"
# pupil defaults to a plain adult who left long ago: not a child, not in the window.
_STATUS_DEFAULTS: dict[str, dict[str, Any]] = {
    "current": {"pupil_age": 14, "years_since_leaving": None},
    "former": {"pupil_age": 25, "years_since_leaving": 6.0},
    "none": {"pupil_age": None, "years_since_leaving": None},
}


def make(
    kind: str = "meeting",
    purpose: str = "personal",
    pupil_status: str = "current",
    **overrides: Any,
) -> ContactFacts:
    fields: dict[str, Any] = {"planned": True, **_STATUS_DEFAULTS[pupil_status], **overrides}
    return ContactFacts(kind=kind, purpose=purpose, pupil_status=pupil_status, **fields)


def clauses_of(assessment: Assessment) -> set[str]:
    return {finding.clause for finding in assessment.findings}


# Each case: (id, facts, verdict, exact actions, clauses that must appear among the findings).
Case = tuple[str, ContactFacts, str, set[str], set[str]]

CHILD_FORMER = {"pupil_age": 16, "years_since_leaving": 4.0}
VULNERABLE_RECENT = {"pupil_age": 19, "years_since_leaving": 1.0, "vulnerable": True}
VULNERABLE_LONG_AGO = {"pupil_age": 24, "years_since_leaving": 5.0, "vulnerable": True}

RULE_1: list[Case] = [
    (
        "current",
        make("relationship", pupil_age=17),
        "prohibited",
        {"consider_lado"},
        {"relationship.current_or_child", "relationship.breach_of_trust"},
    ),
    (
        "current-adult-sixth-former",
        make("relationship", pupil_age=18),
        "prohibited",
        {"consider_lado"},
        {"relationship.current_or_child"},
    ),
    (
        "former-child",
        make("relationship", pupil_status="former", **CHILD_FORMER),
        "prohibited",
        {"consider_lado"},
        {"relationship.current_or_child"},
    ),
    (
        "former-vulnerable-in-window",
        make("relationship", pupil_status="former", **VULNERABLE_RECENT),
        "prohibited",
        {"consider_lado"},
        {"relationship.vulnerable_window"},
    ),
    (
        "former-adult",
        make("relationship", pupil_status="former"),
        "needs_approval",
        {"consult_lado"},
        {"relationship.former_pupil", "approval.headteacher"},
    ),
    (
        "former-vulnerable-outside-window",
        make("relationship", pupil_status="former", **VULNERABLE_LONG_AGO),
        "needs_approval",
        {"consult_lado"},
        {"relationship.former_pupil"},
    ),
    (
        "current-reported-is-breach",
        make("relationship", planned=False),
        "prohibited",
        {"consider_lado", "report_to_head_immediately", "record_on_staff_file"},
        {"relationship.current_or_child", "general.breach"},
    ),
    (
        "own-family-does-not-help",
        make("relationship", exemption="own_family"),
        "prohibited",
        {"consider_lado"},
        {"relationship.current_or_child"},
    ),
]

RULE_2: list[Case] = [
    (
        "current-any-age",
        make("social_media", pupil_age=19),
        "prohibited",
        set(),
        {"social_media.current_or_child"},
    ),
    (
        "former-child",
        make("social_media", pupil_status="former", **CHILD_FORMER),
        "prohibited",
        set(),
        {"social_media.current_or_child"},
    ),
    (
        "former-vulnerable-in-window",
        make("social_media", pupil_status="former", **VULNERABLE_RECENT),
        "prohibited",
        set(),
        {"social_media.vulnerable_window"},
    ),
    (
        "former-adult",
        make("social_media", pupil_status="former"),
        "record",
        {"record_on_staff_file"},
        {"social_media.former_adult", "general.keep_record"},
    ),
    (
        "current-already-friends-is-breach",
        make("social_media", planned=False),
        "prohibited",
        {"report_to_head_immediately", "record_on_staff_file"},
        {"social_media.current_or_child", "general.breach"},
    ),
    (
        "own-family-current-needs-individual-exemption",
        make("social_media", exemption="own_family"),
        "needs_approval",
        set(),
        {"exemption.own_family_individual"},
    ),
]

RULE_3: list[Case] = [
    (
        "current-no-exemption",
        make("meeting"),
        "prohibited",
        set(),
        {"personal_contact.current_or_child"},
    ),
    (
        "current-lift",
        make("transport"),
        "prohibited",
        set(),
        {"personal_contact.current_or_child"},
    ),
    (
        "former-child-no-exemption",
        make("social_event", pupil_status="former", **CHILD_FORMER),
        "prohibited",
        set(),
        {"personal_contact.current_or_child"},
    ),
    (
        "current-own-family",
        make("activity", exemption="own_family"),
        "record",
        {"record_on_staff_file"},
        {"exemption.own_family"},
    ),
    (
        "current-sport",
        make("activity", exemption="sport"),
        "needs_approval",
        set(),
        {"exemption.activity"},
    ),
    (
        "current-family-invitation",
        make("social_event", exemption="family_invitation"),
        "needs_approval",
        set(),
        {"exemption.family_invitation"},
    ),
    (
        "former-vulnerable-in-window",
        make("meeting", pupil_status="former", **VULNERABLE_RECENT),
        "prohibited",
        set(),
        {"personal_contact.vulnerable_window"},
    ),
    (
        "former-vulnerable-in-window-sport-not-enough",
        make("activity", pupil_status="former", exemption="sport", **VULNERABLE_RECENT),
        "prohibited",
        set(),
        {"personal_contact.vulnerable_window"},
    ),
    (
        "former-vulnerable-in-window-family-invitation-not-enough",
        make(
            "social_event",
            pupil_status="former",
            exemption="family_invitation",
            **VULNERABLE_RECENT,
        ),
        "prohibited",
        set(),
        {"personal_contact.vulnerable_window"},
    ),
    (
        "former-vulnerable-in-window-parent-organised",
        make("meeting", pupil_status="former", parent_organised=True, **VULNERABLE_RECENT),
        "needs_approval",
        set(),
        {"personal_contact.vulnerable_parent_organised"},
    ),
    (
        "former-vulnerable-in-window-own-family",
        make("meeting", pupil_status="former", exemption="own_family", **VULNERABLE_RECENT),
        "record",
        {"record_on_staff_file"},
        {"exemption.own_family"},
    ),
    (
        "current-vulnerable-sport-needs-parent",
        make("activity", vulnerable=True, exemption="sport"),
        "prohibited",
        set(),
        {"exemption.activity", "personal_contact.vulnerable_window"},
    ),
    (
        "current-vulnerable-sport-parent-organised",
        make("activity", vulnerable=True, exemption="sport", parent_organised=True),
        "needs_approval",
        set(),
        {"exemption.activity", "personal_contact.vulnerable_parent_organised"},
    ),
    (
        "current-parent-organised-alone-not-an-exemption",
        make("meeting", parent_organised=True),
        "prohibited",
        set(),
        {"personal_contact.current_parent_organised"},
    ),
    (
        # 003 §2: a parent or carer may organise a specific meeting with an ex-pupil still a child.
        "former-child-parent-organised",
        make("meeting", pupil_status="former", parent_organised=True, **CHILD_FORMER),
        "needs_approval",
        {"plan_of_involvement"},
        {"personal_contact.former_child_parent_organised"},
    ),
    (
        "former-child-not-parent-organised",
        make("meeting", pupil_status="former", **CHILD_FORMER),
        "prohibited",
        set(),
        {"personal_contact.current_or_child"},
    ),
    (
        "former-adult",
        make("meeting", pupil_status="former"),
        "needs_approval",
        {"plan_of_involvement"},
        {"personal_contact.former_pupil"},
    ),
    (
        "former-vulnerable-outside-window",
        make("meeting", pupil_status="former", **VULNERABLE_LONG_AGO),
        "needs_approval",
        {"plan_of_involvement"},
        {"personal_contact.former_pupil"},
    ),
    (
        "former-adult-scouts",
        make("activity", pupil_status="former", exemption="scouts"),
        "needs_approval",
        {"plan_of_involvement"},
        {"exemption.activity", "personal_contact.former_pupil"},
    ),
    (
        "former-adult-own-family",
        make("meeting", pupil_status="former", exemption="own_family"),
        "record",
        {"record_on_staff_file"},
        {"exemption.own_family"},
    ),
]

RULE_4: list[Case] = [
    (
        "current-meeting",
        make("meeting", "work"),
        "needs_approval",
        {"record_on_staff_file", "record_on_pupil_file", "notify_line_manager"},
        {"work_contact.approval"},
    ),
    (
        "current-activity-exemption-ignored",
        make("activity", "work", exemption="sport"),
        "needs_approval",
        {"record_on_staff_file", "record_on_pupil_file", "notify_line_manager"},
        {"work_contact.approval"},
    ),
    (
        "former-social-event",
        make("social_event", "work", pupil_status="former"),
        "needs_approval",
        {
            "record_on_staff_file",
            "record_on_pupil_file",
            "notify_line_manager",
            "plan_of_involvement",
        },
        {"work_contact.approval", "work_contact.former_pupil"},
    ),
    (
        "former-vulnerable-in-window-meeting",
        make("meeting", "work", pupil_status="former", **VULNERABLE_RECENT),
        "needs_approval",
        {
            "record_on_staff_file",
            "record_on_pupil_file",
            "notify_line_manager",
            "plan_of_involvement",
        },
        {"work_contact.approval"},
    ),
    (
        "former-vulnerable-in-window-social-event",
        make("social_event", "work", pupil_status="former", **VULNERABLE_RECENT),
        "prohibited",
        {
            "record_on_staff_file",
            "record_on_pupil_file",
            "notify_line_manager",
            "plan_of_involvement",
        },
        {"work_contact.vulnerable_social"},
    ),
    (
        "current-vulnerable-social-event-parent-organised",
        make("social_event", "work", vulnerable=True, parent_organised=True),
        "needs_approval",
        {"record_on_staff_file", "record_on_pupil_file", "notify_line_manager"},
        {"work_contact.approval", "personal_contact.vulnerable_parent_organised"},
    ),
]

RULE_5: list[Case] = [
    (
        "planned-meeting",
        make("meeting", pupil_status="none"),
        "needs_approval",
        {"restricted_liaison_log"},
        {"family.planned"},
    ),
    (
        "planned-work-email",
        make("email", "work", pupil_status="none", school_channel=True),
        "needs_approval",
        {"restricted_liaison_log"},
        {"family.planned"},
    ),
    (
        "unplanned-meeting",
        make("meeting", pupil_status="none", planned=False),
        "record",
        {"restricted_liaison_log", "report_to_head_immediately"},
        {"family.unplanned"},
    ),
    (
        "relationship-planned",
        make("relationship", pupil_status="none"),
        "needs_approval",
        {"restricted_liaison_log"},
        {"family.planned", "family.relationship"},
    ),
    (
        "relationship-reported",
        make("relationship", pupil_status="none", planned=False),
        "record",
        {"restricted_liaison_log", "report_to_head_immediately"},
        {"family.unplanned", "family.relationship"},
    ),
    (
        "relationship-vulnerable-pupil-family",
        make("relationship", pupil_status="none", vulnerable=True),
        "prohibited",
        {"restricted_liaison_log"},
        {"family.relationship_vulnerable"},
    ),
    (
        "social-media-planned",
        make("social_media", pupil_status="none"),
        "prohibited",
        {"restricted_liaison_log"},
        {"family.social_media"},
    ),
    (
        "social-media-reported",
        make("social_media", pupil_status="none", planned=False),
        "record",
        {"restricted_liaison_log", "report_to_head_immediately"},
        {"family.unplanned"},
    ),
    (
        "personal-email-planned",
        make("email", pupil_status="none"),
        "prohibited",
        {"restricted_liaison_log"},
        {"family.personal_email"},
    ),
    (
        "personal-email-own-family",
        make("email", pupil_status="none", exemption="own_family"),
        "needs_approval",
        {"restricted_liaison_log"},
        {"family.planned"},
    ),
    (
        "gift-planned",
        make("gift", pupil_status="none"),
        "needs_approval",
        {"restricted_liaison_log", "notify_line_manager"},
        {"family.planned", "gift.record"},
    ),
]

RULE_6: list[Case] = [
    (
        "planned-work-lift",
        make("transport", "work"),
        "needs_approval",
        {"record_on_pupil_file"},
        {"transport.planned_work"},
    ),
    (
        "emergency-lift",
        make("transport", "work", planned=False),
        "record",
        {"report_to_head_immediately", "record_on_pupil_file"},
        {"transport.emergency"},
    ),
    (
        "emergency-lift-personal",
        make("transport", planned=False),
        "record",
        {"report_to_head_immediately", "record_on_pupil_file"},
        {"transport.emergency"},
    ),
    (
        "emergency-lift-former-pupil",
        make("transport", pupil_status="former", planned=False),
        "record",
        {"report_to_head_immediately", "record_on_pupil_file"},
        {"transport.emergency"},
    ),
]

RULE_7: list[Case] = [
    (
        # 001 §5.1: never shared with a pupil but in an emergency, which is never planned.
        "planned-current",
        make("personal_details"),
        "prohibited",
        set(),
        {"personal_details.emergency_only"},
    ),
    (
        "planned-current-own-family-needs-the-head",
        make("personal_details", exemption="own_family"),
        "needs_approval",
        set(),
        {"exemption.own_family_individual"},
    ),
    (
        "planned-former-adult-no-parents",
        make("personal_details", pupil_status="former"),
        "needs_approval",
        set(),
        {"personal_details.planned"},
    ),
    (
        "already-given",
        make("personal_details", planned=False),
        "record",
        {"report_to_head_immediately"},
        {"personal_details.already_given"},
    ),
]

RULE_8: list[Case] = [
    (
        "school-email",
        make("email", "work", school_channel=True),
        "record",
        {"copy_headteacher"},
        {"messaging.school_email"},
    ),
    (
        # 004 §11: school equipment, with the parents' permission for that form of contact.
        "school-text-without-parents-permission",
        make("text_message", "work", school_channel=True),
        "needs_approval",
        {"parental_consent"},
        {"messaging.parent_permission"},
    ),
    (
        "school-text",
        make("text_message", "work", school_channel=True, parent_agreed_mode=True),
        "record",
        {"record_on_pupil_file"},
        {"messaging.school_call_text", "messaging.no_text_conversation"},
    ),
    (
        "school-text-adult-former-pupil",
        make("text_message", "work", "former", school_channel=True),
        "record",
        {"record_on_pupil_file"},
        {"messaging.school_call_text"},
    ),
    (
        "school-call",
        make("phone_call", "work", school_channel=True, planned=False),
        "record",
        {"record_on_pupil_file"},
        {"messaging.school_call_text"},
    ),
    (
        "work-text-personal-phone",
        make("text_message", "work"),
        "prohibited",
        {"use_school_channel"},
        {"messaging.personal_channel"},
    ),
    (
        "work-email-personal-account",
        make("email", "work"),
        "prohibited",
        {"use_school_channel"},
        {"messaging.personal_channel"},
    ),
    (
        "work-call-personal-phone",
        make("phone_call", "work"),
        "prohibited",
        {"use_school_channel"},
        {"messaging.personal_channel"},
    ),
    (
        "work-text-personal-phone-former-adult",
        make("text_message", "work", pupil_status="former"),
        "prohibited",
        {"use_school_channel"},
        {"messaging.personal_channel"},
    ),
    (
        "personal-text-already-happened",
        make("text_message", planned=False),
        "record",
        {"record_on_pupil_file", "report_to_head_immediately"},
        {"messaging.already_happened"},
    ),
    (
        "personal-call-already-happened",
        make("phone_call", planned=False),
        "record",
        {"record_on_pupil_file", "report_to_head_immediately"},
        {"messaging.already_happened"},
    ),
    (
        "personal-email-via-school-account-still-personal",
        make("email", school_channel=True),
        "prohibited",
        set(),
        {"messaging.personal_purpose"},
    ),
    (
        "personal-text-former-child",
        make("text_message", pupil_status="former", **CHILD_FORMER),
        "prohibited",
        set(),
        {"messaging.personal_purpose"},
    ),
    (
        "personal-text-former-adult",
        make("text_message", pupil_status="former"),
        "needs_approval",
        set(),
        {"messaging.former_adult"},
    ),
    (
        "personal-text-own-family-current",
        make("text_message", exemption="own_family"),
        "needs_approval",
        set(),
        {"exemption.own_family_individual"},
    ),
    (
        "personal-text-own-family-former-adult",
        make("text_message", pupil_status="former", exemption="own_family"),
        "record",
        {"record_on_staff_file"},
        {"exemption.own_family"},
    ),
    (
        "letter-personal",
        make("letter"),
        "record",
        {"notify_line_manager"},
        {"letter.record"},
    ),
    (
        "letter-work-reported",
        make("letter", "work", planned=False),
        "record",
        {"notify_line_manager"},
        {"letter.record"},
    ),
]

RULE_9: list[Case] = [
    (
        "planned-work-school-device",
        make("photography", "work", school_channel=True),
        "needs_approval",
        set(),
        {"photography.planned"},
    ),
    (
        "planned-work-personal-device",
        make("photography", "work"),
        "needs_approval",
        {"use_school_channel"},
        {"photography.planned", "photography.personal_device"},
    ),
    (
        "planned-personal-current",
        make("photography"),
        "prohibited",
        set(),
        {"photography.personal_purpose"},
    ),
    (
        "planned-personal-former-adult",
        make("photography", pupil_status="former"),
        "needs_approval",
        set(),
        {"photography.planned"},
    ),
    (
        "not-planned",
        make("photography", "work", planned=False),
        "record",
        {"report_to_head_immediately"},
        {"photography.unapproved"},
    ),
]

RULE_10: list[Case] = [
    (
        "received-from-pupil",
        make("gift", planned=False),
        "record",
        {"notify_line_manager"},
        {"gift.record"},
    ),
    (
        "planned-to-current",
        make("gift"),
        "needs_approval",
        {"notify_line_manager"},
        {"gift.record", "gift.planned_protected"},
    ),
    (
        "planned-to-own-family",
        make("gift", exemption="own_family"),
        "record",
        {"notify_line_manager"},
        {"gift.record"},
    ),
    (
        "planned-to-former-adult",
        make("gift", pupil_status="former"),
        "record",
        {"notify_line_manager"},
        {"gift.record"},
    ),
]

RULE_12: list[Case] = [
    (
        "chance-meeting-current",
        make("meeting", planned=False),
        "record",
        {"record_on_staff_file"},
        {"unplanned.record"},
    ),
    (
        "chance-social-event-former-child",
        make("social_event", pupil_status="former", planned=False, **CHILD_FORMER),
        "record",
        {"record_on_staff_file"},
        {"unplanned.record"},
    ),
    (
        "unplanned-work-activity",
        make("activity", "work", planned=False),
        "record",
        {"record_on_staff_file"},
        {"unplanned.record"},
    ),
]

ALL_CASES: list[Case] = [
    *RULE_1,
    *RULE_2,
    *RULE_3,
    *RULE_4,
    *RULE_5,
    *RULE_6,
    *RULE_7,
    *RULE_8,
    *RULE_9,
    *RULE_10,
    *RULE_12,
]


def _params(cases: list[Case]) -> list[Any]:
    return [pytest.param(*case[1:], id=case[0]) for case in cases]


def check(facts: ContactFacts, verdict: str, actions: set[str], clauses: set[str]) -> None:
    result = assess(facts)
    assert result.verdict == verdict
    assert result.actions == frozenset(actions)
    assert clauses <= clauses_of(result), clauses_of(result)


@pytest.mark.parametrize(("facts", "verdict", "actions", "clauses"), _params(RULE_1))
def test_rule_1_relationship(facts, verdict, actions, clauses) -> None:
    check(facts, verdict, actions, clauses)


@pytest.mark.parametrize(("facts", "verdict", "actions", "clauses"), _params(RULE_2))
def test_rule_2_social_media(facts, verdict, actions, clauses) -> None:
    check(facts, verdict, actions, clauses)


@pytest.mark.parametrize(("facts", "verdict", "actions", "clauses"), _params(RULE_3))
def test_rule_3_planned_personal_contact(facts, verdict, actions, clauses) -> None:
    check(facts, verdict, actions, clauses)


@pytest.mark.parametrize(("facts", "verdict", "actions", "clauses"), _params(RULE_4))
def test_rule_4_planned_work_contact(facts, verdict, actions, clauses) -> None:
    check(facts, verdict, actions, clauses)


@pytest.mark.parametrize(("facts", "verdict", "actions", "clauses"), _params(RULE_5))
def test_rule_5_parents_and_families(facts, verdict, actions, clauses) -> None:
    check(facts, verdict, actions, clauses)


@pytest.mark.parametrize(("facts", "verdict", "actions", "clauses"), _params(RULE_6))
def test_rule_6_transport(facts, verdict, actions, clauses) -> None:
    check(facts, verdict, actions, clauses)


@pytest.mark.parametrize(("facts", "verdict", "actions", "clauses"), _params(RULE_7))
def test_rule_7_personal_details(facts, verdict, actions, clauses) -> None:
    check(facts, verdict, actions, clauses)


@pytest.mark.parametrize(("facts", "verdict", "actions", "clauses"), _params(RULE_8))
def test_rule_8_messages_and_letters(facts, verdict, actions, clauses) -> None:
    check(facts, verdict, actions, clauses)


@pytest.mark.parametrize(("facts", "verdict", "actions", "clauses"), _params(RULE_9))
def test_rule_9_photography(facts, verdict, actions, clauses) -> None:
    check(facts, verdict, actions, clauses)


@pytest.mark.parametrize(("facts", "verdict", "actions", "clauses"), _params(RULE_10))
def test_rule_10_gifts(facts, verdict, actions, clauses) -> None:
    check(facts, verdict, actions, clauses)


@pytest.mark.parametrize(("facts", "verdict", "actions", "clauses"), _params(RULE_12))
def test_rule_12_unplanned_contact(facts, verdict, actions, clauses) -> None:
    check(facts, verdict, actions, clauses)


# --- Rule 11: who approves ----------------------------------------------------------------

APPROVAL_CASES = [case for case in ALL_CASES if case[2] == "needs_approval"]


@pytest.mark.parametrize("facts", [pytest.param(c[1], id=c[0]) for c in APPROVAL_CASES])
def test_rule_11_headteacher_approves(facts: ContactFacts) -> None:
    result = assess(facts)
    assert result.approver == "headteacher"
    assert "approval.headteacher" in clauses_of(result)


@pytest.mark.parametrize("facts", [pytest.param(c[1], id=c[0]) for c in APPROVAL_CASES])
def test_rule_11_chair_of_governors_when_head_asks(facts: ContactFacts) -> None:
    result = assess(dataclasses.replace(facts, requester_is_head=True))
    assert result.verdict == "needs_approval"
    assert result.approver == "chair_of_governors"
    assert "approval.chair_of_governors" in clauses_of(result)
    assert "approval.headteacher" not in clauses_of(result)


@pytest.mark.parametrize(
    "facts",
    [pytest.param(c[1], id=c[0]) for c in ALL_CASES if c[2] != "needs_approval"],
)
def test_no_approver_unless_needs_approval(facts: ContactFacts) -> None:
    assert assess(dataclasses.replace(facts, requester_is_head=True)).approver is None


# --- Boundaries -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "verdict"),
    [pytest.param(17, "prohibited", id="17-is-a-child"), pytest.param(18, "record", id="18")],
)
def test_child_age_boundary(age: int, verdict: str) -> None:
    facts = make("social_media", pupil_status="former", pupil_age=age, years_since_leaving=0.5)
    assert assess(facts).verdict == verdict


@pytest.mark.parametrize(
    ("years", "verdict"),
    [
        pytest.param(2.99, "prohibited", id="2.99-in-window"),
        pytest.param(3.0, "needs_approval", id="3.0-outside-window"),
    ],
)
def test_window_boundary(years: float, verdict: str) -> None:
    facts = make(
        "meeting", pupil_status="former", pupil_age=20, years_since_leaving=years, vulnerable=True
    )
    assert assess(facts).verdict == verdict


def test_window_only_matters_when_vulnerable() -> None:
    facts = make("meeting", pupil_status="former", pupil_age=20, years_since_leaving=0.5)
    assert assess(facts).verdict == "needs_approval"


def test_former_child_stays_protected_after_the_window() -> None:
    facts = make("meeting", pupil_status="former", pupil_age=17, years_since_leaving=10.0)
    assert assess(facts).verdict == "prohibited"


# --- Custom settings ------------------------------------------------------------------------


def test_custom_child_age() -> None:
    facts = make("social_media", pupil_status="former", pupil_age=16, years_since_leaving=0.5)
    assert assess(facts).verdict == "prohibited"
    assert assess(facts, EngineSettings(child_age=16)).verdict == "record"
    younger = dataclasses.replace(facts, pupil_age=15)
    assert assess(younger, EngineSettings(child_age=16)).verdict == "prohibited"


def test_custom_window() -> None:
    facts = make("relationship", pupil_status="former", pupil_age=22, years_since_leaving=4.0)
    vulnerable = dataclasses.replace(facts, vulnerable=True)
    assert assess(vulnerable).verdict == "needs_approval"
    assert assess(vulnerable, EngineSettings(window_years=5)).verdict == "prohibited"
    at_edge = dataclasses.replace(vulnerable, years_since_leaving=5.0)
    assert assess(at_edge, EngineSettings(window_years=5)).verdict == "needs_approval"


@pytest.mark.parametrize(
    "facts",
    [
        pytest.param(make("activity", exemption="sport"), id="current-sport"),
        pytest.param(make("meeting", exemption="volunteering"), id="current-volunteering"),
        pytest.param(
            make("social_event", exemption="family_invitation"), id="current-family-invitation"
        ),
        pytest.param(
            make("activity", pupil_status="former", exemption="scouts"), id="former-adult"
        ),
    ],
)
def test_exemption_without_approval_is_recorded(facts: ContactFacts) -> None:
    relaxed = EngineSettings(exemption_needs_approval=False)
    assert assess(facts).verdict == "needs_approval"
    result = assess(facts, relaxed)
    assert result.verdict == "record"
    assert result.approver is None
    assert result.actions == {"record_on_staff_file"}


@pytest.mark.parametrize(
    "facts",
    [
        pytest.param(make("activity", vulnerable=True, exemption="sport"), id="vulnerable"),
        pytest.param(make("activity", "work", exemption="sport"), id="work-purpose"),
        pytest.param(make("meeting"), id="no-exemption"),
    ],
)
def test_relaxed_exemptions_do_not_relax_anything_else(facts: ContactFacts) -> None:
    relaxed = EngineSettings(exemption_needs_approval=False)
    assert assess(facts, relaxed).verdict == assess(facts).verdict


# --- Merging --------------------------------------------------------------------------------


def test_stricter_verdict_wins_and_actions_add_up() -> None:
    # Rule 4 alone says needs_approval; 003 §2 makes the social event prohibited.
    facts = make("social_event", "work", pupil_status="former", **VULNERABLE_RECENT)
    result = assess(facts)
    assert result.verdict == "prohibited"
    assert {f.verdict for f in result.findings} == {"prohibited", "needs_approval"}
    assert result.actions == {
        "record_on_staff_file",
        "record_on_pupil_file",
        "notify_line_manager",
        "plan_of_involvement",
    }
    assert result.approver is None


def test_needs_approval_beats_record_and_actions_add_up() -> None:
    result = assess(make("gift", pupil_status="none"))
    assert result.verdict == "needs_approval"
    assert {f.verdict for f in result.findings} == {"needs_approval", "record"}
    assert result.actions == {"restricted_liaison_log", "notify_line_manager"}


def test_findings_are_ordered_strictest_first() -> None:
    result = assess(make("activity", vulnerable=True, exemption="sport"))
    ranks = [RANK[finding.verdict] for finding in result.findings]
    assert ranks == sorted(ranks)
    assert result.findings[0].verdict == "prohibited"


def test_findings_have_no_duplicates() -> None:
    result = assess(make("social_media", vulnerable=True, exemption="own_family"))
    assert len(result.findings) == len(set(result.findings))


def test_record_without_actions_gets_default_action() -> None:
    result = assess(make("social_media", pupil_status="former"))
    assert result.actions == {"record_on_staff_file"}
    assert "general.keep_record" in clauses_of(result)


def test_breach_when_prohibited_contact_already_happened() -> None:
    facts = make("social_media", planned=False)
    result = assess(facts)
    assert is_breach(facts, result)
    assert not is_breach(make("social_media"), assess(make("social_media")))


def test_unmatched_safety_net(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_rules, "RULES", ())
    planned = assess(make("meeting"))
    assert planned.verdict == "needs_approval"
    assert clauses_of(planned) == {"general.unmatched", "approval.headteacher"}
    reported = assess(make("meeting", planned=False))
    assert reported.verdict == "record"
    assert reported.actions == {"notify_line_manager"}


def test_finding_citation_and_assessment_properties() -> None:
    result = assess(make("text_message", "work"))
    assert result.is_prohibited
    assert not result.needs_approval
    assert result.findings[0].citation == "001 §5.2"
    assert result.citations == ("001 §5.2",)
    named = assess(make("meeting", "work"))
    assert named.needs_approval
    assert "000 §intended contact" in named.citations


def test_default_settings_are_the_policy_defaults() -> None:
    assert EngineSettings() == EngineSettings(
        child_age=18, window_years=3.0, exemption_needs_approval=True
    )
    facts = make("meeting", pupil_status="former", pupil_age=17, years_since_leaving=1.0)
    assert assess(facts) == assess(facts, EngineSettings())


# --- Validation -----------------------------------------------------------------------------

INVALID_FACTS: list[Any] = [
    pytest.param("kind", {"kind": "visit"}, id="unknown-kind"),
    pytest.param("purpose", {"purpose": "business"}, id="unknown-purpose"),
    pytest.param("pupil_status", {"pupil_status": "alumni"}, id="unknown-status"),
    pytest.param("exemption", {"exemption": "church"}, id="unknown-exemption"),
    pytest.param("exemption", {"exemption": ""}, id="empty-exemption"),
    pytest.param("pupil_age", {"pupil_age": -1}, id="negative-age"),
    pytest.param("pupil_age", {"pupil_age": 14.5}, id="fractional-age"),
    pytest.param("pupil_age", {"pupil_age": True}, id="bool-age"),
    pytest.param("pupil_age", {"pupil_age": "14"}, id="text-age"),
    pytest.param("pupil_age", {"pupil_age": None}, id="current-without-age"),
    pytest.param(
        "pupil_age",
        {"pupil_status": "former", "pupil_age": None, "years_since_leaving": 1.0},
        id="former-without-age",
    ),
    pytest.param("pupil_age", {"pupil_status": "none", "pupil_age": 14}, id="family-with-age"),
    pytest.param(
        "years_since_leaving",
        {"pupil_status": "former", "years_since_leaving": None},
        id="former-without-years",
    ),
    pytest.param(
        "years_since_leaving",
        {"pupil_status": "former", "years_since_leaving": -0.5},
        id="negative-years",
    ),
    pytest.param(
        "years_since_leaving",
        {"pupil_status": "former", "years_since_leaving": float("nan")},
        id="nan-years",
    ),
    pytest.param(
        "years_since_leaving",
        {"pupil_status": "former", "years_since_leaving": float("inf")},
        id="infinite-years",
    ),
    pytest.param(
        "years_since_leaving",
        {"pupil_status": "former", "years_since_leaving": "2"},
        id="text-years",
    ),
    pytest.param("years_since_leaving", {"years_since_leaving": 1.0}, id="current-with-years"),
    pytest.param(
        "years_since_leaving",
        {"pupil_status": "none", "pupil_age": None, "years_since_leaving": 1.0},
        id="family-with-years",
    ),
    pytest.param("vulnerable", {"vulnerable": "yes"}, id="vulnerable-not-bool"),
    pytest.param("parent_organised", {"parent_organised": 1}, id="parent-organised-not-bool"),
    pytest.param("requester_is_head", {"requester_is_head": None}, id="head-not-bool"),
    pytest.param("planned", {"planned": "False"}, id="planned-not-bool"),
    pytest.param("school_channel", {"school_channel": 0}, id="channel-not-bool"),
]


@pytest.mark.parametrize(("field_name", "changes"), INVALID_FACTS)
def test_invalid_facts_name_the_field(field_name: str, changes: dict[str, Any]) -> None:
    fields: dict[str, Any] = {
        "kind": "meeting",
        "purpose": "personal",
        "pupil_status": "current",
        "pupil_age": 14,
        **changes,
    }
    with pytest.raises(ValueError, match=rf"^{field_name}:"):
        ContactFacts(**fields)


@pytest.mark.parametrize(
    ("field_name", "changes"),
    [
        pytest.param("child_age", {"child_age": -1}, id="negative-child-age"),
        pytest.param("child_age", {"child_age": 17.5}, id="fractional-child-age"),
        pytest.param("window_years", {"window_years": -1}, id="negative-window"),
        pytest.param("window_years", {"window_years": float("nan")}, id="nan-window"),
        pytest.param(
            "exemption_needs_approval", {"exemption_needs_approval": "no"}, id="flag-not-bool"
        ),
    ],
)
def test_invalid_settings_name_the_field(field_name: str, changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=rf"^{field_name}:"):
        EngineSettings(**changes)


def test_defaults_make_facts_easy_to_build() -> None:
    facts = ContactFacts(kind="gift", purpose="personal", pupil_status="none", pupil_age=None)
    assert facts.years_since_leaving is None
    assert facts.exemption is None
    flags = (
        "vulnerable",
        "parent_organised",
        "requester_is_head",
        "planned",
        "school_channel",
        "declared",
        "parent_agreed_mode",
    )
    assert not any(getattr(facts, name) for name in flags)


def test_whole_number_years_since_leaving_is_accepted() -> None:
    facts = make("meeting", pupil_status="former", years_since_leaving=3)
    assert assess(facts).verdict == "needs_approval"


# --- Catalogue and labels -------------------------------------------------------------------


def test_every_clause_cites_a_known_source() -> None:
    assert set(SOURCES) == {"000", "001", "002", "003", "004"}
    for clause_id, clause in CLAUSES.items():
        assert clause.id == clause_id
        assert clause.source in SOURCES
        assert clause.section
        assert clause.citation.startswith(f"{clause.source} §")


def test_paraphrases_are_short_single_sentences() -> None:
    for clause in CLAUSES.values():
        assert 20 <= len(clause.text) <= 200, clause.id
        assert clause.text.endswith("."), clause.id
        # One sentence: no full stop before the last character.
        assert ". " not in clause.text, clause.id


def test_every_rule_finding_is_in_the_catalogue() -> None:
    for _, facts, *_ in ALL_CASES:
        for finding in assess(facts).findings:
            assert CLAUSES[finding.clause].text == finding.text


@pytest.mark.parametrize(
    ("values", "labels"),
    [
        pytest.param(KINDS, KIND_LABELS, id="kinds"),
        pytest.param(PURPOSES, PURPOSE_LABELS, id="purposes"),
        pytest.param(PUPIL_STATUSES, PUPIL_STATUS_LABELS, id="statuses"),
        pytest.param(EXEMPTIONS, EXEMPTION_LABELS, id="exemptions"),
        pytest.param(VERDICTS, VERDICT_LABELS, id="verdicts"),
        pytest.param(APPROVERS, APPROVER_LABELS, id="approvers"),
        pytest.param(ACTIONS, ACTION_LABELS, id="actions"),
    ],
)
def test_every_value_has_a_label(values: tuple[str, ...], labels: dict[str, str]) -> None:
    assert tuple(labels) == values
    assert all(label.strip() for label in labels.values())


def test_vocabulary_is_exact() -> None:
    assert len(KINDS) == 13
    assert VERDICTS == ("prohibited", "needs_approval", "record")
    assert KIND_LABELS["transport"] == "A lift in your vehicle"
    assert ACTION_LABELS["consider_lado"] == (
        "Consider consulting the LADO (local authority designated officer)"
    )


# --- Properties over all valid facts ----------------------------------------------------------


@st.composite
def contact_facts(draw: st.DrawFn) -> ContactFacts:
    status = draw(st.sampled_from(PUPIL_STATUSES))
    age = None if status == "none" else draw(st.integers(min_value=0, max_value=99))
    years = None
    if status == "former":
        years = draw(st.floats(min_value=0, max_value=60, allow_nan=False, allow_infinity=False))
    return ContactFacts(
        kind=draw(st.sampled_from(KINDS)),
        purpose=draw(st.sampled_from(PURPOSES)),
        pupil_status=status,
        pupil_age=age,
        years_since_leaving=years,
        vulnerable=draw(st.booleans()),
        exemption=draw(st.none() | st.sampled_from(EXEMPTIONS)),
        parent_organised=draw(st.booleans()),
        requester_is_head=draw(st.booleans()),
        planned=draw(st.booleans()),
        school_channel=draw(st.booleans()),
    )


engine_settings = st.builds(
    EngineSettings,
    child_age=st.integers(min_value=0, max_value=30),
    window_years=st.floats(min_value=0, max_value=20, allow_nan=False, allow_infinity=False),
    exemption_needs_approval=st.booleans(),
)
maybe_settings = st.none() | engine_settings


@settings(max_examples=500)
@given(contact_facts(), maybe_settings)
def test_assess_is_total_and_well_formed(facts: ContactFacts, config: EngineSettings) -> None:
    result = assess(facts, config)
    assert result.verdict in VERDICTS
    assert result.findings
    assert result.verdict == engine.strictest(f.verdict for f in result.findings)
    assert result.actions <= set(ACTIONS)
    assert result.actions == frozenset().union(*(f.actions for f in result.findings))
    if result.verdict == "record":
        assert result.actions, "a plain record still tells staff what to do"
    for finding in result.findings:
        assert isinstance(finding, Finding)
        assert finding.clause in CLAUSES
        assert finding.source in SOURCES
        assert len(finding.text) <= 200
    ranks = [RANK[f.verdict] for f in result.findings]
    assert ranks == sorted(ranks)
    # Every valid combination is covered by a real rule, so the safety net never fires.
    assert "general.unmatched" not in clauses_of(result)


@given(contact_facts(), maybe_settings)
def test_approver_is_set_exactly_when_needs_approval(
    facts: ContactFacts, config: EngineSettings
) -> None:
    result = assess(facts, config)
    assert (result.approver is not None) == (result.verdict == "needs_approval")
    if result.needs_approval:
        expected = "chair_of_governors" if facts.requester_is_head else "headteacher"
        assert result.approver == expected


@given(contact_facts(), maybe_settings)
def test_requester_being_head_only_changes_the_approver(
    facts: ContactFacts, config: EngineSettings
) -> None:
    as_staff = assess(dataclasses.replace(facts, requester_is_head=False), config)
    as_head = assess(dataclasses.replace(facts, requester_is_head=True), config)
    assert as_staff.verdict == as_head.verdict
    assert as_staff.actions == as_head.actions


@st.composite
def riskier_pair(draw: st.DrawFn) -> tuple[ContactFacts, ContactFacts]:
    """A valid fact and the same fact made riskier in exactly one way."""
    facts = draw(contact_facts().filter(lambda f: f.pupil_status != "none"))
    options = ["vulnerable"]
    if facts.pupil_status == "former":
        options.append("current")
    if facts.pupil_age:
        options.append("younger")
    change = draw(st.sampled_from(options))
    if change == "vulnerable":
        riskier = dataclasses.replace(facts, vulnerable=True)
    elif change == "current":
        riskier = dataclasses.replace(facts, pupil_status="current", years_since_leaving=None)
    else:
        younger = draw(st.integers(min_value=0, max_value=facts.pupil_age - 1))
        riskier = dataclasses.replace(facts, pupil_age=younger)
    return facts, riskier


@settings(max_examples=500)
@given(riskier_pair(), maybe_settings)
def test_prohibited_never_weakens_when_riskier(
    pair: tuple[ContactFacts, ContactFacts], config: EngineSettings
) -> None:
    facts, riskier = pair
    if assess(facts, config).is_prohibited:
        assert assess(riskier, config).is_prohibited


@settings(max_examples=500)
@given(riskier_pair(), maybe_settings)
def test_no_verdict_weakens_when_riskier(
    pair: tuple[ContactFacts, ContactFacts], config: EngineSettings
) -> None:
    # Stronger than required: the whole verdict order is monotone, not just "prohibited".
    facts, riskier = pair
    assert RANK[assess(riskier, config).verdict] <= RANK[assess(facts, config).verdict]


def test_combine_takes_the_strictest_verdict_and_every_action():
    adult = engine.assess(
        engine.ContactFacts(
            kind="meeting",
            purpose="personal",
            pupil_status="former",
            pupil_age=25,
            years_since_leaving=6.0,
            planned=True,
        )
    )
    child = engine.assess(
        engine.ContactFacts(
            kind="meeting", purpose="personal", pupil_status="current", pupil_age=12, planned=True
        )
    )
    combined = engine.combine([adult, child])
    assert adult.verdict == "needs_approval" and child.verdict == "prohibited"
    assert combined.verdict == "prohibited"
    assert combined.approver is None
    assert combined.actions == adult.actions | child.actions
    assert set(combined.findings) == set(adult.findings) | set(child.findings)
    assert engine.combine([adult]) == adult


def test_combine_needs_at_least_one_assessment():
    with pytest.raises(ValueError, match="assessments"):
        engine.combine([])


# --- Standing declarations (001 §3 individual exemptions; 000 intended contact) ----------------

DECLARED_RECORD = [
    ("lift for a declared child's friend", make("transport", declared=True)),
    ("party with a declared neighbour's child", make("social_event", declared=True)),
    ("text to a declared own child", make("text_message", declared=True)),
    ("number known to a declared family friend", make("personal_details", declared=True)),
    ("photos of a declared pupil at a family event", make("photography", declared=True)),
    ("gift to a declared pupil", make("gift", declared=True)),
]


@pytest.mark.parametrize(("name", "facts"), DECLARED_RECORD, ids=[n for n, _ in DECLARED_RECORD])
def test_contact_inside_a_standing_declaration_is_recorded_not_approved(name, facts):
    undeclared = assess(dataclasses.replace(facts, declared=False))
    assessment = assess(facts)
    assert undeclared.verdict in ("prohibited", "needs_approval"), name
    assert assessment.verdict == "record"
    assert "declaration.standing" in clauses_of(assessment)


def test_a_declaration_never_covers_a_relationship():
    assessment = assess(make("relationship", declared=True))
    assert assessment.verdict == "prohibited"
    assert "declaration.standing" not in clauses_of(assessment)


def test_a_declaration_covers_personal_contact_only():
    work = assess(make("text_message", purpose="work", declared=True))
    assert work.verdict == "prohibited"
    assert "declaration.standing" not in clauses_of(work)


def test_declared_must_be_a_bool():
    with pytest.raises(ValueError, match="declared"):
        make("meeting", declared="yes")
