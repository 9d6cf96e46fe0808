from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from safeguard.core.counts import shown_count
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


@register.simple_tag(takes_context=True)
def term(context: template.Context, slug: str, words: str) -> str:
    """{% term "lado" "the LADO" %}: the words, linked to their entry in the glossary (used
    where a term first appears on a page; tests/safeguard/test_help.py checks every slug). A
    file made to be read away from the app (`standalone`, the meeting pack) has plain words."""
    if context.get("standalone"):
        return format_html("{}", words)
    return format_html('<a class="term" href="{}#{}">{}</a>', reverse("glossary"), slug, words)


@register.filter
def count_shown(count: int, hide_small: bool) -> int | str:
    """{{ n|count_shown:report.hide_small }}: a count of 1 to 4 as "fewer than 5" when the
    school hides small counts (safeguard/core/counts.py)."""
    return shown_count(count, hide_small)


@register.filter
def css_string(value: Any) -> str:
    """Text made safe inside a CSS string in double quotes (the PDF's page headers): a
    backslash and a double quote escaped, line breaks as CSS's \\A. Apostrophes and
    ampersands stay as they are ("St Mary's & All Saints"): a <style> element's text is not
    HTML-decoded, so it is marked safe, with "<" escaped so that nothing can end the element."""
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    text = text.replace("\r", "").replace("\n", "\\A ").replace("<", "\\3C ")
    return mark_safe(text)  # escaped above for a CSS string
