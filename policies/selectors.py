"""Who may read which policy documents, who still has to read or sign them, and what a person
may do with a version now."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from contacts.people.models import Staff
from policies.models import Acknowledgement, Policy, PolicySignature, PolicyVersion
from safeguard.core import roles


def policies_visible_to(user: Staff) -> QuerySet[Policy]:
    """Every member of staff (governors included) reads their own school's policies, each with
    its version in force (`current_versions`) and the one awaiting signatures
    (`pending_versions`), if any."""
    if not roles.roles_of(user):
        return Policy.objects.none()
    return Policy.objects.filter(school_id=user.school_id).prefetch_related(
        Prefetch("versions", queryset=PolicyVersion.objects.current(), to_attr="current_versions"),
        Prefetch(
            "versions",
            queryset=PolicyVersion.objects.awaiting_signatures(),
            to_attr="pending_versions",
        ),
    )


def policy_versions_visible_to(user: Staff) -> QuerySet[PolicyVersion]:
    if not roles.roles_of(user):
        return PolicyVersion.objects.none()
    return PolicyVersion.objects.filter(policy__school_id=user.school_id).select_related("policy")


@dataclass
class Versions:
    """Every version of one policy, newest first, and where each stands."""

    versions: Sequence[PolicyVersion]
    current: PolicyVersion | None  # in force: the newest adopted
    pending: PolicyVersion | None  # the newest, while it awaits its signatures

    def state(self, version: PolicyVersion) -> str:
        if version == self.current:
            return "In force"
        if version == self.pending:
            return "Awaiting signatures"
        if version.is_adopted:
            return "Superseded"
        return "Superseded before it was adopted"

    def superseded(self, version: PolicyVersion) -> bool:
        """A newer version exists (adopted or not): this one can no longer be signed."""
        return bool(self.versions) and version != self.versions[0]


def versions_of(user: Staff, policy: Policy) -> Versions:
    """Every version of a policy the user may read, newest first, with who made it and its
    signatories' places (`signatures.all()`, fetched with them)."""
    places = PolicySignature.objects.select_related("signed_by")
    rows = list(
        policy_versions_visible_to(user)
        .filter(policy=policy)
        .select_related("created_by")
        .prefetch_related(Prefetch("signatures", queryset=places))
    )
    current = next((v for v in rows if v.is_adopted), None)
    pending = rows[0] if rows and not rows[0].is_adopted else None
    return Versions(rows, current, pending)


@dataclass(frozen=True)
class Signing:
    """Whether a person may sign a version now: the place they would fill, or why not."""

    place: PolicySignature | None
    refusal: str = ""
    # The refusal is about who they are (403), not about where the version stands.
    forbidden: bool = False


def signing_for(
    user: Staff, version: PolicyVersion, places: list[PolicySignature], *, superseded: bool
) -> Signing:
    """What the page shows and what policies.services.policy_version_sign checks, on the
    version's places (locked, in the service) and whether a newer version exists."""
    if user.school_id != version.policy.school_id or not user.is_active:
        return Signing(None, "This policy belongs to another school.", forbidden=True)
    held = roles.roles_of(user)
    if not any(p.role in held or p.signed_by_id == user.pk for p in places):
        named = [f"the {p.get_role_display().lower()}" for p in places]
        words = " and ".join([", ".join(named[:-1]), named[-1]] if len(named) > 1 else named)
        who = f"Only {words} sign" if words else "Nobody signs"
        return Signing(None, f"{who} version {version.number}.", forbidden=True)
    if version.is_adopted:
        return Signing(None, f"Version {version.number} is already adopted.")
    if superseded:
        return Signing(None, "A newer version exists: this one can no longer be signed.")
    if any(p.signed_by_id == user.pk for p in places):
        return Signing(None, "You have already signed this version.")
    place = next((p for p in places if p.role in held and not p.is_signed), None)
    if place is None:
        taken = next(p for p in places if p.role in held)
        who = taken.signed_by.full_name if taken.signed_by else "someone else"
        role = taken.get_role_display().lower()
        return Signing(None, f"{who} has already signed this version as {role}.")
    return Signing(place)


def acknowledgement_of(user: Staff, version: PolicyVersion) -> Acknowledgement | None:
    """The user's own confirmation that they read this version, if they gave it."""
    return Acknowledgement.objects.filter(version=version, staff=user).first()


def staff_yet_to_acknowledge(version: PolicyVersion) -> QuerySet[Staff]:
    """Active staff of the school who have not confirmed reading this version; nobody is asked
    to read a version before it is adopted."""
    if not version.is_adopted:
        return Staff.objects.none()
    done = Acknowledgement.objects.filter(version=version, staff=OuterRef("pk"))
    return Staff.objects.filter(school_id=version.policy.school_id, is_active=True).exclude(
        Exists(done)
    )


def acknowledgement_counts(school_id: int) -> list[tuple[PolicyVersion, int, int]]:
    """Each version in force that staff must confirm reading, by title: how many active staff
    have confirmed it and how many have not. One query, however many policies there are."""
    current = list(
        _with_read_counts(
            PolicyVersion.objects.current().filter(policy__requires_acknowledgement=True),
            school_id,
        ).order_by("policy__title")
    )
    return [(v, v.read, max((v.staff or 0) - v.read, 0)) for v in current]


