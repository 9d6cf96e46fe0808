"""What the engine is given and gives back: the facts of a contact and the school's settings,
checked as they are made; the findings of the rules and the merged assessment.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from policies.engine.clauses import CLAUSES
from policies.engine.vocabulary import (
    ACTIONS,
    APPROVERS,
    EXEMPTIONS,
    KINDS,
    NEEDS_APPROVAL,
    PROHIBITED,
    PUPIL_STATUSES,
    PURPOSES,
    VERDICTS,
    Action,
    Approver,
    Exemption,
    Kind,
    PupilStatus,
    Purpose,
    Source,
    Verdict,
    cite,
)


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
    # The contact is of a kind covered by a standing declaration of a relationship with this
    # pupil that the head acknowledged (own child, child's friend, neighbour...: 001 §3).
    declared: bool = False
    # The pupil's parents have agreed the school may contact them this way (a call or a text on
    # school equipment: 004 §11). Recorded on the pupil's page.
    parent_agreed_mode: bool = False

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
            "declared",
            "parent_agreed_mode",
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
        return cite(self.source, self.section)


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


def clause_finding(clause_id: str, verdict: Verdict, *actions: Action) -> Finding:
    clause = CLAUSES[clause_id]
    return Finding(
        clause=clause.id,
        verdict=verdict,
        source=clause.source,
        section=clause.section,
        text=clause.text,
        actions=frozenset(actions),
    )
