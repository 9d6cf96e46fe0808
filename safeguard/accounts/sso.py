"""Single sign-on with Microsoft Entra ID and Google Workspace: who the identity provider's
answer may sign in, the school's sign-in methods, and the sign-in itself.

django-allauth speaks OpenID Connect (safeguard.accounts.adapters wires it in); everything it
hands over stops here. Single sign-on never creates an account: the signed ID token's email must
name an active member of staff exactly (in its normal form), at a school that has this provider
set up, from that school's own tenant or domain, and the provider must vouch for the address.
Anything else is refused with the reason written to the school's audit trail (docs/security.md,
"Single sign-on").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from safeguard.audit.services import audit_record
from safeguard.core import roles
from safeguard.core.emails import normal_email
from safeguard.core.models import DOMAIN_PATTERN, TENANT_PATTERN, School

if TYPE_CHECKING:
    from django.http import HttpRequest

    from contacts.people.models import Staff

MICROSOFT = "microsoft"
GOOGLE = "google"
PROVIDER_NAMES = {MICROSOFT: "Microsoft", GOOGLE: "Google"}
# The session counts as having passed a second factor: the identity provider said its own
# multi-factor sign-in was used, and the school accepts that (the two-factor gate honours it).
PROVIDER_MFA_SESSION_KEY = "sso_provider_mfa"
# How the person signed in this session (a provider id), for the re-confirmation page.
SIGNED_IN_WITH_SESSION_KEY = "sso_signed_in_with"
# How the request's sign-in happened, for its audit event (safeguard.accounts.receivers).
SIGN_IN_METHOD_ATTR = "_safeguard_sign_in_method"
# RFC 8176 authentication method references. `mfa` says it outright; otherwise a knowledge
# factor together with a possession or inherence factor is two factors.
_MFA = "mfa"
_KNOWLEDGE = frozenset({"pwd", "pin", "kba"})
_OTHER_FACTORS = frozenset(
    {"otp", "hwk", "swk", "sms", "tel", "sc", "fpt", "face", "iris", "retina", "vbm", "pop"}
)

TENANT_MESSAGE = (
    "Type the directory (tenant) ID as Entra ID shows it: 32 letters a to f and digits in five "
    "groups joined by hyphens, such as 0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0."
)
DOMAIN_MESSAGE = (
    "Type the domain only, in small letters, such as oakfield.sch.uk (no @, no https://)."
)
PASSWORD_OFF_MESSAGE = (
    "Password sign-in can be turned off only once Microsoft or Google sign-in is set up for the "
    "school, or nobody but the headteacher could sign in."
)


def provider_ready(provider_id: str) -> bool:
    """The installation has a registered app for this provider (its client id is set)."""
    app = settings.SSO_PROVIDERS.get(provider_id)
    return bool(app and app["client_id"])


def installation_providers() -> list[tuple[str, str]]:
    """(provider id, name) of every provider this installation has set up, for the buttons."""
    return [(pid, name) for pid, name in PROVIDER_NAMES.items() if provider_ready(pid)]


def school_configured(school: School, provider_id: str) -> bool:
    """The school has said which tenant or domain may sign its staff in with this provider."""
    if provider_id == MICROSOFT:
        return bool(school.sso_microsoft_tenant)
    if provider_id == GOOGLE:
        return bool(school.sso_google_domain)
    return False


def school_providers(school: School) -> list[tuple[str, str]]:
    """The providers the school's staff can sign in with now."""
    return [(pid, name) for pid, name in installation_providers() if school_configured(school, pid)]


def password_sign_in_allowed(user: Staff) -> bool:
    """False for everyone but the break-glass roles at a school that has turned passwords off."""
    return user.school.password_sign_in or roles.has_role(user, roles.PASSWORD_BREAK_GLASS)


def valid_tenant(value: str) -> bool:
    return bool(re.fullmatch(TENANT_PATTERN, value))


def valid_domain(value: str) -> bool:
    return len(value) <= 253 and bool(re.fullmatch(DOMAIN_PATTERN, value))


# --- The school's sign-in methods ------------------------------------------------------------

SIGN_IN_FIELDS = (
    "sso_microsoft_tenant",
    "sso_google_domain",
    "sso_accept_provider_mfa",
    "password_sign_in",
)


