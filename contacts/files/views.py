"""Staff and pupil files: permission, selector lookup, the file's page of entries."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import F, QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render

from contacts.concerns import selectors as concerns_selectors
from contacts.files import selectors as files_selectors
from contacts.files.forms import ChronologyForm
from contacts.patterns.selectors import may_open_pattern
from contacts.people import selectors as people_selectors
from contacts.people.forms import ColleagueRelationshipForm
from safeguard.accounts import services as two_factor
from safeguard.audit.selectors import seen_by_panel
from safeguard.audit.services import audit_download, audit_view
from safeguard.audit.vocabulary import VIEW
from safeguard.core import roles
from safeguard.core.http import AuthenticatedHttpRequest
from safeguard.core.roles import SEEN_BY_READERS, role_required

if TYPE_CHECKING:
    from contacts.people.models import Pupil, Staff, StaffRelative


def _file_entries_context(request: AuthenticatedHttpRequest, person: Staff | Pupil) -> dict:
    """The page of the person's file entries asked for, with what its page links need."""
    shown = files_selectors.file_page(request.user, person, number=request.GET.get("page"))
    return {"entries": shown.entries, "entries_page": shown.page}


def _declarations(
    request: AuthenticatedHttpRequest, rows: QuerySet[StaffRelative]
) -> list[tuple[StaffRelative, people_selectors.RelativeActions]]:
    """A file's declared relationships, newest standing first, each with what the reader may
    do with it."""
    found = list(
        rows.select_related("staff", "pupil", "acknowledged_by", "ended_by").order_by(
            F("ended_at").desc(nulls_first=True), "-created_at"
        )
    )
    if not found:
        # Most files have none: nothing to ask about acknowledging.
        return []
    keeps = set(
        people_selectors.relatives_acknowledgeable_by(request.user)
        .filter(pk__in=[row.pk for row in found])
        .values_list("pk", flat=True)
    )
    return [(row, people_selectors.relative_actions(request.user, row, keeps)) for row in found]


def staff_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    staff = get_object_or_404(
        two_factor.with_two_factor_on_load(
            people_selectors.staff_visible_to(request.user).select_related("line_manager")
        ),
        pk=pk,
    )
    relatives = people_selectors.relatives_visible_to(request.user).filter(staff=staff)
    can_edit = roles.has_role(request.user, roles.PEOPLE_EDITORS)
    two_factor_on = two_factor.two_factor_enabled_on_load(staff)
    latest_invitation = staff.invitations.first() if can_edit else None
    context = {
        "staff": staff,
        "two_factor_on": two_factor_on,
        "can_reset_two_factor": two_factor_on and two_factor.may_reset(request.user, staff),
        "held_roles": staff.role_assignments.all(),
        "reports": staff.reports.filter(is_active=True),
        "relatives": _declarations(request, relatives),
        "can_edit": can_edit,
        "has_password": staff.has_usable_password(),
        "latest_invitation": latest_invitation,
        "invitation_pending": latest_invitation is not None
        and latest_invitation.status == "pending",
        "can_add_relative": can_edit or staff.pk == request.user.pk,
        "colleague_relationships": [
            (pair, people_selectors.may_end_colleague_relationship(request.user, pair))
            for pair in people_selectors.colleague_relationships_of(request.user, staff)
        ],
        "colleague_form": ColleagueRelationshipForm(
            colleagues=people_selectors.staff_selectable_by(request.user)
            .filter(is_active=True)
            .exclude(pk=staff.pk)
        )
        if can_edit or staff.pk == request.user.pk
        else None,
        **_file_entries_context(request, staff),
        "concerns_about": concerns_selectors.concerns_managed_about(request.user, staff),
        "can_open_pattern": may_open_pattern(request.user, staff),
    }
    return render(request, "contacts/staff_detail.html", context)


@role_required(roles.DIRECTORY_READERS)
def pupil_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    pupil = get_object_or_404(people_selectors.pupils_for_page(request.user), pk=pk)
    # The selector keeps to the user's own school, already loaded with them.
    audit_view(actor=request.user, obj=pupil, school=request.user.school)
    context = {
        "pupil": pupil,
        "seen_by": seen_by_panel(pupil) if roles.has_role(request.user, SEEN_BY_READERS) else None,
        "parents": people_selectors.parents_of(pupil),
        "staff_relatives": _declarations(
            request, people_selectors.relatives_visible_to(request.user).filter(pupil=pupil)
        )
        if pupil.declared_on_load
        else [],
        "can_edit": roles.has_role(request.user, roles.PEOPLE_EDITORS),
        **_file_entries_context(request, pupil),
    }
    return render(request, "contacts/pupil_detail.html", context)


def _print_file(
    request: AuthenticatedHttpRequest, person: Staff | Pupil, kinds: tuple[str, ...], title: str
) -> HttpResponse:
    """A file's chronology in date order, as a page made for printing, with the kinds and dates
    chosen; each printing is a view event in the trail, saying what was printed."""
    form = ChronologyForm(request.GET or None, kinds=kinds)
    chronology = None
    if not form.is_bound or form.is_valid():
        chosen = form.cleaned_data if form.is_bound else {}
        chronology = files_selectors.file_chronology(
            request.user,
            person,
            kinds=set(chosen.get("kinds") or ()),
            since=chosen.get("since"),
            until=chosen.get("until"),
        )
        audit_download(
            actor=request.user,
            school=request.user.school,
            action=VIEW,
            obj=person,
            reason=f"Print view of the file: {form.describe()}",
        )
    context = {
        "title": title,
        "person": person,
        "form": form,
        "described": form.describe(),
        "chronology": chronology,
        "limit": files_selectors.PRINT_LIMIT,
        "show_disclosures": "disclosure" in kinds,
    }
    return render(request, "contacts/file_print.html", context)


@role_required(roles.DIRECTORY_READERS)
def pupil_print(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    pupil = get_object_or_404(people_selectors.pupils_visible_to(request.user), pk=pk)
    kinds = ("request", "record", "disclosure")
    return _print_file(request, pupil, kinds, f"Pupil file: {pupil.full_name}")


def staff_print(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    staff = get_object_or_404(people_selectors.staff_visible_to(request.user), pk=pk)
    return _print_file(request, staff, ("request", "record"), f"Staff file: {staff.full_name}")
