"""Privacy pages: the headteacher's legal holds, the review of disclosures that reached the end
of their retention period (the DSL and the headteacher), and the subject-access export of a
pupil or a member of staff (the headteacher). Role check (403), selector lookup (404), form,
service call, redirect."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_POST

from contacts.people import selectors as people_selectors
from contacts.privacy import selectors as privacy_selectors
from contacts.privacy import services
from contacts.privacy.forms import LegalHoldForm, LiftForm, ReviewForm
from contacts.privacy.retention import Holds, disclosure_due, parties_of
from contacts.privacy.subject_access.columns import CHAIR_ONLY
from contacts.privacy.subject_access.gather import pupil_export, staff_export
from contacts.privacy.subject_access.pack import SubjectAccess
from safeguard.core import roles
from safeguard.core.forms import add_service_errors, posted
from safeguard.core.http import AuthenticatedHttpRequest
from safeguard.core.reauth import recent_sign_in_required
from safeguard.core.roles import Role, role_required

if TYPE_CHECKING:  # only named in annotations: people are found through the selectors
    from contacts.people.models import Pupil, Staff

LIFTED_SHOWN = 20


# --- Retention: legal holds, and disclosures due for review --------------------------------------


@role_required(Role.HEADTEACHER)
def legal_holds(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    form = LegalHoldForm(
        posted(request),
        pupils=people_selectors.pupils_visible_to(user),
        staff=people_selectors.staff_visible_to(user),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.legal_hold_place(actor=user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "The hold was placed: nothing about them will be deleted.")
            return redirect("legal_holds")
    rows = privacy_selectors.legal_holds_visible_to(user).select_related(
        "pupil", "staff", "placed_by", "lifted_by"
    )
    context = {
        "form": form,
        "active": list(rows.active()),
        "lifted": list(rows.filter(lifted_at__isnull=False).order_by("-lifted_at")[:LIFTED_SHOWN]),
        "lift_form": LiftForm(),
    }
    return render(request, "contacts/retention/holds.html", context)


@require_POST
@role_required(Role.HEADTEACHER)
def legal_hold_lift(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    hold = get_object_or_404(privacy_selectors.legal_holds_visible_to(request.user), pk=pk)
    form = LiftForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the hold is lifted.")
        return redirect("legal_holds")
    try:
        services.legal_hold_lift(actor=request.user, hold=hold, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "The hold was lifted: the retention schedule applies again.")
    return redirect("legal_holds")


@role_required(roles.DISCLOSURE_REVIEWERS)
def retention_reviews(request: AuthenticatedHttpRequest) -> HttpResponse:
    school = request.user.school
    holds = Holds.of(school)
    rows = [
        {
            "disclosure": disclosure,
            "due_on": disclosure_due(school, disclosure).on,
            "held": holds.cover(parties_of("disclosure", disclosure)),
        }
        for disclosure in privacy_selectors.disclosures_for_review(request.user)
        .select_related("pupil")
        .order_by("retention_flagged_at", "pk")
    ]
    context = {"rows": rows, "school": school}
    return render(request, "contacts/retention/reviews.html", context)


@require_POST
@role_required(roles.DISCLOSURE_REVIEWERS)
def retention_review(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    disclosure = get_object_or_404(privacy_selectors.disclosures_for_review(request.user), pk=pk)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"{disclosure.reference}: choose whether to keep or delete it.")
        return redirect("retention_reviews")
    data = form.cleaned_data
    keep = data["decision"] == "keep"
    try:
        services.retention_review(
            actor=request.user,
            disclosure=disclosure,
            keep=keep,
            reason=data["reason"],
            review_on=data["review_on"],
        )
    except ValidationError as error:
        messages.error(request, f"{disclosure.reference}: {' '.join(error.messages)}")
    else:
        done = "kept until its next review" if keep else "deleted"
        messages.success(request, f"{disclosure.reference} was {done}.")
    return redirect("retention_reviews")


# --- Subject-access exports: one page and one download, for a pupil or a member of staff ------

# Who the user may export, by the kind of person in the URL: out of reach is a 404.
_PEOPLE: dict[str, Callable[[Staff], QuerySet]] = {
    "pupil": people_selectors.pupils_visible_to,
    "staff": people_selectors.staff_visible_to,
}


def _person(request: AuthenticatedHttpRequest, kind: str, pk: int) -> Pupil | Staff:
    return get_object_or_404(_PEOPLE[kind](request.user), pk=pk)


BACK_LABELS = {"pupil": "Back to the pupil's page", "staff": "Back to their page"}


def _export_page(request: AuthenticatedHttpRequest, kind: str, pk: int) -> HttpResponse:
    subject = _person(request, kind, pk)
    refused = privacy_selectors.subject_access_refusal(request.user, subject)
    data = None
    if not refused:
        gather: Callable[..., SubjectAccess] = pupil_export if kind == "pupil" else staff_export
        data = gather(actor=request.user, **{kind: subject})
    context = {
        "subject": subject,
        "data": data,
        "refused": refused,
        "chair_only": CHAIR_ONLY,
        "back": reverse(f"{kind}_detail", args=[subject.pk]),
        "back_label": BACK_LABELS[kind],
        "download": reverse(f"{kind}_subject_access_download", args=[subject.pk]),
    }
    return render(request, "contacts/subject_access/export_page.html", context)


def _export_download(request: AuthenticatedHttpRequest, kind: str, pk: int) -> FileResponse:
    subject = _person(request, kind, pk)
    # `kind` is the keyword for this kind of person (pupil= or staff=), which mypy cannot see.
    export = services.subject_access_export(actor=request.user, **{kind: subject})  # type: ignore[arg-type]
    response = FileResponse(
        export.file, as_attachment=True, filename=export.filename, content_type="application/zip"
    )
    # Special category data: no browser or proxy keeps a copy.
    add_never_cache_headers(response)
    return response


@role_required(Role.HEADTEACHER)
def pupil_subject_access(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _export_page(request, "pupil", pk)


@require_POST
@role_required(Role.HEADTEACHER)
@recent_sign_in_required(then="pupil_subject_access")
def pupil_subject_access_download(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    return _export_download(request, "pupil", pk)


@role_required(Role.HEADTEACHER)
def staff_subject_access(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _export_page(request, "staff", pk)


@require_POST
@role_required(Role.HEADTEACHER)
@recent_sign_in_required(then="staff_subject_access")
def staff_subject_access_download(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    return _export_download(request, "staff", pk)