def school_sign_in_update(
    *,
    actor: Staff,
    school: School,
    sso_microsoft_tenant: str,
    sso_google_domain: str,
    sso_accept_provider_mfa: bool,
    password_sign_in: bool,
) -> list[str]:
    """The headteacher or administrator changes how the school's staff sign in; returns what
    changed. Only the headteacher may change whether the provider's multi-factor sign-in is
    accepted, and a tenant or domain changed by anyone else switches that acceptance off: a new
    directory must not be trusted to stand in for the head's own second factor unseen."""
    if actor.school_id != school.pk or not roles.has_role(actor, roles.SIGN_IN_SETTERS):
        raise PermissionDenied("Only the headteacher or the administrator changes this.")
    head = roles.has_role(actor, roles.PROVIDER_MFA_ACCEPTERS)
    wanted: dict[str, Any] = {
        "sso_microsoft_tenant": sso_microsoft_tenant.strip().lower(),
        "sso_google_domain": sso_google_domain.strip().lower(),
        "sso_accept_provider_mfa": bool(sso_accept_provider_mfa),
        "password_sign_in": bool(password_sign_in),
    }
    errors: dict[str, str] = {}
    if wanted["sso_microsoft_tenant"] and not valid_tenant(wanted["sso_microsoft_tenant"]):
        errors["sso_microsoft_tenant"] = TENANT_MESSAGE
    if wanted["sso_google_domain"] and not valid_domain(wanted["sso_google_domain"]):
        errors["sso_google_domain"] = DOMAIN_MESSAGE
    if not wanted["password_sign_in"] and not (
        wanted["sso_microsoft_tenant"] or wanted["sso_google_domain"]
    ):
        errors["password_sign_in"] = PASSWORD_OFF_MESSAGE
    if not head and wanted["password_sign_in"] != school.password_sign_in:
        # Turning passwords off signs out of reach everyone without the provider, the senior
        # accounts the administrator may not switch off one by one among them.
        errors["password_sign_in"] = "Only the headteacher turns password sign-in on or off."
    for field, value in (
        ("sso_microsoft_tenant", wanted["sso_microsoft_tenant"]),
        ("sso_google_domain", wanted["sso_google_domain"]),
    ):
        if value and School.objects.exclude(pk=school.pk).filter(**{field: value}).exists():
            errors.setdefault(
                field,
                "Another school on this installation already signs in with this; each school's "
                "staff must come from its own tenant or domain. Ask the installation's operator.",
            )
    if not head and wanted["sso_accept_provider_mfa"] != school.sso_accept_provider_mfa:
        errors["sso_accept_provider_mfa"] = (
            "Only the headteacher chooses whether the provider's multi-factor sign-in is accepted."
        )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = School.objects.select_for_update().get(pk=school.pk)
        directory_moved = (
            wanted["sso_microsoft_tenant"] != locked.sso_microsoft_tenant
            or wanted["sso_google_domain"] != locked.sso_google_domain
        )
        if directory_moved and not head:
            wanted["sso_accept_provider_mfa"] = False
        changes = [
            f"{name}: {_shown(getattr(locked, name))} → {_shown(value)}"
            for name, value in wanted.items()
            if getattr(locked, name) != value
        ]
        if not changes:
            return []
        for name, value in wanted.items():
            setattr(locked, name, value)
        locked.save(update_fields=list(wanted))
        audit_record(
            actor=actor,
            school=locked,
            action="school.sign_in_methods_change",
            obj=locked,
            reason="; ".join(changes),
        )
    for name, value in wanted.items():
        setattr(school, name, value)
    return changes


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return value or "(none)"


# --- Deciding who the provider's answer signs in ----------------------------------------------


