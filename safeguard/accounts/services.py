"""Two-factor sign-in: who must use it, and the services that set it up, check it and reset it.

The second factor is an authenticator app (TOTP, django-otp), with single-use recovery codes for
a lost phone. django-otp keeps which device verified the session; the middleware
(safeguard.accounts.middleware.require_two_factor) keeps everyone who must use it away from
every page until they have.
"""

from __future__ import annotations

import secrets
import time
from base64 import b32encode
from typing import TYPE_CHECKING
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp import devices_for_user, user_has_device
from django_otp.models import Device, ThrottlingMixin
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from contacts.people.models import Staff
from contacts.people.services import end_sessions
from safeguard.accounts import sso
from safeguard.audit.services import audit_record
from safeguard.core import roles
from safeguard.core.emails import normal_email
from safeguard.core.mail import account_email, send_on_commit, site_link
from safeguard.core.roles import Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

APP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"
RECOVERY_CODE_COUNT = 10
ISSUER = "Safeguard"


def two_factor_required(user: Staff | AnonymousUser) -> bool:
    """True if this person may not use the app until they have passed a second factor."""
    if not user.is_authenticated:
        return False
    if user.school.require_two_factor_for_all:
        return True
    return bool(roles.roles_of(user) & roles.TWO_FACTOR_ROLES)


def two_factor_enabled(user: Staff) -> bool:
    return user_has_device(user, confirmed=True)


def two_factor_enabled_on_load(user: Staff) -> bool:
    """two_factor_enabled as it was when the user was loaded for this request
    (safeguard.accounts.backends), or asked now for a user loaded some other way."""
    loaded = getattr(user, "devices_on_load", None)  # the signed-in person (backends.py)
    if loaded is not None:
        return bool(loaded)
    totp, static = getattr(user, "totp_on_load", None), getattr(user, "static_on_load", None)
    if totp is None or static is None:
        return two_factor_enabled(user)
    return bool(totp or static)


def with_two_factor_on_load(rows: QuerySet[Staff]) -> QuerySet[Staff]:
    """Staff rows that know, as they are read, whether each has a confirmed second factor
    (`two_factor_enabled_on_load`): a page about someone asks without a query of its own."""
    return rows.annotate(
        totp_on_load=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)),
        static_on_load=Exists(StaticDevice.objects.filter(user=OuterRef("pk"), confirmed=True)),
    )


def pending_app_device(user: Staff) -> TOTPDevice | None:
    """The authenticator being set up: created, shown as a QR code, not yet proven."""
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


def recovery_codes_left(user: Staff) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def setup_key(device: TOTPDevice) -> str:
    """The secret as the base32 text an authenticator app accepts when typed in."""
    return b32encode(device.bin_key).decode().rstrip("=")


def setup_uri(device: TOTPDevice) -> str:
    """The otpauth:// address the QR code carries."""
    label = quote(f"{ISSUER}:{device.user.email}")
    return (
        f"otpauth://totp/{label}?secret={setup_key(device)}&issuer={quote(ISSUER)}"
        f"&digits={device.digits}&period={device.step}"
    )


def current_code(device: TOTPDevice) -> tuple[str, int]:
    """The code an authenticator app would show now, or next if this one has been used, and the
    seconds it stays valid. For the demo school's `demo_code` command and nothing else."""
    clock = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    clock.time = time.time()
    step = max(clock.t(), device.last_t + 1)
    clock.time += (step - clock.t()) * device.step
    # Accepted up to one step after its own (the device's tolerance).
    valid_for = int((step + 1 + 1 - device.drift) * device.step + device.t0 - time.time())
    return f"{clock.token():0{device.digits}d}", max(0, valid_for)


def _issue_recovery_codes(user: Staff) -> list[str]:
    """A fresh set of recovery codes; any earlier ones stop working. Inside the caller's
    transaction."""
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    # 10 lower-case letters and digits, shown in two groups of five so they can be read out.
    codes = [secrets.token_hex(5) for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def two_factor_begin(*, actor: Staff) -> TOTPDevice:
    """Start setting up an authenticator app: a fresh secret, not trusted until a code proves it."""
    if two_factor_enabled(actor):
        raise ValidationError("Two-factor sign-in is already set up for your account.")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=actor, confirmed=False).delete()
        return TOTPDevice.objects.create(user=actor, name=APP_DEVICE_NAME, confirmed=False)


