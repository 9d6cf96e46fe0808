import datetime as dt
import functools
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils.cache import add_never_cache_headers
from django.utils.functional import SimpleLazyObject
from django.utils.http import urlencode
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import OTPMiddleware

if TYPE_CHECKING:
    from contacts.people.models import Staff

LAST_ACTIVITY_KEY = "last_activity"
# When this session signed in (seconds since the epoch): the 8-hour limit (SESSION_COOKIE_AGE)
# counts from here, whatever the activity since. Not the reauth module's signed_in_at, which
# confirming the password again moves on.
SESSION_BEGAN_KEY = "session_began"
# Why the middleware signs someone out, for the sign-out event (safeguard.accounts.receivers).
SIGN_OUT_REASON_ATTR = "_safeguard_sign_out_reason"
# The time of the last request is written to the session at most this often (seconds): a write
# on every page would cost an UPDATE and a commit per request. So someone is signed out after
# between SESSION_IDLE_TIMEOUT - 60 and SESSION_IDLE_TIMEOUT seconds without activity, never later.
ACTIVITY_RESOLUTION = 60

# Said when a form arrives after its sender's session ended: the answers cannot be kept for
# someone nobody has signed in as, so the sender must at least know they were not saved.
NOT_SAVED = "What you sent was not saved: sign in, then send it again."


def _not_saved(request: HttpRequest) -> str:
    return f" {NOT_SAVED}" if request.method == "POST" else ""


class LoginRequired(LoginRequiredMiddleware):
    """Django's deny-by-default sign-in, which also tells someone whose form arrived after
    their session ended that it was not saved (rather than showing the sign-in page alone)."""

    def handle_no_permission(
        self, request: HttpRequest, view_func: Callable
    ) -> HttpResponseRedirect:
        if request.method == "POST":
            messages.warning(request, f"You are not signed in: your session has ended. {NOT_SAVED}")
        return super().handle_no_permission(request, view_func)