class SsoRefused(Exception):  # noqa: N818  (a decision, not a fault)
    """The identity provider's answer signs nobody in. `reason` goes to the audit trail,
    `message` to the person."""

    def __init__(
        self,
        reason: str,
        message: str,
        *,
        account: Staff | None = None,
        school: School | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.message = message
        self.account = account
        self.school = school or (account.school if account is not None else None)


ASK_ADMIN = (
    "Ask your school's administrator or headteacher to check that your Safeguard account uses "
    "the same email address as your school {provider} account, and that {provider} sign-in is "
    "set up for the school."
)


@dataclass(frozen=True)
class Decision:
    account: Staff
    provider_mfa: bool  # the school accepts the provider's MFA and the token says it was used


def provider_asserted_mfa(claims: dict[str, Any]) -> bool:
    """The ID token's `amr` says more than one factor was used (RFC 8176)."""
    amr = claims.get("amr")
    if not isinstance(amr, list):
        return False
    methods = {m for m in amr if isinstance(m, str)}
    return _MFA in methods or bool(methods & _KNOWLEDGE and methods & _OTHER_FACTORS)


def _email_vouched_for(provider_id: str, claims: dict[str, Any]) -> bool:
    """Google says so with `email_verified`. Entra ID's tokens carry no `email_verified`; its
    `xms_edov` claim (an optional claim the app registration asks for) says the address's domain
    is verified as the tenant's own, which is what matters: an unverified domain's address can
    be typed in by anyone who runs a tenant."""
    if provider_id == MICROSOFT:
        return claims.get("xms_edov") is True or claims.get("email_verified") is True
    return claims.get("email_verified") is True


def sso_decide(
    *, provider_id: str, claims: dict[str, Any], request: HttpRequest | None
) -> Decision:
    """Who the verified ID token signs in, or SsoRefused. The token's signature, issuer,
    audience and expiry were checked by the library before this is reached."""
    from contacts.people.models import Staff

    provider = PROVIDER_NAMES.get(provider_id, provider_id)
    ask = ASK_ADMIN.format(provider=provider)
    raw = claims.get("email")
    if not isinstance(raw, str) or not raw.strip():
        raise SsoRefused(f"{provider} gave no email address", ask, school=school_named_by(claims))
    email = normal_email(raw)
    account = (
        Staff.objects.select_related("school").filter(email=email).first()
        # Checked before and after folding: a full-width or compatibility letter (ｈ, ſ) folds
        # onto a plain one, and a look-alike address names nobody.
        if raw.strip().isascii() and email.isascii()
        else None
    )
    if account is None:
        raise SsoRefused(
            f"{provider} address {email[:254]} names no account",
            ask,
            school=school_named_by(claims),
        )
    school = account.school
    if not provider_ready(provider_id) or not school_configured(school, provider_id):
        raise SsoRefused(f"{provider} sign-in is not set up for the school", ask, account=account)
    if provider_id == MICROSOFT and claims.get("tid") != school.sso_microsoft_tenant:
        raise SsoRefused(
            f"Microsoft tenant {str(claims.get('tid'))[:64]} is not the school's",
            ask,
            account=account,
        )
    if provider_id == GOOGLE:
        domain = email.rsplit("@", 1)[-1]
        if claims.get("hd") != school.sso_google_domain or domain != school.sso_google_domain:
            raise SsoRefused(
                f"Google Workspace domain {str(claims.get('hd'))[:253]} is not the school's",
                ask,
                account=account,
            )
    if not _email_vouched_for(provider_id, claims):
        raise SsoRefused(
            f"{provider} did not vouch for the email address",
            ask,
            account=account,
        )
    if not account.is_active:
        raise SsoRefused(
            "the account is deactivated",
            "Your Safeguard account is switched off. If you still work at the school, ask the "
            "headteacher or the administrator to switch it on again.",
            account=account,
        )
    if request is not None and _locked_out(request, account.email):
        raise SsoRefused(
            "locked after too many attempts",
            "Your account is locked for a while after too many wrong passwords. Wait 30 minutes "
            "and try again, or ask the administrator.",
            account=account,
        )
    mfa = school.sso_accept_provider_mfa and provider_asserted_mfa(claims)
    return Decision(account=account, provider_mfa=mfa)


def school_named_by(claims: dict[str, Any]) -> School | None:
    """The school whose tenant or domain the token names, so a refusal of an address it has no
    account for still reaches that school's trail."""
    tid, hd = claims.get("tid"), claims.get("hd")
    if isinstance(tid, str) and tid:
        return School.objects.filter(sso_microsoft_tenant=tid).first()
    if isinstance(hd, str) and hd:
        return School.objects.filter(sso_google_domain=hd).first()
    return None


def _locked_out(request: HttpRequest, email: str) -> bool:
    """The sign-in lockout (django-axes) holds this address from this network address."""
    if not settings.AXES_ENABLED:
        return False
    from axes.handlers.proxy import AxesProxyHandler

    return bool(AxesProxyHandler.is_locked(request, credentials={"username": email}))


def sign_in_method(provider_id: str, *, provider_mfa: bool) -> str:
    """The words the sign-in event records for how it happened."""
    words = f"with {PROVIDER_NAMES.get(provider_id, provider_id)} (single sign-on)"
    return words + ("; MFA by the identity provider" if provider_mfa else "")


# --- Writing refusals and re-confirmations to the trail ---------------------------------------


def sso_refuse_record(
    *, actor: None, refusal: SsoRefused, provider_id: str, address: str | None
) -> bool:
    """A refused single sign-on, in the trail of the school it concerns, by nobody (whoever
    holds the provider's account is not known here). Never the token, only what was decided.
    Returns False when no school can be told (the lockout's own log and the server's log are
    all there is then)."""
    if refusal.school is None:
        return False
    where = f" from {address}" if address else ""
    with transaction.atomic():
        audit_record(
            actor=actor,
            school=refusal.school,
            action="account.sso_refused",
            obj=refusal.account or refusal.school,
            reason=f"{PROVIDER_NAMES.get(provider_id, provider_id)}: {refusal.reason}{where}"[
                :1000
            ],
        )
    return True


def sso_reconfirm_record(*, actor: Staff, provider_id: str, provider_mfa: bool) -> None:
    """The signed-in person proved it is them again through the provider, before a decision
    or an export (safeguard.core.reauth)."""
    with transaction.atomic():
        audit_record(
            actor=actor,
            school=actor.school,
            action="account.sso_reconfirm",
            obj=actor,
            reason=sign_in_method(provider_id, provider_mfa=provider_mfa),
        )


def password_sign_in_refuse_record(
    *, actor: None, account: Staff, request: HttpRequest | None
) -> None:
    """The right password, at a school that signs in with Microsoft or Google only."""
    address = settings.AXES_CLIENT_IP_CALLABLE(request) if request is not None else None
    where = f" from {address}" if address else ""
    with transaction.atomic():
        audit_record(
            actor=actor,
            school=account.school,
            action="account.sign_in_failed",
            obj=account,
            reason=f"password sign-in is off at the school; {account.email}{where}",
        )
