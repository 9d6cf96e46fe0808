"""Who decides a planned-contact request (000 §introduction; 001 §4.2; 002; 003 §5).

The headteacher decides; the chair of governors when the headteacher is asking or has referred
the request. While the head is recorded absent, the deputy headteacher decides in the head's
place, except a family-liaison entry (002), which only the head and the assistant head may read:
the assistant head decides those. A photograph or film of pupils may be authorised by the head
or any member of the senior leadership team (003 §5). Nobody decides their own request, nor
that of a colleague they declared a relationship with (003 §3).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Q, QuerySet
from django.utils import timezone

from contacts.people import selectors as people_selectors
from contacts.people.models import Staff, StaffRole
from contacts.planned.models import ContactRequest, HeadAbsence, Route
from safeguard.core import roles
from safeguard.core.memo import per_request
from safeguard.core.models import School
from safeguard.core.roles import Role

# The kind of contact any senior leader may authorise (003 §5).
SLT_AUTHORISED_KINDS = frozenset({"photography"})

# The capacity each role decides in, for the record and the page.
_CAPACITY: dict[str, str] = {
    Role.CHAIR_OF_GOVERNORS: "chair of governors",
    Role.HEADTEACHER: "headteacher",
}


def head_absent(school: School | int, on: dt.date | None = None) -> bool:
    school_id = school if isinstance(school, int) else school.pk
    return _head_absent_on(school_id, on or timezone.localdate())


@per_request
def _head_absent_on(school_id: int, on: dt.date) -> bool:
    """Asked by the queue, the menu's counts and each request's deciders: once per page view."""
    return HeadAbsence.objects.filter(
        school_id=school_id, starts_on__lte=on, ends_on__gte=on
    ).exists()


def related_to_a_head(staff: Staff) -> bool:
    """Whether this member of staff declared a relationship with a headteacher (003 §3)."""
    related = people_selectors.related_colleague_ids(staff.pk)
    return (
        bool(related)
        and StaffRole.objects.filter(
            staff_id__in=related, staff__is_active=True, role=Role.HEADTEACHER
        ).exists()
    )


def route_for(*, requester: Staff, referred: bool) -> str:
    """The head's own requests, those the head referred, and those of someone the head declared
    a relationship with go to the chair of governors (000 §introduction; 003 §3)."""
    if referred or roles.has_role(requester, Role.HEADTEACHER) or related_to_a_head(requester):
        return Route.CHAIR_OF_GOVERNORS
    return Route.HEADTEACHER


def acting_roles(*, route: str, kind: str, restricted: bool, absent: bool) -> dict[str, str]:
    """The roles that decide a request of this route, kind and restriction now, each with the
    capacity it decides in. The one table every other function here reads."""
    if route == Route.CHAIR_OF_GOVERNORS:
        return {Role.CHAIR_OF_GOVERNORS: _CAPACITY[Role.CHAIR_OF_GOVERNORS]}
    acting: dict[str, str] = {Role.HEADTEACHER: _CAPACITY[Role.HEADTEACHER]}
    if restricted:
        # The liaison log is the head's and the assistant head's alone (002).
        if absent:
            acting[Role.ASSISTANT_HEAD] = "assistant headteacher, acting for the absent headteacher"
        return acting
    if kind in SLT_AUTHORISED_KINDS:
        acting[Role.DEPUTY_HEAD] = "deputy headteacher, for the senior leadership team"
        acting[Role.ASSISTANT_HEAD] = "assistant headteacher, for the senior leadership team"
    if absent:
        acting[Role.DEPUTY_HEAD] = "deputy headteacher, acting for the absent headteacher"
    return acting


def route_now(request: ContactRequest) -> str:
    """The route a request goes by now: as stored, except that one from someone who declared a
    relationship with the head goes to the chair, even if it was declared after the request was
    sent (003 §3): the head may not decide it, and it must not wait with nobody who may."""
    if request.route == Route.HEADTEACHER and request.requester_id in (
        people_selectors.related_to_a_head_ids(request.school_id)
    ):
        return Route.CHAIR_OF_GOVERNORS
    return request.route


def _acting_for(request: ContactRequest, on: dt.date | None) -> dict[str, str]:
    route = route_now(request)
    absent = route == Route.HEADTEACHER and head_absent(request.school_id, on)
    return acting_roles(
        route=route, kind=request.kind, restricted=request.restricted, absent=absent
    )


def decider_role(user: Staff, request: ContactRequest, on: dt.date | None = None) -> str | None:
    """The capacity in which this user may decide the request now, or None if they may not."""
    if user.pk == request.requester_id or user.school_id != request.school_id:
        return None
    if request.requester_id in people_selectors.related_colleague_ids(user.pk):
        return None
    held = roles.roles_of(user)
    if not held & roles.DECIDERS:
        return None
    acting = _acting_for(request, on)
    # The strongest capacity first: the head decides as the head, even if also on the SLT.
    return next((acting[role] for role in acting if role in held), None)


def people_for_route(
    school_id: int,
    route: str,
    *,
    exclude: Iterable[int] = (),
    on: dt.date | None = None,
    kind: str = "",
    restricted: bool = False,
) -> QuerySet[Staff]:
    """Who acts for a route now: the chair; or the headteacher, with whoever acts in the head's
    place while the head is recorded absent (the assistant head for the restricted log)."""
    absent = route == Route.HEADTEACHER and head_absent(school_id, on)
    wanted = list(acting_roles(route=route, kind=kind, restricted=restricted, absent=absent))
    return (
        Staff.objects.filter(school_id=school_id, is_active=True, role_assignments__role__in=wanted)
        .exclude(pk__in=list(exclude))
        .distinct()
    )


def deciders(request: ContactRequest, on: dt.date | None = None) -> QuerySet[Staff]:
    """Everyone who may decide the request now (for notifications)."""
    related = people_selectors.related_colleague_ids(request.requester_id)
    return people_for_route(
        request.school_id,
        route_now(request),
        exclude=[request.requester_id, *related],
        on=on,
        kind=request.kind,
        restricted=request.restricted,
    )


def decision_filter(user: Staff, on: dt.date | None = None) -> Q:
    """The requests whose decision is this user's to make (by route, kind and restriction),
    worked out from `acting_roles` so the queue and the request page never disagree."""
    held = roles.roles_of(user)
    found = Q(pk__in=[])
    related_to_head = Q(requester_id__in=people_selectors.related_to_a_head_ids(user.school_id))
    if Role.CHAIR_OF_GOVERNORS in held:
        found |= Q(route=Route.CHAIR_OF_GOVERNORS) | (Q(route=Route.HEADTEACHER) & related_to_head)
    if not held & roles.DECIDERS:
        return found
    absent = head_absent(user.school_id, on)
    for restricted in (False, True):
        for slt_kind in (False, True):
            kind = next(iter(SLT_AUTHORISED_KINDS)) if slt_kind else ""
            acting = acting_roles(
                route=Route.HEADTEACHER, kind=kind, restricted=restricted, absent=absent
            )
            if held & set(acting):
                kinds = Q(kind__in=SLT_AUTHORISED_KINDS)
                found |= (
                    Q(route=Route.HEADTEACHER, restricted=restricted)
                    & ~related_to_head
                    & (kinds if slt_kind else ~kinds)
                )
    return found
