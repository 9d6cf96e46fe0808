"""Searching the records list: by pupil, type, who recorded it and dates, a page at a time,
within what the reader may see, and never matching what the reader may not read."""

from __future__ import annotations

import re

from django.urls import reverse

from tests.factories import PupilFactory, StaffFactory
from tests.factories_records import make_family_record, make_record, past
from tests.helpers import field_error, sign_in, text

URL = reverse("record_list")


def _unique(person) -> str:
    """A surname no other test person shares or contains, searched for by name."""
    surname = f"Zq{person.pk}x"
    type(person).objects.filter(pk=person.pk).update(last_name=surname)
    return surname


def _refs(response) -> list[str]:
    return re.findall(r"REC-\d{6}", text(response))


def test_the_head_finds_a_pupils_records_by_part_of_a_name(client, head, teacher, school):
    ava = PupilFactory(school=school, first_name="Avalon", last_name="Quince")
    ben = PupilFactory(school=school, first_name="Benedict", last_name="Marsh")
    hers = make_record(teacher, [ava])
    his = make_record(teacher, [ben])
    sign_in(client, head)
    response = client.get(URL, {"pupil": "quin"})
    assert _refs(response) == [hers.reference]
    assert "1 record found." in text(response)
    assert his.reference not in text(response)


def test_filters_by_type_author_and_dates_together(client, head, teacher, colleague, pupil):
    old = make_record(teacher, [pupil], occurred_at=past(40))
    recent = make_record(teacher, [pupil], occurred_at=past(3))
    gift = make_record(teacher, [pupil], occurred_at=past(3), record_type="gift", kind="gift",
                       purpose="personal", direction="received", details="A card.")  # fmt: skip
    theirs = make_record(colleague, [pupil], occurred_at=past(3))
    sign_in(client, head)
    found = _refs(
        client.get(
            URL,
            {
                "record_type": "unplanned",
                "author": _unique(teacher),
                "occurred_from": past(10).date().isoformat(),
                "occurred_to": past(1).date().isoformat(),
            },
        )
    )
    assert found == [recent.reference]
    assert old.reference not in found and gift.reference not in found
    assert theirs.reference not in found


def test_a_restricted_record_never_answers_a_search_by_name_for_who_may_not_read_it(
    client, head, deputy, teacher, pupil
):
    hidden = make_family_record(teacher, [pupil])
    sign_in(client, deputy)
    # The deputy sees that it exists on the unfiltered list, masked ...
    assert hidden.reference in text(client.get(URL))
    # ... but a search for the pupil's name does not say whom it is about.
    assert hidden.reference not in text(client.get(URL, {"pupil": pupil.last_name}))
    sign_in(client, head)
    assert hidden.reference in text(client.get(URL, {"pupil": pupil.last_name}))


def test_a_teacher_searches_only_their_own_records(client, teacher, colleague, pupil):
    mine = make_record(teacher, [pupil])
    make_record(colleague, [pupil])
    sign_in(client, teacher)
    response = client.get(URL, {"pupil": pupil.first_name})
    assert _refs(response) == [mine.reference]
    assert 'name="author"' not in response.text  # nobody else's records to choose from


def test_the_next_page_keeps_the_search(client, head, teacher, pupil, settings, monkeypatch):
    from contacts.records import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    for day in range(1, 6):
        make_record(teacher, [pupil], occurred_at=past(day))
    make_record(teacher, [PupilFactory(school=pupil.school)])
    sign_in(client, head)
    first = client.get(URL, {"pupil": pupil.last_name})
    assert "5 records found." in text(first)
    assert f"pupil={pupil.last_name}&amp;page=2" in first.text


def test_bad_dates_and_unknown_choices_are_shown_beside_their_fields(client, head, teacher, pupil):
    make_record(teacher, [pupil])
    sign_in(client, head)
    response = client.get(
        URL,
        {"occurred_from": "2026-13-45", "record_type": "nonsense", "author": "x" * 101},
    )
    assert response.status_code == 200
    assert field_error(response, "occurred_from") == "Enter a valid date."
    assert "Select a valid choice" in field_error(response, "record_type")
    assert "at most 100 characters" in field_error(response, "author")
    assert "The search could not be run: correct what is marked above." in text(response)


def test_hostile_search_values_are_answered_with_a_page(client, head, teacher, pupil):
    make_record(teacher, [pupil])
    sign_in(client, head)
    for value in ("<script>alert(1)</script>", "' OR 1=1 --", "\x00", "x" * 5000, "%", "_"):
        response = client.get(URL, {"pupil": value})
        assert response.status_code == 200
        assert "<script>alert(1)</script>" not in response.text


def test_another_schools_staff_are_not_offered_as_authors(client, head, outsider, other_pupil):
    StaffFactory(school=head.school, first_name="Ours")
    make_record(outsider, [other_pupil])
    sign_in(client, head)
    response = client.get(URL, {"author": _unique(outsider)})
    assert outsider.full_name not in response.text
    assert "No records match this search." in text(response)


def test_no_search_tells_who_wrote_a_restricted_record_its_reader_may_not_read(
    client, deputy, teacher, colleague, pupil
):
    hidden = make_family_record(teacher, [pupil])
    sign_in(client, deputy)
    for author in (teacher, colleague):
        assert hidden.reference not in text(client.get(URL, {"author": _unique(author)}))
    since = past(5).date().isoformat()
    assert hidden.reference not in text(client.get(URL, {"occurred_from": since}))
    # The unfiltered list still says it exists, as it always has.
    assert hidden.reference in text(client.get(URL))
