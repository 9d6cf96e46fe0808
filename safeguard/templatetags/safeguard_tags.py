from typing import Any

from django import template

from safeguard.roles import Role

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
