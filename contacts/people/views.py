"""Directory pages: permission, form, service call, redirect."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from contacts.people import importing, selectors, services
from contacts.people.filters import PupilFilter, StaffFilter
from contacts.people.forms import (
    ColleagueRelationshipForm,
    GovernanceActiveForm,
    GovernanceEmailForm,
    GovernorGiveForm,
    ImportForm,
    ParentForm,
    PupilForm,
    RelativeDecisionForm,
    RelativeEndForm,
    RelativeForm,
    SchoolForm,
    StaffForm,
)
from contacts.people.models import Pupil, Staff, StaffRelative
from safeguard.core import roles
from safeguard.core.forms import add_service_errors, posted
from safeguard.core.http import AuthenticatedHttpRequest
from safeguard.core.reauth import recent_sign_in_required
from safeguard.core.roles import Role, role_required

PAGE_SIZE = 50


def _page_asked_for(request: AuthenticatedHttpRequest, rows: QuerySet) -> Page:
    """The page of `rows` named by the query string (the first when none or no such page)."""
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))


def _list_page(
    request: AuthenticatedHttpRequest,
    search: PupilFilter | StaffFilter,
    template: str,
) -> HttpResponse:
    """A directory list narrowed by its search, a page at a time. A search with a mistake in
    it finds nothing; the mistake is shown beside its field."""
    rows = search.qs if search.is_valid() else search.queryset.none()
    context = {"filter": search, "page": _page_asked_for(request, rows)}
    return render(request, template, context)


@role_required(roles.DIRECTORY_READERS)
def staff_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    rows = selectors.staff_visible_to(request.user).select_related("line_manager")
    rows = rows.prefetch_related("role_assignments").order_by("last_name", "first_name", "pk")
    search = StaffFilter(request.GET, rows, reader=request.user)
    return _list_page(request, search, "contacts/staff_list.html")


def _person_form_page(
    request: AuthenticatedHttpRequest,
    form: forms.ModelForm,
    save: Callable[..., Staff | Pupil],
    *,
    kind: str,
    done: str,
    title: str,
) -> HttpResponse:
    """Add or edit a member of staff or a pupil (`kind`): on a valid post, `save(actor=...,
    **data)` and go to the person's page; otherwise the form again, with the service's
    objections."""
    if request.method == "POST" and form.is_valid():
        try:
            person = save(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{person.full_name} was {done}.")
            return redirect(f"{kind}_detail", pk=person.pk)
    return render(request, "simple_form.html", {"form": form, "title": title})


def _with_roles(service: Callable[..., Staff]) -> Callable[..., Staff]:
    """A staff service given the roles the staff form chose, as `roles_held`."""
    return lambda **data: service(roles_held=data["roles"], **data)


@role_required(roles.PEOPLE_EDITORS)
def staff_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    school = request.user.school
    form = StaffForm(posted(request), school=school)
    save = _with_roles(partial(services.staff_create, school=school))
    done = "added and emailed an invitation to sign in" if form.data.get("invite") else "added"
    return _person_form_page(request, form, save, kind="staff", done=done, title="Add staff")


@role_required(roles.PEOPLE_EDITORS)
def staff_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    staff = get_object_or_404(selectors.staff_visible_to(request.user), pk=pk)
    # Bind to a fresh copy so a rejected form leaves the page's record untouched.
    fresh = selectors.staff_visible_to(request.user).get(pk=pk)
    form = StaffForm(posted(request), instance=fresh, school=staff.school)
    save = _with_roles(partial(services.staff_update, staff=staff))
    return _person_form_page(
        request, form, save, kind="staff", done="updated", title=f"Edit {staff.full_name}"
    )


@require_POST
@role_required(roles.PEOPLE_EDITORS)
def staff_active(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    staff = get_object_or_404(selectors.staff_visible_to(request.user), pk=pk)
    active = request.POST.get("active") == "1"
    try:
        services.staff_set_active(actor=request.user, staff=staff, active=active)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        state = "reactivated" if active else "deactivated and can no longer sign in"
        messages.success(request, f"{staff.full_name} was {state}.")
    return redirect("staff_detail", pk=staff.pk)


def relative_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    staff = get_object_or_404(selectors.staff_visible_to(request.user), pk=pk)
    if staff.pk != request.user.pk:
        roles.require_role(request.user, roles.PEOPLE_EDITORS)
    pupils = selectors.pupils_selectable_by(request.user)
    form = RelativeForm(posted(request), pupils=pupils)
    if request.method == "POST" and form.is_valid():
        try:
            services.relative_add(actor=request.user, staff=staff, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                "The relationship was declared. It counts only once the headteacher has "
                "acknowledged it.",
            )
            return redirect("staff_detail", pk=staff.pk)
    return render(request, "contacts/relative_form.html", {"form": form, "staff": staff})


def _relative_reached(request: AuthenticatedHttpRequest, pk: int) -> StaffRelative:
    reach = selectors.relatives_visible_to(request.user) | selectors.relatives_acknowledgeable_by(
        request.user
    )
    return get_object_or_404(reach.select_related("staff", "pupil"), pk=pk)


def _back(request: AuthenticatedHttpRequest, relative: StaffRelative) -> HttpResponse:
    if request.POST.get("back") == "list":
        return redirect("relatives_awaiting")
    return redirect("staff_detail", pk=relative.staff_id)


@require_POST
def relative_end(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    relative = _relative_reached(request, pk)
    form = RelativeEndForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Keep the reason under 500 characters.")
        return _back(request, relative)
    try:
        services.relative_end(actor=request.user, relative=relative, **form.cleaned_data)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"The declaration for {relative.pupil.full_name} was ended.")
    return _back(request, relative)


@require_POST
def colleague_declare(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    staff = get_object_or_404(selectors.staff_visible_to(request.user), pk=pk)
    if staff.pk != request.user.pk:
        roles.require_role(request.user, roles.PEOPLE_EDITORS)
    colleagues = selectors.staff_selectable_by(request.user).filter(is_active=True)
    form = ColleagueRelationshipForm(request.POST, colleagues=colleagues.exclude(pk=staff.pk))
    if form.is_valid():
        try:
            services.colleague_relationship_declare(
                actor=request.user, staff=staff, **form.cleaned_data
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                f"The relationship with {form.cleaned_data['colleague'].full_name} was declared: "
                "neither of you manages the other or decides the other's requests.",
            )
    else:
        messages.error(request, "Choose a colleague and the relationship.")
    return redirect("staff_detail", pk=staff.pk)


@require_POST
def colleague_end(request: AuthenticatedHttpRequest, pk: int, relationship_pk: int) -> HttpResponse:
    staff = get_object_or_404(selectors.staff_visible_to(request.user), pk=pk)
    relationship = get_object_or_404(
        selectors.colleague_relationships_of(request.user, staff), pk=relationship_pk
    )
    try:
        services.colleague_relationship_end(actor=request.user, relationship=relationship)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "The relationship was ended.")
    return redirect("staff_detail", pk=staff.pk)


@role_required(roles.RELATIVE_ACKNOWLEDGERS)
def relatives_awaiting(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The declarations waiting for this person's acknowledgement or yearly review."""
    related = ("staff", "pupil", "declared_by", "acknowledged_by")
    awaiting = selectors.relatives_awaiting_acknowledgement_by(request.user)
    due = selectors.relatives_due_for_review_by(request.user)
    keeps = set(selectors.relatives_acknowledgeable_by(request.user).values_list("pk", flat=True))

    def with_actions(rows: QuerySet[StaffRelative]) -> list[tuple[StaffRelative, object]]:
        return [(row, selectors.relative_actions(request.user, row, keeps)) for row in rows]

    context = {
        "relatives": with_actions(awaiting.select_related(*related).order_by("created_at")),
        "due": with_actions(due.select_related(*related).order_by("review_due", "pk")),
    }
    return render(request, "contacts/relatives_awaiting.html", context)


