import contextlib

from django.apps import AppConfig


class SafeguardConfig(AppConfig):
    name = "safeguard"
    verbose_name = "Safeguard"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
        from django.db.models.signals import post_migrate

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
        # An upgrade can change what a kept panel holds or how it is worked out: each is worked
        # out afresh (safeguard.audit.selectors.kept_panels).
        post_migrate.connect(_forget_kept_panels, sender=self, dispatch_uid="safeguard.kept")


def _forget_kept_panels(**kwargs: object) -> None:
    from django.db.utils import DatabaseError

    from safeguard.audit.services import kept_panels_forget

    # Migrating back to before the cache's table was made leaves nothing kept to forget.
    with contextlib.suppress(DatabaseError):
        kept_panels_forget()
