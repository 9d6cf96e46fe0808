"""Who may see which people. Every view and export reads through these functions.

A row outside the user's reach is simply absent from the queryset, so a lookup by id gives 404.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Set as AbstractSet

from django.db.models import Q, QuerySet

from contacts.concerns.models import BoundaryConcern, LadoReferral
from contacts.people import selectors as people_selectors
from contacts.people.models import Staff
from contacts.planned import workflow
from contacts.planned.models import Route
from safeguard.core import roles
from safeguard.core.roles import Role


def routed_to(route: str, school_id: int) -> Q:
    """The concerns that go by this route now. One about someone who declared a relationship
    with the headteacher goes to the chair, even if the relationship was declared after it was
    raised (003 §3): the head may not manage it, and it must not be left with nobody who may."""
    related_to_head = Q(subject_id__in=people_selectors.related_to_a_head_ids(school_id))
    if route == Route.HEADTEACHER:
        return Q(route=Route.HEADTEACHER) & ~related_to_head
    return Q(route=Route.CHAIR_OF_GOVERNORS) | (Q(route=Route.HEADTEACHER) & related_to_head)


def concerns_visible_to(user: Staff) -> QuerySet[BoundaryConcern]:
    """The reporter, and the case manager: the headteacher (the deputy while the head is
    absent), or the chair for a concern about the headteacher or someone related to the head.
    Never the person it is about, unless they referred themself, nor a colleague who declared
    a relationship with them (003 §3), unless they raised it."""
    if not roles.roles_of(user):
        return BoundaryConcern.objects.none()
    managed = Q(pk__in=[])
    if roles.has_role(user, Role.HEADTEACHER) or (
        roles.has_role(user, Role.DEPUTY_HEAD) and workflow.head_absent(user.school_id)
    ):
        managed |= routed_to(Route.HEADTEACHER, user.school_id)
    if roles.has_role(user, Role.CHAIR_OF_GOVERNORS):
        managed |= routed_to(Route.CHAIR_OF_GOVERNORS, user.school_id)
    managed &= Q(whistleblowing=False)
    managed |= Q(pk__in=whistleblowing_kept_by(user))
    managed |= Q(pk__in=kept_for_a_conflicted_chair(user))
    if roles.has_role(user, Role.DSL) or (
        roles.has_role(user, Role.DEPUTY_DSL) and not _school_has_dsl(user.school_id)
    ):
        # A relationship that could harm a pupil is the DSL's to know of at once (003 §3).
        managed |= Q(harm_to_pupils=True, whistleblowing=False)
    managed &= ~Q(subject_id=user.pk)
    managed &= ~Q(subject_id__in=people_selectors.related_colleague_ids(user.pk))
    return BoundaryConcern.objects.filter(school_id=user.school_id).filter(
        Q(reporter_id=user.pk) | managed
    )


def whistleblowing_keepers(school_id: int, *, exclude: Iterable[int] = ()) -> QuerySet[Staff]:
    """Who receives a concern sent by the confidential route (003 §6): the governor the chair
    named for whistleblowing; while nobody is named (or it is about them), the chair; and if it
    is about the chair too, the school's governors. Never the person it is about."""
    active = Staff.objects.filter(school_id=school_id, is_active=True).exclude(pk__in=list(exclude))
    for role in (Role.WHISTLEBLOWING_GOVERNOR, Role.CHAIR_OF_GOVERNORS, Role.GOVERNOR):
        found = active.filter(role_assignments__role=role)
        if found.exists():
            return found
    return Staff.objects.none()


def whistleblowing_kept_by(user: Staff) -> list[int]:
    """The whistleblowing concerns of the user's school that the user receives (a school has
    few: each is resolved as `case_managers` resolves it)."""
    if not roles.has_role(user, roles.GOVERNORS):
        return []
    kept = []
    rows = BoundaryConcern.objects.filter(school_id=user.school_id, whistleblowing=True)
    for pk, subject_id in rows.values_list("pk", "subject_id"):
        keepers = whistleblowing_keepers(user.school_id, exclude=_conflicted(subject_id))
        if keepers.filter(pk=user.pk).exists():
            kept.append(pk)
    return kept


def _conflicted(subject_id: int) -> list[int]:
    """Who never manages a concern about this person: they, and the colleagues who declared a
    relationship with them (003 §3)."""
    return [subject_id, *people_selectors.related_colleague_ids(subject_id)]


