"""The roles a person can hold, and the one place that answers "may this person do that?".

Roles are rows (contacts.StaffRole), never booleans on the user, so a school can give one
person several hats (a deputy who is also the DSL) without code changes.
"""

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models


class Role(models.TextChoices):
    STAFF = "staff", "Staff"
    LINE_MANAGER = "line_manager", "Line manager"
    HEADTEACHER = "headteacher", "Headteacher"
    DEPUTY_HEAD = "deputy_head", "Deputy headteacher"
    ASSISTANT_HEAD = "assistant_head", "Assistant headteacher"
    DSL = "dsl", "Designated safeguarding lead"
    DEPUTY_DSL = "deputy_dsl", "Deputy designated safeguarding lead"
    CHAIR_OF_GOVERNORS = "chair_of_governors", "Chair of governors"
    GOVERNOR = "governor", "Governor"
    WHISTLEBLOWING_GOVERNOR = "whistleblowing_governor", "Governor for whistleblowing"
    SCHOOL_ADMIN = "school_admin", "School administrator"


# Every role group is declared here, named by what it allows (tests/test_roles.py holds the
# rest of the code to that).

# Held by every active member of staff without a row of its own.
IMPLICIT = frozenset({Role.STAFF})
SENIOR_LEADERS = frozenset({Role.HEADTEACHER, Role.DEPUTY_HEAD, Role.ASSISTANT_HEAD})
# Who may browse the staff and pupil directories and open any pupil's page.
DIRECTORY_READERS = SENIOR_LEADERS | {Role.DSL, Role.SCHOOL_ADMIN}
# Who may add, edit and import people.
PEOPLE_EDITORS = frozenset({Role.HEADTEACHER, Role.SCHOOL_ADMIN})
GOVERNORS = frozenset({Role.GOVERNOR, Role.CHAIR_OF_GOVERNORS})
# Who is shown no pupil's name, not even to choose one in a form, unless they may read the roll
# anyway (a directory reader): the governors, who hold the school to account and never see pupils'
# names (the governors' report names none).
PUPIL_NAMES_WITHHELD = GOVERNORS
# Who has the school overview dashboard as their starting page.
DASHBOARD_READERS = SENIOR_LEADERS | {Role.DSL, Role.DEPUTY_DSL, Role.SCHOOL_ADMIN}
# Who stands in for the headteacher while the head is recorded absent: the deputy, and the
# assistant head for the restricted family-liaison log (002; contacts/planned/workflow.py).
HEAD_STAND_INS = frozenset({Role.DEPUTY_HEAD, Role.ASSISTANT_HEAD})
# Who may have requests to decide: the head and the chair; the deputy while the headteacher is
# absent, the assistant head for the restricted liaison log then, and either for photographs,
# which any senior leader may authorise (003 §5; contacts/planned/workflow.py).
DECIDERS = SENIOR_LEADERS | {Role.CHAIR_OF_GOVERNORS}
# Who may write and revise the school's policy documents, and see who has not read them.
POLICY_EDITORS = frozenset({Role.HEADTEACHER, Role.SCHOOL_ADMIN})
# Who may sign a policy version to adopt it, in the order the signatures are listed: the seed
# policies end with the headteacher's and the chair of governors' signatures, 002 with the
# assistant headteacher's. Each policy names which of them sign its versions (policies/models.py).
POLICY_SIGNATORY_ORDER = (Role.HEADTEACHER, Role.CHAIR_OF_GOVERNORS, Role.ASSISTANT_HEAD)
POLICY_SIGNATORIES = frozenset(POLICY_SIGNATORY_ORDER)
# Who signs a policy unless the school names others for it.
DEFAULT_POLICY_SIGNATORIES = (Role.HEADTEACHER, Role.CHAIR_OF_GOVERNORS)
# Who may read the school's audit trail, export it and run the chain check.
AUDIT_READERS = frozenset({Role.HEADTEACHER, Role.CHAIR_OF_GOVERNORS})
# Who may read "Who has seen this" on a pupil's page and a disclosure. A concern's list is
# its case manager's alone (a concern is never shown to the DSL as such).
SEEN_BY_READERS = frozenset({Role.HEADTEACHER, Role.DSL})
# Who records the headteacher's absence, during which the deputy decides requests: the head, or
# the chair who oversees the head; never the administrator, whose entry would hand the head's
# decisions and confidential concerns to the deputy without the head knowing.
ABSENCE_RECORDERS = frozenset({Role.HEADTEACHER, Role.CHAIR_OF_GOVERNORS})
# Who reads the restricted family-liaison log besides its author (002 §external contact).
RESTRICTED_READERS = frozenset({Role.HEADTEACHER, Role.ASSISTANT_HEAD})
# Who reads every disclosure, whatever its kind (001 §4.2).
DISCLOSURE_READERS = frozenset({Role.HEADTEACHER, Role.DSL})
# Who reads child-protection disclosures (not other personal ones) besides those: the deputy
# head (001 §4.2) and the deputy DSL, trained to the DSL's standard (KCSIE Annex C).
CHILD_PROTECTION_READERS = frozenset({Role.DEPUTY_HEAD, Role.DEPUTY_DSL})
# Who reads child-protection disclosures and adds to them.
DISCLOSURE_ADDERS = DISCLOSURE_READERS | CHILD_PROTECTION_READERS
# The DSL and their deputies: a child-protection disclosure is the DSL's to acknowledge; a deputy
# DSL acts once it has escalated to them (docs/policy-rules.md "What goes to whom").
DSL_TEAM = frozenset({Role.DSL, Role.DEPUTY_DSL})
# Who may own a "needs attention" alert, and so has the Needs attention page: the DSL team, the
# headteacher (the deputy while the head is away, the assistant head for the restricted
# family-liaison log then) and the chair of governors.
ATTENTION_OWNERS = DSL_TEAM | {
    Role.HEADTEACHER,
    Role.DEPUTY_HEAD,
    Role.ASSISTANT_HEAD,
    Role.CHAIR_OF_GOVERNORS,
    Role.WHISTLEBLOWING_GOVERNOR,
}
# Who decides whether a disclosure is kept at the end of its retention period, and is told one
# is due: the DSL, who keeps the child protection files, and the headteacher.
DISCLOSURE_REVIEWERS = frozenset({Role.HEADTEACHER, Role.DSL})
# Who can be a concern's case manager: the head (the deputy while the head is away), the chair.
CASE_MANAGERS = frozenset({Role.HEADTEACHER, Role.DEPUTY_HEAD, Role.CHAIR_OF_GOVERNORS})
# Who records and reads consultations and referrals to the LADO (never about themselves).
LADO_RECORDERS = frozenset({Role.HEADTEACHER, Role.CHAIR_OF_GOVERNORS, Role.DSL})
# Who opens one adult's pattern view (/staff/<pk>/pattern/) and sees "Worth a look" on the
# dashboard: the headteacher and the DSL, for any adult but themselves and the headteacher.
PATTERN_READERS = frozenset({Role.HEADTEACHER, Role.DSL})
# Who opens the headteacher's pattern view: the chair of governors, who oversees the head (as
# for a concern about the head), and then never the head.
HEAD_PATTERN_READERS = frozenset({Role.CHAIR_OF_GOVERNORS})
# Who may open a pattern view at all (403 for anyone else).
PATTERN_OPENERS = PATTERN_READERS | HEAD_PATTERN_READERS
# Who acknowledges a declared relative, before it lifts any rule: the headteacher, or the
# chair of governors when the head declared it or it is the relative of the head or of someone
# related to the head (003 §3).
RELATIVE_ACKNOWLEDGERS = frozenset({Role.HEADTEACHER, Role.CHAIR_OF_GOVERNORS})
# Who reads the governors' report: the governors, who hold the school to account, and the head.
REPORT_READERS = GOVERNORS | {Role.HEADTEACHER}
# Policy 000 and the threat model: whoever can read disclosures, allegations or the whole
# school's records, or change who holds which role, must prove it is them with a second factor.
TWO_FACTOR_ROLES = frozenset(
    {
        Role.HEADTEACHER,
        Role.DEPUTY_HEAD,
        Role.ASSISTANT_HEAD,
        Role.DSL,
        Role.DEPUTY_DSL,
        Role.CHAIR_OF_GOVERNORS,
        Role.WHISTLEBLOWING_GOVERNOR,
        Role.SCHOOL_ADMIN,
    }
)