def no_store_when_signed_in(get_response: Callable) -> Callable:
    """Pages for a signed-in person hold personal data: no browser or proxy may keep a copy."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        return response

    return middleware


def mark_active_at_sign_in(
    sender: Any, request: HttpRequest | None, user: "Staff", **kwargs: Any
) -> None:
    """Signing in is activity: the idle clock starts there (connected in SafeguardConfig.ready),
    so the first page after it has nothing to write to the session. The session's end is fixed
    here too, eight hours on: the activity written to the session later must not move it (a
    session saved with no fixed end is given SESSION_COOKIE_AGE from the time of that save)."""
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[LAST_ACTIVITY_KEY] = now
        request.session[SESSION_BEGAN_KEY] = now
        request.session.set_expiry(
            dt.datetime.fromtimestamp(now + settings.SESSION_COOKIE_AGE, tz=dt.UTC)
        )


def sign_out_when_idle(get_response: Callable) -> Callable:
    """Sign out anyone whose last request was more than SESSION_IDLE_TIMEOUT seconds ago, and
    anyone who signed in more than SESSION_COOKIE_AGE seconds ago, however busy since.

    Goes after the authentication and message middleware. The time of the latest signed-in
    request is kept in the session, to the minute (ACTIVITY_RESOLUTION); the time of signing in
    is kept once (SESSION_BEGAN_KEY). A session without it began before it was kept, or
    elsewhere: it is ended, as one whose age cannot be told.
    """

    def middleware(request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            began = request.session.get(SESSION_BEGAN_KEY)
            if not isinstance(began, int) or now - began >= settings.SESSION_COOKIE_AGE:
                setattr(request, SIGN_OUT_REASON_ATTR, "the 8-hour limit of a session")
                logout(request)
                hours = max(1, round(settings.SESSION_COOKIE_AGE / 3600))
                messages.info(
                    request,
                    f"You were signed out: a session lasts {hours} hours at most. "
                    f"Please sign in again.{_not_saved(request)}",
                )
                return redirect_to_login(request.get_full_path())
            last = request.session.get(LAST_ACTIVITY_KEY)
            limit = settings.SESSION_IDLE_TIMEOUT
            if isinstance(last, int) and now - last > limit:
                setattr(request, SIGN_OUT_REASON_ATTR, "no activity for the idle limit")
                logout(request)
                minutes = max(1, round(limit / 60))
                messages.info(
                    request,
                    f"You were signed out after {minutes} minutes without activity."
                    f"{_not_saved(request)}",
                )
                return redirect_to_login(request.get_full_path())
            if not isinstance(last, int) or not 0 <= now - last < ACTIVITY_RESOLUTION:
                request.session[LAST_ACTIVITY_KEY] = now
        return get_response(request)

    return middleware


# Pages someone part-way through signing in may reach: the second-factor steps and signing out.
TWO_FACTOR_SETUP_URLS = frozenset({"two_factor_setup", "logout"})
TWO_FACTOR_VERIFY_URLS = frozenset({"two_factor_verify", "logout"})


def require_two_factor(get_response: Callable) -> Callable:
    """Deny by default, second step: a signed-in person who has a second factor, or must have
    one, reaches nothing but the two-factor pages until this session has passed it.

    Whoever has set up an app must use it even where the school does not require it, so a
    stolen password alone never opens their account.
    """
    from safeguard.accounts.services import two_factor_enabled_on_load, two_factor_required
    from safeguard.accounts.sso import PROVIDER_MFA_SESSION_KEY

    def middleware(request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or user.is_verified():
            return get_response(request)
        if request.session.get(PROVIDER_MFA_SESSION_KEY) is True:
            # Signed in through Microsoft or Google with their multi-factor sign-in, at a school
            # that accepts it (safeguard.accounts.sso): this session has passed a second factor.
            return get_response(request)
        try:
            url_name = resolve(request.path_info).url_name
        except Resolver404:
            return get_response(request)
        # Before any view has run, what was loaded with the user still holds.
        if two_factor_enabled_on_load(user):
            allowed, target = TWO_FACTOR_VERIFY_URLS, "two_factor_verify"
        elif two_factor_required(user):
            allowed, target = TWO_FACTOR_SETUP_URLS, "two_factor_setup"
        else:
            return get_response(request)
        if url_name in allowed:
            # The page shows no navigation it cannot use yet (a flag of ours: not in the stubs).
            request.two_factor_pending = True  # type: ignore[attr-defined]
            return get_response(request)
        next_url = request.get_full_path()
        return redirect(f"{reverse(target)}?{urlencode({'next': next_url})}")

    return middleware


class OTPFromLoad(OTPMiddleware):
    """django-otp's middleware, checking the session's device against the confirmed devices
    loaded with the person (safeguard.accounts.backends) instead of reading it again: one query
    fewer on every page of everyone who signs in with a second factor. The device is read only
    if something asks more of it than whether there is one. A device removed or no longer
    confirmed is not among those loaded, so the session stops being verified at once, as
    django-otp does it. `user.otp_device` is then a proxy that reads the device when first
    used, and refuses one that is no longer the person's confirmed device."""

    def _standing_device(self, persistent_id: str, user: Any) -> Any:
        device = self._device_from_persistent_id(persistent_id)
        if device is None or device.user_id != user.pk or not device.confirmed:
            raise PermissionDenied("The second factor this session was verified with is gone.")
        return device

    def _verify_user_sync(self, request: HttpRequest, user: Any) -> Any:
        confirmed = getattr(user, "devices_on_load", None) if user.is_authenticated else None
        if confirmed is None:
            return super()._verify_user_sync(request, user)
        self._init_user_fields(user)
        persistent_id = request.session.get(DEVICE_ID_SESSION_KEY)
        if persistent_id and self._normalize_persistent_id(persistent_id) in confirmed:
            user.otp_device = SimpleLazyObject(
                functools.partial(self._standing_device, persistent_id, user)
            )
        elif DEVICE_ID_SESSION_KEY in request.session:
            del request.session[DEVICE_ID_SESSION_KEY]
        return user
