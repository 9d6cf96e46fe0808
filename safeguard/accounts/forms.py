from __future__ import annotations

from typing import Any, cast

from crispy_forms.helper import FormHelper
from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.core.validators import MaxLengthValidator

from safeguard.accounts import sso
from safeguard.core.models import School


class SignInForm(AuthenticationForm):
    """Django's sign-in form with the email's length checked, not only hinted to the browser.

    Django sets the username field's max_length after building it, so no validator enforces it:
    a 10,000-character email reached authenticate(), and recording the failure for the lockout
    (in a 255-character column) was a server error on PostgreSQL.
    """

    # Set when the password was right but the school signs in with Microsoft or Google only.
    password_sign_in_off = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.CharField, self.fields["username"])
        field.validators.append(MaxLengthValidator(field.max_length))

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if not sso.password_sign_in_allowed(user):
            self.password_sign_in_off = True
            sso.password_sign_in_refuse_record(actor=None, account=user, request=self.request)
            raise forms.ValidationError(
                "Your school signs in with Microsoft or Google: use the button below.",
                code="password_sign_in_off",
            )


class CodeForm(forms.Form):
    token = forms.CharField(
        label="Code",
        max_length=20,
        help_text="The six digits your authenticator app shows now, or one of your recovery codes.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )


class PasswordConfirmForm(forms.Form):
    password = forms.CharField(
        label="Password",
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )


class PasswordResetRequestForm(PasswordResetForm):
    """Django's reset form; the link is sent by `services.password_reset_send`."""

    email = forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )


class NewPasswordForm(SetPasswordForm):
    """Django's choose-a-password form (its validators), with the browser told it is a new one."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("new_password1", "new_password2"):
            self.fields[name].widget.attrs["autocomplete"] = "new-password"
        self.fields["new_password1"].widget.attrs["autofocus"] = True


class SignInMethodsForm(forms.ModelForm):
    """The school's sign-in methods (/school/sign-in/). The service decides who may change what;
    the tenant and domain are checked here too, so the message stands beside the field."""

    class Meta:
        model = School
        fields = list(sso.SIGN_IN_FIELDS)

    def __init__(self, *args: Any, may_accept_mfa: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        if not may_accept_mfa:
            field = self.fields["sso_accept_provider_mfa"]
            field.disabled = True
            field.help_text = f"{field.help_text} Only the headteacher changes this."

    def clean_sso_microsoft_tenant(self) -> str:
        value = str(self.cleaned_data.get("sso_microsoft_tenant") or "").strip().lower()
        if value and not sso.valid_tenant(value):
            raise forms.ValidationError(sso.TENANT_MESSAGE)
        return value

    def clean_sso_google_domain(self) -> str:
        value = str(self.cleaned_data.get("sso_google_domain") or "").strip().lower()
        if value and not sso.valid_domain(value):
            raise forms.ValidationError(sso.DOMAIN_MESSAGE)
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            "password_sign_in" in data
            and not data["password_sign_in"]
            and not data.get("sso_microsoft_tenant")
            and not data.get("sso_google_domain")
            and "sso_microsoft_tenant" not in self.errors
            and "sso_google_domain" not in self.errors
        ):
            self.add_error("password_sign_in", sso.PASSWORD_OFF_MESSAGE)
        return data

    def _post_clean(self) -> None:
        # The model's own constraints are the service's to apply on the locked row; the form
        # checks each field only (a ModelForm would otherwise write the answers to the instance).
        pass
