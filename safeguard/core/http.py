"""The request a view receives once LoginRequiredMiddleware has let it through."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from contacts.people.models import Staff


class AuthenticatedHttpRequest(HttpRequest):
    """For type hints only (Django builds plain HttpRequests): every view but those marked
    @login_not_required is behind sign-in, so `request.user` is a Staff member, never anonymous."""

    user: Staff
