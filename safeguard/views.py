from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.db.models import Count, QuerySet, Subquery
from django.db.utils import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_safe

from contacts.alerts.selectors import attention_counts, open_alerts_for
from contacts.patterns.selectors import worth_a_look
from contacts.people.models import Staff
from contacts.people.selectors import relatives_counts_for
from contacts.planned.models import ContactRequest
from contacts.planned.selectors import decision_queue_for
from contacts.planned.workflow import head_absent
from policies.selectors import policies_in_force_for, versions_to_sign
from safeguard import help as help_pages
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
    """The school overview for senior leaders, the DSL and the administrator."""
    school_id = request.user.school_id
    policies = policies_in_force_for(request.user)
    requests = ContactRequest.objects.filter(school_id=school_id)
    relatives = relatives_counts_for(request.user)
    context = {
        "queue": decision_queue_for(request.user).count(),
        "head_absent": head_absent(school_id),
        "overdue": policies.overdue,
        "unread": policies.unread,
        "to_read": policies.to_read,
        "to_sign": versions_to_sign(request.user),
        "today": timezone.localdate(),
        "relatives_awaiting": relatives["awaiting"],
        "declarations_due": relatives["due"],
        "attention": _attention(request.user),
    }
    if roles.has_role(request.user, roles.SENIOR_LEADERS):
        context["outcomes_overdue"] = _first_few(requests.overdue(), "starts_at")
        context["plans_past_review"] = _first_few(requests.plans_past_review(), "plan_review_date")
    if roles.has_role(request.user, roles.PATTERN_READERS):
        context["worth_a_look"] = worth_a_look(request.user)
    return render(request, "dashboard.html", context)


DASHBOARD_LISTED = 8


def _attention(user: Staff) -> dict | None:
    """The Needs attention panel: what is new and open for this person, oldest first."""
    if not roles.has_role(user, roles.ATTENTION_OWNERS):
        return None
    rows = list(open_alerts_for(user)[:DASHBOARD_LISTED])
    return {"rows": rows, **attention_counts(user)}


def _first_few(rows: QuerySet, order: str) -> dict:
    """The longest overdue, and how many there are in all: counted, not loaded (a large school
    can have thousands). The count comes with the rows, as a subquery the database runs once
    (`rows` are one school's, so grouping by school gives the one count)."""
    counted = rows.order_by().values("school_id").annotate(n=Count("pk")).values("n")
    first = list(
        rows.select_related("requester")
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
