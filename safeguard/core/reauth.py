"""Sensitive actions ask for the password again when the sign-in is old.

A decision or an export made from a session that signed in long ago may be someone else at an
unattended desk; the idle time-out alone does not catch a session that stays busy all day.
"""

import time
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

if TYPE_CHECKING:
    from contacts.people.models import Staff

SIGNED_IN_AT_KEY = "signed_in_at"


def mark_signed_in(request: HttpRequest) -> None:
    """Record when this session last proved the password (at sign-in and at re-confirmation)."""
    request.session[SIGNED_IN_AT_KEY] = int(time.time())


def on_user_logged_in(
    sender: Any, request: HttpRequest | None, user: "Staff", **kwargs: Any
) -> None:
    # Connected in SafeguardConfig.ready: every sign-in, however it happens, starts the clock.
    if request is not None and hasattr(request, "session"):
        mark_signed_in(request)


def sign_in_is_recent(request: HttpRequest) -> bool:
    signed_in_at = request.session.get(SIGNED_IN_AT_KEY)
    if not isinstance(signed_in_at, int):
        return False
    return time.time() - signed_in_at <= settings.SESSION_IDLE_TIMEOUT


def recent_sign_in_required(
    view: Callable | None = None, *, then: str | None = None, then_with_arguments: bool = True
) -> Callable:
    """Send the person to confirm their password first if they signed in over the idle limit ago.

    A POST that is turned away is not carried out: afterwards the person lands on `then` (a URL
    name taking the view's arguments, such as the page holding the form; or none of them, with
    `then_with_arguments=False`, when one page holds the forms for many objects) to make it again.
    """

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if sign_in_is_recent(request):
                return view(request, *args, **kwargs)
            next_url = request.get_full_path()
            if request.method == "POST":
                messages.warning(
                    request,
                    "Nothing was done yet: confirm your password, then make your choice again.",
                )
                if then and then_with_arguments:
                    next_url = reverse(then, args=args, kwargs=kwargs)
                elif then:
                    next_url = reverse(then)
            return redirect(f"{reverse('confirm_password')}?{urlencode({'next': next_url})}")

        return wrapper

    return decorator(view) if view is not None else decorator
