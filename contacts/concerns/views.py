"""Boundary concerns and LADO referrals: permission, form, service call, redirect."""

from __future__ import annotations

from itertools import groupby
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from contacts.concerns import selectors as concerns_selectors
from contacts.concerns import services
from contacts.concerns.forms import ConcernForm, LadoForm, LadoOutcomeForm, RespondForm
from contacts.people import selectors as people_selectors
from contacts.planned import selectors as planned_selectors
from contacts.records import selectors as records_selectors
from safeguard.audit.selectors import seen_by_panel
from safeguard.audit.services import audit_view
from safeguard.core import roles
from safeguard.core.forms import add_service_errors, posted
from safeguard.core.http import AuthenticatedHttpRequest
from safeguard.core.roles import role_required

if TYPE_CHECKING:
    from contacts.people.models import Staff


def _active_staff_to_name(request: AuthenticatedHttpRequest) -> QuerySet[Staff]:
    """Who a form may name as the subject: the school's staff still in post."""
    return people_selectors.staff_selectable_by(request.user).filter(is_active=True)


def concern_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    visible = concerns_selectors.concerns_visible_to(user).select_related("subject", "reporter")
    raised = [c for c in visible if c.reporter_id == user.pk]
    managed = sorted(
        (c for c in visible if concerns_selectors.is_case_manager(user, c)),
        key=lambda c: (c.subject.last_name, c.subject.first_name, c.subject_id, -c.pk),
    )
    groups = [
        (items[0].subject, items)
        for items in (list(g) for _, g in groupby(managed, key=lambda c: c.subject_id))
    ]
    return render(
        request, "contacts/concerns/concern_list.html", {"raised": raised, "groups": groups}
    )


