"""Who may see which people. Every view and export reads through these functions.

A row outside the user's reach is simply absent from the queryset, so a lookup by id gives 404.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Count, F, Q, QuerySet

from contacts import workflow
from contacts.models import (
    BoundaryConcern,
    ContactRecord,
    ContactRequest,
    Disclosure,
    DisclosureType,
    LadoReferral,
    LegalHold,
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


def pupils_named(rows: QuerySet[Pupil], text: str) -> QuerySet[Pupil]:
    """The pupils among `rows` whose first or last name contains each word of `text`."""
    for word in text.split():
        rows = rows.filter(Q(first_name__icontains=word) | Q(last_name__icontains=word))
    return rows


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
        .order_by("submitted_at", "pk")
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


def records_visible_to(user: Staff) -> QuerySet[ContactRecord]:
    """Authors see their own; line managers their team's; senior leaders the school's; the
    chair of governors those made by the headteacher. Restricted content is masked by
    `can_read_record`."""
    if not roles.roles_of(user):
        return ContactRecord.objects.none()
    rows = ContactRecord.objects.filter(school_id=user.school_id)
    if roles.has_role(user, roles.SENIOR_LEADERS):
        return rows
    reach = Q(author_id=user.pk) | Q(author__line_manager_id=user.pk)
    if roles.has_role(user, Role.CHAIR_OF_GOVERNORS):
        reach |= Q(route=Route.CHAIR_OF_GOVERNORS)
    return rows.filter(reach)


def can_read_record(user: Staff, record: ContactRecord) -> bool:
    """Family liaison records: the headteacher, assistant head and author only (002)."""
    if not record.restricted or record.author_id == user.pk:
        return True
    if roles.has_role(user, {Role.HEADTEACHER, Role.ASSISTANT_HEAD}):
        return True
    return record.route == Route.CHAIR_OF_GOVERNORS and roles.has_role(
        user, Role.CHAIR_OF_GOVERNORS
    )


def disclosures_visible_to(user: Staff) -> QuerySet[Disclosure]:
    """Child protection: the DSL, headteacher, deputy and the author. Other personal
    disclosures: the headteacher, the DSL and the author (001 §4.2)."""
    if not roles.roles_of(user):
        return Disclosure.objects.none()
    reach = Q(author_id=user.pk)
    if roles.has_role(user, {Role.DSL, Role.HEADTEACHER}):
        reach |= Q(pk__isnull=False)
    elif roles.has_role(user, Role.DEPUTY_HEAD):
        reach |= Q(disclosure_type=DisclosureType.CHILD_PROTECTION)
    return Disclosure.objects.filter(school_id=user.school_id).filter(reach)


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


def lado_visible_to(user: Staff) -> QuerySet[LadoReferral]:
    """The headteacher, the chair and the DSL, never about themselves; and whoever recorded it."""
    if not roles.roles_of(user):
        return LadoReferral.objects.none()
    rows = LadoReferral.objects.filter(school_id=user.school_id)
    if roles.has_role(user, {Role.HEADTEACHER, Role.CHAIR_OF_GOVERNORS, Role.DSL}):
        return rows.filter(Q(recorded_by_id=user.pk) | ~Q(subject_id=user.pk))
    return rows.filter(recorded_by_id=user.pk)


# Entries per page of a staff or pupil file.
FILE_PAGE_SIZE = 25


@dataclass
class FilePage:
    page: Page  # of (kind, pk, when) references, newest first
    entries: list[dict]  # the page's entries, as file_entries gives them


def _file_references(
    user: Staff, *, requests: QuerySet, records: QuerySet, disclosures: QuerySet | None
) -> list[tuple[str, int, object]]:
    """(kind, pk, when) of every entry the user may see, newest first. Three narrow queries, one
    per kind, each the file's own conditions with the selector's added (`&`) rather than tested
    as a subquery over the whole school; merged here. (One UNION query is no quicker: PostgreSQL
    plans it in parallel, and starting the workers costs more than the query.)"""
    parts = [
        ("request", requests & requests_visible_to(user), "starts_at"),
        ("record", records & records_visible_to(user), "occurred_at"),
    ]
    if disclosures is not None:
        parts.append(("disclosure", disclosures & disclosures_visible_to(user), "disclosed_at"))
    refs = [
        (kind, pk, when)
        for kind, rows, column in parts
        for pk, when in rows.order_by().values_list("pk", column)
    ]
    order = {"request": 0, "record": 1, "disclosure": 2}
    refs.sort(key=lambda ref: (order[ref[0]], -ref[1]))
    refs.sort(key=lambda ref: ref[2], reverse=True)
    return refs


def _file_load(user: Staff, references) -> list[dict]:
    """The entries for these references, in their order: a query or two per kind, whatever
    their number. Notes and addenda are counted in the database."""
    wanted: dict[str, list[int]] = {"request": [], "record": [], "disclosure": []}
    for kind, pk, _when in references:
        wanted[kind].append(pk)
    items: dict[tuple[str, int], object] = {}
    if wanted["request"]:
        rows = (
            ContactRequest.objects.filter(pk__in=wanted["request"])
            .select_related("requester", "decided_by")
            .prefetch_related("pupils")
            .annotate(note_count=Count("notes"))
        )
        items |= {("request", item.pk): item for item in rows}
    if wanted["record"]:
        rows = (
            ContactRecord.objects.filter(pk__in=wanted["record"])
            .select_related("author")
            .prefetch_related("pupils")
            .annotate(addendum_count=Count("addenda"))
        )
        items |= {("record", item.pk): item for item in rows}
    if wanted["disclosure"]:
        rows = Disclosure.objects.filter(pk__in=wanted["disclosure"]).select_related(
            "author", "pupil"
        )
        items |= {("disclosure", item.pk): item for item in rows}
    entries = []
    for kind, pk, when in references:
        item = items[kind, pk]
        if kind == "request":
            readable = can_read_request(user, item)
        elif kind == "record":
            readable = can_read_record(user, item)
        else:
            readable = True
        entries.append({"kind": kind, "item": item, "when": when, "readable": readable})
    return entries


def file_entries(
    user: Staff, *, requests: QuerySet, records: QuerySet, disclosures: QuerySet | None = None
) -> list[dict]:
    """A staff or pupil file: requests, records and disclosures the user may see, newest first.

    Entries the user may know exist but not read are marked restricted.
    """
    refs = _file_references(user, requests=requests, records=records, disclosures=disclosures)
    return _file_load(user, refs)


def file_page(
    user: Staff,
    *,
    requests: QuerySet,
    records: QuerySet,
    disclosures: QuerySet | None = None,
    number: str | int | None = None,
) -> FilePage:
    """One page of `file_entries` (FILE_PAGE_SIZE entries): a file grows for years. The
    references of every entry are read (two small columns each, a few hundred rows for the
    busiest pupil); only the page's entries are then read whole."""
    refs = _file_references(user, requests=requests, records=records, disclosures=disclosures)
    page = Paginator(refs, FILE_PAGE_SIZE).get_page(number)
    return FilePage(page, _file_load(user, list(page.object_list)))


def legal_holds_visible_to(user: Staff) -> QuerySet[LegalHold]:
    """The school's legal holds, for the headteacher alone: nobody else learns that one exists."""
    if not roles.has_role(user, Role.HEADTEACHER):
        return LegalHold.objects.none()
    return LegalHold.objects.filter(school_id=user.school_id)


def disclosures_for_review(user: Staff) -> QuerySet[Disclosure]:
    """Disclosures flagged at the end of their retention period, for the DSL and the
    headteacher, who decide whether each is kept or deleted."""
    if not roles.has_role(user, {Role.DSL, Role.HEADTEACHER}):
        return Disclosure.objects.none()
    return disclosures_visible_to(user).filter(retention_flagged_at__isnull=False)