def _relative_decided(
    request: AuthenticatedHttpRequest, pk: int, decide: Callable[..., object], done: str
) -> HttpResponse:
    """Acknowledge, review or decline (`decide`) a declaration, then back to the list or the
    staff page it was decided from."""
    relative = _relative_reached(request, pk)
    form = RelativeDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Keep the conditions under 2,000 characters.")
        return _back(request, relative)
    extra = form.cleaned_data if decide is not services.relative_decline else {}
    try:
        decide(actor=request.user, relative=relative, **extra)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            f"{relative.pupil.full_name}, {relative.get_relationship_display().lower()} of "
            f"{relative.staff.full_name}, {done}.",
        )
    return _back(request, relative)


@require_POST
@role_required(roles.RELATIVE_ACKNOWLEDGERS)
def relative_acknowledge(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _relative_decided(
        request,
        pk,
        services.relative_acknowledge,
        "was acknowledged: contact it covers is recorded, not asked about each time",
    )


@require_POST
@role_required(roles.RELATIVE_ACKNOWLEDGERS)
def relative_review(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _relative_decided(
        request, pk, services.relative_review, "was reviewed and stands for another year"
    )


@require_POST
@role_required(roles.RELATIVE_ACKNOWLEDGERS)
def relative_decline(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _relative_decided(
        request, pk, services.relative_decline, "was declined and the declaration removed"
    )


@role_required(roles.DIRECTORY_READERS)
def pupil_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    rows = selectors.pupils_visible_to(request.user).order_by("last_name", "first_name", "pk")
    search = PupilFilter(request.GET, rows, reader=request.user)
    return _list_page(request, search, "contacts/pupil_list.html")


@role_required(roles.PEOPLE_EDITORS)
def pupil_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    school = request.user.school
    form = PupilForm(posted(request), school=school)
    save = partial(services.pupil_create, school=school)
    return _person_form_page(request, form, save, kind="pupil", done="added", title="Add a pupil")


@role_required(roles.PEOPLE_EDITORS)
def pupil_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    pupil = get_object_or_404(selectors.pupils_visible_to(request.user), pk=pk)
    # Bind to a fresh copy so a rejected form leaves the page's record untouched.
    fresh = selectors.pupils_visible_to(request.user).get(pk=pk)
    form = PupilForm(posted(request), instance=fresh, school=pupil.school)
    save = partial(services.pupil_update, pupil=pupil)
    return _person_form_page(
        request, form, save, kind="pupil", done="updated", title=f"Edit {pupil.full_name}"
    )


@role_required(roles.PEOPLE_EDITORS)
def parent_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    pupil = get_object_or_404(selectors.pupils_visible_to(request.user), pk=pk)
    form = ParentForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.parent_create(
                actor=request.user, school=pupil.school, children=[pupil], **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "The parent or carer was added.")
            return redirect("pupil_detail", pk=pupil.pk)
    return render(request, "contacts/parent_form.html", {"form": form, "pupil": pupil})


@role_required(roles.PEOPLE_EDITORS)
def people_import(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ImportForm(posted(request), request.FILES if request.method == "POST" else None)
    errors: list[importing.RowError] = []
    if request.method == "POST" and form.is_valid():
        try:
            result = importing.people_import(
                actor=request.user,
                school=request.user.school,
                kind=form.cleaned_data["kind"],
                file=form.cleaned_data["file"],
                invite=form.cleaned_data["invite"],
            )
        except importing.ImportRejected as rejected:
            errors = rejected.errors
        else:
            invited = f" {result.invited} invited to sign in." if result.invited else ""
            messages.success(request, f"{result.created} {result.kind} imported.{invited}")
            return redirect("pupil_list" if result.kind == "pupils" else "staff_list")
    context = {
        "form": form,
        "errors": errors,
        "columns": importing.COLUMNS,
    }
    return render(request, "contacts/import.html", context)


@role_required(Role.HEADTEACHER)
def school_settings(request: AuthenticatedHttpRequest) -> HttpResponse:
    school = selectors.own_school(request.user)
    # Bind to a copy of its own so a rejected form leaves `school` as it was.
    form = SchoolForm(posted(request), instance=selectors.own_school(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            services.school_update(actor=request.user, school=school, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "The school's settings were saved.")
            return redirect("school_settings")
    return render(request, "contacts/school_form.html", {"form": form})


# --- The chair of governors' governance page (docs/security.md "Separation of duties") ------


def _email_form(staff: Staff, data: QueryDict | None = None) -> GovernanceEmailForm:
    # One form per person on the page: ids of their own, the field's name the same.
    return GovernanceEmailForm(data, auto_id=f"id_%s_{staff.pk}")


def _governance_page(
    request: AuthenticatedHttpRequest,
    *,
    give_form: GovernorGiveForm | None = None,
    failed: tuple[int, GovernanceEmailForm] | None = None,
) -> HttpResponse:
    """The page, with a refused form (and its errors) in place of its blank one."""
    rows = []
    for person in selectors.governance_accounts_for(request.user):
        held = {assignment.role for assignment in person.role_assignments.all()}
        email_form = failed[1] if failed and failed[0] == person.pk else _email_form(person)
        rows.append(
            {
                "person": person,
                "is_head": Role.HEADTEACHER in held,
                "is_chair": Role.CHAIR_OF_GOVERNORS in held,
                "is_governor": Role.GOVERNOR in held,
                "is_whistleblowing": Role.WHISTLEBLOWING_GOVERNOR in held,
                "is_you": person.pk == request.user.pk,
                "email_form": email_form,
                "may_invite": not services.invite_refusal(request.user, person, held),
            }
        )
    candidates = selectors.governor_candidates_for(request.user)
    context = {"rows": rows, "give_form": give_form or GovernorGiveForm(candidates=candidates)}
    return render(request, "contacts/governance.html", context)


@role_required(roles.GOVERNANCE_KEEPERS)
def governance(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _governance_page(request)


@require_POST
@role_required(roles.GOVERNANCE_KEEPERS)
# Who oversees the head is the chair's to change: the password again after the idle limit.
@recent_sign_in_required(then="governance", then_with_arguments=False)
def governance_governor_give(request: AuthenticatedHttpRequest) -> HttpResponse:
    candidates = selectors.governor_candidates_for(request.user)
    form = GovernorGiveForm(request.POST, candidates=candidates)
    if form.is_valid():
        staff = form.cleaned_data["staff"]
        try:
            services.governance_roles_set(
                actor=request.user,
                staff=staff,
                roles_held=[*selectors.governance_roles_held(staff), Role.GOVERNOR],
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                # The service names its "roles" or "line_manager": both are about this choice.
                error = ValidationError(
                    {"staff": [m for e in error.error_dict.values() for m in e]}
                )
            add_service_errors(form, error)
        else:
            messages.success(request, f"{staff.full_name} is now a governor.")
            return redirect("governance")
    return _governance_page(request, give_form=form)


@require_POST
@role_required(roles.GOVERNANCE_KEEPERS)
@recent_sign_in_required(then="governance", then_with_arguments=False)
def governance_whistleblowing(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Name a governor (or no longer) as the one who receives concerns sent by the
    whistleblowing route (003 §6); while nobody is named, the chair receives them."""
    staff = get_object_or_404(selectors.governance_accounts_for(request.user), pk=pk)
    held = selectors.governance_roles_held(staff)
    naming = Role.WHISTLEBLOWING_GOVERNOR not in held
    wanted = set(held)
    if naming:
        wanted.add(Role.WHISTLEBLOWING_GOVERNOR)
    else:
        wanted.discard(Role.WHISTLEBLOWING_GOVERNOR)
    try:
        services.governance_roles_set(actor=request.user, staff=staff, roles_held=sorted(wanted))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        done = "now receives" if naming else "no longer receives"
        messages.success(
            request, f"{staff.full_name} {done} concerns sent by the whistleblowing route."
        )
    return redirect("governance")


@require_POST
@role_required(roles.GOVERNANCE_KEEPERS)
# Who oversees the head is the chair's to change: the password again after the idle limit.
@recent_sign_in_required(then="governance", then_with_arguments=False)
def governance_governor_remove(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    staff = get_object_or_404(selectors.governance_accounts_for(request.user), pk=pk)
    try:
        services.governance_roles_set(
            actor=request.user,
            staff=staff,
            roles_held=[r for r in selectors.governance_roles_held(staff) if r != Role.GOVERNOR],
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{staff.full_name} is no longer a governor.")
    return redirect("governance")


@require_POST
@role_required(roles.GOVERNANCE_KEEPERS)
# Who oversees the head is the chair's to change: the password again after the idle limit.
@recent_sign_in_required(then="governance", then_with_arguments=False)
def governance_email(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    staff = get_object_or_404(selectors.governance_accounts_for(request.user), pk=pk)
    form = _email_form(staff, request.POST)
    if form.is_valid():
        try:
            # A copy of its own: a refused change leaves nothing altered on the page's row.
            services.staff_update(
                actor=request.user,
                staff=Staff.objects.get(pk=staff.pk),
                email=form.cleaned_data["email"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                f"{staff.full_name}'s email address was changed; their old address was told.",
            )
            return redirect("governance")
    return _governance_page(request, failed=(staff.pk, form))


@require_POST
@role_required(roles.GOVERNANCE_KEEPERS)
# Who oversees the head is the chair's to change: the password again after the idle limit.
@recent_sign_in_required(then="governance", then_with_arguments=False)
def governance_active(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    staff = get_object_or_404(selectors.governance_accounts_for(request.user), pk=pk)
    form = GovernanceActiveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose to deactivate or to reactivate the account.")
        return redirect("governance")
    active = form.cleaned_data["active"]
    try:
        services.staff_set_active(actor=request.user, staff=staff, active=active)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        state = "reactivated" if active else "deactivated and can no longer sign in"
        messages.success(request, f"{staff.full_name} was {state}.")
    return redirect("governance")


# --- Invitations -------------------------------------------------------------------------


# An invitation's state in words, and the badge it wears.
INVITATION_STATES = {
    "pending": ("Invited", "text-bg-info"),
    "accepted": ("Accepted", "text-bg-success"),
    "expired": ("Expired", "text-bg-warning"),
    "revoked": ("Withdrawn", "text-bg-secondary"),
    "not_invited": ("Not invited", "text-bg-light border"),
}


@role_required(roles.PEOPLE_EDITORS)
def invitation_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Who has been invited, who has accepted, whose link has expired, and who has never been
    invited: with Send (again) and Withdraw where the person asking may."""
    rows = []
    page = _page_asked_for(request, selectors.invitations_visible_to(request.user))
    for staff in page:
        latest = next(iter(staff.invitations.all()), None)
        held = {assignment.role for assignment in staff.role_assignments.all()}
        rows.append(
            {
                "staff": staff,
                "invitation": latest,
                "state": INVITATION_STATES[latest.status if latest else "not_invited"],
                "refusal": services.invite_refusal(request.user, staff, held),
                "can_withdraw": latest is not None and latest.status == "pending",
            }
        )
    context = {"page": page, "rows": rows, "invitation_days": settings.INVITATION_DAYS}
    return render(request, "contacts/invitations.html", context)


@require_POST
@role_required(roles.PEOPLE_EDITORS, roles.GOVERNANCE_KEEPERS)
def invitation_send(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """From the Invitations page, or the governance page for the chair (the head's and the
    governors' accounts are the chair's to invite)."""
    staff = (
        selectors.staff_visible_to(request.user).filter(pk=pk).first()
        or selectors.governance_accounts_for(request.user).filter(pk=pk).first()
    )
    if staff is None:
        raise Http404("No such member of staff.")
    try:
        services.invitation_send(actor=request.user, staff=staff)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"An invitation was emailed to {staff.full_name}.")
    on_invitations = roles.has_role(request.user, roles.PEOPLE_EDITORS)
    return redirect("invitation_list" if on_invitations else "governance")


@require_POST
@role_required(roles.PEOPLE_EDITORS)
def invitation_revoke(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    invitation = get_object_or_404(selectors.invitation_visible_to(request.user), pk=pk)
    try:
        services.invitation_revoke(actor=request.user, invitation=invitation)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            f"{invitation.staff.full_name}'s invitation was withdrawn: its link no longer works.",
        )
    return redirect("invitation_list")