# Separation of duties (docs/security.md "Separation of duties"). The roles that oversee the
# headteacher: given and taken away only by the chair of governors (or the installation's
# `assign_chair` command), never by school staff, so the head never chooses their own overseer.
GOVERNANCE_ROLES = frozenset({Role.CHAIR_OF_GOVERNORS, Role.GOVERNOR, Role.WHISTLEBLOWING_GOVERNOR})
# Roles only the headteacher may give or take away: they carry the power to decide requests,
# to read disclosures, or to change who holds which role and who can sign in.
HEAD_ASSIGNED = frozenset(
    {
        Role.HEADTEACHER,
        Role.DEPUTY_HEAD,
        Role.ASSISTANT_HEAD,
        Role.DSL,
        Role.DEPUTY_DSL,
        Role.SCHOOL_ADMIN,
    }
)
# Roles whose every change is told at once to the chair and the DSL and listed in the
# governors' report (line management changes are too).
SAFEGUARDING_ROLES = HEAD_ASSIGNED | GOVERNANCE_ROLES
# Accounts whose email and whether they can sign in the administrator may not change: only the
# headteacher may (the chair, for the head's own account).
SENIOR_ACCOUNT_ROLES = SAFEGUARDING_ROLES
# Whose second factor only the chair of governors (or the installation's command) may reset.
CHAIR_RESETS = GOVERNANCE_ROLES | {Role.HEADTEACHER}
# Who holds no line manager in the app: the headteacher, whom the governing body oversees, and
# the governors themselves, so that nobody becomes the line manager of someone who oversees them.
NO_LINE_MANAGER = GOVERNANCE_ROLES | {Role.HEADTEACHER}
# Whose line manager can only be the headteacher: each oversees other staff (the deputy decides
# their requests while the head is away, the assistant head reads the restricted log, the DSL
# reads disclosures and records LADO matters, the administrator keeps their accounts), so a
# colleague they oversee must never be the one who monitors them.
HEAD_MANAGED = HEAD_ASSIGNED - {Role.HEADTEACHER}
# Who opens the governance page: the chair of governors, who alone gives the governance roles and
# keeps the head's and the governors' accounts.
GOVERNANCE_KEEPERS = frozenset({Role.CHAIR_OF_GOVERNORS})

