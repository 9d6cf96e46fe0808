from django.contrib.auth import views as auth_views
from django.urls import path

from safeguard.accounts import adapters
from safeguard.accounts import views as account_views

urlpatterns = [
    path("account/two-factor/", account_views.two_factor_status, name="two_factor"),
    path("account/two-factor/setup/", account_views.two_factor_setup, name="two_factor_setup"),
    path("account/two-factor/verify/", account_views.two_factor_verify, name="two_factor_verify"),
    path(
        "account/two-factor/recovery-codes/",
        account_views.recovery_codes_regenerate,
        name="recovery_codes_regenerate",
    ),
    path(
        "staff/<int:pk>/two-factor/reset/",
        account_views.two_factor_reset,
        name="two_factor_reset",
    ),
    path(
        "governance/<int:pk>/two-factor/reset/",
        account_views.governance_two_factor_reset,
        name="governance_two_factor_reset",
    ),
    path("account/confirm-password/", account_views.confirm_password, name="confirm_password"),
    path("invitation/<str:token>/", account_views.invitation_accept, name="invitation_accept"),
    path("invitation/<str:token>/renew/", account_views.invitation_renew, name="invitation_renew"),
    path("password-reset/", account_views.PasswordResetAsk.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(
            template_name="registration/password_reset_done.html"
        ),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        account_views.PasswordResetChoose.as_view(),
        name="password_reset_confirm",
    ),
    path("school/sign-in/", account_views.sign_in_methods, name="sign_in_methods"),
    # Single sign-on: the only addresses of django-allauth's that are routed. The names are the
    # ones its OpenID Connect provider reverses for its sign-in and callback addresses.
    path("sso/<str:provider_id>/login/", adapters.sso_login, name="openid_connect_login"),
    path(
        "sso/<str:provider_id>/login/callback/",
        adapters.sso_callback,
        name="openid_connect_callback",
    ),
]
