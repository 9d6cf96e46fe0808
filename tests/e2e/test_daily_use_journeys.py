"""Daily use, as a school lives it: "Can I do this?" → "Ask for approval" → the head decides
from the compact queue; the head searches a pupil's records and prints her file; a governor
takes the report as a PDF; the dashboard and My requests on a phone."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from contacts.planned.models import ContactRequest, Status
from tests.e2e.browser import PHONE, SCREENSHOTS
from tests.e2e.scenes import current_pupil, fill_contact_questions, next_week
from tests.factories_records import make_record, past
from tests.factories_requests import make_request

pytestmark = pytest.mark.e2e

MEETING = {"kind": "A meeting in person", "purpose": "Work: part of your job"}
REASONS = "Maisie asked for help with her reading after school; her father has agreed."


def test_a_teacher_asks_from_can_i_do_this_and_the_head_decides_from_the_queue(
    people, head, teacher
):
    maisie = current_pupil(teacher.school)
    tom = people(teacher)
    tom.follow("Can I do this?")
    tom.find_pupil(maisie.full_name)
    fill_contact_questions(tom, **MEETING, on=next_week())
    tom.click("Check")
    tom.sees("What the policies say: Needs approval first")

    # Every answer is carried over: only the time, the place and the reasons are left to give.
    tom.follow("Ask for approval")
    tom.sees('Your answers to "Can I do this?" are filled in.')
    assert tom.page.get_by_label(f"{maisie.full_name} (").is_checked()
    assert tom.field("Kind of contact").input_value() == "meeting"
    assert tom.field("Date of the contact").input_value() == next_week().isoformat()
    tom.field("Time").fill("15:30")
    tom.field("Place").fill("The school library")
    tom.field("Reasons").fill(REASONS)
    tom.click("Send for a decision")
    asked = ContactRequest.objects.get(requester=teacher)
    tom.sees(f"{asked.reference} was sent for a decision.")

    # The head reads who, which pupil, what, when, where and why on one line, then decides.
    helen = people(head)
    helen.follow("Decisions")
    row = helen.page.locator("main tbody tr").first
    for words in (asked.reference, teacher.full_name, maisie.full_name, "The school library"):
        assert words in row.inner_text()
    assert REASONS in row.inner_text()
    helen.follow(asked.reference, exact=True)
    helen.page.get_by_role("radio", name="Approve").check()
    helen.click("Record decision")
    helen.sees(f"{asked.reference} was approved.", "Needed approval first")
    asked.refresh_from_db()
    assert asked.status == Status.APPROVED


def test_the_head_searches_a_pupils_records(people, head, teacher):
    maisie = current_pupil(teacher.school)
    ollie = current_pupil(teacher.school, "Oliver", "Stone")
    hers = make_record(teacher, [maisie], occurred_at=past(3))
    his = make_record(teacher, [ollie], occurred_at=past(2))
    helen = people(head)
    helen.follow("Records")
    helen.sees(hers.reference, his.reference)
    helen.field("Pupil's name").fill("Clarke")
    helen.click("Search")
    helen.sees("1 record found.", hers.reference)
    helen.does_not_see(his.reference)
    helen.screenshot("records-search")

    # Her file, printed: its chronology oldest first, the choices left off the paper.
    helen.open(f"/pupils/{maisie.pk}/")
    helen.follow("Print the file")
    helen.sees(f"Pupil file: {maisie.full_name}", "1 entry.", hers.reference)
    helen.page.emulate_media(media="print")
    assert not helen.page.get_by_role("button", name="Show").is_visible()
    helen.page.emulate_media(media="screen")
    helen.screenshot("pupil-file-print")


def test_a_governor_takes_the_report_as_a_pdf_for_the_meeting_pack(
    people, governor, head, teacher, tmp_path
):
    make_request(teacher, [current_pupil(teacher.school)])
    amina = people(governor)
    amina.sees("In brief", "What needs the governors' attention")
    with amina.page.expect_download() as downloading:
        amina.page.get_by_role("link", name="Download the PDF for the meeting pack").click()
    download = downloading.value
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert saved.suffix == ".pdf" and saved.read_bytes().startswith(b"%PDF-")
    # Its first page as a picture, as the governing body will see it printed.
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "pdftoppm (poppler-utils) is installed by make e2e"
    first = SCREENSHOTS / "governors-report-pdf-page-1"
    subprocess.run(
        [pdftoppm, "-png", "-r", "100", "-f", "1", "-l", "1", "-singlefile", saved, first],
        check=True,
    )
    picture = Path(f"{first}.png")
    assert picture.stat().st_size > 10_000


def test_the_dashboard_and_my_requests_on_a_phone(people, head, teacher):
    make_request(teacher, [current_pupil(teacher.school)])
    helen = people(head)
    page = helen.page
    page.set_viewport_size(PHONE)
    try:
        helen.open("/dashboard/")
        # The header and the folded menu leave the page's content near the top of the screen.
        top = page.locator("main h1").first.bounding_box()
        assert top and top["y"] < 200, top
        menu = page.get_by_role("navigation", name="Main").locator("summary")
        assert page.get_by_role("link", name="Records").count() == 0  # folded away
        menu.click()  # a <details> element: it opens without any script
        helen.follow("My requests")
        helen.sees("My requests")
        tom = people(teacher)
        tom.page.set_viewport_size(PHONE)
        tom.open("/requests/")
        # Every status badge fits on the screen: wrapped, never cut off.
        for badge in tom.page.locator("main .badge").all():
            box = badge.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
        tom.page.screenshot(path=SCREENSHOTS / "my-requests-phone.png", full_page=True)
        page.goto("/dashboard/")
        page.screenshot(path=SCREENSHOTS / "dashboard-phone.png", full_page=True)
    finally:
        page.set_viewport_size({"width": 1280, "height": 800})


def test_help_and_the_glossary_from_every_pages_footer(people, teacher):
    tom = people(teacher)
    tom.follow("Help: who does what")
    tom.sees("Help: who does what in Safeguard", "Every member of staff You")
    tom.follow("Glossary")
    tom.sees("LADO (local authority designated officer)", "Plan of involvement")
    # Open without signing in: the sign-in page links to them too.
    visitor = people(teacher, sign_in=False)
    visitor.open("/login/")
    visitor.follow("Glossary")
    visitor.sees("Glossary", "Boundary concern")