def route_now(concern: BoundaryConcern, related_to_head: AbstractSet[int] | None = None) -> str:
    """The route the concern goes by now (see `routed_to`). `related_to_head`, the school's
    `related_to_a_head_ids`, saves a query per concern where several are read."""
    if related_to_head is None:
        related_to_head = people_selectors.related_to_a_head_ids(concern.school_id)
    if concern.route == Route.HEADTEACHER and concern.subject_id in related_to_head:
        return Route.CHAIR_OF_GOVERNORS
    return concern.route


def _school_has_dsl(school_id: int) -> bool:
    return Staff.objects.filter(
        school_id=school_id, is_active=True, role_assignments__role=Role.DSL
    ).exists()


def case_managers(concern: BoundaryConcern) -> QuerySet[Staff]:
    """Who manages the concern now: never the person it is about."""
    # Never the person it is about, nor a colleague who declared a relationship with them.
    conflicted = _conflicted(concern.subject_id)
    if concern.whistleblowing:
        return whistleblowing_keepers(concern.school_id, exclude=conflicted)
    route = route_now(concern)
    managers = workflow.people_for_route(concern.school_id, route, exclude=conflicted)
    if route == Route.CHAIR_OF_GOVERNORS and not managers.exists():
        # The chair declared a relationship with its subject (the head, say): the governors
        # take it, or a declaration would leave a concern about the head with nobody.
        return Staff.objects.filter(
            school_id=concern.school_id, is_active=True, role_assignments__role=Role.GOVERNOR
        ).exclude(pk__in=conflicted)
    return managers


def kept_for_a_conflicted_chair(user: Staff) -> list[int]:
    """The concerns of the chair's route that fall to this governor because the chair declared
    a relationship with their subject (`case_managers`). A school has few."""
    if not roles.has_role(user, Role.GOVERNOR):
        return []
    rows = BoundaryConcern.objects.filter(school_id=user.school_id, whistleblowing=False).filter(
        routed_to(Route.CHAIR_OF_GOVERNORS, user.school_id)
    )
    return [concern.pk for concern in rows if case_managers(concern).filter(pk=user.pk).exists()]


def is_case_manager(user: Staff, concern: BoundaryConcern) -> bool:
    return case_managers(concern).filter(pk=user.pk).exists()


def concerns_managed_about(user: Staff, subject: Staff) -> list[BoundaryConcern]:
    """The concerns about one person that the user manages as case manager, so patterns show
    on the person's file and on the page of every concern about them."""
    rows = list(concerns_visible_to(user).filter(subject=subject).select_related("reporter"))
    if not rows:
        return []
    # Who manages a concern about this one subject depends only on its route now and whether
    # it is whistleblowing: asked once for each, not once per concern.
    related_to_head = people_selectors.related_to_a_head_ids(subject.school_id)
    manages: dict[tuple[bool, str], bool] = {}
    for concern in rows:
        key = (concern.whistleblowing, route_now(concern, related_to_head))
        if key not in manages:
            manages[key] = is_case_manager(user, concern)
    return [c for c in rows if manages[c.whistleblowing, route_now(c, related_to_head)]]


def lado_visible_to(user: Staff) -> QuerySet[LadoReferral]:
    """The headteacher, the chair and the DSL, never about themselves nor about a colleague
    they declared a relationship with (003 §3); and whoever recorded it."""
    if not roles.roles_of(user):
        return LadoReferral.objects.none()
    rows = LadoReferral.objects.filter(school_id=user.school_id)
    if roles.has_role(user, roles.LADO_RECORDERS):
        conflicted = [user.pk, *people_selectors.related_colleague_ids(user.pk)]
        return rows.filter(Q(recorded_by_id=user.pk) | ~Q(subject_id__in=conflicted))
    return rows.filter(recorded_by_id=user.pk)


def _names(rows: QuerySet[Staff]) -> str:
    return ", ".join(person.full_name for person in rows.order_by("last_name", "first_name"))


def concern_recipients(user: Staff) -> dict[str, str]:
    """Who would see a concern this person raises, by name, for the form to say plainly before
    it is sent: the case managers, the DSL, their line manager and the governor for
    whistleblowing. Naming who holds a role reads nothing of anyone's file."""
    school_id = user.school_id
    active = Staff.objects.filter(school_id=school_id, is_active=True)
    return {
        "head": _names(active.filter(role_assignments__role=Role.HEADTEACHER)),
        "chair": _names(active.filter(role_assignments__role=Role.CHAIR_OF_GOVERNORS)),
        "dsl": _names(active.filter(role_assignments__role=Role.DSL).exclude(pk=user.pk)),
        "line_manager": user.line_manager.full_name if user.line_manager else "",
        "whistleblowing": _names(whistleblowing_keepers(school_id)),
    }