def concern_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    related_record = related_request = None
    if record_id := request.GET.get("record"):
        related_record = get_object_or_404(
            records_selectors.records_visible_to(request.user), pk=record_id
        )
    if request_id := request.GET.get("request"):
        related_request = get_object_or_404(
            planned_selectors.requests_visible_to(request.user), pk=request_id
        )
    initial: dict[str, Any] = {}
    if related_record is not None:
        initial["subject"] = related_record.author_id
        initial["occurred_on"] = timezone.localtime(related_record.occurred_at).date()
    form = ConcernForm(
        posted(request), staff=_active_staff_to_name(request), me=request.user, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            concern = services.concern_raise(
                actor=request.user,
                related_record=related_record,
                related_request=related_request,
                **form.cleaned_data,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            names = ", ".join(p.full_name for p in concerns_selectors.case_managers(concern))
            messages.success(
                request,
                f"{concern.reference} was passed to {concern.case_manager_words}"
                + (f", {names}." if names else "."),
            )
            return redirect("concern_detail", pk=concern.pk)
    context = {
        "form": form,
        "related_record": related_record,
        "related_request": related_request,
        "recipients": concerns_selectors.concern_recipients(request.user),
    }
    return render(request, "contacts/concerns/concern_form.html", context)


def concern_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    concern = get_object_or_404(
        concerns_selectors.concerns_visible_to(request.user).select_related(
            "subject", "reporter", "closed_by", "related_record", "related_request"
        ),
        pk=pk,
    )
    audit_view(actor=request.user, obj=concern, school=concern.school)
    manager = concerns_selectors.is_case_manager(request.user, concern)
    context = {
        "concern": concern,
        "manager": manager,
        # The case manager's alone: never the DSL as such, never the reporter.
        "seen_by": seen_by_panel(concern) if manager else None,
        "show_reporter": manager
        or concern.reporter_id == request.user.pk
        or not concern.confidential,
        "respond_form": RespondForm() if manager and concern.is_open else None,
        "others": concerns_selectors.concerns_visible_to(request.user)
        .filter(subject_id=concern.subject_id)
        .exclude(pk=concern.pk)
        .count()
        if manager
        else 0,
        "lado": concern.lado.all() if manager else (),
        "may_record_lado": roles.has_role(request.user, roles.LADO_RECORDERS),
    }
    return render(request, "contacts/concerns/concern_detail.html", context)


@require_POST
def concern_respond(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    concern = get_object_or_404(concerns_selectors.concerns_visible_to(request.user), pk=pk)
    form = RespondForm(request.POST)
    data = form.cleaned_data if form.is_valid() else {"response": "", "outcome": "", "close": False}
    try:
        services.concern_respond(actor=request.user, concern=concern, **data)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Your response was recorded.")
    return redirect("concern_detail", pk=pk)


@role_required(roles.CASE_MANAGERS)
def concern_subject(request: AuthenticatedHttpRequest, staff_pk: int) -> HttpResponse:
    """Every concern about one person the user manages, so patterns show."""
    if staff_pk == request.user.pk:
        raise Http404("Concerns about you are managed by someone else.")
    # Former staff too: a pattern does not end when someone leaves.
    subject = get_object_or_404(people_selectors.staff_selectable_by(request.user), pk=staff_pk)
    concerns = concerns_selectors.concerns_managed_about(request.user, subject)
    context = {"subject": subject, "concerns": concerns}
    return render(request, "contacts/concerns/concern_subject.html", context)


@role_required(roles.LADO_RECORDERS)
def lado_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    rows = concerns_selectors.lado_visible_to(request.user).select_related("subject", "recorded_by")
    return render(request, "contacts/lado/lado_list.html", {"rows": rows})


@role_required(roles.LADO_RECORDERS)
def lado_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    concern = None
    initial = {}
    if concern_id := request.GET.get("concern"):
        concern = get_object_or_404(
            concerns_selectors.concerns_visible_to(request.user), pk=concern_id
        )
        initial["subject"] = concern.subject_id
    if record_id := request.GET.get("record"):
        record = get_object_or_404(records_selectors.records_visible_to(request.user), pk=record_id)
        initial["subject"] = record.author_id
    item = None
    if request_id := request.GET.get("request"):
        item = get_object_or_404(planned_selectors.requests_visible_to(request.user), pk=request_id)
        initial["subject"] = item.requester_id
    staff = _active_staff_to_name(request).exclude(pk=request.user.pk)
    form = LadoForm(posted(request), staff=staff, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            referral = services.lado_record(
                actor=request.user,
                subject=data["subject"],
                referral_type=data["referral_type"],
                contacted_at=form.contacted_at(),
                spoke_to=data["spoke_to"],
                advice=data["advice"],
                concern=concern,
                contact_request=item,
            )
        except ValidationError as error:
            if hasattr(error, "error_dict") and "contacted_at" in error.error_dict:
                error = ValidationError({"contacted_on": error.error_dict["contacted_at"]})
            add_service_errors(form, error)
        else:
            messages.success(request, f"{referral.reference} was recorded.")
            return redirect("lado_detail", pk=referral.pk)
    context = {"form": form, "concern": concern, "about_request": item}
    return render(request, "contacts/lado/lado_form.html", context)


@role_required(roles.LADO_RECORDERS)
def lado_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    referral = get_object_or_404(
        concerns_selectors.lado_visible_to(request.user).select_related("subject", "recorded_by"),
        pk=pk,
    )
    form = None
    if referral.referral_type == "referral" and not referral.outcome:
        form = LadoOutcomeForm()
    return render(request, "contacts/lado/lado_detail.html", {"referral": referral, "form": form})


@require_POST
@role_required(roles.LADO_RECORDERS)
def lado_outcome(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    referral = get_object_or_404(concerns_selectors.lado_visible_to(request.user), pk=pk)
    form = LadoOutcomeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose the outcome and give its date.")
        return redirect("lado_detail", pk=pk)
    try:
        services.lado_outcome_record(actor=request.user, referral=referral, **form.cleaned_data)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "The outcome was recorded.")
    return redirect("lado_detail", pk=pk)
