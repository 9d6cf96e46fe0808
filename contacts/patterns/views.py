"""One adult's pattern: role check (403), the adult through the selector (404), the page."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render

from contacts.patterns import selectors
from contacts.patterns.services import pattern_view_record
from safeguard.core import roles
from safeguard.core.http import AuthenticatedHttpRequest
from safeguard.core.roles import role_required


@role_required(roles.PATTERN_OPENERS)
def staff_pattern(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    adult = get_object_or_404(selectors.adults_patterned_by(request.user), pk=pk)
    shown = selectors.pattern_page(request.user, adult, number=request.GET.get("page"))
    pattern_view_record(actor=request.user, adult=adult)
    context = {
        "adult": adult,
        "flags": shown.flags,
        "entries": shown.entries,
        "entries_page": shown.page,
        "total": shown.total,
        "limits": request.user.school,
    }
    return render(request, "contacts/patterns/pattern.html", context)