def two_factor_confirm(*, actor: Staff, token: str) -> tuple[TOTPDevice, list[str]]:
    """The first code from the app proves the secret was stored; returns the recovery codes.

    A failed code is recorded against the device (django-otp's throttling) before the error is
    raised, so guessing slows down.
    """
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=actor, confirmed=False)
            .order_by("-pk")
            .first()
        )
        if device is None:
            raise ValidationError("Start the set-up again: there is no authenticator waiting.")
        verified = device.verify_token(_clean(token))
        if verified:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            codes = _issue_recovery_codes(actor)
            audit_record(
                actor=actor,
                school=actor.school,
                action="two_factor.enable",
                obj=actor,
                reason=f"authenticator app; {len(codes)} recovery codes issued",
            )
    if not verified:
        raise ValidationError({"token": _WRONG_CODE})
    return device, codes


_WRONG_CODE = (
    "That code is not right. Type the six digits your app shows now, or one of your recovery "
    "codes; each code works once."
)


def _clean(token: str) -> str:
    return "".join(str(token).split()).replace("-", "").lower()


def two_factor_check(*, actor: Staff, token: str) -> Device:
    """A code at sign-in: the device that accepted it, which the view records in the session.

    Each device refuses a code it has accepted before (TOTP keeps the last time step used;
    a recovery code is deleted when used).

    Codes sent together each count: the devices are read locked (for_verify), so a code sent
    alongside a wrong one finds the device made to wait by it, which django-otp would refuse
    without counting (two parallel wrong codes raised the count by one). A device whose count
    rose after the wait was checked here is counted against as for a wrong code.
    """
    token = _clean(token)
    seen = _failure_counts(actor)
    waiting = _throttled_message(actor)
    if waiting:
        raise ValidationError({"token": waiting})
    with transaction.atomic():
        device = None
        if token:
            for candidate in devices_for_user(actor, for_verify=True):
                if _failed_meanwhile(candidate, seen):
                    candidate.throttle_increment()
                    continue
                if candidate.verify_token(token):
                    device = candidate
                    break
        if isinstance(device, StaticDevice):
            audit_record(
                actor=actor,
                school=actor.school,
                action="two_factor.recovery_code_used",
                obj=actor,
                reason=f"{device.token_set.count()} recovery codes left",
            )
    if device is None:
        raise ValidationError({"token": _WRONG_CODE})
    return device


def _failure_counts(user: Staff) -> dict[tuple[type, int], int]:
    """Each device's count of wrong codes, as it stands before this code is checked."""
    return {
        (type(device), device.pk): device.throttling_failure_count
        for device in devices_for_user(user)
        if isinstance(device, ThrottlingMixin)
    }


def _failed_meanwhile(device: Device, seen: dict[tuple[type, int], int]) -> bool:
    """The device, read locked, is waiting because of a wrong code counted since `seen`."""
    if not isinstance(device, ThrottlingMixin) or device.verify_is_allowed()[0]:
        return False
    return device.throttling_failure_count > seen.get((type(device), device.pk), 0)


def _throttled_message(user: Staff) -> str:
    """After wrong codes django-otp makes each device wait, doubling each time: say so."""
    app = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if app is None:
        return ""
    allowed, data = app.verify_is_allowed()
    if allowed or not data or not data.get("locked_until"):
        return ""
    wait = max(1, int((data["locked_until"] - timezone.now()).total_seconds()) + 1)
    return (
        f"Too many wrong codes. Wait {wait} second{'s' if wait != 1 else ''}, then type the code "
        "your app shows at that moment."
    )


def recovery_codes_regenerate(*, actor: Staff) -> list[str]:
    """New recovery codes; the old ones stop working."""
    if not two_factor_enabled(actor):
        raise ValidationError("Set up two-factor sign-in first.")
    with transaction.atomic():
        codes = _issue_recovery_codes(actor)
        audit_record(
            actor=actor,
            school=actor.school,
            action="two_factor.recovery_codes_regenerate",
            obj=actor,
            reason=f"{len(codes)} recovery codes issued; earlier codes withdrawn",
        )
    return codes


def may_reset(actor: Staff, staff: Staff) -> bool:
    """The headteacher resets a member of staff's second factor; the chair of governors the
    head's and the governors' (the head never controls the accounts of their overseers); nobody
    their own. The chair's own is the installation's `assign_chair --reset-two-factor`."""
    if actor.pk == staff.pk or actor.school_id != staff.school_id:
        return False
    held = set(staff.role_assignments.values_list("role", flat=True))
    if held & roles.CHAIR_RESETS:
        return roles.has_role(actor, Role.CHAIR_OF_GOVERNORS)
    return roles.has_role(actor, Role.HEADTEACHER)


def who_resets(staff: Staff) -> str:
    """Who to ask for a reset after a lost phone, in words, by the same rule as `may_reset`."""
    held = roles.roles_of(staff)
    if Role.CHAIR_OF_GOVERNORS in held:
        return "whoever runs Safeguard for your school (the installation's operator)"
    if held & roles.CHAIR_RESETS:
        return "the chair of governors"
    return "the headteacher"


