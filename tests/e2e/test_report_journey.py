"""Journey 6 of issue 8: a governor reads this term's report, with the requests, the disclosure
and the concern of the other journeys in its counts, and downloads a table as CSV."""

import csv
import datetime as dt
import io
from pathlib import Path

from django.utils import timezone

from contacts.planned import services
from contacts.planned.models import ContactRequest
from safeguard.reports.selectors import previous, term
from tests.e2e.scenes import (
    LIFT_PLACE,
    LIFT_REASONS,
    PLAN_OUTCOMES,
    PLAN_SUPPORT,
    PLAN_TIMESCALES,
    current_pupil,
    former_pupil,
    next_week,
)
from tests.factories_records import make_concern, make_disclosure
from tests.factories_requests import future, make_request


def _decide(actor, request, decision="approve", reason=""):
    return services.request_decide(
        actor=actor,
        contact_request=request,
        decision=decision,
        reason=reason,
        expected_version=None,
    )


def _this_terms_work(head, chair, teacher, colleague, lucy):
    """What journeys 1 to 5 leave behind, made through the same services the pages call."""
    school = teacher.school
    jordan, maisie = former_pupil(school), current_pupil(school)
    lift = make_request(
        teacher,
        [jordan],
        kind="transport",
        purpose="personal",
        place=LIFT_PLACE,
        reasons=LIFT_REASONS,
        plan_outcomes=PLAN_OUTCOMES,
        plan_timescales=PLAN_TIMESCALES,
        plan_support=PLAN_SUPPORT,
        plan_review_date=next_week() + dt.timedelta(days=14),
    )
    _decide(head, lift)
    # Its plan ends at its review once the lift is given.
    services.plan_session_log(
        actor=teacher,
        contact_request=lift,
        held_on=timezone.localdate(),
        what_happened="Home safely.",
    )
    services.plan_review_record(
        actor=head,
        contact_request=lift,
        expected_version=None,
        reviewed_on=timezone.localdate(),
        decision="end",
        note="Jordan got home safely: nothing more is planned.",
    )
    _decide(chair, make_request(head, [maisie]))
    _decide(head, make_request(colleague, [maisie]), "reject", reason="Meet at school instead.")
    make_request(colleague, [maisie], kind="photography", starts_at=future(3))
    make_disclosure(lucy, maisie)
    make_concern(teacher, teacher)

    # Last term: two meetings, both approved, for the comparison column and the monthly chart.
    last_term = previous(term(timezone.localdate()))
    for days in (20, 45):
        earlier = make_request(teacher, [maisie])
        _decide(head, earlier)
        when = timezone.make_aware(
            dt.datetime.combine(last_term.end - dt.timedelta(days=days), dt.time(9))
        )
        ContactRequest.objects.filter(pk=earlier.pk).update(
            submitted_at=when, decided_at=when + dt.timedelta(hours=3)
        )
    return last_term


def _table(person, caption: str) -> dict[str, list[str]]:
    """A report table as {row label: [this period, previous period]}."""
    page = person.page
    table = page.locator("table", has=page.locator("caption", has_text=caption))
    rows = {}
    for row in table.locator("tbody tr").all():
        rows[row.locator("th").inner_text().strip()] = [
            cell.strip() for cell in row.locator("td").all_inner_texts()
        ]
    return rows


def test_governor_reads_this_terms_report_and_downloads_a_csv(
    people, head, chair, teacher, colleague, governor, support_assistant
):
    last_term = _this_terms_work(head, chair, teacher, colleague, support_assistant)
    this_term = term(timezone.localdate())

    amina = people(governor)
    amina.sees(f"Governors' report: {this_term.label}", f"compared with {last_term.label}")
    amina.sees("Governors see counts and request numbers only, never pupils' names")

    assert _table(amina, "Requests by kind of contact") == {
        "A meeting in person": ["2", "2"],
        "A lift in your vehicle": ["1", "0"],
        "Taking photos or video": ["1", "0"],
    }
    assert _table(amina, "Requests by outcome") == {
        "Waiting for a decision": ["1", "0"],
        "Approved": ["1", "2"],
        "Rejected": ["1", "0"],
        "Completed": ["1", "0"],
    }
    assert _table(amina, "Decided by the chair of governors")["The headteacher's own requests"] == [
        "1",
        "0",
    ]
    assert _table(amina, "Contact with former pupils")["With a plan of involvement"] == ["1", "0"]
    assert _table(amina, "Disclosures")["Child protection disclosure"] == ["1", "0"]
    assert _table(amina, "Boundary concerns")["Opened"] == ["1", "0"]
    assert set(_table(amina, "Checks")) and all(
        found == "0" for found, *_ in _table(amina, "Checks").values()
    )

    charts = amina.page.locator("main svg[role=img]")
    assert charts.count() == 3
    amina.sees("Requests per month, by what the policies said", "Requests by outcome")
    amina.does_not_see("Jordan", "Maisie", LIFT_REASONS)
    amina.screenshot("governors-report")

    caption = amina.page.locator("caption", has_text="Requests by kind of contact")
    with amina.page.expect_download() as download:
        caption.get_by_role("link", name="CSV").click()
    saved = download.value
    assert saved.suggested_filename.endswith(".csv")
    rows = list(csv.reader(io.StringIO(Path(saved.path()).read_text(encoding="utf-8"))))
    assert rows[0] == ["", this_term.label, last_term.label]
    assert ["A lift in your vehicle", "1", "0"] in rows
    assert rows[-1] == ["Total", "4", "2"]
