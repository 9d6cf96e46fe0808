from typing import Any

from django.conf import settings
from django.http import HttpRequest

from safeguard.core import roles


def _unread(user: Any) -> int:
    # Counted with the user at the start of the request (safeguard.accounts.backends); every page
    # that marks notices read redirects, so the next page counts again.
    loaded = getattr(user, "unread_on_load", None)
    if loaded is not None:
        return loaded
    return user.notifications.filter(read_at__isnull=True).count()


def navigation(request: HttpRequest) -> dict[str, Any]:
    """What the navigation bar may offer the signed-in user."""
    user = getattr(request, "user", None)
    held = roles.roles_of(user)
    return {
        "nav": {
            "directory": bool(held & roles.DIRECTORY_READERS),
            "people_editor": bool(held & roles.PEOPLE_EDITORS),
            "dashboard": bool(held & roles.DASHBOARD_READERS),
            "decisions": bool(held & roles.DECIDERS),
            "senior": bool(held & roles.SENIOR_LEADERS),
            "reports": bool(held & roles.REPORT_READERS),
            "disclosures": bool(held & roles.DISCLOSURE_ADDERS),
            "attention": bool(held & roles.ATTENTION_OWNERS),
            "lado": bool(held & roles.LADO_RECORDERS),
            "absences": bool(held & roles.ABSENCE_RECORDERS),
            "monitoring": roles.Role.LINE_MANAGER in held,
            "audit": bool(held & roles.AUDIT_READERS),
            "legal_holds": roles.Role.HEADTEACHER in held,
            "retention_reviews": bool(held & roles.DISCLOSURE_REVIEWERS),
            "school_settings": roles.Role.HEADTEACHER in held,
            "sign_in_methods": bool(held & roles.SIGN_IN_SETTERS),
            "subject_access": roles.Role.HEADTEACHER in held,
            "governance": bool(held & roles.GOVERNANCE_KEEPERS),
            "unread": _unread(user) if held else 0,
        }
    }


def installation(request: HttpRequest) -> dict[str, Any]:
    """Whether this is the demo (`make run`), which every page says."""
    return {"demo": settings.DEMO}