def two_factor_reset(*, actor: Staff | None, staff: Staff, operator: str = "") -> None:
    """For a lost phone: removes the person's devices, so they must set up again at next sign-in.
    `actor` None is the installation's operator (named by `operator`), for the chair's own."""
    if actor is None:
        if not operator.strip():
            raise ValidationError("Say who is running the command (the installation's operator).")
    elif not may_reset(actor, staff):
        raise PermissionDenied(
            "Only the headteacher (the chair, for the head and the governors) may reset this."
        )
    with transaction.atomic():
        removed = 0
        for model in (TOTPDevice, StaticDevice):
            removed += model.objects.filter(user=staff).delete()[0]
        if not removed:
            raise ValidationError(f"{staff.full_name} has not set up two-factor sign-in.")
        audit_record(
            actor=actor,
            school=staff.school,
            action="two_factor.reset",
            obj=staff,
            reason="devices removed; set-up needed at next sign-in"
            + (f"; by the installation's operator {operator.strip()}" if actor is None else ""),
        )


# --- Signing in and out, in the audit trail -------------------------------------------------


def sign_in_record(*, actor: Staff, address: str | None, method: str = "") -> None:
    """The person signed in: with their password (the second factor, if any, is its own step),
    or `method` says how (single sign-on, and whether the provider's MFA stood in for the
    second factor). About their own account, so it is in their history and under their name
    in the trail."""
    where = f"from {address}" if address else ""
    with transaction.atomic():
        audit_record(
            actor=actor,
            school=actor.school,
            action="account.sign_in",
            obj=actor,
            reason="; ".join(part for part in (method, where) if part),
        )


def sign_out_record(*, actor: Staff, why: str = "") -> None:
    """The person signed out, or was signed out (`why`: after the idle or the 8-hour limit)."""
    with transaction.atomic():
        audit_record(
            actor=actor,
            school=actor.school,
            action="account.sign_out",
            obj=actor,
            reason=why,
        )


def sign_in_failure_record(
    *, actor: None, email: str, address: str | None, locked_out: bool
) -> Staff | None:
    """A sign-in refused. Recorded against the account the address names (in its normal form,
    the only way it is matched), by nobody: whoever typed it is not known. An address that names
    no account has no school's trail to go in; the lockout still counts it (django-axes).
    The password tried is never recorded. Returns the account, if any."""
    account = Staff.objects.select_related("school").filter(email=normal_email(email)).first()
    if account is None:
        return None
    if locked_out:
        why = "locked after too many attempts"
    elif not account.is_active:
        why = "the account is deactivated"
    else:
        why = "wrong password"
    where = f" from {address}" if address else ""
    with transaction.atomic():
        audit_record(
            actor=actor,
            school=account.school,
            action="account.sign_in_failed",
            obj=account,
            reason=f"{why}; {account.email}{where}",
        )
    return account


def password_reset_send(*, actor: None, email: str, address: str | None) -> bool:
    """Email a reset link (Django's token) to the active account with a password that the
    address names, if there is one, and audit that it was asked for. Whoever asked is not known,
    so nobody is the actor. Returns whether a link was sent; the page says the same either way.
    Deactivated accounts get nothing; invited ones accept their invitation instead."""
    person = (
        Staff.objects.select_related("school")
        .filter(email=normal_email(email), is_active=True)
        .first()
    )
    if person is None or not person.has_usable_password():
        return False
    if not sso.password_sign_in_allowed(person):
        return False  # their school signs in with Microsoft or Google: a password is no use
    uid = urlsafe_base64_encode(force_bytes(person.pk))
    path = reverse("password_reset_confirm", args=[uid, default_token_generator.make_token(person)])
    hours = settings.PASSWORD_RESET_TIMEOUT // 3600
    with transaction.atomic():
        audit_record(
            actor=actor,
            school=person.school,
            action="account.password_reset_request",
            obj=person,
            reason=f"link emailed to {person.email}"
            + (f"; asked from {address}" if address else ""),
        )
        send_on_commit(
            account_email(
                school_name=person.school.name,
                to=person.email,
                subject="resetting your password",
                template="password_reset",
                context={
                    "first_name": person.first_name,
                    "link": site_link(path),
                    "valid_for": f"{hours} hour{'s' if hours != 1 else ''}",
                },
            )
        )
    return True


def password_reset_finish(*, actor: Staff, password: str) -> int:
    """The person chose a new password through a reset link (which proved the mailbox is
    theirs): every session of theirs ends, and any lockout of their address is lifted. Returns
    how many sessions ended."""
    with transaction.atomic():
        actor.set_password(password)
        actor.save(update_fields=["password"])
        ended = end_sessions(actor)
        audit_record(
            actor=actor,
            school=actor.school,
            action="account.password_reset",
            obj=actor,
            reason=f"signed out of {ended} session(s)" if ended else "",
        )
    return ended
