"""Who may read which policy documents, and who still has to read them."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from contacts.people.models import Staff
from policies.models import Acknowledgement, Policy, PolicyVersion
from safeguard.core import roles


def policies_visible_to(user: Staff) -> QuerySet[Policy]:
    """Every member of staff (governors included) reads their own school's policies."""
    if not roles.roles_of(user):
        return Policy.objects.none()
    current = PolicyVersion.objects.current()
    return Policy.objects.filter(school_id=user.school_id).prefetch_related(
        Prefetch("versions", queryset=current, to_attr="current_versions")
    )


def policy_versions_visible_to(user: Staff) -> QuerySet[PolicyVersion]:
    if not roles.roles_of(user):
        return PolicyVersion.objects.none()
    return PolicyVersion.objects.filter(policy__school_id=user.school_id).select_related("policy")


def versions_of(user: Staff, policy: Policy) -> list[PolicyVersion]:
    """Every version of a policy the user may read, newest first, with who made it."""
    rows = policy_versions_visible_to(user).filter(policy=policy)
    return list(rows.select_related("created_by"))


def acknowledgement_of(user: Staff, version: PolicyVersion) -> Acknowledgement | None:
    """The user's own confirmation that they read this version, if they gave it."""
    return Acknowledgement.objects.filter(version=version, staff=user).first()


def staff_yet_to_acknowledge(version: PolicyVersion) -> QuerySet[Staff]:
    """Active staff of the school who have not confirmed reading this version."""
    done = Acknowledgement.objects.filter(version=version, staff=OuterRef("pk"))
    return Staff.objects.filter(school_id=version.policy.school_id, is_active=True).exclude(
        Exists(done)
    )


def acknowledgement_counts(school_id: int) -> list[tuple[PolicyVersion, int, int]]:
    """Each current version staff must confirm reading, by title: how many active staff have
    confirmed it and how many have not. Two queries, however many policies there are."""
    current = list(
        PolicyVersion.objects.current()
        .filter(policy__school_id=school_id, policy__requires_acknowledgement=True)
        .select_related("policy")
        .annotate(
            read=Count(
                "acknowledgements",
                filter=Q(
                    acknowledgements__staff__is_active=True,
                    acknowledgements__staff__school_id=school_id,
                ),
            )
        )
        .order_by("policy__title")
    )
    if not current:
        return []
    staff = Staff.objects.filter(school_id=school_id, is_active=True).count()
    return [(v, v.read, max(staff - v.read, 0)) for v in current]


def versions_awaiting(user: Staff) -> QuerySet[PolicyVersion]:
    """Current versions the user is asked to read and has not yet acknowledged."""
    if not roles.roles_of(user):
        return PolicyVersion.objects.none()
    done = Acknowledgement.objects.filter(version=OuterRef("pk"), staff=user)
    return (
        PolicyVersion.objects.current()
        .filter(policy__school_id=user.school_id, policy__requires_acknowledgement=True)
        .exclude(Exists(done))
        .select_related("policy")
    )


def policies_backing(user: Staff, clause_ids: list[str]) -> dict[str, list[Policy]]:
    """The school's own policy documents that stand behind each engine clause."""
    backing: dict[str, list[Policy]] = {cid: [] for cid in clause_ids}
    rows = policies_visible_to(user).filter(clauses__clause__in=clause_ids)
    for policy in rows.prefetch_related("clauses").distinct():
        for link in policy.clauses.all():
            if link.clause in backing:
                backing[link.clause].append(policy)
    return backing
