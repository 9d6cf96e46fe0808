"""The governors' report pages: who may read them, what the page shows (read back from its
tables), the period form, that no pupil's name or record text ever reaches a governor, the CSV
exports and the self-contained download, and the number of queries.

The data are the hand-computed fixtures of tests/factories_reports.py, in March 2023.
"""

import csv
import datetime as dt
import io
import re
from html.parser import HTMLParser

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format

from contacts.concerns.models import BoundaryConcern, LadoReferral
from contacts.planned.models import ContactRequest
from policies.services import policy_create, policy_version_add, policy_version_sign
from safeguard.audit.checkpoints import public_text
from safeguard.audit.models import AuditEvent
from safeguard.audit.selectors import as_checkpoint
from safeguard.audit.services import audit_checkpoint_sign
from safeguard.core.roles import Role
from safeguard.reports.charts import NO_DATA
from safeguard.reports.selectors import governors_report, previous, school_year, term
from safeguard.reports.views import TABLE_SLUGS
from tests.factories_policies import PolicyFactory, PolicyVersionFactory, adopt
from tests.factories_records import make_concern, make_record
from tests.factories_reports import (
    BEFORE,
    EXPECTED,
    OVERDUE,
    PERIOD,
    PLANS_PAST_REVIEW,
    PUPIL_NAMES,
    RANGE_QUERY,
    SECRET,
    Cast,
    at,
    build,
    make_pupils,
)
from tests.factories_requests import make_request
from tests.helpers import allow_audit_tampering, sign_in, text

PAGE = "governors_report"
DOWNLOAD = "governors_report_download"

# Each CSV of a table of counts, and the Report attribute it exports.
SLUG_TABLES = {
    "requests-by-kind": "requests_by_kind",
    "requests-by-purpose": "requests_by_purpose",
    "requests-by-verdict": "requests_by_verdict",
    "requests-by-outcome": "requests_by_status",
    "chair-decisions": "chair_decisions",
    "former-pupils": "former",
    "records-by-type": "records_by_type",
    "disclosures": "disclosures",
    "concerns": "concerns",
    "concern-outcomes": "concern_outcomes",
    "lado": "lado",
    "lado-outcomes": "lado_outcomes",
}
REQUEST_LINK = re.compile(r'href="/requests/\d+/"')
SVG = re.compile(r"<svg\b[^>]*>.*?</svg>", re.S)


@pytest.fixture
def cast(school, head, teacher, line_manager, colleague, chair, dsl):
    return Cast(
        school=school, head=head, teacher=teacher, colleague=colleague, chair=chair, dsl=dsl
    )


@pytest.fixture
def built(cast, governor):
    return build(cast)


def _get(client, user, name=PAGE, query=None, *args):
    sign_in(client, user)
    return client.get(reverse(name, args=args), query or {})


def _csv(client, user, slug, query=RANGE_QUERY):
    return _get(client, user, "governors_report_csv", query, slug)


class _Tables(HTMLParser):
    """Every <table> of a page: its caption and its rows of cell texts."""

    def __init__(self):
        super().__init__()
        self.tables: list[dict] = []
        self._cell: list[str] | None = None
        self._caption: list[str] | None = None
        self._row: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append({"caption": "", "rows": []})
        elif tag == "caption":
            self._caption = []
        elif tag == "tr":
            self._row = []
        elif tag in ("th", "td"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "caption" and self._caption is not None:
            self.tables[-1]["caption"] = " ".join("".join(self._caption).split())
            self._caption = None
        elif tag in ("th", "td") and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1]["rows"].append(self._row)
            self._row = None

    def handle_data(self, data):
        for buffer in (self._cell, self._caption):
            if buffer is not None:
                buffer.append(data)


def _table(response, title: str) -> list[list[str]]:
    """The body and footer rows of the table whose caption begins with the title."""
    parser = _Tables()
    parser.feed(response.content.decode())
    found = [t for t in parser.tables if t["caption"].split(" · ")[0] == title]
    assert len(found) == 1, f"{title!r} in {[t['caption'] for t in parser.tables]}"
    return found[0]["rows"][1:]  # without the heading row


def _as_cells(rows) -> list[list[str]]:
    return [[label, str(now), str(before)] for label, now, before in rows]