def _with_read_counts(versions: QuerySet[PolicyVersion], school_id: int) -> QuerySet:
    """The school's versions among `versions`, each with how many of its active staff have
    read it (`read`) and how many active staff it has (`staff`), in the same query."""
    staff = Staff.objects.filter(school_id=school_id, is_active=True).order_by()
    return (
        versions.filter(policy__school_id=school_id)
        .select_related("policy")
        .annotate(
            read=Count(
                "acknowledgements",
                filter=Q(
                    acknowledgements__staff__is_active=True,
                    acknowledgements__staff__school_id=school_id,
                ),
            ),
            staff=Subquery(
                staff.values("school_id").annotate(n=Count("pk")).values("n")[:1],
                output_field=IntegerField(),
            ),
        )
    )


@dataclass(frozen=True)
class PoliciesInForce:
    """The dashboard's view of the versions in force, all read in one query."""

    overdue: list[PolicyVersion]  # past their review date, the longest overdue first
    unread: list[
        tuple[PolicyVersion, int]
    ]  # to be confirmed read, with how many have not, by title
    to_read: list[PolicyVersion]  # the user is asked to read and has not, by title


def policies_in_force_for(user: Staff, on: dt.date | None = None) -> PoliciesInForce:
    """What `PolicyVersion.objects.overdue()`, `acknowledgement_counts` and `versions_to_read`
    say about the user's school, from one query: a school has a few dozen policies."""
    school_id = user.school_id
    rows = list(
        # A policy's text (up to 200,000 characters) is not the dashboard's to show.
        _with_read_counts(PolicyVersion.objects.current().defer("text"), school_id)
        .annotate(
            mine=Exists(Acknowledgement.objects.filter(version=OuterRef("pk"), staff_id=user.pk)),
        )
        .order_by("policy__title", "policy_id")
    )
    today = on or timezone.localdate()
    asked = [v for v in rows if v.policy.requires_acknowledgement]
    return PoliciesInForce(
        overdue=sorted(
            (v for v in rows if v.next_review < today), key=lambda v: (v.next_review, v.pk)
        ),
        unread=[(v, left) for v in asked if (left := max((v.staff or 0) - v.read, 0))],
        to_read=[v for v in asked if not v.mine] if roles.roles_of(user) else [],
    )


def versions_to_read(user: Staff) -> QuerySet[PolicyVersion]:
    """Versions in force the user is asked to read and has not yet acknowledged."""
    if not roles.roles_of(user):
        return PolicyVersion.objects.none()
    done = Acknowledgement.objects.filter(version=OuterRef("pk"), staff=user)
    return (
        PolicyVersion.objects.current()
        .filter(policy__school_id=user.school_id, policy__requires_acknowledgement=True)
        .exclude(Exists(done))
        .select_related("policy")
    )


def versions_to_sign(user: Staff) -> QuerySet[PolicyVersion]:
    """Versions awaiting a signature in a role the user holds, which they have not signed."""
    held = roles.roles_of(user) & roles.POLICY_SIGNATORIES
    if not held:
        return PolicyVersion.objects.none()
    open_place = PolicySignature.objects.filter(
        version=OuterRef("pk"), role__in=held, signed_by__isnull=True
    )
    signed = PolicySignature.objects.filter(version=OuterRef("pk"), signed_by=user)
    return (
        PolicyVersion.objects.awaiting_signatures()
        .filter(policy__school_id=user.school_id)
        .filter(Exists(open_place))
        .exclude(Exists(signed))
        .select_related("policy")
        .order_by("policy__title")
    )


@dataclass(frozen=True)
class Adoption:
    """One policy for the governors' report: the version in force and when it was adopted, and
    any newer version still awaiting signatures."""

    title: str
    current: PolicyVersion | None
    pending: PolicyVersion | None


def adoption_of_policies(school_id: int) -> list[Adoption]:
    """Each of the school's policies, by title, with its version in force and the one awaiting
    signatures, each with its signatories' places (`signatures.all()`). Two queries."""
    in_force = PolicyVersion.objects.current().values("pk")
    pending = PolicyVersion.objects.awaiting_signatures().values("pk")
    places = PolicySignature.objects.select_related("signed_by")
    rows = (
        PolicyVersion.objects.filter(policy__school_id=school_id)
        .filter(Q(pk__in=in_force) | Q(pk__in=pending))
        .select_related("policy")
        .prefetch_related(Prefetch("signatures", queryset=places))
        .order_by("policy__title", "policy_id", "number")
    )
    found: dict[int, Adoption] = {}
    for version in rows:
        had = found.get(version.policy_id, Adoption(version.policy.title, None, None))
        if version.is_adopted:
            found[version.policy_id] = Adoption(had.title, version, had.pending)
        else:
            found[version.policy_id] = Adoption(had.title, had.current, version)
    return list(found.values())


def policies_backing(user: Staff, clause_ids: list[str]) -> dict[str, list[Policy]]:
    """The school's own policy documents that stand behind each engine clause: only those with
    a version in force, since a policy whose first version awaits its signatures is not yet the
    school's policy."""
    backing: dict[str, list[Policy]] = {cid: [] for cid in clause_ids}
    if not roles.roles_of(user):
        return backing
    adopted = PolicyVersion.objects.filter(policy=OuterRef("pk"), adopted_at__isnull=False)
    rows = Policy.objects.filter(
        Exists(adopted), school_id=user.school_id, clauses__clause__in=clause_ids
    )
    for policy in rows.prefetch_related("clauses").distinct():
        for link in policy.clauses.all():
            if link.clause in backing:
                backing[link.clause].append(policy)
    return backing
