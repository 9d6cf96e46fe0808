from django.apps import AppConfig


class SafeguardConfig(AppConfig):
    name = "safeguard"
    verbose_name = "Safeguard"
