"""Signing in, a refused sign-in and signing out, however they happen (the sign-in page, the
test client, single sign-on), each written to the audit trail. Connected in
SafeguardConfig.ready."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings

from safeguard.accounts import services
from safeguard.accounts.middleware import SIGN_OUT_REASON_ATTR
from safeguard.accounts.sso import SIGN_IN_METHOD_ATTR

if TYPE_CHECKING:
    from django.http import HttpRequest

    from contacts.people.models import Staff


def client_address(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    # The same address the lockout counts by (behind a proxy, the forwarded one).
    found: str | None = settings.AXES_CLIENT_IP_CALLABLE(request)
    return found


def on_signed_in(sender: Any, request: HttpRequest | None, user: Staff, **kwargs: Any) -> None:
    # How: single sign-on says so on the request (safeguard.accounts.adapters); else a password.
    method = getattr(request, SIGN_IN_METHOD_ATTR, "") if request is not None else ""
    services.sign_in_record(actor=user, address=client_address(request), method=method)


def on_sign_in_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    email = credentials.get("username") or credentials.get("email")
    if not isinstance(email, str) or not email:
        return
    services.sign_in_failure_record(
        actor=None,
        email=email,
        address=client_address(request),
        locked_out=bool(getattr(request, "axes_locked_out", False)),
    )


def on_signed_out(
    sender: Any, request: HttpRequest | None, user: Staff | None, **kwargs: Any
) -> None:
    if user is None or not user.is_authenticated:
        return
    why = getattr(request, SIGN_OUT_REASON_ATTR, "") if request is not None else ""
    services.sign_out_record(actor=user, why=why)
