from typing import Any

from django import template

from safeguard.core.roles import Role

register = template.Library()


@register.filter
def get_item(mapping: dict, key: Any) -> Any:
    """{{ mapping|get_item:key }}: look up a dict entry by a variable key."""
    return mapping.get(key) if mapping else None


@register.filter
def role_label(value: str) -> str:
    """A role code as people say it: "chair_of_governors" -> "chair of governors"."""
    if value == "system":
        return "the system"
    try:
        return Role(value).label.lower()
    except ValueError:
        return value.replace("_", " ")


@register.filter
def hours(value: float | None) -> str:
    """A duration in hours as people say it: "45 minutes", "3.5 hours", "2.1 days"."""
    if value is None:
        return "—"
    if value < 1:
        minutes = round(value * 60)
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    if value < 48:
        return f"{value:.1f} hours"
    return f"{value / 24:.1f} days"
