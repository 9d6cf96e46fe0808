"""Printing a pupil's or a member of staff's file: its chronology in date order, with the kinds
and dates chosen, only what the reader may see, and each printing a view event in the trail."""

from __future__ import annotations

import datetime as dt
import re

from django.urls import reverse

from safeguard.audit.models import AuditEvent
from tests.factories_records import make_disclosure, make_family_record, make_record, past
from tests.factories_requests import make_request
from tests.helpers import field_error, sign_in, text


def _refs(response) -> list[str]:
    return re.findall(r"(?:REQ|REC|DIS)-\d{6}", text(response).split("entr", 1)[1])


def test_a_pupils_file_prints_oldest_first_with_every_kind(client, head, teacher, pupil):
    newer = make_record(teacher, [pupil], occurred_at=past(2))
    older = make_record(teacher, [pupil], occurred_at=past(30))
    told = make_disclosure(teacher, pupil)
    asked = make_request(teacher, [pupil])  # next week
    sign_in(client, head)
    response = client.get(reverse("pupil_print", args=[pupil.pk]))
    assert response.status_code == 200
    page = text(response)
    assert f"Pupil file: {pupil.full_name}" in page
    assert f"printed from Safeguard by {head.full_name}" in page
    assert "4 entries." in page
    assert _refs(response) == [
        older.reference,
        newer.reference,
        told.reference,
        asked.reference,
    ]


def test_the_kinds_and_dates_chosen_narrow_it(client, head, teacher, pupil):
    make_record(teacher, [pupil], occurred_at=past(40))
    kept = make_record(teacher, [pupil], occurred_at=past(10))
    make_disclosure(teacher, pupil)
    sign_in(client, head)
    since = (dt.date.today() - dt.timedelta(days=20)).isoformat()
    response = client.get(
        reverse("pupil_print", args=[pupil.pk]), {"kinds": ["record"], "since": since}
    )
    assert _refs(response) == [kept.reference]
    assert "In date order, oldest first: records from" in text(response)


def test_each_printing_is_a_view_event_saying_what_was_printed(client, head, teacher, pupil):
    make_record(teacher, [pupil])
    sign_in(client, head)
    client.get(reverse("pupil_print", args=[pupil.pk]), {"kinds": ["record"]})
    event = AuditEvent.objects.filter(action="view").latest("pk")
    assert event.object_ref == f"PUPIL-{pupil.pk}"
    assert event.reason == "Print view of the file: records"


def test_a_restricted_entry_prints_as_existing_only_for_who_may_not_read_it(
    client, deputy, teacher, pupil
):
    hidden = make_family_record(teacher, [pupil], details="Met her mother at the pub quiz.")
    sign_in(client, deputy)
    page = text(client.get(reverse("pupil_print", args=[pupil.pk])))
    assert hidden.reference in page and "Restricted" in page
    assert "pub quiz" not in page


def test_a_staff_file_prints_their_requests_and_records(client, head, teacher, pupil):
    record = make_record(teacher, [pupil])
    sign_in(client, head)
    response = client.get(reverse("staff_print", args=[teacher.pk]))
    assert f"Staff file: {teacher.full_name}" in text(response)
    assert record.reference in text(response)
    assert "Disclosures" not in text(response)  # not a kind on a staff file


def test_dates_the_wrong_way_round_are_refused_beside_the_last_day(client, head, pupil):
    sign_in(client, head)
    response = client.get(
        reverse("pupil_print", args=[pupil.pk]), {"since": "2026-05-01", "until": "2026-04-01"}
    )
    assert response.status_code == 200
    assert field_error(response, "until") == "The last day cannot be before the first."
    assert not AuditEvent.objects.filter(action="view", reason__startswith="Print").exists()


def test_only_readers_of_the_file_may_print_it(client, teacher, pupil, outsider):
    sign_in(client, teacher)
    assert client.get(reverse("pupil_print", args=[pupil.pk])).status_code == 403
    sign_in(client, outsider)
    assert client.get(reverse("staff_print", args=[teacher.pk])).status_code == 404


# --- a request and a record, printed --------------------------------------------------------------


def test_a_request_prints_without_the_menu_or_any_button_and_is_audited(
    client, head, teacher, pupil
):
    item = make_request(teacher, [pupil])
    sign_in(client, head)
    response = client.get(reverse("request_print", args=[item.pk]))
    page = text(response)
    assert item.reference in page and item.reasons in page
    assert "What the policies say" in page
    assert 'aria-label="Main"' not in response.text  # no menu on paper
    assert "Record decision" not in page and "<form" not in response.text
    event = AuditEvent.objects.filter(action="view").latest("pk")
    assert (event.object_ref, event.reason) == (item.reference, "Print view")


def test_a_record_prints_with_its_addenda_and_no_form(client, head, teacher, pupil):
    record = make_record(teacher, [pupil])
    sign_in(client, head)
    response = client.get(reverse("record_print", args=[record.pk]))
    assert record.details in text(response)
    assert "<form" not in response.text
    assert AuditEvent.objects.filter(action="view", object_ref=record.reference).exists()


def test_a_restricted_record_prints_only_as_restricted_for_who_may_not_read_it(
    client, deputy, teacher, pupil
):
    hidden = make_family_record(teacher, [pupil], details="Met her mother at the pub quiz.")
    sign_in(client, deputy)
    response = client.get(reverse("record_print", args=[hidden.pk]))
    assert "pub quiz" not in text(response)
    assert not AuditEvent.objects.filter(action="view", reason="Print view").exists()


def test_the_detail_pages_link_to_their_print_views(client, head, teacher, pupil):
    item = make_request(teacher, [pupil])
    record = make_record(teacher, [pupil])
    sign_in(client, head)
    page = client.get(reverse("request_detail", args=[item.pk])).text
    assert reverse("request_print", args=[item.pk]) in page
    page = client.get(reverse("record_detail", args=[record.pk])).text
    assert reverse("record_print", args=[record.pk]) in page


def test_every_print_page_says_how_to_print_and_links_back(client, head, teacher, pupil):
    item = make_request(teacher, [pupil])
    sign_in(client, head)
    response = client.get(reverse("request_print", args=[item.pk]))
    assert "Print it with your browser (Ctrl+P" in text(response)
    assert f'href="{reverse("request_detail", args=[item.pk])}">Back to the page' in response.text
