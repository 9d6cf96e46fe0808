"""Retention pages: the headteacher's legal holds, and the review of disclosures that reached
the end of their retention period (the DSL and the headteacher). Role check (403), selector
lookup (404), form, service call, redirect."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from contacts import selectors, services
from contacts.retention_forms import LegalHoldForm, LiftForm, ReviewForm
from contacts.services.retention import REVIEWERS, Holds, disclosure_due, parties_of
from safeguard.forms import add_service_errors, posted
from safeguard.roles import Role, role_required

LIFTED_SHOWN = 20


@role_required(Role.HEADTEACHER)
def legal_holds(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = LegalHoldForm(
        posted(request),
        pupils=selectors.pupils_visible_to(user),
        staff=selectors.staff_visible_to(user),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.legal_hold_place(actor=user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "The hold was placed: nothing about them will be deleted.")
            return redirect("legal_holds")
    rows = selectors.legal_holds_visible_to(user).select_related(
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
def legal_hold_lift(request: HttpRequest, pk: int) -> HttpResponse:
    hold = get_object_or_404(selectors.legal_holds_visible_to(request.user), pk=pk)
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


@role_required(REVIEWERS)
def retention_reviews(request: HttpRequest) -> HttpResponse:
    school = request.user.school
    holds = Holds.of(school)
    rows = [
        {
            "disclosure": disclosure,
            "due_on": disclosure_due(school, disclosure).on,
            "held": holds.cover(parties_of("disclosure", disclosure)),
        }
        for disclosure in selectors.disclosures_for_review(request.user)
        .select_related("pupil")
        .order_by("retention_flagged_at", "pk")
    ]
    context = {"rows": rows, "school": school}
    return render(request, "contacts/retention/reviews.html", context)


@require_POST
@role_required(REVIEWERS)
def retention_review(request: HttpRequest, pk: int) -> HttpResponse:
    disclosure = get_object_or_404(selectors.disclosures_for_review(request.user), pk=pk)
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
