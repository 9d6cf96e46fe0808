"""Who may see which people. Every view and export reads through these functions.

A row outside the user's reach is simply absent from the queryset, so a lookup by id gives 404.
"""

from __future__ import annotations

from django.db.models import F, Q, QuerySet

from contacts import workflow
from contacts.models import (
    ContactRequest,
    ParentCarer,
    Pupil,
    Route,
    Staff,
    StaffRelative,
    Status,
)
from safeguard import roles
from safeguard.roles import Role


def staff_visible_to(user: Staff) -> QuerySet[Staff]:
    """Directory readers see their whole school; others themselves and the people they manage."""
    if not roles.roles_of(user):
        return Staff.objects.none()
    same_school = Staff.objects.filter(school_id=user.school_id)
    if roles.has_role(user, roles.DIRECTORY_READERS):
        return same_school
    return same_school.filter(Q(pk=user.pk) | Q(line_manager_id=user.pk))


def pupils_visible_to(user: Staff) -> QuerySet[Pupil]:
    """Directory readers see every pupil of their school; other roles open no pupil file."""
    if not roles.has_role(user, roles.DIRECTORY_READERS):
        return Pupil.objects.none()
    return Pupil.objects.filter(school_id=user.school_id)


def pupils_selectable_by(user: Staff) -> QuerySet[Pupil]:
    """The pupils a member of staff may name in a form (their school's roll, past and present).

    Choosing a pupil is not reading their file: the form shows names only.
    """
    if not roles.roles_of(user):
        return Pupil.objects.none()
    return Pupil.objects.filter(school_id=user.school_id)


def parents_visible_to(user: Staff) -> QuerySet[ParentCarer]:
    if not roles.has_role(user, roles.DIRECTORY_READERS):
        return ParentCarer.objects.none()
    return ParentCarer.objects.filter(school_id=user.school_id)


def relatives_visible_to(user: Staff) -> QuerySet[StaffRelative]:
    """A person's own declared relatives, or the whole school's for directory readers."""
    if not roles.roles_of(user):
        return StaffRelative.objects.none()
    rows = StaffRelative.objects.filter(staff__school_id=user.school_id)
    if roles.has_role(user, roles.DIRECTORY_READERS):
        return rows
    return rows.filter(staff_id=user.pk)


def requests_visible_to(user: Staff) -> QuerySet[ContactRequest]:
    """Staff see their own requests; line managers their team's; senior leaders the school's;
    the chair of governors those routed to them. A draft is its author's alone.

    Restricted family-liaison entries are in the queryset for those who may know they exist;
    `can_read_request` says whether their content may be shown.
    """
    if not roles.roles_of(user):
        return ContactRequest.objects.none()
    rows = ContactRequest.objects.filter(school_id=user.school_id)
    if not roles.has_role(user, roles.SENIOR_LEADERS):
        reach = Q(requester_id=user.pk) | Q(requester__line_manager_id=user.pk)
        if roles.has_role(user, Role.CHAIR_OF_GOVERNORS):
            reach |= Q(route=Route.CHAIR_OF_GOVERNORS)
        rows = rows.filter(reach)
    return rows.exclude(Q(status=Status.DRAFT) & ~Q(requester_id=user.pk))


def can_read_request(user: Staff, request: ContactRequest) -> bool:
    """Whether the content may be shown, given the request is already visible to the user.

    A family-liaison entry is for the headteacher, the assistant headteacher and the requester
    only (002 §external contact); also for whoever must decide it.
    """
    if not request.is_restricted or request.requester_id == user.pk:
        return True
    if roles.has_role(user, {Role.HEADTEACHER, Role.ASSISTANT_HEAD}):
        return True
    return workflow.decider_role(user, request) is not None


def decision_queue_for(user: Staff) -> QuerySet[ContactRequest]:
    """Requests waiting for this user's decision, oldest first."""
    routes = workflow.decision_routes_for(user)
    if not routes:
        return ContactRequest.objects.none()
    return (
        requests_visible_to(user)
        .filter(status=Status.SUBMITTED, route__in=routes)
        .exclude(requester_id=user.pk)
        .select_related("requester")
        .prefetch_related("pupils")
        .order_by("submitted_at")
    )


def monitoring_queue_for(user: Staff) -> QuerySet[ContactRequest]:
    """The line manager's team's approved and completed contact, unreviewed first."""
    # Family liaison entries are monitored by the head, who alone may read them (002).
    return (
        ContactRequest.objects.filter(
            school_id=user.school_id,
            requester__line_manager_id=user.pk,
            status__in=(Status.APPROVED, Status.COMPLETED),
            restricted=False,
        )
        .select_related("requester", "reviewed_by")
        .prefetch_related("pupils")
        .order_by(F("reviewed_at").asc(nulls_first=True), "starts_at")
    )


def chronology(user: Staff, rows: QuerySet[ContactRequest]) -> list[tuple[ContactRequest, bool]]:
    """Entries for a staff or pupil file, newest first, each with whether it may be read."""
    visible = (
        rows.filter(pk__in=requests_visible_to(user).values("pk"))
        .select_related("requester", "decided_by")
        .prefetch_related("pupils", "notes")
        .order_by("-starts_at")
    )
    return [(item, can_read_request(user, item)) for item in visible]
