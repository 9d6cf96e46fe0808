from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.db.models import Count, QuerySet, Subquery
from django.db.utils import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_safe

from contacts.alerts.selectors import attention_counts, first_open_alerts
from contacts.patterns.selectors import worth_caught_up, worth_next_day, worth_worked_out
from contacts.people.models import Staff
from contacts.people.selectors import relatives_counts_for
from contacts.planned.models import ContactRequest
from contacts.planned.selectors import decision_queue_for
from contacts.planned.workflow import head_absent
from policies.selectors import policies_in_force_for, versions_to_sign
from safeguard import help as help_pages
from safeguard.audit.selectors import Change, Panel, kept_panels
from safeguard.core import roles
from safeguard.core.http import AuthenticatedHttpRequest
from safeguard.core.roles import Role, role_required

# Each role's starting page, first match wins. Pages of later features slot in here.
STARTING_PAGES: list[tuple[str | frozenset[str], str]] = [
    # The DSL team start on what needs them: disclosures and their cases.
    (roles.DSL_TEAM, "attention_queue"),
    (roles.DASHBOARD_READERS, "dashboard"),
    (Role.CHAIR_OF_GOVERNORS, "decision_queue"),
    (Role.GOVERNOR, "governors_report"),
]


def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    for wanted, url_name in STARTING_PAGES:
        if roles.has_role(request.user, wanted):
            return redirect(url_name)
    return redirect("my_requests")


@login_not_required
@require_GET
def health(request: HttpRequest) -> HttpResponse:
    """200 when the database answers, 503 when it does not; never a traceback."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return JsonResponse({"status": "unavailable", "database": "down"}, status=503)
    return JsonResponse({"status": "ok", "database": "up"})


@role_required(roles.DASHBOARD_READERS)
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The school overview for senior leaders, the DSL and the administrator. Its panels are
    kept for each reader for the day, each worked out again (or brought up to date) only after a
    change that can change it (`kept_panels`); outcomes overdue turn overdue by the hour, so
    they never are kept."""
    user = request.user
    kept = kept_panels(
        school_id=user.school_id,
        key=f"dashboard:{DASHBOARD_SHAPE}:{user.pk}",
        panels=_panels(user),
        # The version read with the person, their roles and relationships, in one statement:
        # never newer than what the panels are worked out from.
        version=getattr(user, "changes_on_load", None),
    )
    context: dict[str, Any] = {"today": timezone.localdate()}
    for answer in kept.values():
        context |= answer
    if roles.has_role(user, roles.SENIOR_LEADERS):
        overdue = ContactRequest.objects.filter(school_id=user.school_id).overdue()
        context["outcomes_overdue"] = _first_few(overdue, "starts_at")
    return render(request, "dashboard.html", context)


# Part of the dashboard's key: raised whenever what `_panels` gives (or what it holds) changes.
DASHBOARD_SHAPE = 3


def _panels(user: Staff) -> dict[str, Panel]:
    """The dashboard's kept panels, each the context it gives and the changes that can change
    it (any change to staff, roles, relationships, pupils, settings or the head's absence
    changes every one)."""
    panels = {
        "queue": Panel(lambda: {"queue": decision_queue_for(user).count()}, ("request.",)),
        "head_absent": Panel(lambda: {"head_absent": head_absent(user.school_id)}),
        "policies": Panel(lambda: _policies(user), ("policy.",)),
        "relatives": Panel(lambda: _relatives(user)),
        "attention": Panel(lambda: {"attention": _attention(user)}, ("alert.", "case.")),
    }
    if roles.has_role(user, roles.SENIOR_LEADERS):
        panels["plans_past_review"] = Panel(lambda: _plans_past_review(user), ("request.",))
    if roles.has_role(user, roles.PATTERN_READERS):
        panels["worth_a_look"] = Panel(
            lambda: {"worth_a_look": worth_worked_out(user)},
            # An alert can widen who reads an entry (contacts.patterns.facts.adults_changed).
            ("request.", "record.", "concern.", "alert."),
            lambda kept, changes: _worth_caught_up(user, kept, changes),
            lambda kept: _worth_next_day(user, kept),
        )
    return panels


def _plans_past_review(user: Staff) -> dict[str, Any]:
    # Today read as it is worked out, never before the day the panel is kept under.
    past_review = ContactRequest.objects.filter(school_id=user.school_id).plans_past_review()
    return {"plans_past_review": _first_few(past_review, "plan_review_date")}


def _policies(user: Staff) -> dict[str, Any]:
    policies = policies_in_force_for(user)
    return {
        "overdue": policies.overdue,
        "unread": policies.unread,
        "to_read": policies.to_read,
        "to_sign": list(versions_to_sign(user).defer("text")),
    }


def _relatives(user: Staff) -> dict[str, Any]:
    relatives = relatives_counts_for(user)
    return {"relatives_awaiting": relatives["awaiting"], "declarations_due": relatives["due"]}


def _worth_caught_up(user: Staff, kept: dict[str, Any], changes: list[Change]) -> dict | None:
    caught = worth_caught_up(user, kept["worth_a_look"], changes)
    return None if caught is None else {"worth_a_look": caught}


def _worth_next_day(user: Staff, kept: dict[str, Any]) -> dict | None:
    moved = worth_next_day(user, kept["worth_a_look"])
    return None if moved is None else {"worth_a_look": moved}


DASHBOARD_LISTED = 8
LISTED_FIELDS = (
    "pk",
    "school_id",
    "starts_at",
    "plan_review_date",
    "requester__first_name",
    "requester__last_name",
)


def _attention(user: Staff) -> dict | None:
    """The Needs attention panel: what is new and open for this person, oldest first."""
    if not roles.has_role(user, roles.ATTENTION_OWNERS):
        return None
    rows = first_open_alerts(user, DASHBOARD_LISTED)
    return {"rows": rows, **attention_counts(user)}


def _first_few(rows: QuerySet, order: str) -> dict:
    """The longest overdue, and how many there are in all: counted, not loaded (a large school
    can have thousands). The count comes with the rows, as a subquery the database runs once
    (`rows` are one school's, so grouping by school gives the one count)."""
    # COUNT(*), not of a column: answered from a partial index alone (docs/performance.md).
    counted = rows.order_by().values("school_id").annotate(n=Count("*")).values("n")
    first = list(
        rows.select_related("requester")
        # Only what a line shows: the panel is kept in the cache (no reasons, no password hash).
        .only(*LISTED_FIELDS)
        .annotate(total=Subquery(counted))
        .order_by(order, "pk")[:DASHBOARD_LISTED]
    )
    return {"rows": first, "count": first[0].total if first else 0}


@login_not_required
@require_safe
def help_page(request: HttpRequest) -> HttpResponse:
    """What each role does in the app, the reader's own roles first. Open to anyone: it holds
    nothing about the school, and the sign-in page links to it."""
    held = roles.roles_of(request.user) if request.user.is_authenticated else frozenset()
    guides = sorted(help_pages.ROLE_GUIDES, key=lambda guide: guide.role not in held)
    return render(request, "help/help.html", {"guides": guides, "held": held})


@login_not_required
@require_safe
def glossary(request: HttpRequest) -> HttpResponse:
    return render(request, "help/glossary.html", {"terms": help_pages.GLOSSARY})
