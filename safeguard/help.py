"""The help pages' words: what each role does in Safeguard, and a glossary of the terms the
pages use. Plain data, paraphrasing the school policies the app follows (cited by document and
section, as docs/policy-rules.md does); safeguard.views renders them, and pages link a term
where it first appears with the `term` template tag."""

from __future__ import annotations

from dataclasses import dataclass

from safeguard.core.roles import Role


@dataclass(frozen=True)
class Term:
    slug: str  # the glossary's anchor: /help/glossary/#<slug>
    term: str
    meaning: str
    source: str = ""
    # How the term is written on the pages (a regular expression): plain text such as a
    # policy finding links it where it first appears (`linked_terms`), and a test checks that
    # every page links it there.
    written: str = ""


GLOSSARY: tuple[Term, ...] = (
    Term(
        "audit-trail",
        "Audit trail",
        "A record of everything done in Safeguard and of every opening of sensitive content: "
        "who, what, when. Each school's entries are chained together so that a change or a "
        "deletion made behind the app's back is found when the chain is checked.",
        written=r"(?i)\baudit (trail|events?)\b",
    ),
    Term(
        "boundary-concern",
        "Boundary concern",
        "A worry that a member of staff (or you yourself) may have crossed, or be close to "
        "crossing, a professional boundary with a pupil. It goes to the headteacher (to the "
        "chair of governors when it is about the headteacher); the person it is about never "
        "sees who raised it.",
        "003 §6",
        written=r"(?i)\bboundary concerns?\b",
    ),
    Term(
        "checkpoint",
        "Signed checkpoint",
        "A short statement of where a school's audit trail had got to, signed with a key kept "
        "outside the database and sent to the chair of governors. Anyone holding one can later "
        "prove that the trail has not been rewritten since.",
        written=r"(?i)\bsigned checkpoints?\b",
    ),
    Term(
        "declaration",
        "Declared relationship",
        "A relationship you have with a pupil outside school (your own child, a neighbour, a "
        "family friend, the same club) told to the headteacher once, so that the contact it "
        "covers does not need asking about every time.",
        "001 §3",
        written=r"(?i)\b(declared relationships?|standing declarations?)\b",
    ),
    Term(
        "disclosure",
        "Disclosure",
        "Something a pupil tells a member of staff about harm to them or a risk to them. A "
        "child-protection disclosure goes to the DSL at once; staff never promise to keep it "
        "secret.",
        "001 §4.2",
        written=r"(?i)\bdisclosures?\b",
    ),
    Term(
        "dsl",
        "DSL (designated safeguarding lead)",
        "The senior member of staff who leads on child protection: they receive disclosures, "
        "decide what happens next and refer to other agencies. A deputy DSL acts when the DSL "
        "is away.",
        written=r"\bDSL\b|(?i:designated safeguarding lead)",
    ),
    Term(
        "former-pupil",
        "Former pupil",
        "Someone who has left the school. A former pupil who is still a child, or who is a "
        "vulnerable adult, is protected for a number of years after leaving (three by "
        "default): personal contact with them is treated much as with a current pupil.",
        "000 §contact with former pupils; 003 §2",
        written=r"(?i)\bformer pupils?\b",
    ),
    Term(
        "lado",
        "LADO (local authority designated officer)",
        "The person at the local authority who advises on, and manages, concerns that an adult "
        "working with children may have harmed a child or may not be suitable to. The "
        "headteacher consults them, for example about a close relationship with a former "
        "pupil.",
        "000 §contact with former pupils",
        written=r"\bLADO\b(?!-)",  # not a referral's reference (LADO-000001)
    ),
    Term(
        "line-manager-monitoring",
        "Monitoring",
        "A line manager's reading of the approved contact of the staff they manage, marked as "
        "reviewed once read, so that agreed contact is overseen by someone other than the "
        "person who decided it.",
        "000 §intended contact",
        written=r"(?i)\bmonitor(ing|ed|s)?\b",
    ),
    Term(
        "low-level-concern",
        "Low-level concern",
        "A worry about an adult's behaviour that does not reach the point of harm but is out "
        "of keeping with the school's code of conduct. Each is recorded, so that a pattern can "
        "be seen.",
        "003 §6",
        written=r"(?i)\blow-level concerns?\b",
    ),
    Term(
        "plan-of-involvement",
        "Plan of involvement",
        "What contact with a former pupil who is still protected must have before it is agreed: "
        "what it is meant to achieve, for how long and how often, the support or supervision "
        "for the member of staff, other agencies involved, and a date to review it.",
        "000 §contact with former pupils",
        written=r"(?i)\bplans? of involvement\b",
    ),
    Term(
        "restricted-entry",
        "Restricted family-liaison entry",
        "Contact with a pupil's family that only the headteacher, the assistant headteacher and "
        "the person who wrote it may read (and the chair of governors when it is theirs to "
        "decide).",
        "002",
        written=r"(?i)\brestricted\b",
    ),
    Term(
        "sources",
        "Policy sources (000 to 004)",
        "Safeguard's rules paraphrase five published policies, cited by number and section: "
        "000, a secondary school's policy on contact with pupils outside work; 001, a primary "
        "school's professional relations policy; 002, a special school's home and school "
        "liaison policy; 003, a policy and procedure on professional relationship boundaries; "
        "004, a local authority's guidance on safer working practice. Where the school has "
        "adopted its own policy behind a rule, the school's policy is named first.",
        written=r"\bsource(?= 00[0-4])",
    ),
    Term(
        "whistleblowing",
        "Whistleblowing route",
        "A way to raise a concern that bypasses the school's management entirely: it goes to "
        "the governor the chair names for it.",
        "003 §6",
        written=r"(?i)\bwhistleblowing\b",
    ),
)

