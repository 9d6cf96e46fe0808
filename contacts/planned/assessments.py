"""Keeping an engine assessment with the request or record it was made for.

The stored copy is what the decider (or the reader of a record) saw at the time, even if the
rules or the pupil's details change later.
"""

from __future__ import annotations

from typing import Any

from policies.engine import Approver, Assessment, Finding


def snapshot(entry: Any, assessment: Assessment) -> None:
    """Copy the assessment onto a request or record (not saved here)."""
    entry.verdict = assessment.verdict
    entry.actions = sorted(assessment.actions)
    entry.restricted = "restricted_liaison_log" in assessment.actions
    entry.findings = [
        {
            "clause": f.clause,
            "verdict": f.verdict,
            "source": f.source,
            "section": f.section,
            "text": f.text,
            "actions": sorted(f.actions),
        }
        for f in assessment.findings
    ]


def stored_assessment(entry: Any) -> Assessment | None:
    """The assessment as it was stored, rebuilt for the pages that show it."""
    if not entry.verdict:
        return None
    approver: Approver | None = None
    if entry.verdict == "needs_approval":
        approver = entry.route or "headteacher"
    return Assessment(
        verdict=entry.verdict,
        approver=approver,
        actions=frozenset(entry.actions),
        findings=tuple(
            Finding(
                clause=f["clause"],
                verdict=f["verdict"],
                source=f["source"],
                section=f["section"],
                text=f["text"],
                actions=frozenset(f.get("actions", ())),
            )
            for f in entry.findings
        ),
    )