# --- Who may read it --------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["governor", "chair", "head"])
def test_governors_and_the_headteacher_may_read_the_report(client, request, persona):
    user = request.getfixturevalue(persona)
    assert _get(client, user).status_code == 200
    assert _get(client, user, DOWNLOAD).status_code == 200
    assert _csv(client, user, "requests-by-kind", {}).status_code == 200


@pytest.mark.parametrize("persona", ["teacher", "dsl", "deputy", "admin", "line_manager"])
def test_nobody_else_may(client, request, persona):
    user = request.getfixturevalue(persona)
    assert _get(client, user).status_code == 403
    assert _get(client, user, DOWNLOAD).status_code == 403
    for slug in TABLE_SLUGS:
        assert _csv(client, user, slug, {}).status_code == 403


def test_signing_in_comes_first(client, school):
    response = client.get(reverse(PAGE))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


# --- The page ---------------------------------------------------------------------------------


def test_the_page_shows_the_period_the_checks_the_counts_and_three_charts(client, built, governor):
    response = _get(client, governor, query=RANGE_QUERY)
    assert response.status_code == 200
    page = text(response)
    assert f"Governors' report: {PERIOD.label}" in page
    assert f"compared with {BEFORE.label}" in page
    assert "Things that should never happen" in page
    open_concerns = BoundaryConcern.objects.filter(closed_at__isnull=True).order_by("pk")
    waiting = LadoReferral.objects.get(referral_type="referral", outcome="")
    past_review = ContactRequest.objects.plans_past_review().order_by("pk")
    assert _table(response, "Checks") == [
        ["Requests decided by the person who asked", "0", "None: checked", "—"],
        ["Rejections with no reason given", "0", "None: checked", "—"],
        [
            "Contact the policies do not allow that was nonetheless approved",
            "0",
            "None: checked",
            "—",
        ],
        ["Contact arranged without approval, recorded afterwards", "0", "None: checked", "—"],
        ["Child-protection disclosures not acknowledged in time", "0", "None: checked", "—"],
        [
            "Boundary concerns open longer than 30 days (the school's limit)",
            "2",
            "Found: act on this",
            ", ".join(c.reference for c in open_concerns),
        ],
        [
            "LADO referrals with no outcome recorded after 90 days",
            "1",
            "Found: act on this",
            waiting.reference,
        ],
        [
            "Plans of involvement past their review date",
            "2",
            "Found: act on this",
            ", ".join(r.reference for r in past_review),
        ],
        [
            "Declared relationships with pupils past their yearly review",
            "0",
            "None: checked",
            "—",
        ],
        [
            "Child-protection disclosures recorded more than a day after they were made",
            "0",
            "None: checked",
            "—",
        ],
        ["Breaks in the audit trail during the period", "0", "None: checked", "—"],
    ]
    report = response.context["report"]
    for name, rows in EXPECTED.items():
        counted = getattr(report, name)
        shown = _table(response, counted.title)
        total = [["Total", str(counted.total), str(counted.total_before)]]
        assert shown == _as_cells(rows) + (total if counted.totalled else []), name
    assert _table(response, "Requests by kind of contact")[-1] == ["Total", "11", "6"]
    assert "median 4.0 hours, longest 20.0 hours (7 decisions)" in page
    assert "median 3.0 hours, longest 5.0 hours" in page
    overdue = ", ".join(built.ref(name) for name in OVERDUE)
    assert f"Approved contact with no outcome a day after it began 2: {overdue}" in page
    reviewed = re.escape(built.ref(PLANS_PAST_REVIEW[0]))
    assert re.search(rf"past their review date: 1 \(\s*{reviewed}\s*\)", page)
    assert "2 policies are past the review date" in page
    charts = SVG.findall(response.content.decode())
    assert len(charts) == 3
    assert all('role="img"' in chart for chart in charts)
    assert not any(NO_DATA in chart for chart in charts)


def test_with_no_data_the_page_still_renders_and_the_charts_say_so(client, governor):
    response = _get(client, governor)
    assert response.status_code == 200
    charts = SVG.findall(response.content.decode())
    assert len(charts) == 3
    assert all(NO_DATA in chart and 'role="img"' in chart for chart in charts)
    page = text(response)
    assert f"Governors' report: {term(timezone.localdate()).label}" in page
    assert "None in either period." in page
    assert "No decisions in the period." in page
    assert _table(response, "Checks")[0][1:3] == ["0", "None: checked"]