TERMS = {term.slug: term for term in GLOSSARY}


@dataclass(frozen=True)
class RoleGuide:
    role: str
    title: str
    does: tuple[str, ...]


ROLE_GUIDES: tuple[RoleGuide, ...] = (
    RoleGuide(
        Role.STAFF,
        "Every member of staff",
        (
            'Asks "Can I do this?" before any contact with a pupil outside the usual work '
            "context, and asks for approval when the answer says so, before the contact.",
            "Records contact that happened by chance, messages and calls, gifts, lifts and "
            "photographs promptly, and records a disclosure at once.",
            "Raises a boundary concern about anyone, themselves included.",
            "Declares a relationship with a pupil outside school (their own child, a "
            "neighbour), once.",
            "Reads and confirms the school's policies.",
        ),
    ),
    RoleGuide(
        Role.LINE_MANAGER,
        "Line manager",
        (
            "Monitors the approved contact of the staff they manage and marks it as reviewed.",
            "Is told when contact that needed approval was recorded afterwards, to discuss it.",
        ),
    ),
    RoleGuide(
        Role.HEADTEACHER,
        "Headteacher",
        (
            "Decides requests for planned contact from the dashboard's queue, with reasons, "
            "before the contact takes place.",
            "Acts on what needs attention: records the head must hear of, outcomes overdue, "
            "boundary concerns, and consults the LADO where the policies advise it.",
            "Acknowledges staff's declared relationships and keeps the school's settings.",
        ),
    ),
    RoleGuide(
        Role.DEPUTY_HEAD,
        "Deputy headteacher",
        ("Decides requests while the headteacher is recorded as absent.",),
    ),
    RoleGuide(
        Role.ASSISTANT_HEAD,
        "Assistant headteacher",
        (
            "Reads and, while the headteacher is away, decides restricted family-liaison entries.",
            "May authorise photographs for the senior leadership team.",
        ),
    ),
    RoleGuide(
        Role.DSL,
        "Designated safeguarding lead (DSL)",
        (
            "Starts on the queue of what needs attention: disclosures first.",
            "Acknowledges each child-protection disclosure, keeps the case's actions and "
            "referrals, and closes it with a written rationale.",
        ),
    ),
    RoleGuide(
        Role.DEPUTY_DSL,
        "Deputy DSL",
        (
            "Reads child-protection disclosures, and acts on one once it has been passed to "
            "them because nobody acknowledged it in time.",
        ),
    ),
    RoleGuide(
        Role.CHAIR_OF_GOVERNORS,
        "Chair of governors",
        (
            "Decides the headteacher's own requests and manages concerns about the headteacher.",
            "Keeps the audit trail's signed checkpoints and reads the governors' report.",
        ),
    ),
    RoleGuide(
        Role.GOVERNOR,
        "Governor",
        (
            "Reads the governors' report: counts and trends, never a pupil's name, to hold "
            "the school to account.",
        ),
    ),
    RoleGuide(
        Role.WHISTLEBLOWING_GOVERNOR,
        "Governor for whistleblowing",
        ("Receives concerns raised by the whistleblowing route.",),
    ),
    RoleGuide(
        Role.SCHOOL_ADMIN,
        "School administrator",
        (
            "Adds staff and pupils (one by one or from a file), sends invitations and keeps "
            "leaving dates.",
        ),
    ),
)
