"""Searching the decision and monitoring queues: by pupil, member of staff, kind and dates,
within the queue the reader has, never matching a restricted entry they may not read."""

from __future__ import annotations

import re

from django.urls import reverse

from contacts.planned import services
from tests.factories import PupilFactory
from tests.factories_requests import future, make_request
from tests.helpers import field_error, sign_in, text


def _unique(person) -> str:
    """A surname no other test person shares or contains, searched for by name."""
    surname = f"Zq{person.pk}x"
    type(person).objects.filter(pk=person.pk).update(last_name=surname)
    return surname


def _refs(response) -> list[str]:
    return re.findall(r"REQ-\d{6}", text(response).split("Search", 1)[1])


def test_the_head_searches_the_queue_by_pupil_staff_kind_and_date(
    client, head, teacher, colleague, school
):
    ava = PupilFactory(school=school, first_name="Avalon", last_name="Quince")
    ben = PupilFactory(school=school, first_name="Benedict", last_name="Marsh")
    hers = make_request(teacher, [ava], starts_at=future(days=3))
    his = make_request(colleague, [ben], starts_at=future(days=20))
    gift = make_request(teacher, [ben], kind="gift", purpose="personal", place="School",
                        reasons="A prize.", starts_at=future(days=4))  # fmt: skip
    sign_in(client, head)
    url = reverse("decision_queue")
    assert _refs(client.get(url, {"pupil": "quin"})) == [hers.reference]
    assert set(_refs(client.get(url, {"requester": _unique(colleague)}))) == {his.reference}
    assert _refs(client.get(url, {"kind": "gift"})) == [gift.reference]
    until = future(days=10).date().isoformat()
    assert set(_refs(client.get(url, {"starts_to": until}))) == {hers.reference, gift.reference}
    assert "1 found." in text(client.get(url, {"pupil": "quin"}))
    assert "No waiting request matches this search." in text(client.get(url, {"pupil": "zzz"}))


def test_a_mistake_in_the_search_is_shown_beside_its_field(client, head, teacher, pupil):
    make_request(teacher, [pupil])
    sign_in(client, head)
    response = client.get(reverse("decision_queue"), {"starts_from": "31/31/2026"})
    assert response.status_code == 200
    assert field_error(response, "starts_from") == "Enter a valid date."
    assert "The search could not be run" in text(response)


def test_the_line_manager_searches_their_teams_approved_contact(
    client, head, line_manager, teacher, colleague, school
):
    ava = PupilFactory(school=school, first_name="Avalon", last_name="Quince")
    theirs = [make_request(person, [ava]) for person in (teacher, colleague)]
    for item in theirs:
        services.request_decide(actor=head, contact_request=item, decision="approve",
                                reason="", expected_version=None)  # fmt: skip
    sign_in(client, line_manager)
    url = reverse("monitoring_queue")
    found = _refs(client.get(url, {"requester": _unique(teacher)}))
    assert found == [theirs[0].reference]


def test_a_restricted_entry_never_answers_a_search_for_who_may_not_read_it(
    head, deputy, teacher, pupil
):
    from contacts.planned.filters import RequestFilter
    from contacts.planned.selectors import requests_visible_to

    family = {"with_family_only": True, "purpose": "personal", "kind": "meeting"}
    hidden = make_request(
        teacher, [pupil], place="Their home", reasons="Family liaison visit.", **family
    )
    assert hidden.restricted
    for search in ({"pupil": pupil.last_name}, {"requester": _unique(teacher)}):
        seen = requests_visible_to(deputy)
        assert hidden in seen  # the deputy may know it exists ...
        found = RequestFilter(search, seen, reader=deputy).qs
        assert hidden not in found  # ... but no search answers with it
        assert hidden in RequestFilter(search, requests_visible_to(head), reader=head).qs


