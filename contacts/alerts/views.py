"""Needs attention: the owner's queue and each alert's page, with the DSL's case on a
child-protection disclosure. Permission, selector lookup, form, one service call, redirect."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from contacts.alerts import selectors, services
from contacts.alerts.forms import (
    ActionForm,
    CloseForm,
    NoteForm,
    ReferralForm,
    ReopenForm,
    ResponseForm,
)
from contacts.alerts.models import Alert, AlertStatus
from contacts.people import selectors as people_selectors
from contacts.records import selectors as records_selectors
from safeguard.audit.services import audit_view
from safeguard.core import roles
from safeguard.core.forms import add_service_errors, posted
from safeguard.core.http import AuthenticatedHttpRequest
from safeguard.core.roles import role_required


@role_required(roles.ATTENTION_OWNERS)
def attention_queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    """What is new and what is open, oldest first; closed ones on asking."""
    show_closed = request.GET.get("show") == "closed"
    open_rows = list(selectors.open_alerts_for(request.user))
    context = {
        "new": [a for a in open_rows if a.status == AlertStatus.NEW],
        "open": [a for a in open_rows if a.status != AlertStatus.NEW],
        "closed": (
            selectors.alerts_for(request.user)
            .filter(status=AlertStatus.CLOSED)
            .order_by("-closed_at", "-pk")[:50]
            if show_closed
            else None
        ),
    }
    return render(request, "contacts/alerts/queue.html", context)


def _alert_or_404(request: AuthenticatedHttpRequest, pk: int) -> Alert:
    return get_object_or_404(
        selectors.alerts_for(request.user).select_related("school", "disclosure__author"), pk=pk
    )


def _page(request: AuthenticatedHttpRequest, alert: Alert, **bound: forms.Form) -> HttpResponse:
    user = request.user
    can = services.alert_actions(user, alert)
    context: dict[str, Any] = {
        "alert": alert,
        "can": can,
        "entries": alert.entries.select_related("author"),
        "note_form": bound.get("note") or NoteForm(),
        "close_form": bound.get("close") or CloseForm(),
        "reopen_form": bound.get("reopen") or ReopenForm(),
    }
    if alert.is_case:
        assert alert.disclosure is not None  # a case is a disclosure's alert
        pupil = alert.disclosure.pupil
        staff = people_selectors.staff_selectable_by(user).filter(is_active=True)
        context |= {
            "actions": alert.actions.select_related("assigned_to", "done_by"),
            "referrals": alert.referrals.all(),
            "action_form": bound.get("action") or ActionForm(staff=staff),
            "referral_form": bound.get("referral") or ReferralForm(),
            "response_form": ResponseForm(),
            # The pupil's other disclosures and contact records this person may read.
            "linked_disclosures": records_selectors.disclosures_visible_to(user)
            .filter(pupil=pupil)
            .exclude(pk=alert.disclosure.pk)
            .order_by("-disclosed_at")[:20],
            "linked_records": records_selectors.records_visible_to(user)
            .filter(pupils=pupil)
            .order_by("-occurred_at")[:20],
        }
    return render(request, "contacts/alerts/detail.html", context)


def alert_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    alert = _alert_or_404(request, pk)
    audit_view(actor=request.user, obj=alert, school=alert.school)
    return _page(request, alert)


def _posted(
    request: AuthenticatedHttpRequest,
    alert: Alert,
    name: str,
    form: forms.Form,
    act: Callable[..., Any],
    done: str,
) -> HttpResponse:
    """A form on the alert's page: on success its message and back to the page; otherwise the
    page again with the form's errors beside its fields."""
    if form.is_valid():
        try:
            act(**form.cleaned_data)
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                messages.error(request, " ".join(error.messages))
                return redirect("alert_detail", pk=alert.pk)
            add_service_errors(form, error)
        else:
            messages.success(request, done)
            return redirect("alert_detail", pk=alert.pk)
    return _page(request, alert, **{name: form})


def _refused(request: AuthenticatedHttpRequest, alert: Alert, error: Exception) -> HttpResponse:
    messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    return redirect("alert_detail", pk=alert.pk)


@require_POST
def alert_acknowledge(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    alert = _alert_or_404(request, pk)
    try:
        services.alert_acknowledge(actor=request.user, alert=alert)
    except ValidationError as error:
        return _refused(request, alert, error)
    messages.success(request, f"You acknowledged {alert.reference}.")
    return redirect("alert_detail", pk=alert.pk)


@require_POST
def alert_note(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    alert = _alert_or_404(request, pk)

    def act(**data: Any) -> Any:
        return services.alert_note_add(actor=request.user, alert=alert, **data)

    return _posted(request, alert, "note", NoteForm(posted(request)), act, "The note was added.")


@require_POST
def alert_close(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    alert = _alert_or_404(request, pk)

    def act(**data: Any) -> Any:
        return services.alert_close(actor=request.user, alert=alert, **data)

    done = f"{alert.reference} was closed."
    return _posted(request, alert, "close", CloseForm(posted(request)), act, done)


@require_POST
def alert_reopen(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    alert = _alert_or_404(request, pk)

    def act(**data: Any) -> Any:
        return services.alert_reopen(actor=request.user, alert=alert, **data)

    done = f"{alert.reference} was reopened."
    return _posted(request, alert, "reopen", ReopenForm(posted(request)), act, done)


@require_POST
def case_action_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    alert = _alert_or_404(request, pk)
    staff = people_selectors.staff_selectable_by(request.user).filter(is_active=True)

    def act(**data: Any) -> Any:
        return services.case_action_add(actor=request.user, alert=alert, **data)

    form = ActionForm(posted(request), staff=staff)
    return _posted(request, alert, "action", form, act, "The action was added.")


@require_POST
def case_action_done(request: AuthenticatedHttpRequest, pk: int, action_pk: int) -> HttpResponse:
    alert = _alert_or_404(request, pk)
    action = get_object_or_404(alert.actions, pk=action_pk)
    try:
        services.case_action_done(actor=request.user, action=action)
    except (ValidationError, PermissionDenied) as error:
        return _refused(request, alert, error)
    messages.success(request, "The action was marked done.")
    return redirect("alert_detail", pk=alert.pk)


@require_POST
def case_referral_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    alert = _alert_or_404(request, pk)

    def act(**data: Any) -> Any:
        return services.case_referral_add(actor=request.user, alert=alert, **data)

    form = ReferralForm(posted(request))
    return _posted(request, alert, "referral", form, act, "The referral was recorded.")


@require_POST
def case_referral_respond(
    request: AuthenticatedHttpRequest, pk: int, referral_pk: int
) -> HttpResponse:
    alert = _alert_or_404(request, pk)
    referral = get_object_or_404(alert.referrals, pk=referral_pk)
    form = ResponseForm(posted(request))
    if not form.is_valid():
        messages.error(request, "Write what they said before saving their response.")
        return redirect("alert_detail", pk=alert.pk)
    try:
        services.case_referral_respond(
            actor=request.user, referral=referral, response=form.cleaned_data["response"]
        )
    except (ValidationError, PermissionDenied) as error:
        return _refused(request, alert, error)
    messages.success(request, "Their response was recorded.")
    return redirect("alert_detail", pk=alert.pk)
