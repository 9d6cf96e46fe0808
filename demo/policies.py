"""The demo school's policy documents: one per seed policy, linked to the clauses it backs.

The summaries and texts are Safeguard's own paraphrases (a real school pastes its adopted text).
The review dates are those of the seed documents, several of them long past, as schools often are.
"""

from __future__ import annotations

import datetime as dt

from contacts.people.models import Staff
from policies import services
from policies.engine import CLAUSES
from safeguard.core.roles import DEFAULT_POLICY_SIGNATORIES, Role

# Who signs each policy, as its seed document ends (the head and the chair of governors unless
# named here): 002 is signed by the headteacher and the assistant headteacher.
SIGNATORIES = {"002": (Role.HEADTEACHER, Role.ASSISTANT_HEAD)}
# The policy whose new version awaits the chair's signature.
REVIEWED_AGAIN = "001"

DAYS_A_MONTH = 30.4
# Each seed policy as the demo school holds it: when it was last reviewed (months ago) and when
# its next review falls (months from today), as a school keeping up would have them, except
# one a month past its review date, to show how the app and the governors' report flag it.
DEMO_POLICIES = [
    (
        "000",
        "Contact between staff and pupils outside the work context",
        Role.HEADTEACHER,
        "No personal contact with current pupils, or former pupils of school age, outside school "
        "except in exempt circumstances. Planned work-related contact is agreed in advance by the "
        "headteacher, recorded on both files with reasons and monitored by the line manager. "
        "Contact with former pupils needs a plan of involvement; a close relationship may need "
        "the LADO.",
        14,
        10,
    ),
    (
        "001",
        "Professional relations",
        Role.HEADTEACHER,
        "Staff keep clear professional boundaries: no informal social occasions with pupils "
        "unless invited by the family, authorisation for any social meeting, no texts or "
        "personal email or social media with pupils, lifts only in an emergency and reported, "
        "and child-protection disclosures reported at once.",
        8,
        16,
    ),
    (
        "002",
        "Home/school liaison",
        Role.ASSISTANT_HEAD,
        "Contact with pupils or their families outside school is disclosed to the headteacher, "
        "who decides whether it is appropriate; any contact that goes ahead is logged on the "
        "liaison form that only the headteacher and assistant headteacher read.",
        20,
        4,
    ),
    (
        "003",
        "Professional relationship boundaries",
        Role.HEADTEACHER,
        "No social contact with vulnerable ex-pupils, or ex-pupils who are still children, for "
        "three years after they leave unless a parent or carer arranges it. Photographs and film "
        "only with advance authorisation. Blurred or broken boundaries are reported to the line "
        "manager and recorded.",
        5,
        7,
    ),
    (
        "004",
        "Safer working practice: communication and social contact",
        Role.DSL,
        "Staff do not give pupils personal contact details, use only school equipment to "
        "communicate with them, agree any social contact in advance with senior staff, record "
        "cards and gifts, and never let a relationship with a pupil become intimate.",
        13,
        -1,
    ),
]


def build_demo_policies(
    head: Staff, signatories: dict[str, Staff], readers: list[Staff], today: dt.date
) -> None:
    """Each policy adopted by its signatories (as its seed document is signed), then read by
    `readers`. The professional relations policy has been reviewed again this term and waits
    for the chair of governors' signature, the head having signed."""
    for source, title, owner, summary, months_ago, months_left in DEMO_POLICIES:
        reviewed = today - dt.timedelta(days=round(months_ago * DAYS_A_MONTH))
        due = today + dt.timedelta(days=round(months_left * DAYS_A_MONTH))
        signing = SIGNATORIES.get(source, DEFAULT_POLICY_SIGNATORIES)
        policy = services.policy_create(
            actor=head,
            school=head.school,
            title=title,
            owner_role=owner,
            summary=summary,
            clauses=[cid for cid, clause in CLAUSES.items() if clause.source == source],
            signatories=signing,
            last_reviewed=reviewed,
            next_review=due,
            text=_text(summary),
        )
        version = policy.versions.get()
        for role in signing:
            services.policy_version_sign(actor=signatories[role], version=version)
        for reader in readers:
            services.policy_acknowledge(actor=reader, version=version)
        if source == REVIEWED_AGAIN:
            revised = services.policy_version_add(
                actor=head,
                policy=policy,
                last_reviewed=today - dt.timedelta(days=7),
                next_review=today + dt.timedelta(days=730),
                text=_text(summary),
                change_note="Reviewed this term: no change to what it asks of staff.",
            )
            services.policy_version_sign(actor=head, version=revised)


def _text(summary: str) -> str:
    return (
        f"{summary}\n\n(Demo text written for Safeguard; a school pastes or uploads the policy "
        "it has adopted.)"
    )