# Who chooses the school's sign-in methods (/school/sign-in/): the Microsoft tenant or Google
# domain that may sign staff in, and whether passwords still work.
SIGN_IN_SETTERS = frozenset({Role.HEADTEACHER, Role.SCHOOL_ADMIN})
# Who may choose to accept the identity provider's multi-factor sign-in instead of Safeguard's
# second factor: it waives the code senior staff would type, the head's own included, so not
# the administrator.
PROVIDER_MFA_ACCEPTERS = frozenset({Role.HEADTEACHER})
# Who keeps a password (and second factor) when the school turns password sign-in off: the
# way in when the identity provider is down or misconfigured; and the chair of governors, so
# that the head, who alone turns passwords off, cannot shut out the head's own overseer.
PASSWORD_BREAK_GLASS = frozenset({Role.HEADTEACHER, Role.CHAIR_OF_GOVERNORS})

# The order in which a person's "acting role" is chosen for the audit trail.
_PRECEDENCE = [
    Role.HEADTEACHER,
    Role.CHAIR_OF_GOVERNORS,
    Role.DEPUTY_HEAD,
    Role.DSL,
    Role.DEPUTY_DSL,
    Role.ASSISTANT_HEAD,
    Role.SCHOOL_ADMIN,
    Role.WHISTLEBLOWING_GOVERNOR,
    Role.GOVERNOR,
    Role.LINE_MANAGER,
    Role.STAFF,
]


def roles_of(user: Any) -> frozenset[str]:
    """Every role the user holds; every active member of staff is at least `staff`.

    Cached on the user object for the length of a request.
    """
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_roles_cache", None)
    if cached is None:
        cached = frozenset(user.role_assignments.values_list("role", flat=True)) | IMPLICIT
        user._roles_cache = cached
    return cached


def forget_roles(user: Any) -> None:
    """Drop the cache after the user's roles change."""
    user.__dict__.pop("_roles_cache", None)


def has_role(user: Any, *roles: str | Iterable[str]) -> bool:
    """True when the user holds any of the given roles (roles or sets of roles)."""
    wanted: set[str] = set()
    for role in roles:
        if isinstance(role, str):
            wanted.add(role)
        else:
            wanted.update(role)
    return bool(roles_of(user) & wanted)


def may_assign(actor: Any, role: str) -> bool:
    """Whether the actor may give (or take away) this role to someone else: governance roles the
    chair of governors, the head-assigned roles the headteacher, the rest the people editors."""
    if role in GOVERNANCE_ROLES:
        return has_role(actor, Role.CHAIR_OF_GOVERNORS)
    if role in HEAD_ASSIGNED:
        return has_role(actor, Role.HEADTEACHER)
    return has_role(actor, PEOPLE_EDITORS)


def assigned_by(role: str) -> str:
    """Who gives and takes away this role, in words for a refusal."""
    if role in GOVERNANCE_ROLES:
        return "the chair of governors"
    if role in HEAD_ASSIGNED:
        return "the headteacher"
    return "the headteacher or the school administrator"


def require_role(user: Any, *roles: str | Iterable[str]) -> None:
    if not has_role(user, *roles):
        raise PermissionDenied("Your role does not allow this page.")


def acting_role(user: Any) -> str:
    """The single role recorded against an action in the audit trail."""
    held = roles_of(user)
    return next((role.value for role in _PRECEDENCE if role in held), "")


def role_required(*roles: str | Iterable[str]) -> Callable:
    """View decorator: 403 unless the signed-in user holds one of the roles."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: Any, *args: Any, **kwargs: Any) -> Any:
            require_role(request.user, *roles)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
