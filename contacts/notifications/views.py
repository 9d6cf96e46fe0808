"""The notifications page: a member of staff reads and opens their own notifications."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from contacts.notifications import selectors, services
from safeguard.core.http import AuthenticatedHttpRequest


def notifications(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.method == "POST":
        services.notifications_mark_all_read(actor=request.user)
        return redirect("notifications")
    rows = selectors.notifications_of(request.user)[:100]
    return render(request, "contacts/requests/notifications.html", {"rows": rows})


def notification_open(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    notice = get_object_or_404(selectors.notifications_of(request.user), pk=pk)
    services.notification_mark_read(actor=request.user, notification=notice)
    return redirect(notice.url)
