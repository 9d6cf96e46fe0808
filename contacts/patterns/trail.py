"""What the audit trail keeps from its readers about pattern views, registered with
safeguard.audit at start-up (contacts' AppConfig.ready): a headteacher who reads the trail is
never shown that the chair looked at their pattern."""

from typing import Any

from contacts.patterns.services import PATTERN_TYPE
from safeguard.audit.selectors import ObjectKey, TrailPrivacy


def _withheld(user: Any) -> dict[ObjectKey, int]:
    return {}


def hidden_from(user: Any) -> dict[str, list[str]]:
    """The views of the reader's own pattern."""
    return {PATTERN_TYPE: [str(user.pk)]}


PATTERNS_PRIVACY = TrailPrivacy(withheld=_withheld, hidden=hidden_from)
