"""Who may see which people. Every view and export reads through these functions.

A row outside the user's reach is simply absent from the queryset, so a lookup by id gives 404.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from contacts.concerns.models import BoundaryConcern, LadoReferral
from contacts.people.models import Staff
from contacts.planned import workflow
from contacts.planned.models import Route
from safeguard.core import roles
from safeguard.core.roles import Role


def concerns_visible_to(user: Staff) -> QuerySet[BoundaryConcern]:
    """The reporter, and the case manager: the headteacher (the deputy while the head is
    absent), or the chair for a concern about the headteacher. Never the person it is about,
    unless they referred themself."""
    if not roles.roles_of(user):
        return BoundaryConcern.objects.none()
    routes = []
    if roles.has_role(user, Role.HEADTEACHER) or (
        roles.has_role(user, Role.DEPUTY_HEAD) and workflow.head_absent(user.school_id)
    ):
        routes.append(Route.HEADTEACHER)
    if roles.has_role(user, Role.CHAIR_OF_GOVERNORS):
        routes.append(Route.CHAIR_OF_GOVERNORS)
    managed = Q(route__in=routes) & ~Q(subject_id=user.pk)
    return BoundaryConcern.objects.filter(school_id=user.school_id).filter(
        Q(reporter_id=user.pk) | managed
    )


def case_managers(concern: BoundaryConcern) -> QuerySet[Staff]:
    """Who manages the concern now: never the person it is about."""
    return workflow.people_for_route(concern.school_id, concern.route, exclude=[concern.subject_id])


def is_case_manager(user: Staff, concern: BoundaryConcern) -> bool:
    return case_managers(concern).filter(pk=user.pk).exists()


def concerns_managed_about(user: Staff, subject: Staff) -> list[BoundaryConcern]:
    """The concerns about one person that the user manages as case manager, so patterns show
    on the person's file and on the page of every concern about them."""
    rows = concerns_visible_to(user).filter(subject=subject).select_related("reporter")
    return [concern for concern in rows if is_case_manager(user, concern)]


def lado_visible_to(user: Staff) -> QuerySet[LadoReferral]:
    """The headteacher, the chair and the DSL, never about themselves; and whoever recorded it."""
    if not roles.roles_of(user):
        return LadoReferral.objects.none()
    rows = LadoReferral.objects.filter(school_id=user.school_id)
    if roles.has_role(user, roles.LADO_RECORDERS):
        return rows.filter(Q(recorded_by_id=user.pk) | ~Q(subject_id=user.pk))
    return rows.filter(recorded_by_id=user.pk)
