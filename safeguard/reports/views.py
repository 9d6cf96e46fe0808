"""The governors' report, its charts and its exports."""

from __future__ import annotations

import csv
import io
import logging

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from policies.engine import VERDICT_LABELS
from policies.selectors import Adoption
from safeguard.audit.services import audit_download
from safeguard.audit.vocabulary import REPORT_EXPORT
from safeguard.core import roles
from safeguard.core.counts import shown_count
from safeguard.core.exports import spreadsheet_safe
from safeguard.core.http import AuthenticatedHttpRequest
from safeguard.core.reauth import recent_sign_in_required
from safeguard.core.roles import Role, role_required
from safeguard.reports import charts
from safeguard.reports.forms import PeriodForm
from safeguard.reports.selectors import Counted, Report, governors_report, report_summary

logger = logging.getLogger(__name__)


def _report(request: AuthenticatedHttpRequest) -> tuple[PeriodForm, Report]:
    form = PeriodForm(request.GET or None)
    period = form.period_for()
    is_head = roles.has_role(request.user, Role.HEADTEACHER)
    return form, governors_report(school=request.user.school, period=period, for_head=is_head)


# The verdicts' colours as the app's badges show them (Bootstrap's danger, warning and success,
# darkened for contrast in static/css/app.css): "Not allowed" is red here as everywhere else.
VERDICT_COLOURS = {"prohibited": "#b02a37", "needs_approval": "#E69F00", "record": "#146c43"}


def _charts(report: Report) -> dict[str, str]:
    if report.hide_small:
        # A bar's height tells any count exactly: the charts are left out with the counts.
        return {}
    months = [month.strftime("%b %Y") for month, _ in report.per_month]
    series = [
        charts.Series(label, [counts.get(code, 0) for _, counts in report.per_month])
        for code, label in VERDICT_LABELS.items()
    ]
    records = report.records_by_type
    return {
        "per_month": charts.bar_chart(
            title="Requests per month, by what the policies said",
            categories=months,
            series=series,
            palette=tuple(VERDICT_COLOURS[code] for code in VERDICT_LABELS),
        ),
        "records": charts.hbar_chart(
            title="Records after the fact, by type",
            labels=[label for label, _, _ in records.rows],
            values=[now for _, now, _ in records.rows],
        ),
        "outcomes": charts.hbar_chart(
            title="Requests by outcome",
            labels=[label for label, _, _ in report.requests_by_status.rows],
            values=[now for _, now, _ in report.requests_by_status.rows],
        ),
    }


def _context(request: AuthenticatedHttpRequest) -> dict:
    form, report = _report(request)
    return {
        "form": form,
        "report": report,
        "summary": report_summary(report),
        "charts": _charts(report),
        "is_head": roles.has_role(request.user, Role.HEADTEACHER),
        "generated_at": timezone.localtime(),
        "query": request.GET.urlencode(),
    }


@role_required(roles.REPORT_READERS)
def governors_report_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(request, "reports/governors_report.html", _context(request))