def test_the_headteacher_sees_who_has_not_read_a_policy_and_governors_do_not(
    client, built, head, governor, chair, line_manager
):
    name = f"{line_manager.first_name} {line_manager.last_name}"
    assert name in text(_get(client, head, query=RANGE_QUERY))
    for reader in (governor, chair):
        page = text(_get(client, reader, query=RANGE_QUERY))
        assert "Who has not read it" not in page
        assert name not in page


# --- The period form --------------------------------------------------------------------------


def _heading(response) -> str:
    return re.search(r"<h1[^>]*>(.*?)</h1>", response.content.decode(), re.S).group(1).strip()


def test_the_period_is_this_term_unless_chosen(client, governor):
    today = timezone.localdate()
    assert _heading(_get(client, governor)) == f"Governors' report: {term(today).label}"
    response = _get(client, governor, query={"period": "term"})
    assert response.context["report"].period == term(today)
    assert response.context["report"].before == previous(term(today))


def test_this_school_year(client, governor):
    response = _get(client, governor, query={"period": "year"})
    year = school_year(timezone.localdate())
    assert response.context["report"].period == year
    assert _heading(response) == f"Governors' report: {year.label}"


def test_last_school_year(client, governor):
    response = _get(client, governor, query={"period": "last_year"})
    last = previous(school_year(timezone.localdate()))
    assert response.context["report"].period == last
    assert _heading(response) == f"Governors' report: {last.label}"


def test_dates_of_your_choice(client, governor):
    response = _get(client, governor, query=RANGE_QUERY)
    assert response.context["report"].period == PERIOD
    assert response.context["report"].before == BEFORE
    assert _heading(response) == "Governors' report: 01 Mar 2023 to 31 Mar 2023"
    assert 'value="2023-03-01"' in response.content.decode()


def _field(response, name: str) -> str:
    """The form column holding one field's input and its error (if any)."""
    page = response.content.decode()
    tag = re.search(rf'<input [^>]*id="id_{name}"[^>]*>', page)
    return tag.group(0) + page[tag.end() :].split('class="col-sm-3"')[0]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        (
            {"period": "range", "start": "2023-03-31", "end": "2023-03-01"},
            "end",
            "cannot be before",
        ),
        ({"period": "range", "end": "2023-03-31"}, "start", "Give the first day."),
        ({"period": "range", "start": "2023-03-01"}, "end", "Give the last day."),
        ({"period": "range", "start": "2020-01-01", "end": "2023-06-01"}, "end", "at most three"),
    ],
)
def test_a_bad_range_shows_the_error_by_the_field_and_this_term(
    client, governor, query, field, message
):
    response = _get(client, governor, query=query)
    assert response.status_code == 200
    column = _field(response, field)
    assert "is-invalid" in column
    assert message in text(column)
    other = "start" if field == "end" else "end"
    assert "is-invalid" not in _field(response, other)
    assert response.context["report"].period == term(timezone.localdate())
    assert "The dates were not valid, so this term is shown." in text(response)


@pytest.mark.parametrize(
    "query",
    [
        {"period": "fortnight"},
        {"period": "range", "start": "yesterday", "end": "2023-13-45"},
        {"period": "range", "start": "2023-03-01", "end": "<script>"},
        {"period": "year", "start": "nonsense"},
        {"period": ["term", "year"], "start": "2023-02-30"},
        {"period": "range", "start": "2023-03-01", "end": "2023-03-31" * 50},
    ],
)
def test_garbage_never_gives_a_server_error(client, governor, query):
    client.raise_request_exception = False
    response = _get(client, governor, query=query)
    assert response.status_code == 200
    assert response.context["report"].period in (
        term(timezone.localdate()),
        school_year(timezone.localdate()),
    )
    assert 'value="<script>"' not in response.content.decode()  # echoed back escaped


@pytest.mark.parametrize(
    "query",
    [
        {"period": "range", "start": "0001-01-01", "end": "0001-01-02"},
        {"period": "range", "start": "9999-12-01", "end": "9999-12-31"},
    ],
)
def test_dates_at_the_ends_of_the_calendar_do_not_give_a_server_error(client, governor, query):
    client.raise_request_exception = False
    response = _get(client, governor, query=query)
    assert response.status_code == 200
    assert "Choose a date between 1990" in response.content.decode()


