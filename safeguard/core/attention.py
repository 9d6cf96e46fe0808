"""Raising a "needs attention" alert from a subject that sits below contacts.alerts.

A disclosure, a record or a concern raises an alert in the transaction that writes it, but the
alerts subject sits above them (it shows their pages' content and links them), so it registers
the function that raises an alert when Django starts (contacts/apps.py), as the notifier is.
"""

from __future__ import annotations

from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured


class Raiser(Protocol):
    def __call__(
        self, *, actor: Any, subject: Any, owner_role: str, urgent: bool = False
    ) -> object: ...


_raiser: Raiser | None = None


def register_raiser(raiser: Raiser) -> None:
    global _raiser
    _raiser = raiser


def raise_alert(*, actor: Any, subject: Any, owner_role: str, urgent: bool = False) -> object:
    """Raise an alert about `subject` (a disclosure, record or concern) owned by `owner_role`,
    inside the caller's transaction."""
    if _raiser is None:
        raise ImproperlyConfigured("contacts.alerts has not registered its raiser")
    return _raiser(actor=actor, subject=subject, owner_role=owner_role, urgent=urgent)
