"""Who may see which people. Every view and export reads through these functions.

A row outside the user's reach is simply absent from the queryset, so a lookup by id gives 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F, Q, QuerySet

from contacts.people import selectors as people_selectors
from contacts.people.models import Staff, StaffRole
from contacts.people.selectors import related_colleague_ids
from contacts.planned import workflow
from contacts.planned.models import ContactRequest, NoteKind, RequestNote, Route, Status
from safeguard.core import roles
from safeguard.core.roles import Role

# What a line manager monitors (000: contact is monitored by the line manager), and all they see.
MONITORED = (Status.APPROVED, Status.COMPLETED)


def _heads() -> QuerySet[StaffRole, Any]:
    return StaffRole.objects.filter(role=Role.HEADTEACHER).values("staff_id")


def monitored_by(user: Staff) -> Q:
    """The requests `user` monitors as line manager: their reports' approved and completed
    contact, to monitor it, and no more of the file. Never a headteacher's, whoever is recorded
    as the head's line manager: the head is overseen by the chair of governors (000). Nor a
    colleague's they declared a relationship with, until the head names another line manager:
    neither manages the other (003 §3)."""
    return (
        Q(requester__line_manager_id=user.pk, status__in=MONITORED)
        & ~Q(requester_id__in=_heads())
        & ~Q(requester_id__in=related_colleague_ids(user.pk))
    )


def monitors(user: Staff, request: ContactRequest) -> bool:
    """Whether `user` is the one who monitors the requester's contact, as their line manager
    (what they may see of it depends on its state: `MONITORED`)."""
    return (
        request.requester.line_manager_id == user.pk
        and not request.requester.role_assignments.filter(role=Role.HEADTEACHER).exists()
        and request.requester_id not in related_colleague_ids(user.pk)
    )


def requests_visible_to(user: Staff) -> QuerySet[ContactRequest]:
    """Staff see their own requests; line managers their team's approved and completed ones;
    senior leaders the school's; the chair of governors those routed to them. A draft is its
    author's alone.

    Restricted family-liaison entries are in the queryset for those who may know they exist;
    `can_read_request` says whether their content may be shown.
    """
    if not roles.roles_of(user):
        return ContactRequest.objects.none()
    rows = ContactRequest.objects.filter(school_id=user.school_id)
    if not roles.has_role(user, roles.SENIOR_LEADERS):
        reach = Q(requester_id=user.pk) | monitored_by(user)
        if roles.has_role(user, Role.CHAIR_OF_GOVERNORS):
            related_to_head = people_selectors.related_to_a_head_ids(user.school_id)
            reach |= Q(route=Route.CHAIR_OF_GOVERNORS) | Q(
                route=Route.HEADTEACHER, requester_id__in=related_to_head
            )
        rows = rows.filter(reach)
    return rows.exclude(Q(status=Status.DRAFT) & ~Q(requester_id=user.pk))


def readable_liaison(user: Staff, *, owner: str) -> Q:
    """Rows of the restricted family-liaison log (002) this user may read, as a filter over a
    table whose writer is `owner` (a request's requester, a record's author): every
    unrestricted row, their own, all of them for the head and assistant head, and those routed
    to the chair for the chair. Searches keep to these, so no search answers with an entry the
    user may only know exists. (Narrower than `can_read_request` for a chair acting on a
    referral: safe, never wider.)"""
    if roles.has_role(user, roles.RESTRICTED_READERS):
        return Q()
    readable = Q(restricted=False) | Q(**{owner: user.pk})
    if roles.has_role(user, Role.CHAIR_OF_GOVERNORS):
        readable |= Q(route=Route.CHAIR_OF_GOVERNORS)
    return readable


def readable_requests(user: Staff) -> Q:
    return readable_liaison(user, owner="requester_id")


def can_read_request(user: Staff, request: ContactRequest) -> bool:
    """Whether the content may be shown, given the request is already visible to the user.

    A family-liaison entry is for the headteacher, the assistant headteacher and the requester
    only (002 §external contact); and for the chair of governors when it is routed to them (the
    head's own, or one the head referred), since the chair decides it. Never the deputy, even
    acting for an absent head: the assistant head decides those.
    """
    if not request.is_restricted or request.requester_id == user.pk:
        return True
    if roles.has_role(user, roles.RESTRICTED_READERS):
        return True
    return (
        workflow.route_now(request) == Route.CHAIR_OF_GOVERNORS
        and workflow.decider_role(user, request) is not None
    )


def open_question(request: ContactRequest) -> RequestNote | None:
    """The decider's question a request in "more information" waits to have answered: the
    latest asked. The requester reads it beside the form they answer it on."""
    if request.status != Status.MORE_INFORMATION:
        return None
    return (
        request.notes.filter(kind=NoteKind.QUESTION)
        .select_related("author")
        .order_by("-created_at", "-pk")
        .first()
    )


def decision_queue_for(user: Staff) -> QuerySet[ContactRequest]:
    """Requests waiting for this user's decision, oldest first."""
    return (
        requests_visible_to(user)
        .filter(workflow.decision_filter(user), status=Status.SUBMITTED)
        .exclude(requester_id=user.pk)
        .exclude(requester_id__in=related_colleague_ids(user.pk))
        .select_related("requester")
        .order_by("submitted_at", "pk")
    )


def next_waiting(user: Staff, *, besides: ContactRequest) -> ContactRequest | None:
    """The request a decider takes next once this one is settled: the oldest still waiting for
    them (and assessed, as the queue shows them), or None when nothing else waits."""
    if not roles.has_role(user, roles.DECIDERS):
        return None
    waiting = decision_queue_for(user).exclude(verdict="").exclude(pk=besides.pk)
    return waiting.first()


def monitoring_queue_for(user: Staff) -> QuerySet[ContactRequest]:
    """The line manager's team's approved and completed contact, unreviewed first."""
    # Family liaison entries are monitored by the head, who alone may read them (002).
    return (
        ContactRequest.objects.filter(school_id=user.school_id, restricted=False)
        .filter(monitored_by(user))
        .select_related("requester", "reviewed_by")
        .order_by(F("reviewed_at").asc(nulls_first=True), "starts_at", "pk")
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