# --- No pupil's name, no record's text --------------------------------------------------------


def _everything(client, user) -> dict[str, str]:
    """The page (this term and March 2023), every CSV and the download, as text."""
    out = {
        "page": _get(client, user, query=RANGE_QUERY),
        "page this term": _get(client, user),
        "download": _get(client, user, DOWNLOAD, RANGE_QUERY),
    }
    out |= {f"{slug}.csv": _csv(client, user, slug) for slug in TABLE_SLUGS}
    assert all(r.status_code == 200 for r in out.values())
    return {where: r.content.decode() for where, r in out.items()}


def _secrets(built) -> list[str]:
    words = [part for pair in PUPIL_NAMES.values() for part in pair]
    words += [p.full_name for p in built.pupils.values()]
    return [*words, SECRET, "heron", "boathouse"]


@pytest.mark.parametrize("persona", ["governor", "chair", "head"])
def test_no_pupils_name_or_record_text_reaches_the_report(client, request, built, persona):
    # One more record (in March 2023) and request (this term), both naming the secret.
    pupil = built.pupils["current"]
    make_record(built.cast.teacher, [pupil], occurred_at=at(3, 15), details=f"At {SECRET}.")
    make_request(built.cast.teacher, [pupil], reasons=f"Near {SECRET}.")
    user = request.getfixturevalue(persona)
    found = {
        (where, secret)
        for where, content in _everything(client, user).items()
        for secret in _secrets(built)
        if secret.lower() in content.lower()
    }
    assert found == set()


def test_the_headteachers_references_are_links_to_the_requests(client, built, head):
    page = _get(client, head, query=RANGE_QUERY).content.decode()
    for name in (*OVERDUE, *PLANS_PAST_REVIEW):
        req = built.requests[name]
        url = reverse("request_detail", args=[req.pk])
        assert f'<a href="{url}">{req.reference}</a>' in page


@pytest.mark.parametrize("persona", ["governor", "chair"])
def test_governors_see_references_as_plain_text(client, request, built, persona):
    user = request.getfixturevalue(persona)
    page = _get(client, user, query=RANGE_QUERY).content.decode()
    assert not REQUEST_LINK.search(page)
    for name in (*OVERDUE, *PLANS_PAST_REVIEW):
        assert built.ref(name) in page


def test_the_headteachers_download_links_to_nothing_inside_safeguard(client, built, head):
    download = _get(client, head, DOWNLOAD, RANGE_QUERY).content.decode()
    assert not REQUEST_LINK.search(download)
    assert built.ref(OVERDUE[0]) in download


def test_the_meeting_pack_names_no_member_of_staff_who_has_not_read_a_policy(
    client, built, head, line_manager
):
    download = text(_get(client, head, DOWNLOAD, RANGE_QUERY))
    assert "Who has not read it" not in download
    assert f"{line_manager.first_name} {line_manager.last_name}" not in download


# --- Exports ----------------------------------------------------------------------------------


def _rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_every_slug_is_exported():
    assert set(TABLE_SLUGS) == set(SLUG_TABLES) | {
        "should-not-happen",
        "policies",
        "policy-adoption",
    }


@pytest.mark.parametrize("slug", sorted(SLUG_TABLES))
def test_each_csv_reads_back_as_the_report_and_the_fixtures(client, built, governor, slug):
    response = _csv(client, governor, slug)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert re.fullmatch(r'attachment; filename="[a-z0-9-]+\.csv"', response["Content-Disposition"])
    assert slug in response["Content-Disposition"]
    report = governors_report(school=governor.school, period=PERIOD, for_head=False)
    counted = getattr(report, SLUG_TABLES[slug])
    header, *rows = _rows(response)
    assert header == ["", PERIOD.label, BEFORE.label]
    total = [["Total", str(counted.total), str(counted.total_before)]]
    assert rows == _as_cells(counted.rows) + (total if counted.totalled else [])
    assert rows[: len(EXPECTED[SLUG_TABLES[slug]])] == _as_cells(EXPECTED[SLUG_TABLES[slug]])


