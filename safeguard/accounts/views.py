"""Account pages: two-factor set-up and sign-in step, recovery codes, confirming the password."""

from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from axes.utils import reset
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import LoginView
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from contacts.people import services as people
from contacts.people.selectors import governance_accounts_for, staff_visible_to
from safeguard.accounts import services as two_factor
from safeguard.accounts import sso, throttle
from safeguard.accounts.forms import (
    CodeForm,
    NewPasswordForm,
    PasswordConfirmForm,
    PasswordResetRequestForm,
    SignInForm,
    SignInMethodsForm,
)
from safeguard.accounts.receivers import client_address
from safeguard.core.emails import normal_email
from safeguard.core.forms import add_service_errors, posted
from safeguard.core.http import AuthenticatedHttpRequest
from safeguard.core.models import School
from safeguard.core.reauth import mark_signed_in, recent_sign_in_required
from safeguard.core.roles import (
    GOVERNANCE_KEEPERS,
    PROVIDER_MFA_ACCEPTERS,
    SIGN_IN_SETTERS,
    has_role,
    role_required,
)


def _next_url(request: HttpRequest) -> str:
    """Where to go afterwards: the page the person was asking for, if it is on this site."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    # A path on this site only: redirect() reads anything else as the name of a URL pattern.
    if candidate.startswith("/") and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return "/"


def _qr_svg(uri: str) -> str:
    import segno

    # Generated here from our own data, so safe to place inline (no script, no external image).
    return segno.make(uri, error="m").svg_inline(scale=5, border=2, title="QR code to scan")


def two_factor_status(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    context = {
        "enabled": two_factor.two_factor_enabled(user),
        "required": two_factor.two_factor_required(user),
        "codes_left": two_factor.recovery_codes_left(user),
    }
    return render(request, "account/two_factor.html", context)


def two_factor_setup(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Start, scan, prove with a first code; then show the recovery codes once."""
    user = request.user
    if two_factor.two_factor_enabled(user):
        messages.info(request, "Two-factor sign-in is already set up.")
        return redirect("two_factor")
    next_url = _next_url(request)
    if request.method == "POST" and "begin" in request.POST:
        two_factor.two_factor_begin(actor=user)
        return redirect(f"{request.path}?{urlencode({'next': next_url})}")
    device = two_factor.pending_app_device(user)
    if request.method == "POST" and device is None:
        # A code sent after the set-up was reset (or a POST without the start button).
        messages.error(request, "Start the set-up again: there is no authenticator waiting.")
    form = CodeForm(posted(request) if device else None)
    if device and request.method == "POST" and form.is_valid():
        try:
            device, codes = two_factor.two_factor_confirm(
                actor=user, token=form.cleaned_data["token"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            otp_login(request, device)
            return render(
                request,
                "account/recovery_codes.html",
                {"codes": codes, "next": next_url, "first_time": True},
            )
    context = {
        "device": device,
        "form": form,
        "next": next_url,
        "required": two_factor.two_factor_required(user),
        "key": two_factor.setup_key(device) if device else "",
        "qr": _qr_svg(two_factor.setup_uri(device)) if device else "",
    }
    return render(request, "account/two_factor_setup.html", context)


def two_factor_verify(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The second step of signing in."""
    form = CodeForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            device = two_factor.two_factor_check(
                actor=request.user, token=form.cleaned_data["token"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            otp_login(request, device)
            if device.name == two_factor.RECOVERY_DEVICE_NAME:
                left = two_factor.recovery_codes_left(request.user)
                messages.warning(
                    request,
                    f"You signed in with a recovery code; {left} left. Make new ones from "
                    "Two-factor sign-in if you are running low.",
                )
            return redirect(_next_url(request))
    return render(
        request,
        "account/two_factor_verify.html",
        {"form": form, "next": _next_url(request), "resets": two_factor.who_resets(request.user)},
    )


@require_POST
def recovery_codes_regenerate(request: AuthenticatedHttpRequest) -> HttpResponse:
    try:
        codes = two_factor.recovery_codes_regenerate(actor=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("two_factor")
    return render(request, "account/recovery_codes.html", {"codes": codes, "next": "/"})


@require_POST
def two_factor_reset(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    staff = get_object_or_404(staff_visible_to(request.user), pk=pk)
    if not two_factor.may_reset(request.user, staff):
        raise PermissionDenied(
            "Only the headteacher (the chair, for the head and the governors) may reset this."
        )
    try:
        two_factor.two_factor_reset(actor=request.user, staff=staff)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(
            request,
            f"Two-factor sign-in was reset for {staff.full_name}. They set it up again at their "
            "next sign-in.",
        )
    return redirect("staff_detail", pk=staff.pk)


@require_POST
@role_required(GOVERNANCE_KEEPERS)
@recent_sign_in_required(then="governance", then_with_arguments=False)
def governance_two_factor_reset(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The chair of governors resets the head's or a governor's second factor, from the
    governance page (the chair opens no staff page)."""
    staff = get_object_or_404(governance_accounts_for(request.user), pk=pk)
    try:
        two_factor.two_factor_reset(actor=request.user, staff=staff)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    except PermissionDenied as error:
        # Not theirs to reset (their own): said on the page rather than a bare 403.
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            f"Two-factor sign-in was reset for {staff.full_name}. They set it up again at their "
            "next sign-in.",
        )
    return redirect("governance")


def confirm_password(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Prove the password again before a sensitive action (see safeguard.core.reauth). Whoever
    cannot sign in with a password (the school signs in with Microsoft or Google only, or the
    account has none) proves it by signing in through the provider again instead."""
    user = request.user
    password_ok = sso.password_sign_in_allowed(user) and user.has_usable_password()
    providers = sso.school_providers(user.school)
    form = PasswordConfirmForm(posted(request) if password_ok else None)
    if request.method == "POST" and password_ok and form.is_valid():
        # authenticate() so that django-axes counts failures here as at sign-in.
        same = authenticate(
            request, username=request.user.email, password=form.cleaned_data["password"]
        )
        if same is not None and same.pk == request.user.pk:
            mark_signed_in(request)
            return redirect(_next_url(request))
        form.add_error("password", "That is not your password.")
    context = {
        "form": form if password_ok else None,
        "providers": providers,
        "next": _next_url(request),
    }
    return render(request, "account/confirm_password.html", context)


# --- Forgotten passwords: Django's reset views and tokens, with our email and audit --------

RESET_REFUSED = (
    "Too many reset links have been asked for, for this address or from this network. Wait an "
    "hour and try again, or ask the school office."
)


class PasswordResetAsk(auth_views.PasswordResetView):
    """Ask for a link. The page says the same whether or not the address has an account; asking
    counts towards a limit per address and per network address, and a sign-in lockout of the
    address blocks it too."""

    form_class = PasswordResetRequestForm
    template_name = "registration/password_reset_form.html"

    def form_valid(self, form: PasswordResetRequestForm) -> HttpResponse:  # type: ignore[override]
        email = normal_email(form.cleaned_data["email"])
        address = client_address(self.request)
        allowed = throttle.allow(
            "reset-email", email, limit=settings.PASSWORD_RESET_PER_EMAIL, window_seconds=3600
        ) and throttle.allow(
            "reset-address",
            address or "",
            limit=settings.PASSWORD_RESET_PER_ADDRESS,
            window_seconds=3600,
        )
        if not allowed or AxesProxyHandler.is_locked(self.request, {"username": email}):
            form.add_error("email", RESET_REFUSED)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        two_factor.password_reset_send(actor=None, email=email, address=address)
        return redirect("password_reset_done")


class PasswordResetChoose(auth_views.PasswordResetConfirmView):
    """Choose the new password from the link (Django checks the token: single use, since it is
    bound to the old password; expiring after PASSWORD_RESET_TIMEOUT)."""

    form_class = NewPasswordForm
    template_name = "registration/password_reset_confirm.html"

    def get_user(self, uidb64: str) -> Any:
        # Django's token does not cover whether the account is active: a link sent before the
        # person was deactivated must not work after.
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None

    def form_valid(self, form: NewPasswordForm) -> HttpResponse:  # type: ignore[override]
        person = self.user
        if person is None:  # not reached: the form is offered only for a link naming a person
            return redirect("password_reset")
        two_factor.password_reset_finish(actor=person, password=form.cleaned_data["new_password1"])
        del self.request.session[auth_views.INTERNAL_RESET_SESSION_TOKEN]
        # The link proved the mailbox is theirs: a lockout of their address is lifted.
        reset(username=person.email)
        messages.success(
            self.request,
            "Your password was changed, and every other session of yours was signed out. "
            "Sign in with your new password.",
        )
        return redirect("login")


# --- Invitations: a new member of staff chooses their password ------------------------------


def _invitation_unusable(request: HttpRequest, token: str, problem: str) -> HttpResponse:
    """Why the link cannot be used, and what to do instead (an expired one can be renewed)."""
    message = people.INVITATION_REFUSALS.get(problem, people.INVITATION_REFUSALS["revoked"])
    context = {"message": message, "token": token, "can_renew": problem == "expired"}
    return render(request, "registration/invitation_unusable.html", context, status=410)


@login_not_required
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = people.invitation_for_token(token)
    if invitation is None:
        return render(request, "registration/invitation_unknown.html", status=404)
    problem = people.invitation_problem(invitation)
    if problem:
        return _invitation_unusable(request, token, problem)
    staff = invitation.staff
    form = NewPasswordForm(staff, posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            # Signed in as the account the service saved: its password hash keys the session.
            staff = people.invitation_accept(
                actor=staff, invitation=invitation, password=form.cleaned_data["new_password1"]
            )
        except ValidationError:
            # Used, withdrawn or expired while the form was open.
            invitation.refresh_from_db()
            return _invitation_unusable(request, token, people.invitation_problem(invitation))
        login(request, staff, backend="safeguard.accounts.backends.StaffBackend")
        messages.success(
            request, f"Welcome to Safeguard, {staff.first_name}. Your password is set."
        )
        # Someone whose role needs a second factor is taken to set it up next (the middleware).
        return redirect("home")
    context = {"form": form, "staff": staff, "school": staff.school}
    return render(request, "registration/invitation_accept.html", context)


@login_not_required
@require_POST
def invitation_renew(request: HttpRequest, token: str) -> HttpResponse:
    """A new link to the same address, from an expired one."""
    invitation = people.invitation_for_token(token)
    if invitation is None:
        return render(request, "registration/invitation_unknown.html", status=404)
    try:
        people.invitation_renew(actor=invitation.staff, invitation=invitation)
    except ValidationError:
        invitation.refresh_from_db()
        return _invitation_unusable(request, token, people.invitation_problem(invitation))
    return render(request, "registration/invitation_renewed.html", {"staff": invitation.staff})


# --- Single sign-on: the sign-in page's buttons and the school's sign-in methods -------------


class SignInView(LoginView):
    """Django's sign-in page, with a button for each provider the installation has set up (the
    page is shared by every school, so which schools use them is not known yet)."""

    authentication_form = SignInForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["sso_providers"] = sso.installation_providers()
        return context


@method_decorator(login_not_required, name="dispatch")
class SignOutView(auth_views.LogoutView):
    """Django's sign-out (a POST), then the sign-in page says it was done: on a shared
    staffroom computer the next person should see that the last one signed out. Open to a
    session that has already ended (signed out when idle, in another tab): it goes to the
    sign-in page rather than asking to sign in and then landing back on a sign-out."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        was_signed_in = request.user.is_authenticated
        response = super().post(request, *args, **kwargs)
        if was_signed_in:
            messages.success(request, "You have signed out.")
        return response


@role_required(SIGN_IN_SETTERS)
def sign_in_methods(request: AuthenticatedHttpRequest) -> HttpResponse:
    school = School.objects.get(pk=request.user.school_id)
    may_accept_mfa = has_role(request.user, PROVIDER_MFA_ACCEPTERS)
    form = SignInMethodsForm(posted(request), instance=school, may_accept_mfa=may_accept_mfa)
    if request.method == "POST" and form.is_valid():
        try:
            changed = sso.school_sign_in_update(
                actor=request.user,
                school=School.objects.get(pk=school.pk),
                **{name: form.cleaned_data[name] for name in sso.SIGN_IN_FIELDS},
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                "The sign-in methods were saved." if changed else "Nothing was changed.",
            )
            return redirect("sign_in_methods")
    context = {
        "form": form,
        "providers": [
            (
                name,
                sso.provider_ready(pid),
                request.build_absolute_uri(
                    reverse("openid_connect_callback", kwargs={"provider_id": pid})
                ),
            )
            for pid, name in sso.PROVIDER_NAMES.items()
        ],
    }
    return render(request, "account/sign_in_methods.html", context)
