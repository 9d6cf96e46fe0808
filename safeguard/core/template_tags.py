import re
from typing import Any, cast

from django import template
from django.urls import reverse
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe

from safeguard.core.counts import shown_count
from safeguard.core.roles import Role
from safeguard.help import GLOSSARY

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


def _linked_on_page(context: template.Context) -> set[str]:
    """The glossary entries already linked on the page being rendered: the render context
    is shared by a page's base, blocks and includes, in the order they are written out."""
    linked = context.render_context.get("glossary_linked")
    if linked is None:
        linked = context.render_context["glossary_linked"] = set()
    return cast("set[str]", linked)


def _term_link(context: template.Context, slug: str, words: str) -> str:
    linked = _linked_on_page(context)
    if context.get("standalone") or slug in linked:
        return format_html("{}", words)
    linked.add(slug)
    return format_html('<a class="term" href="{}#{}">{}</a>', reverse("glossary"), slug, words)


@register.simple_tag(takes_context=True)
def term(context: template.Context, slug: str, words: str) -> str:
    """{% term "lado" "the LADO" %}: the words, linked to their entry in the glossary where the
    term first appears on the page (tests/safeguard/test_help.py checks every page). A file
    made to be read away from the app (`standalone`, the meeting pack) has plain words."""
    return _term_link(context, slug, words)


@register.simple_tag(takes_context=True)
def linked_terms(context: template.Context, text: str) -> str:
    """Plain text written elsewhere (a finding of the policies, a line of the report's
    summary), escaped, with each glossary term in it linked if this is where it first appears
    on the page."""
    text = str(text)
    found = []
    for entry in GLOSSARY:
        match = re.search(entry.written, text) if entry.written else None
        if match and entry.slug not in _linked_on_page(context):
            found.append((match.start(), match.end(), entry.slug))
    pieces: list[str] = []
    done = 0
    for start, end, slug in sorted(found):
        if start < done:  # inside a term already linked
            continue
        pieces.append(conditional_escape(text[done:start]))
        pieces.append(_term_link(context, slug, text[start:end]))
        done = end
    pieces.append(conditional_escape(text[done:]))
    return mark_safe("".join(pieces))  # each piece escaped or built by format_html


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
