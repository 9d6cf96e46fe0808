"""django-allauth wired in for single sign-on, and nothing more of it.

Only the OpenID Connect provider's two addresses are routed (`/sso/<provider>/login/` and its
callback, safeguard.accounts.urls); allauth's own sign-up, sign-in and password pages are not.
Once the library has checked the ID token, the social account adapter's `pre_social_login`
hands it to safeguard.accounts.sso and answers itself, with a sign-in through Django's
`login()` or the refusal page, so allauth never reaches its own sign-up or account rows
(no SocialAccount or SocialToken is stored: nothing reads them, and a provider's token kept
in the database would be one more secret to lose). Every error the library reports (denied
consent, a state that does not match, a bad signature, audience or expiry) ends on the same
refusal page.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import jwt
import requests
from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.internal import jwtkit
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django.conf import settings
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from safeguard.accounts import sso
from safeguard.core.reauth import mark_signed_in

if TYPE_CHECKING:
    from allauth.socialaccount.models import SocialLogin

logger = logging.getLogger(__name__)

BACKEND = "safeguard.accounts.backends.StaffBackend"
# Why the library refused the ID token, kept on the request for the refusal's audit event.
_ERROR_ATTR = "_safeguard_sso_error"


class AccountAdapter(DefaultAccountAdapter):
    """Nobody signs up: every account is made by the school (docs/security.md)."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest, sociallogin: Any) -> bool:
        return False

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        raise ImmediateHttpResponse(_complete(request, sociallogin))

    def on_authentication_error(
        self,
        request: HttpRequest,
        provider: Any,
        error: Any = None,
        exception: Any = None,
        extra_context: Any = None,
    ) -> None:
        provider_id = getattr(getattr(provider, "app", None), "provider_id", "") or ""
        why, school = getattr(request, _ERROR_ATTR, (None, None))
        if why is None:
            why = _error_words(error, exception)
        user = getattr(request, "user", None)
        if school is None and user is not None and user.is_authenticated:
            school = user.school
        refusal = sso.SsoRefused(
            why,
            "Nothing was signed in. Try again from the sign-in page; if it happens again, ask "
            "your school's administrator.",
            school=school,
        )
        raise ImmediateHttpResponse(_refuse(request, provider_id, refusal))


def _error_words(error: Any, exception: Any) -> str:
    code = str(error or "unknown")
    if code == "cancelled":
        return "the sign-in was cancelled or consent refused at the provider"
    if exception is None:
        return "the provider's answer did not match a sign-in started here (state or code missing)"
    return f"the provider's answer was refused ({type(exception).__name__})"


def _address(request: HttpRequest) -> str | None:
    found: str | None = settings.AXES_CLIENT_IP_CALLABLE(request)
    return found


def _refuse(request: HttpRequest, provider_id: str, refusal: sso.SsoRefused) -> HttpResponse:
    recorded = sso.sso_refuse_record(
        actor=None, refusal=refusal, provider_id=provider_id, address=_address(request)
    )
    if not recorded:
        # No school's trail to write to: the server's log keeps it.
        logger.warning("Single sign-on refused (%s): %s", provider_id, refusal.reason)
    context = {
        "provider": sso.PROVIDER_NAMES.get(provider_id, "your identity provider"),
        "message": refusal.message,
        "recorded": recorded,
    }
    return render(request, "registration/sso_refused.html", context, status=403)


