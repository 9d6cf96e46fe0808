"""The pupil picker (contacts/pupil_picker.py): pupils are found by name, never listed in full.

Exercised through the new-request form, the form people use most; the other forms with a picker
(records, disclosures, "Can I do this?", staff relatives, legal holds) are covered where noted.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from contacts.people.pupil_picker import FIND_BUTTON, FIND_INPUT, MOST_SHOWN, pupil_choice_label
from contacts.planned.models import ContactRequest
from contacts.privacy.models import LegalHold
from safeguard.audit.models import AuditEvent
from tests.factories import PupilFactory
from tests.factories_requests import make_request
from tests.helpers import field_error, find_pupils, options, sign_in, text

NEW = "/requests/new/"


@pytest.fixture
def signed_in(client, teacher):
    sign_in(client, teacher)
    return client


def _pupil(school, first: str, last: str, *, left_days_ago: int | None = None, year: int = 8):
    today = timezone.localdate()
    leaving = today - dt.timedelta(days=left_days_ago) if left_days_ago else None
    admitted = (leaving or today) - dt.timedelta(days=5 * 365)
    return PupilFactory(
        school=school,
        first_name=first,
        last_name=last,
        date_of_birth=admitted - dt.timedelta(days=11 * 365),
        admission_date=admitted,
        leaving_date=leaving,
        year_group=year,
    )


def _answers(**extra) -> dict:
    data = {
        "with_whom": "pupil",
        "kind": "meeting",
        "purpose": "work",
        "contact_date": (timezone.localdate() + dt.timedelta(days=7)).isoformat(),
        "contact_time": "15:00",
        "place": "Community centre",
        "exemption": "",
        "reasons": "Mentoring session agreed with the parents.",
        "action": "submit",
    }
    return data | extra


def test_the_url_is_the_new_request_form():
    assert reverse("request_new") == NEW


def test_the_form_lists_no_pupil_until_one_is_found(signed_in, pupil):
    response = signed_in.get(NEW)
    page = text(response)
    assert options(response, "pupils") == {}
    assert "Find a pupil by name" in page
    assert "No pupil chosen yet." in page
    assert "Type part of a first or last name, then press Find." in page
    assert pupil.full_name not in page


def test_find_shows_the_matches_by_first_or_last_name_and_each_word(signed_in, school, pupil):
    ava_other = _pupil(school, "Ava", "Brook")
    _pupil(school, "Ben", "Cavanagh")
    by_first = options(find_pupils(signed_in, NEW, "ava"), "pupils")
    assert set(by_first) == {
        pupil_choice_label(pupil),
        pupil_choice_label(ava_other),
        "Ben Cavanagh (Year 8)",
    }
    assert not any(by_first.values())
    both_words = options(find_pupils(signed_in, NEW, "  ava   BRO "), "pupils")
    assert both_words == {"Ava Brook (Year 8)": False}


def test_pupils_on_roll_come_first_then_the_most_recent_leavers(signed_in, school):
    _pupil(school, "Sam", "Long-gone", left_days_ago=3000, year=13)
    _pupil(school, "Sam", "Recent", left_days_ago=30, year=11)
    _pupil(school, "Sam", "Zed", year=7)
    _pupil(school, "Sam", "Able", year=10)
    left = timezone.localdate() - dt.timedelta(days=30)
    long_ago = timezone.localdate() - dt.timedelta(days=3000)
    assert list(options(find_pupils(signed_in, NEW, "Sam"), "pupils")) == [
        "Sam Able (Year 10)",
        "Sam Zed (Year 7)",
        f"Sam Recent (former pupil, left {left:%Y})",
        f"Sam Long-gone (former pupil, left {long_ago:%Y})",
    ]


def test_find_says_how_many_match(signed_in, school, pupil):
    assert "1 pupil matches “Ava”." in text(find_pupils(signed_in, NEW, "Ava"))
    _pupil(school, "Ava", "Second")
    assert "2 pupils match “Ava”." in text(find_pupils(signed_in, NEW, "Ava"))


def test_find_asks_for_two_letters(signed_in, pupil):
    response = find_pupils(signed_in, NEW, "A")
    assert "Type at least two letters of the pupil's name." in text(response)
    assert options(response, "pupils") == {}


def test_too_many_matches_show_the_first_ones_and_ask_for_more_of_the_name(signed_in, school):
    for n in range(MOST_SHOWN + 5):
        _pupil(school, "Kim", f"Family{n:02d}")
    response = find_pupils(signed_in, NEW, "Kim")
    assert len(options(response, "pupils")) == MOST_SHOWN
    assert f"More than {MOST_SHOWN} pupils match “Kim”" in text(response)
    assert "Type more of the name" in text(response)


def test_find_keeps_every_answer_and_checks_nothing_saves_nothing(signed_in, pupil):
    events = AuditEvent.objects.count()
    response = find_pupils(signed_in, NEW, "Ava", **_answers(place="The library", reasons=""))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="The library"' in html
    assert f'name="{FIND_INPUT}" id="id_{FIND_INPUT}" value="Ava"' in html
    # An empty reason is not flagged: Find is not sending the form.
    assert field_error(response, "reasons") == ""
    assert "Nothing has been sent yet" not in text(response)
    assert not ContactRequest.objects.exists()
    assert AuditEvent.objects.count() == events


def test_ticked_pupils_stay_ticked_while_more_are_found(signed_in, school, pupil):
    ben = _pupil(school, "Ben", "Second")
    response = find_pupils(signed_in, NEW, "Ben", pupils=[pupil.pk])
    assert options(response, "pupils") == {
        pupil_choice_label(pupil): True,
        pupil_choice_label(ben): False,
    }
    # A found pupil already ticked is listed once.
    response = find_pupils(signed_in, NEW, "Ava", pupils=[pupil.pk])
    assert options(response, "pupils") == {pupil_choice_label(pupil): True}
    assert "Every pupil whose name matches “Ava” is ticked already." in text(response)


def test_sending_with_the_ticked_pupils_files_the_request(signed_in, school, pupil):
    ben = _pupil(school, "Ben", "Second")
    response = signed_in.post(NEW, _answers(pupils=[pupil.pk, ben.pk], **{FIND_INPUT: "Ben"}))
    item = ContactRequest.objects.get()
    assert response.status_code == 302
    assert set(item.pupils.all()) == {pupil, ben}


def test_no_pupil_ticked_says_what_to_do(signed_in, pupil):
    response = signed_in.post(NEW, _answers())
    assert field_error(response, "pupils") == "Find the pupil by name, then tick them."
    assert not ContactRequest.objects.exists()


def test_another_schools_pupil_is_never_shown_even_when_posted(signed_in, pupil, other_pupil):
    response = find_pupils(signed_in, NEW, "Zed", pupils=[other_pupil.pk, pupil.pk])
    assert options(response, "pupils") == {pupil_choice_label(pupil): True}
    assert other_pupil.last_name not in response.content.decode()
    response = signed_in.post(NEW, _answers(pupils=[other_pupil.pk]))
    assert "Select a valid choice" in field_error(response, "pupils")
    assert other_pupil.last_name not in response.content.decode()


@pytest.mark.parametrize("url", ["/check/", NEW, "/disclosures/new/"])
@pytest.mark.parametrize("persona", ["governor", "chair"])
def test_governors_are_shown_no_pupils_names_by_find(client, request, school, persona, url):
    """Finding 5: a governor's two-letter search listed pupils' names, year groups and leaving
    years on "Can I do this?", the new request form and the disclosure form."""
    pupils = [_pupil(school, "Ava", "Current"), _pupil(school, "Cara", "Curran", left_days_ago=90)]
    sign_in(client, request.getfixturevalue(persona))
    response = find_pupils(client, url, "Cu")
    assert response.status_code == 200
    page = response.content.decode()
    assert not [p for p in pupils if p.last_name in page]
    assert "Pupils' names are not shown to your role" in text(response)


def test_a_pupil_posted_by_hand_by_a_governor_is_refused_and_not_named(client, governor, pupil):
    sign_in(client, governor)
    response = client.post(NEW, _answers(pupils=[pupil.pk]))
    assert "Select a valid choice" in field_error(response, "pupils")
    assert pupil.last_name not in response.content.decode()
    assert not ContactRequest.objects.exists()


def test_a_head_who_is_also_a_governor_still_finds_pupils(client, head, pupil):
    head.role_assignments.create(role="governor")
    sign_in(client, head)
    assert pupil_choice_label(pupil) in options(find_pupils(client, NEW, "Cu"), "pupils")


@pytest.mark.parametrize(
    "posted",
    [["0"], ["-3"], ["99999999999999999999999"], ["²"], ["٣"], ["1e3"], [""], ["x", "1.5"]],
)
def test_impossible_ids_are_refused_without_a_server_error(signed_in, pupil, posted):
    found = find_pupils(signed_in, NEW, "Ava", pupils=posted)
    assert found.status_code == 200
    assert options(found, "pupils") == {pupil_choice_label(pupil): False}
    sent = signed_in.post(NEW, _answers(pupils=posted))
    assert sent.status_code == 200
    assert field_error(sent, "pupils")
    assert not ContactRequest.objects.exists()


def test_the_form_costs_the_same_queries_whatever_the_number_of_pupils(signed_in, school, pupil):
    def queries(find: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert find_pupils(signed_in, NEW, find, pupils=[pupil.pk]).status_code == 200
        return len(captured)

    few = queries("Lee")
    for n in range(60):
        _pupil(school, "Lee", f"Many{n:02d}", left_days_ago=400 * (n % 3) or None)
    assert queries("Lee") == few


def test_changing_a_request_shows_its_pupils_ticked(signed_in, teacher, school, pupil):
    ben = _pupil(school, "Ben", "Second")
    item = make_request(teacher, [pupil, ben], submit=False)
    response = signed_in.get(reverse("request_edit", args=[item.pk]))
    assert options(response, "pupils") == {
        pupil_choice_label(pupil): True,
        pupil_choice_label(ben): True,
    }


def test_records_and_the_policy_check_use_the_picker(signed_in, pupil):
    for url, name in (
        (reverse("record_new_type", args=["gift"]), "pupils"),
        (reverse("contact_check"), "pupil"),
        (reverse("disclosure_new"), "pupil"),
    ):
        assert options(signed_in.get(url), name) == {}
        found = find_pupils(signed_in, url, "Current")
        assert options(found, name) == {pupil_choice_label(pupil): False}, url
        assert 'type="radio"' in found.content.decode() or name == "pupils"


def test_a_legal_hold_may_name_no_pupil(client, head, pupil):
    sign_in(client, head)
    url = reverse("legal_holds")
    found = find_pupils(client, url, "Ava")
    # Until a pupil is chosen, the hold names none.
    assert options(found, "pupil") == {"No pupil": True, pupil_choice_label(pupil): False}
    response = client.post(url, {"pupil": pupil.pk, "reason": "A claim about a trip."})
    assert response.status_code == 302
    assert LegalHold.objects.get().pupil == pupil


def test_find_on_the_record_form_keeps_the_attachment_field_empty_and_saves_nothing(
    signed_in, pupil
):
    url = reverse("record_new_type", args=["gift"])
    response = signed_in.post(url, {FIND_BUTTON: "1", FIND_INPUT: "Ava", "details": "A card."})
    assert response.status_code == 200
    assert "A card." in response.content.decode()
    assert field_error(response, "details") == ""


def test_a_name_typed_but_not_found_is_searched_when_the_form_is_sent_without_a_pupil(
    signed_in, pupil
):
    response = signed_in.post(NEW, _answers(**{FIND_INPUT: "Ava"}))
    assert field_error(response, "pupils") == "Find the pupil by name, then tick them."
    assert options(response, "pupils") == {pupil_choice_label(pupil): False}
    assert "1 pupil matches “Ava”." in text(response)


def test_once_pupils_are_ticked_the_name_typed_is_cleared_when_the_form_is_sent(signed_in, pupil):
    response = signed_in.post(NEW, _answers(pupils=[pupil.pk], reasons="", **{FIND_INPUT: "Ava"}))
    assert field_error(response, "reasons")
    assert options(response, "pupils") == {pupil_choice_label(pupil): True}
    assert f'id="id_{FIND_INPUT}" value=""' in response.content.decode()
    assert "matches" not in text(response)


def test_find_on_the_record_form_says_an_attachment_must_be_chosen_again(signed_in, pupil):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("record_new_type", args=["correspondence"])
    card = SimpleUploadedFile("card.pdf", b"%PDF-1.4 a card", content_type="application/pdf")
    response = signed_in.post(url, {FIND_BUTTON: "1", FIND_INPUT: "Ava", "attachment": card})
    page = text(response)
    assert "1 pupil matches “Ava”. The attachment was not kept: choose the file again" in page
    assert page.count("The attachment was not kept") == 2  # by the picker and by the file box
    assert "The attachment was not kept" not in text(find_pupils(signed_in, url, "Ava"))


def test_an_id_too_long_to_be_one_is_refused_without_a_server_error(signed_in, pupil):
    huge = "9" * 5000  # int() refuses to read over 4,300 digits
    assert signed_in.get(reverse("disclosure_new") + f"?pupil={huge}").status_code == 200
    found = find_pupils(signed_in, NEW, "Ava", pupils=[huge])
    assert options(found, "pupils") == {pupil_choice_label(pupil): False}
    sent = signed_in.post(NEW, _answers(pupils=[huge]))
    assert field_error(sent, "pupils")
    assert not ContactRequest.objects.exists()


def test_a_nul_in_the_find_box_is_dropped(signed_in, pupil):
    response = find_pupils(signed_in, NEW, "A\x00va")
    assert options(response, "pupils") == {pupil_choice_label(pupil): False}


def test_every_chosen_pupil_stays_chosen_however_many(signed_in, school):
    many = [_pupil(school, "Pat", f"Many{n:02d}") for n in range(60)]
    response = signed_in.post(NEW, _answers(pupils=[p.pk for p in many], reasons=""))
    assert field_error(response, "reasons")
    shown = options(response, "pupils")
    assert len(shown) == 60 and all(shown.values())


def test_find_while_answering_a_question_flags_nothing(signed_in, head, teacher, pupil):
    from contacts.planned import services

    item = make_request(teacher, [pupil])
    item = services.request_decide(
        actor=head,
        contact_request=item,
        decision="ask",
        reason="Who else?",
        expected_version=item.version,
    )
    url = reverse("request_edit", args=[item.pk])
    response = find_pupils(signed_in, url, "Ava", pupils=[pupil.pk], answer="My partner.")
    assert "Nothing has been sent yet" not in text(response)
    assert field_error(response, "answer") == ""
    assert "My partner." in response.content.decode()
    item.refresh_from_db()
    assert item.status == "more_information"
