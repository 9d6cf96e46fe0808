"""Applying the rules: `assess` merges every rule's findings for one contact with one pupil,
`combine` merges the assessments of one contact with several pupils.
"""

from __future__ import annotations

from collections.abc import Iterable

from policies.engine import rules
from policies.engine.values import Assessment, ContactFacts, EngineSettings, Finding, clause_finding
from policies.engine.vocabulary import (
    NEEDS_APPROVAL,
    PROHIBITED,
    RECORD,
    VERDICTS,
    Approver,
    Verdict,
)

_STRICTNESS: dict[str, int] = {verdict: rank for rank, verdict in enumerate(VERDICTS)}


def strictest(verdicts: Iterable[Verdict]) -> Verdict:
    """The strictest of the verdicts: prohibited beats needs_approval beats record."""
    return min(verdicts, key=_STRICTNESS.__getitem__)


def _unmatched(facts: ContactFacts) -> list[Finding]:
    # Safety net for future kinds: never allow silently, so planned contact needs approval.
    if facts.planned:
        return [clause_finding("general.unmatched", NEEDS_APPROVAL)]
    return [clause_finding("general.unmatched", RECORD, "notify_line_manager")]


def _consequences(facts: ContactFacts, verdict: Verdict, findings: list[Finding]) -> list[Finding]:
    """Findings that follow from the merged verdict rather than from any single rule."""
    if verdict == PROHIBITED and not facts.planned:
        return [
            clause_finding(
                "general.breach",
                PROHIBITED,
                "report_to_head_immediately",
                "record_on_staff_file",
            )
        ]
    if verdict == NEEDS_APPROVAL:
        if facts.requester_is_head:
            return [clause_finding("approval.chair_of_governors", NEEDS_APPROVAL)]
        return [clause_finding("approval.headteacher", NEEDS_APPROVAL)]
    if verdict == RECORD and not any(finding.actions for finding in findings):
        # A record with nothing to do would leave no trace; default to the staff file.
        return [clause_finding("general.keep_record", RECORD, "record_on_staff_file")]
    return []


def assess(facts: ContactFacts, settings: EngineSettings | None = None) -> Assessment:
    """Apply every rule to the facts and merge: strictest verdict wins, actions add up."""
    if settings is None:
        settings = EngineSettings()
    findings = [finding for rule in rules.RULES for finding in rule(facts, settings)]
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