def test_the_checks_csv_names_what_was_found(client, built, governor):
    approved, completed = built.requests["overdue"], built.requests["completed"]
    ContactRequest.objects.filter(pk__in=[approved.pk, completed.pk]).update(verdict="prohibited")
    report = governors_report(school=governor.school, period=PERIOD, for_head=False)
    header, *rows = _rows(_csv(client, governor, "should-not-happen"))
    assert header == ["check", "count", "references"]
    assert rows == [[a.label, str(a.count), " ".join(a.references)] for a in report.anomalies]
    assert rows[2][1:] == ["2", f"{approved.reference} {completed.reference}"]
    assert [row[1] for row in rows] == ["0", "0", "2", "0", "0", "2", "1", "2", "0", "0", "0"]


def test_the_policies_csv(client, built, governor):
    report = governors_report(school=governor.school, period=PERIOD, for_head=False)
    header, *rows = _rows(_csv(client, governor, "policies"))
    assert header == ["policy", "version", "next review", "overdue", "staff read", "not yet read"]
    overdue = {v.pk for v in report.overdue_policies}
    assert rows == [
        [
            v.policy.title,
            str(v.number),
            v.next_review.isoformat(),
            str(v.pk in overdue),
            str(r),
            str(u),
        ]
        for v, r, u in report.acknowledgements
    ]
    assert [(row[0], row[1], row[3]) for row in rows] == [
        ("Code of conduct", "1", "False"),
        ("Professional boundaries", "2", "False"),
        ("Safeguarding", "1", "True"),
    ]
    assert [row[4] for row in rows] == ["3", "7", "0"]  # the governor is staff too


def test_a_policy_title_is_never_read_as_a_formula(client, head, governor):
    today = timezone.localdate()
    title = '=HYPERLINK("https://evil.example/","Read the policy")'
    policy = policy_create(
        actor=head,
        school=head.school,
        title=title,
        owner_role=Role.HEADTEACHER,
        summary="What the policy asks of staff.",
        last_reviewed=today - dt.timedelta(days=30),
        next_review=today + dt.timedelta(days=300),
        text="The text.",
    )
    adopt(policy.versions.get())
    for slug in ("policies", "policy-adoption"):
        header, row = _rows(_csv(client, governor, slug))
        assert title in row[0]
        assert row[0][:1] not in ("=", "+", "-", "@")


@pytest.fixture
def adopted_and_awaiting(head, chair, governor):
    """ "Lettings", adopted by the head and the chair, its version 2 signed by the head only; and
    "Visits", whose first version nobody has signed."""
    today = timezone.localdate()
    fields = {
        "actor": head,
        "school": head.school,
        "owner_role": Role.HEADTEACHER,
        "summary": "What the policy asks of staff.",
        "last_reviewed": today - dt.timedelta(days=30),
        "text": "The text.",
    }
    lettings = policy_create(title="Lettings", next_review=today + dt.timedelta(days=300), **fields)
    v1 = adopt(lettings.versions.get())
    v2 = policy_version_add(
        actor=head,
        policy=lettings,
        last_reviewed=today,
        next_review=today + dt.timedelta(days=700),
        text="Revised.",
        change_note="Reviewed.",
    )
    policy_version_sign(actor=head, version=v2)
    policy_create(title="Visits", next_review=today + dt.timedelta(days=100), **fields)
    return v1


def test_the_report_shows_each_policy_s_adoption_and_next_review(
    client, head, chair, governor, adopted_and_awaiting
):
    v1 = adopted_and_awaiting
    adopted = date_format(timezone.localtime(v1.adopted_at), "j M Y")
    review = date_format(v1.next_review, "j M Y")
    signed = f"Headteacher ({head.full_name}); Chair of governors ({chair.full_name})"
    expected = [
        [
            "Lettings",
            "version 1",
            adopted,
            signed,
            review,
            "version 2: headteacher signed; chair of governors not yet",
        ],
        [
            "Visits",
            "none yet",
            "—",
            "—",
            "—",
            "version 1: headteacher not yet; chair of governors not yet",
        ],
    ]
    for persona in (governor, head):
        response = _get(client, persona)
        assert _table(response, "Adoption and review of each policy") == expected
    download = _get(client, governor, DOWNLOAD)
    assert "Adoption and review of each policy" in text(download)


