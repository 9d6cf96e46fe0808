from typing import Any

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
            "roles": held,
            "directory": bool(held & roles.DIRECTORY_READERS),
            "people_editor": bool(held & roles.PEOPLE_EDITORS),
            "dashboard": bool(held & roles.DASHBOARD_READERS),
            "decisions": bool(held & roles.DECIDERS),
            "senior": bool(held & roles.SENIOR_LEADERS),
            "reports": bool(held & (roles.GOVERNORS | {roles.Role.HEADTEACHER})),
            "disclosures": bool(
                held & {roles.Role.DSL, roles.Role.HEADTEACHER, roles.Role.DEPUTY_HEAD}
            ),
            "lado": bool(
                held & {roles.Role.HEADTEACHER, roles.Role.CHAIR_OF_GOVERNORS, roles.Role.DSL}
            ),
            "absences": bool(held & {roles.Role.HEADTEACHER, roles.Role.SCHOOL_ADMIN}),
            "monitoring": roles.Role.LINE_MANAGER in held,
            "unread": _unread(user) if held else 0,
        }
    }
