"""The rules. Each paraphrases the seed policies and returns the findings that match, or []
when it does not apply; `assess` merges them. docs/policy-rules.md explains each one.
"""

from __future__ import annotations

from collections.abc import Callable

from policies.engine.values import ContactFacts, EngineSettings, Finding, clause_finding
from policies.engine.vocabulary import (
    MESSAGE_KINDS,
    NEEDS_APPROVAL,
    PERSONAL_CONTACT_KINDS,
    PROHIBITED,
    RECORD,
    WORK_CONTACT_KINDS,
    Action,
    Verdict,
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


def _declared(facts: ContactFacts) -> bool:
    # A standing declaration covers personal contact it names; a close relationship never.
    return facts.declared and facts.purpose == "personal" and facts.kind != "relationship"


def _standing() -> Finding:
    return clause_finding("declaration.standing", RECORD, "record_on_staff_file")


def _exemption_verdict(settings: EngineSettings) -> Verdict:
    return NEEDS_APPROVAL if settings.exemption_needs_approval else RECORD


def _barred(clause_id: str, facts: ContactFacts, *actions: Action) -> Finding:
    """A prohibition the head has lifted already (a standing declaration) or may lift
    individually when the pupil is the requester's family."""
    if _declared(facts):
        return _standing()
    if _own_family(facts):
        return clause_finding("exemption.own_family_individual", NEEDS_APPROVAL)
    return clause_finding(clause_id, PROHIBITED, *actions)


# --- The rules --------------------------------------------------------------------------------
# Each rule returns the findings that match, or [] when it does not apply. assess() merges them.

Rule = Callable[[ContactFacts, EngineSettings], list[Finding]]


def relationship_rule(facts: ContactFacts, settings: EngineSettings) -> list[Finding]:
    """Rule 1 (000 contact with former pupils; 001 §6; 003 §2; 004 §13)."""
    if facts.kind != "relationship" or not _has_pupil(facts):
        return []
    found: list[Finding] = []
    if _current_or_child(facts, settings):
        found.append(clause_finding("relationship.current_or_child", PROHIBITED, "consider_lado"))
        found.append(clause_finding("relationship.breach_of_trust", PROHIBITED, "consider_lado"))
    if facts.vulnerable and in_window(facts, settings):
        found.append(clause_finding("relationship.vulnerable_window", PROHIBITED, "consider_lado"))
    if not found:
        # Not a plan of involvement: the head asks the LADO before deciding (000).
        found.append(clause_finding("relationship.former_pupil", NEEDS_APPROVAL, "consult_lado"))
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
        found.append(clause_finding("social_media.former_adult", RECORD))
    return found


def _exemption_finding(facts: ContactFacts, settings: EngineSettings) -> Finding:
    if facts.exemption == "family_invitation":
        return clause_finding("exemption.family_invitation", _exemption_verdict(settings))
    return clause_finding("exemption.activity", _exemption_verdict(settings))


def personal_contact_rule(facts: ContactFacts, settings: EngineSettings) -> list[Finding]:
    """Rule 3 (000 introduction, intended contact, contact with former pupils; 001 §4.2; 003 §2)."""
    if not (
        _has_pupil(facts)
        and facts.planned
        and facts.purpose == "personal"
        and facts.kind in PERSONAL_CONTACT_KINDS
    ):
        return []
    if _declared(facts):
        return [_standing()]
    if _own_family(facts):
        return [clause_finding("exemption.own_family", RECORD)]
    found: list[Finding] = []
    if _current_or_child(facts, settings):
        if facts.exemption is None and facts.parent_organised and facts.pupil_status == "former":
            # 003 §2 lets a parent or carer organise a specific meeting with a former pupil who
            # is still a child; the head agrees it first, with a plan (000 former pupils).
            found.append(
                clause_finding(
                    "personal_contact.former_child_parent_organised",
                    NEEDS_APPROVAL,
                    "plan_of_involvement",
                )
            )
        elif facts.exemption is None and facts.parent_organised:
            # Said on the page, so the refusal carries its reason (docs/policy-rules.md gap 14).
            found.append(clause_finding("personal_contact.current_parent_organised", PROHIBITED))
        elif facts.exemption is None:
            found.append(clause_finding("personal_contact.current_or_child", PROHIBITED))
        else:
            found.append(_exemption_finding(facts, settings))
    if _vulnerable_restricted(facts, settings):
        # Only a parent-arranged meeting lifts 003 §2; other exemptions, even a family
        # invitation, do not (see "Gaps and judgement calls").
        if facts.parent_organised:
            found.append(
                clause_finding("personal_contact.vulnerable_parent_organised", NEEDS_APPROVAL)
            )
        else:
            found.append(clause_finding("personal_contact.vulnerable_window", PROHIBITED))
    if found:
        return found
    # An adult former pupil with no extra vulnerability.
    if facts.exemption is not None:
        found.append(_exemption_finding(facts, settings))
    if facts.exemption is None or settings.exemption_needs_approval:
        found.append(
            clause_finding("personal_contact.former_pupil", NEEDS_APPROVAL, "plan_of_involvement")
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
        clause_finding(
            "work_contact.approval",
            NEEDS_APPROVAL,
            "record_on_staff_file",
            "record_on_pupil_file",
            "notify_line_manager",
        )
    ]
    if facts.pupil_status == "former":
        found.append(
            clause_finding("work_contact.former_pupil", NEEDS_APPROVAL, "plan_of_involvement")
        )
    if facts.kind == "social_event" and _vulnerable_restricted(facts, settings):
        if facts.parent_organised:
            found.append(
                clause_finding("personal_contact.vulnerable_parent_organised", NEEDS_APPROVAL)
            )
        else:
            found.append(clause_finding("work_contact.vulnerable_social", PROHIBITED))
    return found


def family_rule(facts: ContactFacts, settings: EngineSettings) -> list[Finding]:
    """Rule 5 (002 external contact; 001 §7; 003 §2; 000 correspondence; 004 covering letter)."""
    if _has_pupil(facts):
        return []
    if facts.planned:
        found = [clause_finding("family.planned", NEEDS_APPROVAL, "restricted_liaison_log")]
    else:
        found = [
            clause_finding(
                "family.unplanned",
                RECORD,
                "restricted_liaison_log",
                "report_to_head_immediately",
            )
        ]
    if facts.kind == "relationship":
        if facts.vulnerable:
            found.append(clause_finding("family.relationship_vulnerable", PROHIBITED))
        else:
            found.append(clause_finding("family.relationship", found[0].verdict))
    if facts.planned and not _own_family(facts):
        if facts.kind == "social_media":
            found.append(clause_finding("family.social_media", PROHIBITED))
        elif facts.kind == "email" and facts.purpose == "personal":
            found.append(clause_finding("family.personal_email", PROHIBITED))
    return found


def transport_rule(facts: ContactFacts, settings: EngineSettings) -> list[Finding]:
    """Rule 6 (001 §6). Planned personal lifts are rule 3's business."""
    if facts.kind != "transport" or not _has_pupil(facts):
        return []
    if not facts.planned:
        return [
            clause_finding(
                "transport.emergency",
                RECORD,
                "report_to_head_immediately",
                "record_on_pupil_file",
            )
        ]
    if facts.purpose == "work":
        return [clause_finding("transport.planned_work", NEEDS_APPROVAL, "record_on_pupil_file")]
    return []


def personal_details_rule(facts: ContactFacts, settings: EngineSettings) -> list[Finding]:
    """Rule 7 (000 correspondence; 004 §11)."""
    if facts.kind != "personal_details" or not _has_pupil(facts):
        return []
    if not facts.planned:
        return [
            clause_finding("personal_details.already_given", RECORD, "report_to_head_immediately")
        ]
    if _declared(facts):
        return [_standing()]
    if is_protected(facts, settings):
        # 001 §5.1: only in an emergency, and an emergency is not planned. Own family may still
        # be agreed individually by the head (001 §3).
        return [_barred("personal_details.emergency_only", facts)]
    return [clause_finding("personal_details.planned", NEEDS_APPROVAL)]


def messaging_rule(facts: ContactFacts, settings: EngineSettings) -> list[Finding]:
    """Rule 8 (000 correspondence, contact with former pupils; 001 §5.2; 004 §11)."""
    if not _has_pupil(facts):
        return []
    if facts.kind == "letter":
        return [clause_finding("letter.record", RECORD, "notify_line_manager")]
    if facts.kind not in MESSAGE_KINDS:
        return []
    if facts.purpose == "work" and facts.school_channel:
        if facts.kind == "email":
            return [clause_finding("messaging.school_email", RECORD, "copy_headteacher")]
        if facts.planned and is_protected(facts, settings) and not facts.parent_agreed_mode:
            return [
                clause_finding("messaging.parent_permission", NEEDS_APPROVAL, "parental_consent")
            ]
        found = [clause_finding("messaging.school_call_text", RECORD, "record_on_pupil_file")]
        if facts.kind == "text_message":
            found.append(
                clause_finding("messaging.no_text_conversation", RECORD, "record_on_pupil_file")
            )
        return found
    # From here on the message is personal: a personal channel, a personal purpose, or both.
    if not facts.planned:
        return [
            clause_finding(
                "messaging.already_happened",
                RECORD,
                "record_on_pupil_file",
                "report_to_head_immediately",
            )
        ]
    if facts.purpose == "work":
        return [clause_finding("messaging.personal_channel", PROHIBITED, "use_school_channel")]
    if is_protected(facts, settings):
        return [_barred("messaging.personal_purpose", facts)]
    if _declared(facts):
        return [_standing()]
    if _own_family(facts):
        return [clause_finding("exemption.own_family", RECORD)]
    return [clause_finding("messaging.former_adult", NEEDS_APPROVAL)]


def photography_rule(facts: ContactFacts, settings: EngineSettings) -> list[Finding]:
    """Rule 9 (003 §5; 004 §11). school_channel here means a school-owned device."""
    if facts.kind != "photography" or not _has_pupil(facts):
        return []
    if not facts.planned:
        return [clause_finding("photography.unapproved", RECORD, "report_to_head_immediately")]
    found: list[Finding] = []
    if facts.purpose == "personal" and is_protected(facts, settings):
        found.append(_barred("photography.personal_purpose", facts))
    elif _declared(facts):
        found.append(_standing())
    else:
        found.append(clause_finding("photography.planned", NEEDS_APPROVAL))
    if facts.purpose == "work" and not facts.school_channel:
        found.append(
            clause_finding("photography.personal_device", NEEDS_APPROVAL, "use_school_channel")
        )
    return found


def gift_rule(facts: ContactFacts, settings: EngineSettings) -> list[Finding]:
    """Rule 10 (004 §12; 003 §2 on favouritism for gifts planned for protected pupils)."""
    if facts.kind != "gift":
        return []
    found = [clause_finding("gift.record", RECORD, "notify_line_manager")]
    if facts.planned and is_protected(facts, settings) and not _own_family(facts):
        found.append(
            _standing()
            if _declared(facts)
            else clause_finding("gift.planned_protected", NEEDS_APPROVAL)
        )
    return found


def unplanned_contact_rule(facts: ContactFacts, settings: EngineSettings) -> list[Finding]:
    """Rule 12 (000 unplanned contact). Rules 1 and 2 still judge what already happened."""
    if _has_pupil(facts) and not facts.planned and facts.kind in WORK_CONTACT_KINDS:
        return [clause_finding("unplanned.record", RECORD, "record_on_staff_file")]
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