def test_a_version_adopted_before_signatures_were_recorded_says_so(client, governor, school):
    version = PolicyVersionFactory(policy=PolicyFactory(school=school, title="Archive"))
    rows = _table(_get(client, governor), "Adoption and review of each policy")
    assert rows[0][:4] == [
        "Archive",
        "version 1",
        date_format(timezone.localtime(version.adopted_at), "j M Y"),
        "adopted before Safeguard recorded signatures",
    ]


def test_the_policy_adoption_csv(client, head, chair, governor, adopted_and_awaiting):
    v1 = adopted_and_awaiting
    header, *rows = _rows(_csv(client, governor, "policy-adoption"))
    assert header == [
        "policy",
        "in force",
        "adopted on",
        "signed by",
        "next review",
        "overdue",
        "awaiting signatures",
    ]
    assert rows == [
        [
            "Lettings",
            "1",
            timezone.localtime(v1.adopted_at).date().isoformat(),
            f"Headteacher ({head.full_name}); Chair of governors ({chair.full_name})",
            v1.next_review.isoformat(),
            "False",
            "version 2: headteacher signed; chair of governors not yet",
        ],
        [
            "Visits",
            "",
            "",
            "",
            "",
            "",
            "version 1: headteacher not yet; chair of governors not yet",
        ],
    ]


@pytest.mark.parametrize("slug", ["nonsense", "requests", "should-not-happen-2"])
def test_an_unknown_table_is_not_found(client, governor, slug):
    assert _csv(client, governor, slug, {}).status_code == 404


def test_the_download_is_one_self_contained_html_file(client, built, governor):
    response = _get(client, governor, DOWNLOAD, RANGE_QUERY)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert re.fullmatch(r'attachment; filename="[a-z0-9-]+\.html"', response["Content-Disposition"])
    html = response.content.decode()
    assert html.lstrip().lower().startswith("<!doctype html>")
    assert "<style>" in html
    charts = SVG.findall(html)
    assert len(charts) == 3 and all('role="img"' in chart for chart in charts)
    assert not re.search(r"<link\b[^>]*stylesheet", html, re.I)
    assert not re.search(r"<script\b", html, re.I)
    assert not re.search(r'(?:src|href)="/', html)  # nothing fetched from the site
    assert PERIOD.label in html
    assert "Things that should never happen" in html and "None: checked" in html
    assert _table(response, "Requests by outcome")[-1] == ["Total", "11", "6"]


# --- Queries ----------------------------------------------------------------------------------


def _activity(cast: Cast, pupils, n: int) -> None:
    for _ in range(n):
        req = make_request(cast.teacher, [pupils["current"]], reasons="More of the same.")
        ContactRequest.objects.filter(pk=req.pk).update(submitted_at=at(3, 6))
        make_record(cast.teacher, [pupils["current"]], occurred_at=at(3, 7))


# About 30 today: room for the page's frame to grow a little, none for a query per row (the
# larger data set has 28 more requests and records than the smaller).
QUERY_BOUND = 40


@pytest.mark.parametrize("persona", ["governor", "head"])
def test_the_page_needs_no_more_queries_for_more_data(
    client, request, cast, governor, django_assert_max_num_queries, persona
):
    user = request.getfixturevalue(persona)
    pupils = make_pupils(cast.school)
    PolicyVersionFactory(policy=PolicyFactory(school=cast.school, title="Code of conduct"))
    _activity(cast, pupils, 2)
    sign_in(client, user)
    url = reverse(PAGE)
    counts = []
    for more in (0, 28):
        _activity(cast, pupils, more)
        with django_assert_max_num_queries(QUERY_BOUND) as queries:
            response = client.get(url, RANGE_QUERY)
        assert response.status_code == 200
        counts.append(len(queries))
    assert response.context["report"].requests_by_kind.total == 30
    assert counts[0] == counts[1]


def test_the_headteachers_page_says_matters_about_the_head_are_left_out(client, head, governor):
    said = "Concerns and LADO matters about the headteacher are left out of the headteacher's view"
    sign_in(client, head)
    assert said in text(client.get(reverse(PAGE)))
    sign_in(client, governor)
    assert said not in text(client.get(reverse(PAGE)))


