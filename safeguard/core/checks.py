"""Checks of the settings that `manage.py check --deploy` runs (CI fails on any warning)."""

from __future__ import annotations

from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def from_address_is_the_schools(app_configs: Any, **kwargs: Any) -> list[Warning]:
    """Emails from "safeguard@localhost" are marked as spam or bounced, and staff cannot tell
    them from a phishing attempt: production sends from a real address of the school or trust."""
    _, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    domain = address.rpartition("@")[2].lower()
    if domain in {"", "localhost", "localhost.localdomain"} or "." not in domain:
        return [
            Warning(
                f"DEFAULT_FROM_EMAIL is {settings.DEFAULT_FROM_EMAIL!r}: set it to a real "
                "address of the school or trust, e.g. safeguard@school.example.",
                id="safeguard.W001",
            )
        ]
    return []
