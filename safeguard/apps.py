from django.apps import AppConfig


class SafeguardConfig(AppConfig):
    name = "safeguard"
    verbose_name = "Safeguard"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from safeguard.accounts.middleware import mark_active_at_sign_in
        from safeguard.core.reauth import on_user_logged_in

        user_logged_in.connect(on_user_logged_in, dispatch_uid="safeguard.signed_in_at")
        user_logged_in.connect(mark_active_at_sign_in, dispatch_uid="safeguard.last_activity")