def test_the_headteachers_report_tells_no_count_that_a_concern_about_them_would_change(
    client, head, teacher, chair
):
    """Red-team review, second round: the report said how many of the school's events it had
    checked, and a concern raised about the head (which the head may not see) added to it."""
    sign_in(client, head)
    before = text(client.get(reverse(PAGE)))
    make_concern(teacher, head)
    after = text(client.get(reverse(PAGE)))
    assert "The school's audit events of the period were checked" in after
    assert re.sub(r"\d", "", before) == re.sub(r"\d", "", after)
    assert not re.search(r"\d+ audit events?", after)


def test_a_break_in_the_trail_is_shown_to_the_head_without_a_link(client, built, head):
    """Red-team review, second round: the head's report turned every reference into a link to a
    request, and a break (which names an audit event) made it a server error."""
    target = AuditEvent.objects.filter(school=head.school).order_by("id").last()
    allow_audit_tampering()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE safeguard_auditevent SET reason = 'x' WHERE id = %s", [target.pk])
    response = _get(client, head)
    assert response.status_code == 200
    assert f"audit event {target.pk}" in text(response)
    assert f">audit event {target.pk}</a>" not in response.content.decode()


def test_the_report_and_the_meeting_pack_print_the_latest_checkpoint(
    client, built, governor, school, settings
):
    assert "The audit trail has no signed checkpoint yet." in text(
        _get(client, governor, PAGE, RANGE_QUERY)
    )
    key = Ed25519PrivateKey.generate()
    settings.AUDIT_VERIFY_KEYS = [public_text(key.public_key())]
    row = audit_checkpoint_sign(actor=None, school=school, key=key)
    fingerprint = as_checkpoint(row).fingerprint
    for address in (PAGE, DOWNLOAD):
        page = text(_get(client, governor, address, RANGE_QUERY))
        assert f"Latest signed checkpoint of the audit trail: {fingerprint}" in page


# --- the summary first, last term, and colours that match the app -------------------------------


def test_the_report_opens_with_a_plain_summary_before_the_checks(client, built, governor):
    page = text(_get(client, governor, query=RANGE_QUERY))
    brief = page[page.index("In brief") : page.index("Things that should never happen")]
    report = governors_report(school=governor.school, period=PERIOD, for_head=False)
    asked = report.requests_by_verdict
    assert f"{asked.total} requests to approve planned contact ({asked.total_before} in" in brief
    # What needs attention: the checks that found something, in words.
    assert "Boundary concerns open longer than 30 days (the school's limit): 2." in brief
    assert "hash chain" not in brief
    # The technical check of the trail comes last.
    assert page.index("hash chain") > page.index("Policy documents")


def test_with_nothing_wrong_the_summary_says_nothing_needs_attention(client, governor):
    page = text(_get(client, governor))
    assert "What needs the governors' attention Nothing: every check below reads zero" in page


def test_last_term_is_a_choice(client, governor):
    from safeguard.reports.forms import PeriodForm

    form = PeriodForm({"period": "last_term"})
    assert form.period_for(dt.date(2026, 12, 4)) == term(dt.date(2026, 8, 31))
    assert form.period_for(dt.date(2027, 2, 1)) == term(dt.date(2026, 12, 1))
    page = text(_get(client, governor, query={"period": "last_term"}))
    assert "Last term" in page
    last = term(term(timezone.localdate()).start - dt.timedelta(days=1))
    assert f"Governors' report: {last.label}" in page


def test_not_allowed_is_red_in_the_chart_as_everywhere_else(client, built, governor):
    from safeguard.reports.views import VERDICT_COLOURS

    chart = SVG.findall(_get(client, governor, query=RANGE_QUERY).content.decode())[0]
    assert VERDICT_COLOURS["prohibited"] == "#b02a37"  # the app's darkened danger red
    legend = chart[chart.index('class="legend"') :]
    swatch = legend[: legend.index("Not allowed")]
    assert "#b02a37" in swatch[swatch.rindex("<rect") :]


# --- the PDF for the meeting pack ------------------------------------------------------------


