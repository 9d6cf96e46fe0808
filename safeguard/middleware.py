import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers

LAST_ACTIVITY_KEY = "last_activity"


def no_store_when_signed_in(get_response: Callable) -> Callable:
    """Pages for a signed-in person hold personal data: no browser or proxy may keep a copy."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        return response

    return middleware


def sign_out_when_idle(get_response: Callable) -> Callable:
    """Sign out anyone whose last request was more than SESSION_IDLE_TIMEOUT seconds ago.

    Goes after the authentication and message middleware. The time of each signed-in request is
    kept in the session; the session itself still ends after SESSION_COOKIE_AGE whatever happens.
    """

    def middleware(request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            last = request.session.get(LAST_ACTIVITY_KEY)
            limit = settings.SESSION_IDLE_TIMEOUT
            if isinstance(last, int) and now - last > limit:
                logout(request)
                minutes = max(1, round(limit / 60))
                messages.info(
                    request, f"You were signed out after {minutes} minutes without activity."
                )
                return redirect_to_login(request.get_full_path())
            request.session[LAST_ACTIVITY_KEY] = now
        return get_response(request)

    return middleware
