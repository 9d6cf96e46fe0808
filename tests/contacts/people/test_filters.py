"""Searching the pupil and staff directories: by name, year group, role, line manager and
status, within the reader's own school, a page at a time, mistakes shown beside their fields."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from contacts.people.models import Staff, StaffRole, StaffType
from safeguard.core.roles import Role
from tests.factories import PupilFactory, StaffFactory
from tests.helpers import field_error, sign_in, text

PUPILS = reverse("pupil_list")
STAFF = reverse("staff_list")


def _names(response) -> str:
    """The list below the search form (the form's own options name people too)."""
    return text(response).split("Search", 1)[1].split("Clear", 1)[-1]


@pytest.fixture
def year_nine(school):
    return PupilFactory(school=school, first_name="Nina", last_name="Ninth", year_group=9)


@pytest.fixture
def vulnerable_leaver(school):
    return PupilFactory(
        school=school,
        first_name="Vera",
        last_name="Leaver",
        year_group=11,
        date_of_birth=timezone.localdate() - dt.timedelta(days=365 * 20),
        admission_date=timezone.localdate() - dt.timedelta(days=365 * 7),
        leaving_date=timezone.localdate() - dt.timedelta(days=800),
        vulnerable_adult=True,
    )


def test_the_pupil_list_searches_by_year_group(client, head, year_nine, vulnerable_leaver):
    sign_in(client, head)
    found = _names(client.get(PUPILS, {"year_group": 9}))
    assert "Nina Ninth" in found
    assert "Vera Leaver" not in found
    assert "1 found." in text(client.get(PUPILS, {"year_group": 9}))


def test_the_pupil_list_finds_vulnerable_adults_and_former_pupils(
    client, head, year_nine, vulnerable_leaver
):
    sign_in(client, head)
    found = _names(client.get(PUPILS, {"vulnerable_adult": "yes", "status": "former"}))
    assert "Vera Leaver" in found
    assert "Nina Ninth" not in found
    assert "No pupils match this search." in text(
        client.get(PUPILS, {"vulnerable_adult": "yes", "status": "current"})
    )


def test_the_pupil_search_keeps_to_the_readers_school(client, head, year_nine, other_pupil):
    sign_in(client, head)
    response = client.get(PUPILS, {"q": other_pupil.last_name})
    assert other_pupil.full_name not in response.text
    assert "No pupils match this search." in text(response)


def test_the_next_page_of_pupils_keeps_the_search(client, head, school):
    PupilFactory.create_batch(51, school=school, year_group=7)
    PupilFactory(school=school, year_group=8)
    sign_in(client, head)
    first = client.get(PUPILS, {"year_group": 7})
    assert "51 found." in text(first)
    assert "year_group=7&amp;page=2" in first.text
    assert "Page 2 of 2" in text(client.get(PUPILS, {"year_group": 7, "page": 2}))


def test_a_mistake_in_the_pupil_search_is_shown_beside_its_field(client, head, year_nine):
    sign_in(client, head)
    response = client.get(PUPILS, {"year_group": "99", "status": "gone", "q": "x" * 101})
    assert response.status_code == 200
    assert "Select a valid choice" in field_error(response, "year_group")
    assert "Select a valid choice" in field_error(response, "status")
    assert "at most 100 characters" in field_error(response, "q")
    assert "The search could not be run: correct what is marked above." in text(response)
    assert "Nina Ninth" not in _names(response)


def test_hostile_directory_searches_are_answered_with_a_page(client, head, year_nine):
    sign_in(client, head)
    for url, field in ((PUPILS, "q"), (STAFF, "q"), (STAFF, "line_manager"), (STAFF, "role")):
        for value in ("<script>alert(1)</script>", "' OR 1=1 --", "\x00", "%", "_", "9" * 30):
            response = client.get(url, {field: value})
            assert response.status_code == 200
            assert "<script>alert(1)</script>" not in response.text


def test_the_staff_list_searches_by_role(client, head, deputy, dsl, teacher):
    sign_in(client, head)
    found = _names(client.get(STAFF, {"role": Role.DSL}))
    assert dsl.full_name in found
    assert teacher.full_name not in found
    assert deputy.full_name not in found


def test_a_person_with_two_roles_is_listed_once(client, head, dsl):
    # A name nobody else in the factories' school can share, whatever names they were given.
    dsl.last_name = "Quillfeather-Dunmore"
    dsl.save(update_fields=["last_name"])
    StaffRole.objects.create(staff=dsl, role=Role.DEPUTY_HEAD)
    sign_in(client, head)
    response = client.get(STAFF, {"q": dsl.last_name})
    assert "1 found." in text(response)


def test_the_staff_list_searches_by_line_manager_and_type(
    client, head, line_manager, teacher, school
):
    assistant = StaffFactory(
        school=school, first_name="Tess", last_name="Assist",
        staff_type=StaffType.SUPPORT, line_manager=line_manager,
    )  # fmt: skip
    sign_in(client, head)
    managed = _names(client.get(STAFF, {"line_manager": line_manager.pk}))
    assert teacher.full_name in managed
    assert assistant.full_name in managed
    assert head.full_name not in managed
    support = _names(client.get(STAFF, {"line_manager": line_manager.pk, "staff_type": "support"}))
    assert assistant.full_name in support
    assert teacher.full_name not in support


def test_only_the_schools_line_managers_are_offered(client, head, line_manager, teacher, outsider):
    elsewhere = StaffFactory(school=outsider.school, first_name="Far", last_name="Manager")
    StaffFactory(school=outsider.school, line_manager=elsewhere)
    sign_in(client, head)
    response = client.get(STAFF)
    assert f'<option value="{line_manager.pk}">' in response.text
    assert f'<option value="{teacher.pk}">' not in response.text  # manages nobody
    assert f'<option value="{elsewhere.pk}">' not in response.text
    refused = client.get(STAFF, {"line_manager": elsewhere.pk})
    assert "Select a valid choice" in field_error(refused, "line_manager")


def test_inactive_staff_are_found_only_when_asked_for(client, head, teacher):
    Staff.objects.filter(pk=teacher.pk).update(is_active=False)
    sign_in(client, head)
    assert teacher.full_name not in _names(client.get(STAFF, {"q": teacher.last_name}))
    shown = client.get(STAFF, {"q": teacher.last_name, "active": "inactive"})
    assert teacher.full_name in _names(shown)
    assert "1 found." in text(shown)


def test_the_directory_search_is_folded_until_used(client, head):
    sign_in(client, head)
    assert '<details class="card card-body mb-3 search-fold">' in client.get(STAFF).text
    assert '<details class="card card-body mb-3 search-fold" open>' in (
        client.get(STAFF, {"role": Role.DSL}).text
    )


def test_a_mistake_in_the_search_is_said_once_and_no_list_is_shown(client, head, year_nine):
    sign_in(client, head)
    for url, query in ((PUPILS, {"year_group": "99"}), (STAFF, {"role": "nobody"})):
        page = text(client.get(url, query))
        assert page.count("The search could not be run") == 1
        assert "match this search" not in page
        assert "Date of birth" not in page and "Job title" not in page