def _pdf_text(response) -> tuple[int, str]:
    import io as _io

    from pypdf import PdfReader

    reader = PdfReader(_io.BytesIO(response.content))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def test_the_pdf_has_the_school_the_period_page_numbers_and_the_date_on_every_page(
    client, built, governor
):
    response = _get(client, governor, "governors_report_pdf", RANGE_QUERY)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].endswith('.pdf"')
    assert response.content.startswith(b"%PDF-")
    pages, words = _pdf_text(response)
    assert pages > 1
    assert words.count(governor.school.name) >= pages
    assert words.count(f"Governors' report: {PERIOD.label}") >= pages
    assert f"Page 1 of {pages}" in words and f"Page {pages} of {pages}" in words
    assert "Produced " in words and "by Safeguard" in words
    assert "In brief" in words and "Things that should never happen" in words
    for name in (part for pair in PUPIL_NAMES.values() for part in pair):
        assert name not in words


def test_taking_the_pdf_is_audited_as_an_export(client, built, governor):
    before = AuditEvent.objects.count()
    _get(client, governor, "governors_report_pdf", RANGE_QUERY)
    event = AuditEvent.objects.order_by("-pk").first()
    assert AuditEvent.objects.count() == before + 1
    assert "the whole report as a PDF" in event.reason


@pytest.mark.parametrize("persona", ["teacher", "dsl", "line_manager"])
def test_the_pdf_is_for_the_report_readers_only(client, request, persona):
    response = _get(client, request.getfixturevalue(persona), "governors_report_pdf")
    assert response.status_code == 403


def test_without_the_pdf_library_the_report_says_so_and_offers_the_web_page(
    client, governor, monkeypatch
):
    import builtins

    real_import = builtins.__import__

    def no_weasyprint(name, *args, **kwargs):
        if name == "weasyprint":
            raise OSError("cannot load library 'libpango-1.0-0'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_weasyprint)
    response = _get(client, governor, "governors_report_pdf")
    assert response.status_code == 302
    page = text(client.get(response.url))
    assert "The PDF cannot be made on this server" in page
    assert "Governors' report:" in page


# --- small counts, as the school chooses ---------------------------------------------------------


def _hiding(school):
    school.report_small_counts = True
    school.save(update_fields=["report_small_counts"])


def test_by_default_every_count_is_shown(client, built, governor):
    page = text(_get(client, governor, query=RANGE_QUERY))
    assert "fewer than 5" not in page
    assert len(SVG.findall(_get(client, governor, query=RANGE_QUERY).content.decode())) == 3


def test_a_school_may_show_counts_of_one_to_four_as_fewer_than_five(client, built, governor):
    _hiding(governor.school)
    response = _get(client, governor, query=RANGE_QUERY)
    page = text(response)
    rows = _table(response, "Requests by what the policies said")
    # Not allowed: 1 now, 0 before; needs approval: 9 now, 6 before.
    assert ["Not allowed", "fewer than 5", "0"] in rows
    assert ["Needs approval first", "9", "6"] in rows
    assert rows[-1] == ["Total", "left out: it would give a hidden count away"]
    assert "fewer than 5 disclosures" in page or "fewer than 5 disclosure" in page
    # The charts would show every count exactly: left out, and the page says why.
    assert SVG.findall(response.content.decode()) == []
    assert "the charts are left out for the same reason" in page


def test_the_csv_hides_the_same_counts(client, built, governor):
    _hiding(governor.school)
    response = _csv(client, governor, "requests-by-verdict")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert ["Not allowed", "fewer than 5", "0"] in rows
    assert all(row[0] != "Total" for row in rows)


def test_the_school_settings_page_offers_the_choice(client, head):
    from django.urls import reverse as url_for

    sign_in(client, head)
    page = text(client.get(url_for("school_settings")))
    assert 'show counts of 1 to 4 as "fewer than 5"' in page


def test_the_pdfs_header_keeps_a_school_name_with_an_apostrophe_and_an_ampersand(client, governor):
    school = governor.school
    school.name = 'St Mary\'s & All Saints </style> \\ "High"'
    school.save(update_fields=["name"])
    _, words = _pdf_text(_get(client, governor, "governors_report_pdf"))
    assert 'St Mary\'s & All Saints </style> \\ "High"' in words


@pytest.mark.parametrize("period", ["fortnight", "<script>", "term\x00"])
def test_a_period_not_offered_is_marked_beside_the_choice(client, governor, period):
    response = _get(client, governor, query={"period": period})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="form-select is-invalid"' in page
    assert "Choose one of the periods offered." in text(response)
    assert "That period is not one offered, so this term is shown." in text(response)
    assert response.context["report"].period == term(timezone.localdate())
