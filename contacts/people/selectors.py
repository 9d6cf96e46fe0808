"""Who may see which people. Every view and export reads through these functions.

A row outside the user's reach is simply absent from the queryset, so a lookup by id gives 404.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TypeVar

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from contacts.people.models import (
    ColleagueRelationship,
    Invitation,
    ParentCarer,
    Pupil,
    PupilQuerySet,
    Staff,
    StaffRelative,
    StaffRole,
)
from safeguard.core import roles
from safeguard.core.aggregates import rows_of
from safeguard.core.memo import per_request
from safeguard.core.models import School
from safeguard.core.roles import Role

# The rows keep their own kind of queryset (a PupilQuerySet stays one).
_Pupils = TypeVar("_Pupils", bound="QuerySet[Pupil]")


def staff_visible_to(user: Staff) -> QuerySet[Staff]:
    """Directory readers see their whole school; others themselves and the people they manage."""
    if not roles.roles_of(user):
        return Staff.objects.none()
    same_school = Staff.objects.filter(school_id=user.school_id)
    if roles.has_role(user, roles.DIRECTORY_READERS):
        return same_school
    return same_school.filter(Q(pk=user.pk) | Q(line_manager_id=user.pk))


def staff_selectable_by(user: Staff) -> QuerySet[Staff]:
    """The staff a member of staff may name (their school's, past and present): the subject of a
    concern or a LADO referral. Naming someone is not reading their file."""
    if not roles.roles_of(user):
        return Staff.objects.none()
    return Staff.objects.filter(school_id=user.school_id)


def pupils_visible_to(user: Staff) -> PupilQuerySet:
    """Directory readers see every pupil of their school; other roles open no pupil file."""
    if not roles.has_role(user, roles.DIRECTORY_READERS):
        return Pupil.objects.none()
    return Pupil.objects.filter(school_id=user.school_id)


def pupils_selectable_by(user: Staff) -> QuerySet[Pupil]:
    """The pupils a member of staff may name in a form (their school's roll, past and present).

    Choosing a pupil is not reading their file: the form shows names only. Governors are shown
    no names at all (unless they also read the roll), so none is selectable: a Find answers
    nothing and a pupil's id posted by hand is refused.
    """
    if not roles.roles_of(user):
        return Pupil.objects.none()
    if roles.has_role(user, roles.PUPIL_NAMES_WITHHELD) and not roles.has_role(
        user, roles.DIRECTORY_READERS
    ):
        return Pupil.objects.none()
    return Pupil.objects.filter(school_id=user.school_id)


def pupils_named(rows: _Pupils, text: str) -> _Pupils:
    """The pupils among `rows` whose first or last name contains each word of `text`."""
    for word in text.split():
        rows = rows.filter(Q(first_name__icontains=word) | Q(last_name__icontains=word))
    return rows


def staff_named(rows: QuerySet[Staff], text: str) -> QuerySet[Staff]:
    """The staff among `rows` whose first or last name contains each word of `text`."""
    for word in text.split():
        rows = rows.filter(Q(first_name__icontains=word) | Q(last_name__icontains=word))
    return rows


def parents_visible_to(user: Staff) -> QuerySet[ParentCarer]:
    if not roles.has_role(user, roles.DIRECTORY_READERS):
        return ParentCarer.objects.none()
    return ParentCarer.objects.filter(school_id=user.school_id)


# What a pupil's page shows of each parent or carer.
_PARENT_FIELDS = ("id", "first_name", "last_name", "relationship", "email", "phone")


def pupils_for_page(user: Staff) -> PupilQuerySet:
    """The pupils the user may open, each read with what their page lists beside them, in the
    same query: their parents and carers (`parents_of`), and whether anyone has declared a
    relationship with them that the user may see (`declared_on_load`). Most pupils have no
    declared relationship, and then the page asks nothing more about them."""
    through = ParentCarer.children.through
    return pupils_visible_to(user).annotate(
        parents_on_load=rows_of(
            through.objects.filter(parentcarer__in=parents_visible_to(user)),
            "pupil_id",
            **{name: f"parentcarer__{name}" for name in _PARENT_FIELDS},
        ),
        declared_on_load=Exists(relatives_visible_to(user).filter(pupil=OuterRef("pk"))),
    )


def by_name(row: dict) -> tuple[str, str]:
    """How the people lists order people: last name, then first name, whatever their case."""
    return row["last_name"].casefold(), row["first_name"].casefold()


def parents_of(pupil: Pupil) -> list[ParentCarer]:
    """A pupil's parents and carers as `pupils_for_page` read them, in the lists' order."""
    found = sorted(pupil.parents_on_load or (), key=by_name)  # type: ignore[attr-defined]
    return [ParentCarer(school_id=pupil.school_id, **row) for row in found]


def relatives_visible_to(user: Staff) -> QuerySet[StaffRelative]:
    """A person's own declared relatives, or the whole school's for directory readers."""
    if not roles.roles_of(user):
        return StaffRelative.objects.none()
    rows = StaffRelative.objects.filter(staff__school_id=user.school_id)
    if roles.has_role(user, roles.DIRECTORY_READERS):
        return rows
    return rows.filter(staff_id=user.pk)


def _holds_role_now(role: str, person: str) -> Exists:
    """Whether the (active) person at `person`, a path from the relative, holds the role."""
    return Exists(
        StaffRole.objects.filter(staff_id=OuterRef(person), staff__is_active=True, role=role)
    )


def declarations_covering(
    staff: Staff, pupils: list[Pupil], kind: str, on: dt.date
) -> list[StaffRelative]:
    """The member of staff's standing declarations that cover this kind of contact with these
    pupils on that day: acknowledged, not ended, the pupil still at the school. The rules engine
    reads them as a fact (policies.facts), and the pages show their conditions."""
    rows = StaffRelative.objects.filter(
        staff=staff, pupil__in=pupils, acknowledged_at__isnull=False, ended_at__isnull=True
    ).select_related("pupil", "acknowledged_by")
    return [row for row in rows if kind in row.contact_kinds and row.pupil.is_current(on)]


def relatives_acknowledgeable_by(user: Staff) -> QuerySet[StaffRelative]:
    """The declarations this person acknowledges, declines and reviews.

    The headteacher; the chair of governors when the head declared it or it is the head's own
    or that of someone who declared a relationship with the head (003 §3), so nobody vouches for
    themself or those close to them. Never one's own, never one's own declaration, never a
    colleague's one declared a relationship with, and only in one's own school.
    """
    held = roles.roles_of(user)
    if not held & roles.RELATIVE_ACKNOWLEDGERS:
        return StaffRelative.objects.none()
    head_involved = (
        _holds_role_now(Role.HEADTEACHER, "staff_id")
        | _holds_role_now(Role.HEADTEACHER, "declared_by_id")
        | Q(staff_id__in=related_to_a_head_ids(user.school_id))
    )
    reach = Q(pk__in=[])
    if Role.HEADTEACHER in held:
        reach |= ~head_involved
    if Role.CHAIR_OF_GOVERNORS in held:
        reach |= head_involved
    return (
        StaffRelative.objects.filter(reach, staff__school_id=user.school_id)
        .exclude(staff_id=user.pk)
        .exclude(declared_by_id=user.pk)
        .exclude(staff_id__in=related_colleague_ids(user.pk))
    )


def relatives_awaiting_acknowledgement_by(user: Staff) -> QuerySet[StaffRelative]:
    """The declarations waiting for this person's acknowledgement now."""
    return relatives_acknowledgeable_by(user).filter(
        acknowledged_at__isnull=True, ended_at__isnull=True
    )


def relatives_due_for_review_by(user: Staff, on: dt.date | None = None) -> QuerySet[StaffRelative]:
    """The standing declarations whose yearly review is this person's and is due."""
    return relatives_acknowledgeable_by(user).filter(
        acknowledged_at__isnull=False,
        ended_at__isnull=True,
        review_due__lte=on or timezone.localdate(),
    )


def relatives_counts_for(user: Staff) -> dict[str, int]:
    """How many declarations await this person's acknowledgement (`awaiting`) and how many are
    due for their yearly review (`due`): the dashboard's two counts, in one query."""
    return relatives_acknowledgeable_by(user).aggregate(
        awaiting=Count("pk", filter=Q(acknowledged_at__isnull=True, ended_at__isnull=True)),
        due=Count(
            "pk",
            filter=Q(
                acknowledged_at__isnull=False,
                ended_at__isnull=True,
                review_due__lte=timezone.localdate(),
            ),
        ),
    )


@dataclass(frozen=True)
class RelativeActions:
    """What a person may do with one declaration now: flags for the pages and the services."""

    can_acknowledge: bool
    can_review: bool
    can_end: bool


def relative_actions(
    user: Staff, relative: StaffRelative, acknowledgeable: set[int] | None = None
) -> RelativeActions:
    """`acknowledgeable` (the pks of `relatives_acknowledgeable_by(user)`) saves a query per row
    on a page that lists several."""
    if acknowledgeable is None:
        acknowledgeable = set(
            relatives_acknowledgeable_by(user).filter(pk=relative.pk).values_list("pk", flat=True)
        )
    keeps = relative.pk in acknowledgeable
    live = not relative.is_ended and relative.staff.school_id == user.school_id
    own = user.pk == relative.staff_id or roles.has_role(user, roles.PEOPLE_EDITORS)
    return RelativeActions(
        can_acknowledge=live and keeps and not relative.is_acknowledged,
        can_review=live and keeps and relative.is_acknowledged,
        can_end=live and (own or keeps),
    )


@per_request
def related_colleague_ids(staff_id: int) -> frozenset[int]:
    """The colleagues this member of staff has a declared relationship with (003 §3). Asked by
    most selectors a page uses: answered once per page view."""
    rows = ColleagueRelationship.objects.filter(ended_at__isnull=True).filter(
        Q(first_id=staff_id) | Q(second_id=staff_id)
    )
    return frozenset(
        other
        for pair in rows.values_list("first_id", "second_id")
        for other in pair
        if other != staff_id
    )


@per_request
def related_to_a_head_ids(school_id: int) -> frozenset[int]:
    """The staff of a school who declared a relationship with its (active) headteacher: what
    concerns them goes to the chair of governors (003 §3). Answered once per page view."""
    # One query: the pairs with a head in them, each side marked whether it is a head.
    heads = StaffRole.objects.filter(
        role=Role.HEADTEACHER, staff__school_id=school_id, staff__is_active=True
    )
    rows = (
        ColleagueRelationship.objects.filter(ended_at__isnull=True)
        .filter(
            Q(first_id__in=heads.values("staff_id")) | Q(second_id__in=heads.values("staff_id"))
        )
        .annotate(
            first_is_head=Exists(heads.filter(staff_id=OuterRef("first_id"))),
            second_is_head=Exists(heads.filter(staff_id=OuterRef("second_id"))),
        )
    )
    related: set[int] = set()
    for first, second, first_is_head, second_is_head in rows.values_list(
        "first_id", "second_id", "first_is_head", "second_is_head"
    ):
        if first_is_head:
            related.add(second)
        if second_is_head:
            related.add(first)
    return frozenset(related)


def may_end_colleague_relationship(user: Staff, pair: ColleagueRelationship) -> bool:
    """Whether this person may end this declared relationship now: whoever edits people at the
    school, never one of the two. Ending it lifts the restrictions it puts on them (003 §3), so
    neither lifts them for themself, to manage or decide for the other."""
    return (
        pair.ended_at is None
        and pair.first.school_id == user.school_id
        and user.pk not in (pair.first_id, pair.second_id)
        and roles.has_role(user, roles.PEOPLE_EDITORS)
    )


def colleague_relationships_of(user: Staff, staff: Staff) -> QuerySet[ColleagueRelationship]:
    """A member of staff's declared relationships with colleagues, for their file: shown to
    themselves and to whoever edits people (who must know whom not to make whose manager)."""
    if staff.school_id != user.school_id or not (
        user.pk == staff.pk or roles.has_role(user, roles.PEOPLE_EDITORS)
    ):
        return ColleagueRelationship.objects.none()
    return ColleagueRelationship.objects.filter(Q(first=staff) | Q(second=staff)).select_related(
        "first", "second", "declared_by", "ended_by"
    )


def own_school(user: Staff) -> School:
    """The user's school, read afresh: a settings form binds to a copy of its own, so a rejected
    form leaves the school the page shows untouched."""
    return School.objects.get(pk=user.school_id)


def governance_accounts_for(user: Staff) -> QuerySet[Staff]:
    """The accounts the chair of governors keeps (docs/security.md "Separation of duties"): the
    headteacher's and the governors', the chair's own included, active or not. Nobody else
    reaches them here."""
    if not roles.has_role(user, roles.GOVERNANCE_KEEPERS):
        return Staff.objects.none()
    return (
        Staff.objects.filter(
            school_id=user.school_id, role_assignments__role__in=roles.CHAIR_RESETS
        )
        .distinct()
        .prefetch_related("role_assignments")
    )


def governor_candidates_for(user: Staff) -> QuerySet[Staff]:
    """Whom the chair of governors may choose to make a governor: the school's active staff who
    are neither the headteacher (never also a governor) nor a governor already."""
    if not roles.has_role(user, roles.GOVERNANCE_KEEPERS):
        return Staff.objects.none()
    return Staff.objects.filter(school_id=user.school_id, is_active=True).exclude(
        role_assignments__role__in=roles.CHAIR_RESETS
    )


def governance_roles_held(staff: Staff) -> set[str]:
    """The governance roles this person holds now, read afresh."""
    return set(
        StaffRole.objects.filter(staff_id=staff.pk, role__in=roles.GOVERNANCE_ROLES).values_list(
            "role", flat=True
        )
    )


def invitations_visible_to(user: Staff) -> QuerySet[Staff]:
    """The Invitations page: the school's active staff who have been invited or cannot sign in
    yet (no password), for the people editors; each with their invitations, newest first."""
    if not roles.has_role(user, roles.PEOPLE_EDITORS):
        return Staff.objects.none()
    unusable = Q(password__startswith=UNUSABLE_PASSWORD_PREFIX)
    return (
        Staff.objects.filter(school_id=user.school_id, is_active=True)
        .filter(unusable | Q(invitations__isnull=False))
        .distinct()
        .prefetch_related(
            "role_assignments",
            Prefetch("invitations", queryset=Invitation.objects.select_related("sent_by")),
        )
        .order_by("last_name", "first_name", "pk")
    )


def invitation_visible_to(user: Staff) -> QuerySet[Invitation]:
    if not roles.has_role(user, roles.PEOPLE_EDITORS):
        return Invitation.objects.none()
    return Invitation.objects.filter(staff__school_id=user.school_id).select_related("staff")