def _next_url(request: HttpRequest, sociallogin: SocialLogin) -> str:
    candidate = (sociallogin.state or {}).get("next") or ""
    if (
        isinstance(candidate, str)
        and candidate.startswith("/")
        and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return candidate
    return str(settings.LOGIN_REDIRECT_URL)


def _complete(request: HttpRequest, sociallogin: SocialLogin) -> HttpResponse:
    """The ID token has passed the library's checks: sign the person in, or refuse."""
    provider_id = sociallogin.account.provider
    claims = (sociallogin.account.extra_data or {}).get("id_token") or {}
    try:
        decision = sso.sso_decide(provider_id=provider_id, claims=claims, request=request)
    except sso.SsoRefused as refusal:
        return _refuse(request, provider_id, refusal)
    account = decision.account
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.pk == account.pk:
        # Already signed in: this proves it is them again, before a decision or an export.
        mark_signed_in(request)
        sso.sso_reconfirm_record(
            actor=account, provider_id=provider_id, provider_mfa=decision.provider_mfa
        )
        return redirect(_next_url(request, sociallogin))
    if user is not None and user.is_authenticated:
        logout(request)
    setattr(
        request,
        sso.SIGN_IN_METHOD_ATTR,
        sso.sign_in_method(provider_id, provider_mfa=decision.provider_mfa),
    )
    login(request, account, backend=BACKEND)
    request.session[sso.SIGNED_IN_WITH_SESSION_KEY] = provider_id
    if decision.provider_mfa:
        request.session[sso.PROVIDER_MFA_SESSION_KEY] = True
    return redirect(_next_url(request, sociallogin))


# --- The provider's two addresses ----------------------------------------------------------------


class _Adapter(OpenIDConnectOAuth2Adapter):
    """allauth's OpenID Connect adapter, with two changes.

    The ID token's signature is always checked: allauth skips it for a token fetched directly
    from the provider over TLS, which the specification allows, but checking costs one cached
    key fetch and holds even if the token endpoint is ever reached through something else.
    Entra ID's multi-tenant discovery document names its issuer with a `{tenantid}` placeholder;
    the expected issuer is that template filled with the token's own `tid` (as Microsoft
    documents), which sso_decide then holds to the school's tenant.
    """

    def _decode_id_token(self, app: SocialApp, id_token: str) -> dict[str, Any]:
        try:
            unverified = jwt.decode(id_token, options={"verify_signature": False})
        except jwt.PyJWTError as error:
            setattr(self.request, _ERROR_ATTR, ("the ID token is not a valid token", None))
            raise OAuth2Error("Invalid id_token") from error
        issuer = str(self.openid_config["issuer"])
        if "{tenantid}" in issuer:
            issuer = issuer.replace("{tenantid}", str(unverified.get("tid", "")))
        try:
            data: dict[str, Any] = jwtkit.verify_and_decode(
                credential=id_token,
                keys_url=self.openid_config["jwks_uri"],
                issuer=issuer,
                audience=app.client_id,
                lookup_kid=jwtkit.lookup_kid_jwk,
                verify_signature=True,
            )
        except OAuth2Error as error:
            why = _TOKEN_FAULTS.get(type(error.__cause__), "the ID token was refused")
            school = sso.school_named_by(unverified)
            setattr(self.request, _ERROR_ATTR, (why, school))
            raise
        return data


_TOKEN_FAULTS: dict[type, str] = {
    jwt.InvalidSignatureError: "the ID token's signature is not valid",
    jwt.InvalidAudienceError: "the ID token was issued for another application (audience)",
    jwt.ExpiredSignatureError: "the ID token has expired",
    jwt.InvalidIssuerError: "the ID token was issued by another provider (issuer)",
    jwt.ImmatureSignatureError: "the ID token is not valid yet",
}


def _unreachable(error: Exception) -> sso.SsoRefused:
    return sso.SsoRefused(
        f"the provider could not be reached or answered incompletely ({type(error).__name__})",
        "Nothing was signed in. Try again in a few minutes; if it happens again, ask your "
        "school's administrator.",
    )


def _app_or_404(provider_id: str) -> None:
    if not sso.provider_ready(provider_id):
        raise Http404("No such sign-in provider.")


@login_not_required
@require_http_methods(["GET", "POST"])
def sso_login(request: HttpRequest, provider_id: str) -> HttpResponse:
    """The sign-in button's POST: off to the provider. A GET (a link) starts nothing."""
    _app_or_404(provider_id)
    if request.method != "POST":
        return redirect("login")
    try:
        view = OAuth2LoginView.adapter_view(_Adapter(request, provider_id))
        response: HttpResponse = view(request)
    except SocialApp.DoesNotExist as error:
        raise Http404("No such sign-in provider.") from error
    except (requests.RequestException, KeyError, TypeError, ValueError) as error:
        # The provider's discovery document could not be read: say so, never a server error.
        return _refuse(request, provider_id, _unreachable(error))
    return response


@login_not_required
@require_http_methods(["GET"])
def sso_callback(request: HttpRequest, provider_id: str) -> HttpResponse:
    """Where the provider sends the person back."""
    _app_or_404(provider_id)
    try:
        view = OAuth2CallbackView.adapter_view(_Adapter(request, provider_id))
        response: HttpResponse = view(request)
    except SocialApp.DoesNotExist as error:
        raise Http404("No such sign-in provider.") from error
    except (requests.RequestException, KeyError, TypeError, ValueError) as error:
        # An answer missing what OpenID Connect requires (a `sub`, a key the discovery document
        # names), or a provider that stopped answering: refused, never a server error.
        return _refuse(request, provider_id, _unreachable(error))
    return response