def test_dates_the_wrong_way_round_are_refused_beside_the_last_day(client, head, teacher, pupil):
    make_request(teacher, [pupil])
    sign_in(client, head)
    response = client.get(
        reverse("decision_queue"), {"starts_from": "2026-05-01", "starts_to": "2026-04-01"}
    )
    assert field_error(response, "starts_to") == "The last day cannot be before the first."
    assert "The search could not be run" in text(response)


def test_an_empty_search_says_so_rather_than_that_nothing_waits(
    client, head, line_manager, teacher, pupil
):
    make_request(teacher, [pupil])
    sign_in(client, head)
    page = text(client.get(reverse("decision_queue"), {"pupil": "zzz"}))
    assert "Requests waiting for your decision (0)" not in page
    assert "No waiting request matches this search." in page
    sign_in(client, line_manager)
    page = text(client.get(reverse("monitoring_queue"), {"pupil": "zzz"}))
    assert "No approved contact matches this search." in page


def test_the_search_is_folded_until_used_and_open_while_a_search_is_on(client, head):
    sign_in(client, head)
    folded = client.get(reverse("decision_queue")).text
    assert '<details class="card card-body mb-3 search-fold">' in folded
    searching = client.get(reverse("decision_queue"), {"pupil": "Ava"}).text
    assert '<details class="card card-body mb-3 search-fold" open>' in searching


def test_the_monitoring_queue_names_the_pupils(client, head, line_manager, teacher, pupil):
    item = make_request(teacher, [pupil])
    services.request_decide(actor=head, contact_request=item, decision="approve", reason="",
                            expected_version=None)  # fmt: skip
    sign_in(client, line_manager)
    page = text(client.get(reverse("monitoring_queue")))
    assert f"{teacher.full_name} {pupil.full_name}" in page


# --- My requests ------------------------------------------------------------------------------

MINE = reverse("my_requests")


def test_a_teacher_searches_their_own_requests_by_pupil_status_and_kind(
    client, head, teacher, colleague, school
):
    ava = PupilFactory(school=school, first_name="Avalon", last_name="Quince")
    ben = PupilFactory(school=school, first_name="Benedict", last_name="Marsh")
    hers = make_request(teacher, [ava])
    approved = make_request(teacher, [ben], starts_at=future(days=9))
    services.request_decide(actor=head, contact_request=approved, decision="approve",
                            reason="", expected_version=None)  # fmt: skip
    theirs = make_request(colleague, [ava])
    sign_in(client, teacher)
    assert _refs(client.get(MINE, {"pupil": "quince"})) == [hers.reference]
    assert _refs(client.get(MINE, {"status": "approved"})) == [approved.reference]
    found = text(client.get(MINE, {"status": "approved"}))
    assert "Approved (1)" in found
    assert "Waiting for a decision (" not in found  # a search shows only where it found
    assert theirs.reference not in text(client.get(MINE, {"pupil": "quince"}))
    assert 'name="requester"' not in client.get(MINE).text  # they are all the teacher's own


def test_a_request_naming_two_matching_pupils_is_found_once(client, teacher, school):
    twins = [PupilFactory(school=school, first_name=name, last_name="Twin") for name in "AB"]
    only = make_request(teacher, twins)
    sign_in(client, teacher)
    response = client.get(MINE, {"pupil": "twin"})
    assert _refs(response) == [only.reference]
    assert "1 found." in text(response)


def test_a_search_of_my_requests_that_finds_nothing_or_has_a_mistake_says_so(
    client, teacher, pupil
):
    make_request(teacher, [pupil])
    sign_in(client, teacher)
    assert "No request of yours matches this search." in text(client.get(MINE, {"pupil": "zz"}))
    response = client.get(MINE, {"status": "lost", "starts_from": "2026-02-30"})
    assert "Select a valid choice" in field_error(response, "status")
    assert field_error(response, "starts_from") == "Enter a valid date."
    assert "The search could not be run: correct what is marked above." in text(response)
    assert "Nothing is waiting on you." not in text(response)
