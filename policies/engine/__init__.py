"""Safeguard rules engine: decides what a member of staff must do about a contact.

Pure Python on purpose (no Django, no database, no I/O) so the rules can be read, tested and
cited on their own. The forms and pages use the constants and label dicts re-exported here as
the app's public vocabulary; ``assess()`` is the only entry point that applies the rules.

Every rule paraphrases one of five seed policies (see ``SOURCES``); the wording of each clause
lives in ``CLAUSES`` and is cited by document number and section, never quoted.
docs/policy-rules.md explains each rule and every judgement call made where the policies are
silent.

The package reads in order: ``vocabulary`` (the words), ``clauses`` (what the policies say),
``values`` (the facts given and the findings returned), ``rules`` and ``assess``. None of it
imports Django or the project; only the standard library.
"""

from policies.engine.assess import assess, combine, is_breach, strictest
from policies.engine.clauses import CLAUSES, Clause
from policies.engine.values import Assessment, ContactFacts, EngineSettings, Finding
from policies.engine.vocabulary import (
    ACTION_LABELS,
    ACTIONS,
    APPROVER_LABELS,
    APPROVERS,
    EXEMPTION_LABELS,
    EXEMPTIONS,
    KIND_LABELS,
    KINDS,
    MESSAGE_KINDS,
    NEEDS_APPROVAL,
    PERSONAL_CONTACT_KINDS,
    PROHIBITED,
    PUPIL_STATUS_LABELS,
    PUPIL_STATUSES,
    PURPOSE_LABELS,
    PURPOSES,
    RECORD,
    SOURCES,
    VERDICT_LABELS,
    VERDICTS,
    WORK_CONTACT_KINDS,
    Action,
    Approver,
    Exemption,
    Kind,
    PupilStatus,
    Purpose,
    Source,
    Verdict,
)

__all__ = [
    "ACTIONS",
    "ACTION_LABELS",
    "APPROVERS",
    "APPROVER_LABELS",
    "CLAUSES",
    "EXEMPTIONS",
    "EXEMPTION_LABELS",
    "KINDS",
    "KIND_LABELS",
    "MESSAGE_KINDS",
    "NEEDS_APPROVAL",
    "PERSONAL_CONTACT_KINDS",
    "PROHIBITED",
    "PUPIL_STATUSES",
    "PUPIL_STATUS_LABELS",
    "PURPOSES",
    "PURPOSE_LABELS",
    "RECORD",
    "SOURCES",
    "VERDICTS",
    "VERDICT_LABELS",
    "WORK_CONTACT_KINDS",
    "Action",
    "Approver",
    "Assessment",
    "Clause",
    "ContactFacts",
    "EngineSettings",
    "Exemption",
    "Finding",
    "Kind",
    "PupilStatus",
    "Purpose",
    "Source",
    "Verdict",
    "assess",
    "combine",
    "is_breach",
    "strictest",
]
