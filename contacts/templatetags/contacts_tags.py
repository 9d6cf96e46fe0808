from django import template

from contacts.planned.models import Status

register = template.Library()


@register.filter
def status_label(value: str) -> str:
    """A request state as people read it: "more_information" -> "more information asked for"."""
    try:
        return Status(value).label.lower()
    except ValueError:
        return value.replace("_", " ")


@register.filter
def request_step(action: str) -> str:
    """A step of a request's history as its page lists it: "request.plan_review" -> "Plan
    review"."""
    return action.removeprefix("request.").replace("_", " ").capitalize()
