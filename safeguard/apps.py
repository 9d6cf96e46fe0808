from django.apps import AppConfig


class SafeguardConfig(AppConfig):
    name = "safeguard"
    verbose_name = "Safeguard"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

        from safeguard.accounts import receivers
        from safeguard.accounts.middleware import mark_active_at_sign_in
        from safeguard.core import checks  # noqa: F401  (registers the deploy checks)
        from safeguard.core.reauth import on_user_logged_in

        user_logged_in.connect(on_user_logged_in, dispatch_uid="safeguard.signed_in_at")
        user_logged_in.connect(mark_active_at_sign_in, dispatch_uid="safeguard.last_activity")
        # Into the audit trail: signing in, a refused sign-in, signing out.
        user_logged_in.connect(receivers.on_signed_in, dispatch_uid="safeguard.audit_sign_in")
        user_login_failed.connect(
            receivers.on_sign_in_failed, dispatch_uid="safeguard.audit_sign_in_failed"
        )
        user_logged_out.connect(receivers.on_signed_out, dispatch_uid="safeguard.audit_sign_out")
