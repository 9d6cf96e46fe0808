"""Who decides a planned-contact request (000 §introduction; 001 §4.2).

The headteacher decides; the chair of governors when the headteacher is asking or has referred
the request; the deputy headteacher in the headteacher's place while the head is recorded absent.
Nobody decides their own request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import QuerySet
from django.utils import timezone

from contacts.people.models import Staff
from contacts.planned.models import ContactRequest, HeadAbsence, Route
from safeguard.core import roles
from safeguard.core.models import School
from safeguard.core.roles import Role


def head_absent(school: School | int, on: dt.date | None = None) -> bool:
    on = on or timezone.localdate()
    school_id = school if isinstance(school, int) else school.pk
    return HeadAbsence.objects.filter(
        school_id=school_id, starts_on__lte=on, ends_on__gte=on
    ).exists()


def route_for(*, requester: Staff, referred: bool) -> str:
    if referred or roles.has_role(requester, Role.HEADTEACHER):
        return Route.CHAIR_OF_GOVERNORS
    return Route.HEADTEACHER


def decider_role(user: Staff, request: ContactRequest, on: dt.date | None = None) -> str | None:
    """The capacity in which this user may decide the request now, or None if they may not."""
    if user.pk == request.requester_id or user.school_id != request.school_id:
        return None
    if request.route == Route.CHAIR_OF_GOVERNORS:
        return "chair of governors" if roles.has_role(user, Role.CHAIR_OF_GOVERNORS) else None
    if roles.has_role(user, Role.HEADTEACHER):
        return "headteacher"
    if roles.has_role(user, Role.DEPUTY_HEAD) and head_absent(request.school_id, on):
        return "deputy headteacher, acting for the absent headteacher"
    return None


def people_for_route(
    school_id: int, route: str, *, exclude: Iterable[int] = (), on: dt.date | None = None
) -> QuerySet[Staff]:
    """Who acts for a route now: the chair; or the headteacher, with the deputy while the
    head is recorded absent."""
    if route == Route.CHAIR_OF_GOVERNORS:
        wanted = [Role.CHAIR_OF_GOVERNORS]
    elif head_absent(school_id, on):
        wanted = [Role.HEADTEACHER, Role.DEPUTY_HEAD]
    else:
        wanted = [Role.HEADTEACHER]
    return (
        Staff.objects.filter(school_id=school_id, is_active=True, role_assignments__role__in=wanted)
        .exclude(pk__in=list(exclude))
        .distinct()
    )


def deciders(request: ContactRequest, on: dt.date | None = None) -> QuerySet[Staff]:
    """Everyone who may decide the request now (for notifications)."""
    return people_for_route(request.school_id, request.route, exclude=[request.requester_id], on=on)


def decision_routes_for(user: Staff, on: dt.date | None = None) -> list[str]:
    """Which routes' requests reach this user's decision queue."""
    routes: list[str] = []
    if roles.has_role(user, Role.HEADTEACHER) or (
        roles.has_role(user, Role.DEPUTY_HEAD) and head_absent(user.school_id, on)
    ):
        routes.append(Route.HEADTEACHER)
    if roles.has_role(user, Role.CHAIR_OF_GOVERNORS):
        routes.append(Route.CHAIR_OF_GOVERNORS)
    return routes
