"""The demo school's policy documents: one per seed policy, linked to the clauses it backs.

The summaries and texts are Safeguard's own paraphrases (a real school pastes its adopted text).
The review dates are those of the seed documents, several of them long past, as schools often are.
"""

from __future__ import annotations

import datetime as dt

from contacts.people.models import Staff
from policies import services
from policies.engine import CLAUSES
from safeguard.core.roles import Role

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
        dt.date(2015, 4, 29),
        dt.date(2019, 12, 31),
    ),
    (
        "001",
        "Professional relations",
        Role.HEADTEACHER,
        "Staff keep clear professional boundaries: no informal social occasions with pupils "
        "unless invited by the family, authorisation for any social meeting, no texts or "
        "personal email or social media with pupils, lifts only in an emergency and reported, "
        "and child-protection disclosures reported at once.",
        dt.date(2021, 1, 15),
        dt.date(2023, 1, 15),
    ),
    (
        "002",
        "Home/school liaison",
        Role.ASSISTANT_HEAD,
        "Contact with pupils or their families outside school is disclosed to the headteacher, "
        "who decides whether it is appropriate; any contact that goes ahead is logged on the "
        "liaison form that only the headteacher and assistant headteacher read.",
        dt.date(2021, 3, 1),
        dt.date(2023, 3, 31),
    ),
    (
        "003",
        "Professional relationship boundaries",
        Role.HEADTEACHER,
        "No social contact with vulnerable ex-pupils, or ex-pupils who are still children, for "
        "three years after they leave unless a parent or carer arranges it. Photographs and film "
        "only with advance authorisation. Blurred or broken boundaries are reported to the line "
        "manager and recorded.",
        dt.date(2019, 11, 1),
        dt.date(2020, 11, 1),
    ),
    (
        "004",
        "Safer working practice: communication and social contact",
        Role.DSL,
        "Staff do not give pupils personal contact details, use only school equipment to "
        "communicate with them, agree any social contact in advance with senior staff, record "
        "cards and gifts, and never let a relationship with a pupil become intimate.",
        dt.date(2011, 1, 9),
        dt.date(2012, 1, 9),
    ),
]


def build_demo_policies(head: Staff, readers: list[Staff]) -> None:
    for source, title, owner, summary, reviewed, due in DEMO_POLICIES:
        policy = services.policy_create(
            actor=head,
            school=head.school,
            title=title,
            owner_role=owner,
            summary=summary,
            clauses=[cid for cid, clause in CLAUSES.items() if clause.source == source],
            last_reviewed=reviewed,
            next_review=due,
            text=f"{summary}\n\n(Demo text written for Safeguard; a school pastes or uploads "
            "the policy it has adopted.)",
        )
        version = policy.versions.get()
        for reader in readers:
            services.policy_acknowledge(actor=reader, version=version)