@role_required(roles.REPORT_READERS)
@recent_sign_in_required
def governors_report_download(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The whole report as one self-contained HTML file for the meeting pack."""
    context = _context(request) | {"standalone": True}
    html = render_to_string("reports/governors_report_file.html", context, request=request)
    report = context["report"]
    _exported(request, report, "the whole report")
    name = slugify(f"{report.school.name} governors report {report.period.label}")
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.html"'
    return response


@role_required(roles.REPORT_READERS)
@recent_sign_in_required
def governors_report_pdf(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The whole report as a PDF, as governing bodies circulate papers: A4, the school's name
    and the period at the top of every page, page numbers and the date it was produced at the
    foot. Made by WeasyPrint from the same page as the HTML file, with the fonts installed on
    the server (DejaVu; `make` installs them)."""
    try:
        # Imported here: WeasyPrint needs the system's Pango, and a server without it must
        # still serve every other page.
        import weasyprint
    except (ImportError, OSError):
        logger.exception("WeasyPrint cannot run: the PDF is unavailable")
        messages.error(
            request,
            "The PDF cannot be made on this server (its PDF library is not installed): "
            "download the report as a web page instead, and tell the installation's operator.",
        )
        return redirect(f"{reverse('governors_report')}?{request.GET.urlencode()}")
    context = _context(request) | {"standalone": True, "pdf": True}
    html = render_to_string("reports/governors_report_file.html", context, request=request)
    report = context["report"]
    pdf = weasyprint.HTML(string=html, base_url=None).write_pdf()
    _exported(request, report, "the whole report as a PDF")
    name = slugify(f"{report.school.name} governors report {report.period.label}")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return response


def _exported(request: AuthenticatedHttpRequest, report: Report, what: str) -> None:
    """Every copy of the report taken out of Safeguard is a view event in the trail."""
    audit_download(
        actor=request.user,
        school=request.user.school,
        action=REPORT_EXPORT,
        object_ref="Governors' report",
        reason=f"{what}, {report.period.label}",
    )


def _tables(report: Report) -> dict[str, Counted]:
    return {
        "requests-by-kind": report.requests_by_kind,
        "requests-by-purpose": report.requests_by_purpose,
        "requests-by-verdict": report.requests_by_verdict,
        "requests-by-outcome": report.requests_by_status,
        "chair-decisions": report.chair_decisions,
        "former-pupils": report.former,
        "records-by-type": report.records_by_type,
        "disclosures": report.disclosures,
        "concerns": report.concerns,
        "concern-outcomes": report.concern_outcomes,
        "lado": report.lado,
        "lado-outcomes": report.lado_outcomes,
    }


@role_required(roles.REPORT_READERS)
@recent_sign_in_required
def governors_report_csv(request: AuthenticatedHttpRequest, table: str) -> HttpResponse:
    _form, report = _report(request)
    if table == "should-not-happen":
        header = ["check", "count", "references"]
        rows = [[a.label, a.count, " ".join(a.references)] for a in report.anomalies]
    elif table == "policies":
        header = ["policy", "version", "next review", "overdue", "staff read", "not yet read"]
        overdue = {v.pk for v in report.overdue_policies}
        rows = [
            [v.policy.title, v.number, v.next_review.isoformat(), v.pk in overdue, read, unread]
            for v, read, unread in report.acknowledgements
        ]
    elif table == "policy-adoption":
        header = ["policy", "in force", "adopted on", "signed by", "next review", "overdue"]
        header += ["awaiting signatures"]
        rows = [_adoption_row(row, report) for row in report.adoption]
    elif table in _tables(report):
        counted = _tables(report)[table]
        header = ["", report.period.label, report.before.label]
        hide = report.hide_small
        rows = [
            [label, shown_count(now, hide), shown_count(before, hide)]
            for label, now, before in counted.rows
        ]
        if counted.totalled and not (hide and counted.has_small):
            rows.append(["Total", counted.total, counted.total_before])
    else:
        raise Http404("No such table")
    _exported(request, report, f"the table {table}")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([[spreadsheet_safe(cell) for cell in row] for row in rows])
    name = slugify(f"{report.school.name} {table} {report.period.label}")
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


def _adoption_row(row: Adoption, report: Report) -> list:
    """One policy's line of the adoption table, as the page shows it."""
    awaiting = ""
    if row.pending is not None:
        awaiting = f"version {row.pending.number}: " + "; ".join(
            f"{p.get_role_display().lower()} {'signed' if p.is_signed else 'not yet'}"
            for p in row.pending.signatures.all()
        )
    current = row.current
    if current is None or current.adopted_at is None:
        return [row.title, "", "", "", "", "", awaiting]
    signed = "; ".join(
        f"{p.get_role_display()} ({p.signed_by.full_name if p.signed_by else ''})"
        for p in current.signatures.all()
    )
    return [
        row.title,
        current.number,
        timezone.localtime(current.adopted_at).date().isoformat(),
        "before signatures were recorded" if current.adopted_unsigned else signed,
        current.next_review.isoformat(),
        current.next_review < report.today,
        awaiting,
    ]


TABLE_SLUGS = (
    "should-not-happen",
    "policies",
    "policy-adoption",
    "requests-by-kind",
    "requests-by-purpose",
    "requests-by-verdict",
    "requests-by-outcome",
    "chair-decisions",
    "former-pupils",
    "records-by-type",
    "disclosures",
    "concerns",
    "concern-outcomes",
    "lado",
    "lado-outcomes",
)
