"""Directory pages as each persona sees them: what they read, what they may do, what is saved."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from contacts.people.models import ParentCarer, Pupil, Staff, StaffRelative
from contacts.people.pupil_picker import pupil_choice_label
from safeguard.audit.models import AuditEvent
from tests.factories import PupilFactory, StaffFactory, StaffRelativeFactory
from tests.helpers import csv_bytes, field_error, find_pupils, options, row_counts, sign_in, text

PUPIL_HEADER = "first_name,last_name,date_of_birth,admission_date,leaving_date,year_group"


def _as(client, user):
    sign_in(client, user)
    return client


@pytest.fixture
def named_staff(school):
    """Two colleagues with names that cannot collide with Faker's."""
    return (
        StaffFactory(school=school, first_name="Quentin", last_name="Zebedee"),
        StaffFactory(school=school, first_name="Rosalind", last_name="Yarrow"),
    )


@pytest.fixture
def former_pupil(school):
    return PupilFactory(
        school=school,
        first_name="Fern",
        last_name="Former",
        leaving_date=timezone.localdate() - dt.timedelta(days=400),
    )


def _pupil_post(**extra):
    data = {
        "first_name": "Nell",
        "last_name": "Newby",
        "date_of_birth": "2013-03-14",
        "admission_date": "2024-09-04",
        "leaving_date": "",
        "year_group": "7",
        "notes": "",
    }
    return data | extra


def _staff_post(**extra):
    data = {
        "first_name": "Sid",
        "last_name": "Starter",
        "email": "sid.starter@test.example",
        "job_title": "Science teacher",
        "staff_type": "teacher",
        "line_manager": "",
    }
    return data | extra


# --- staff directory --------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["head", "deputy", "assistant", "dsl", "admin"])
def test_staff_directory_lists_colleagues_by_name(client, request, persona, named_staff):
    page = text(_as(client, request.getfixturevalue(persona)).get(reverse("staff_list")))
    assert "Quentin Zebedee" in page
    assert "Rosalind Yarrow" in page


def test_staff_directory_shows_roles_and_line_manager(client, head, deputy):
    page = text(_as(client, head).get(reverse("staff_list")))
    assert "Deputy headteacher" in page
    assert head.full_name in page


def test_staff_directory_hides_other_schools(client, head, outsider):
    page = text(_as(client, head).get(reverse("staff_list")))
    assert outsider.email not in page


def test_staff_directory_search_by_name(client, head, named_staff):
    page = text(_as(client, head).get(reverse("staff_list"), {"q": "zebe"}))
    assert "Quentin Zebedee" in page
    assert "Rosalind Yarrow" not in page
    assert "1 found." in page


def test_staff_directory_search_by_email(client, head, named_staff):
    quentin, _ = named_staff
    page = text(_as(client, head).get(reverse("staff_list"), {"q": quentin.email}))
    assert "Quentin Zebedee" in page
    assert "Rosalind Yarrow" not in page


def test_staff_directory_search_with_no_match_says_so(client, head):
    page = text(_as(client, head).get(reverse("staff_list"), {"q": "no-such-person"}))
    assert "No staff match this search." in page


def test_staff_directory_hides_inactive_staff_unless_asked(client, head, named_staff):
    quentin, _ = named_staff
    Staff.objects.filter(pk=quentin.pk).update(is_active=False)
    _as(client, head)
    assert "Quentin Zebedee" not in text(client.get(reverse("staff_list")))
    inactive = text(client.get(reverse("staff_list"), {"active": "inactive"}))
    assert "Quentin Zebedee" in inactive
    assert "Rosalind Yarrow" not in inactive
    assert "Quentin Zebedee" in text(client.get(reverse("staff_list"), {"active": "all"}))


@pytest.mark.parametrize("persona", ["teacher", "governor", "chair", "line_manager"])
@pytest.mark.parametrize("url_name", ["staff_list", "pupil_list"])
def test_directories_are_closed_to_other_roles(client, request, persona, url_name, pupil):
    response = _as(client, request.getfixturevalue(persona)).get(reverse(url_name))
    assert response.status_code == 403
    assert "You do not have access to this page" in text(response)
    assert "Ava Current" not in text(response)


def test_navigation_offers_the_directories_only_to_readers(client, teacher, dsl):
    link = f'href="{reverse("pupil_list")}"'
    own_page = _as(client, teacher).get(reverse("staff_detail", args=[teacher.pk]))
    assert link not in own_page.content.decode()
    assert link in _as(client, dsl).get(reverse("staff_detail", args=[dsl.pk])).content.decode()


# --- pupil directory --------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["head", "deputy", "assistant", "dsl", "admin"])
def test_pupil_directory_lists_pupils_by_name(client, request, persona, pupil, former_pupil):
    page = text(_as(client, request.getfixturevalue(persona)).get(reverse("pupil_list")))
    assert "Ava Current" in page
    assert "Fern Former" in page
    assert "2 pupils." in page


def test_pupil_directory_hides_other_schools(client, head, pupil, other_pupil):
    page = text(_as(client, head).get(reverse("pupil_list")))
    assert "Ava Current" in page
    assert "Zed Elsewhere" not in page


def test_pupil_directory_search_by_name(client, head, pupil, former_pupil):
    page = text(_as(client, head).get(reverse("pupil_list"), {"q": "fern"}))
    assert "Fern Former" in page
    assert "Ava Current" not in page


def test_pupil_directory_search_by_first_and_last_name(client, head, pupil, former_pupil):
    page = text(_as(client, head).get(reverse("pupil_list"), {"q": "Ava Curr"}))
    assert "Ava Current" in page
    assert "Fern Former" not in page
    page = text(client.get(reverse("pupil_list"), {"q": "Ava Former"}))
    assert "No pupils match this search." in page


def test_pupil_directory_status_current(client, head, pupil, former_pupil):
    page = text(_as(client, head).get(reverse("pupil_list"), {"status": "current"}))
    assert "Ava Current" in page
    assert "Fern Former" not in page


def test_pupil_directory_status_former(client, head, pupil, former_pupil):
    page = text(_as(client, head).get(reverse("pupil_list"), {"status": "former"}))
    assert "Fern Former" in page
    assert "Former · left" in page
    assert "Ava Current" not in page


def test_pupil_directory_pages_fifty_at_a_time(client, head, school):
    PupilFactory.create_batch(51, school=school)
    _as(client, head)
    assert "Page 1 of 2" in text(client.get(reverse("pupil_list")))
    assert "Page 2 of 2" in text(client.get(reverse("pupil_list"), {"page": 2}))


def test_pupil_names_are_escaped(client, head, school):
    PupilFactory(school=school, first_name="<b>Bold</b>", last_name="Name")
    response = _as(client, head).get(reverse("pupil_list"))
    assert "<b>Bold</b>" not in response.content.decode()
    assert "<b>Bold</b> Name" in text(response)


# --- pupil and staff pages --------------------------------------------------------------------


def test_head_reads_a_pupil_page(client, head, pupil):
    page = text(_as(client, head).get(reverse("pupil_detail", args=[pupil.pk])))
    assert "Ava Current" in page
    assert "Current pupil, Year 8" in page


def test_former_pupil_page_shows_when_they_left(client, dsl, former_pupil):
    page = text(_as(client, dsl).get(reverse("pupil_detail", args=[former_pupil.pk])))
    assert f"Former pupil, left {former_pupil.leaving_date:%-d %B %Y}" in page
    assert "Years since leaving 1.1" in page


@pytest.mark.parametrize("url_name", ["pupil_detail", "pupil_edit", "parent_add"])
def test_a_pupil_of_another_school_is_not_found(client, head, other_pupil, url_name):
    response = _as(client, head).get(reverse(url_name, args=[other_pupil.pk]))
    assert response.status_code == 404
    assert "Zed Elsewhere" not in text(response)


def test_teacher_cannot_open_a_pupil_page(client, teacher, pupil):
    response = _as(client, teacher).get(reverse("pupil_detail", args=[pupil.pk]))
    assert response.status_code == 403


def test_teacher_reads_their_own_staff_page(client, teacher):
    page = text(_as(client, teacher).get(reverse("staff_detail", args=[teacher.pk])))
    assert teacher.full_name in page
    assert teacher.email in page


def test_teacher_cannot_open_another_teachers_page(client, teacher, colleague):
    response = _as(client, teacher).get(reverse("staff_detail", args=[colleague.pk]))
    assert response.status_code == 404
    assert colleague.full_name not in text(response)


def test_line_manager_opens_a_report_page(client, line_manager, teacher):
    page = text(_as(client, line_manager).get(reverse("staff_detail", args=[teacher.pk])))
    assert teacher.full_name in page
    assert f"Line manager {line_manager.full_name}" in page


def test_line_manager_page_lists_who_they_manage(client, line_manager, teacher, colleague):
    page = text(_as(client, line_manager).get(reverse("staff_detail", args=[line_manager.pk])))
    assert teacher.full_name in page
    assert colleague.full_name in page


def test_line_manager_cannot_open_someone_they_do_not_manage(client, line_manager, dsl):
    response = _as(client, line_manager).get(reverse("staff_detail", args=[dsl.pk]))
    assert response.status_code == 404


def test_head_cannot_open_staff_of_another_school(client, head, outsider):
    response = _as(client, head).get(reverse("staff_detail", args=[outsider.pk]))
    assert response.status_code == 404


def test_governor_reads_their_own_page(client, governor):
    page = text(_as(client, governor).get(reverse("staff_detail", args=[governor.pk])))
    assert governor.full_name in page
    assert "Governor" in page


# --- adding and editing pupils ----------------------------------------------------------------


@pytest.mark.parametrize("persona", ["head", "admin"])
def test_editor_adds_a_pupil_through_the_form(client, request, persona):
    _as(client, request.getfixturevalue(persona))
    response = client.post(reverse("pupil_create"), _pupil_post(), follow=True)
    pupil = Pupil.objects.get(last_name="Newby")
    assert response.redirect_chain[-1][0] == reverse("pupil_detail", args=[pupil.pk])
    assert "Nell Newby was added." in text(response)
    assert "Nell Newby" in text(client.get(reverse("pupil_list")))
    assert AuditEvent.objects.filter(action="pupil.create", object_id=str(pupil.pk)).exists()


@pytest.mark.parametrize("persona", ["dsl", "deputy", "teacher", "governor"])
def test_other_roles_cannot_add_pupils(client, request, persona):
    _as(client, request.getfixturevalue(persona))
    assert client.get(reverse("pupil_create")).status_code == 403
    assert client.post(reverse("pupil_create"), _pupil_post()).status_code == 403
    assert not Pupil.objects.exists()


def _refused_form(client, url, data, field, message):
    before = row_counts()
    response = client.post(url, data)
    assert response.status_code == 200
    assert message in field_error(response, field)
    assert row_counts() == before
    return response


def test_leaving_before_admission_is_shown_on_the_leaving_date(client, head):
    _refused_form(
        _as(client, head),
        reverse("pupil_create"),
        _pupil_post(leaving_date="2024-09-01"),
        "leaving_date",
        "The leaving date cannot be before the admission date.",
    )


def test_birth_date_in_the_future_is_shown_on_the_date_of_birth(client, head):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    data = _pupil_post(
        date_of_birth=f"{tomorrow:%Y-%m-%d}",
        admission_date=f"{tomorrow + dt.timedelta(days=1):%Y-%m-%d}",
    )
    _refused_form(
        _as(client, head),
        reverse("pupil_create"),
        data,
        "date_of_birth",
        "The date of birth cannot be in the future.",
    )


def test_admission_before_birth_is_shown_on_the_admission_date(client, admin):
    _refused_form(
        _as(client, admin),
        reverse("pupil_create"),
        _pupil_post(admission_date="2013-03-14"),
        "admission_date",
        "The admission date must be after the date of birth.",
    )


def test_rejected_pupil_form_keeps_what_was_typed(client, head):
    response = _as(client, head).post(
        reverse("pupil_create"), _pupil_post(leaving_date="2024-09-01")
    )
    assert 'value="Newby"' in response.content.decode()


def test_head_edits_a_pupil_to_record_leaving(client, head, pupil):
    left = timezone.localdate() - dt.timedelta(days=1)
    data = _pupil_post(
        first_name="Ava",
        last_name="Current",
        date_of_birth=f"{pupil.date_of_birth:%Y-%m-%d}",
        admission_date=f"{pupil.admission_date:%Y-%m-%d}",
        leaving_date=f"{left:%Y-%m-%d}",
    )
    response = _as(client, head).post(reverse("pupil_edit", args=[pupil.pk]), data, follow=True)
    assert "Ava Current was updated." in text(response)
    assert "Former pupil, left" in text(response)
    pupil.refresh_from_db()
    assert pupil.leaving_date == left


def test_rejected_pupil_edit_keeps_the_record_and_title(client, head, pupil):
    data = _pupil_post(
        first_name="Renamed",
        date_of_birth=f"{pupil.date_of_birth:%Y-%m-%d}",
        admission_date=f"{pupil.admission_date:%Y-%m-%d}",
        leaving_date=f"{pupil.admission_date - dt.timedelta(days=1):%Y-%m-%d}",
    )
    response = _refused_form(
        _as(client, head),
        reverse("pupil_edit", args=[pupil.pk]),
        data,
        "leaving_date",
        "The leaving date cannot be before the admission date.",
    )
    assert "Edit Ava Current" in text(response)
    assert Pupil.objects.get(pk=pupil.pk).first_name == "Ava"


def test_head_adds_a_parent_from_the_pupil_page(client, head, pupil):
    data = {
        "first_name": "Paula",
        "last_name": "Parent",
        "relationship": "Mother",
        "email": "paula@parents.example",
        "phone": "07700 900123",
    }
    url = reverse("parent_add", args=[pupil.pk])
    response = _as(client, head).post(url, data, follow=True)
    assert "Paula Parent (Mother)" in text(response)
    assert list(ParentCarer.objects.get().children.all()) == [pupil]


# --- adding and editing staff -----------------------------------------------------------------


def test_head_adds_staff_through_the_form(client, head, line_manager):
    data = _staff_post(line_manager=str(line_manager.pk), roles=["line_manager"])
    response = _as(client, head).post(reverse("staff_create"), data, follow=True)
    sid = Staff.objects.get(email="sid.starter@test.example")
    assert "Sid Starter was added." in text(response)
    assert "Line manager" in text(response)
    assert sid.line_manager == line_manager
    assert "Sid Starter" in text(client.get(reverse("staff_list")))


def test_duplicate_email_in_another_case_is_shown_on_the_email(client, head, teacher):
    _refused_form(
        _as(client, head),
        reverse("staff_create"),
        _staff_post(email="TEACHER@Test.Example"),
        "email",
        "Another member of staff already uses this email address.",
    )


def test_duplicate_email_in_the_edit_form_is_shown_on_the_email(client, head, teacher, colleague):
    data = _staff_post(
        first_name=teacher.first_name, last_name=teacher.last_name, email="Colleague@TEST.example"
    )
    _refused_form(
        _as(client, head),
        reverse("staff_edit", args=[teacher.pk]),
        data,
        "email",
        "Another member of staff already uses this email address.",
    )
    assert Staff.objects.get(pk=teacher.pk).email == "teacher@test.example"


def test_line_manager_self_in_the_edit_form_is_refused_on_the_field(client, head, teacher):
    data = _staff_post(
        first_name=teacher.first_name,
        last_name=teacher.last_name,
        email=teacher.email,
        line_manager=str(teacher.pk),
    )
    response = _refused_form(
        _as(client, head),
        reverse("staff_edit", args=[teacher.pk]),
        data,
        "line_manager",
        "Select a valid choice.",
    )
    assert f"Edit {teacher.full_name}" in text(response)
    assert Staff.objects.get(pk=teacher.pk).line_manager_id != teacher.pk


def test_edit_form_does_not_offer_the_person_as_their_own_manager(client, head, teacher):
    response = _as(client, head).get(reverse("staff_edit", args=[teacher.pk]))
    assert f'value="{teacher.pk}"' not in response.content.decode()


def test_admin_edits_roles_and_job_title(client, admin, teacher):
    data = _staff_post(
        first_name=teacher.first_name,
        last_name=teacher.last_name,
        email=teacher.email,
        job_title="Head of English",
        roles=["line_manager"],
    )
    response = _as(client, admin).post(reverse("staff_edit", args=[teacher.pk]), data, follow=True)
    page = text(response)
    assert f"{teacher.full_name} was updated." in page
    assert "Head of English" in page
    assert "Line manager" in page
    assert AuditEvent.objects.get(action="staff.update").reason == (
        "changed: job_title, line_manager; roles: line_manager"
    )


def test_the_administrator_cannot_choose_their_own_line_manager_on_their_page(
    client, admin, line_manager
):
    data = _staff_post(
        first_name=admin.first_name,
        last_name=admin.last_name,
        email=admin.email,
        job_title=admin.job_title,
        staff_type=admin.staff_type,
        roles=["school_admin"],
        line_manager=str(line_manager.pk),
    )
    response = _as(client, admin).post(reverse("staff_edit", args=[admin.pk]), data)
    assert response.status_code == 200
    assert "You cannot choose or remove your own line manager" in field_error(
        response, "line_manager"
    )
    admin.refresh_from_db()
    assert admin.line_manager is None


@pytest.mark.parametrize("persona", ["dsl", "deputy", "teacher", "line_manager"])
def test_other_roles_cannot_edit_staff(client, request, persona, colleague):
    _as(client, request.getfixturevalue(persona))
    response = client.post(reverse("staff_edit", args=[colleague.pk]), _staff_post())
    assert response.status_code == 403
    assert Staff.objects.get(pk=colleague.pk).first_name != "Sid"


# --- import page ------------------------------------------------------------------------------


def _upload(client, kind, file):
    file.name = "people.csv"
    return client.post(reverse("people_import"), {"kind": kind, "file": file}, follow=True)


def test_import_page_lists_every_problem_by_line_and_imports_nothing(client, head):
    file = csv_bytes(
        PUPIL_HEADER,
        "Good,Row,2012-01-01,2023-09-04,,7",
        "Bad,Date,2012-13-45,2023-09-04,,7",
        "Early,Leaver,2012-01-01,2023-09-04,2023-09-01,7",
    )
    before = row_counts()
    page = text(_upload(_as(client, head), "pupils", file))
    assert "Nothing was imported: 2 problems found" in page
    assert "Line 3: date of birth: Enter a valid date." in page
    assert "Line 4: leaving date: The leaving date cannot be before the admission date." in page
    assert row_counts() == before


def test_import_page_with_a_good_pupil_file_shows_the_pupils(client, head):
    file = csv_bytes(
        PUPIL_HEADER, "Imo,Ported,2012-01-01,2023-09-04,,7", "Ida,Loaded,2011-05-05,2022-09-05,,8"
    )
    response = _upload(_as(client, head), "pupils", file)
    assert response.redirect_chain == [(reverse("pupil_list"), 302)]
    page = text(response)
    assert "2 pupils imported." in page
    assert "Imo Ported" in page
    assert "Ida Loaded" in page


def test_import_page_with_a_good_staff_file_shows_the_staff(client, admin, head):
    file = csv_bytes(
        "email,first_name,last_name,line_manager_email",
        f"imp@test.example,Imogen,Portman,{head.email}",
    )
    response = _upload(_as(client, admin), "staff", file)
    assert response.redirect_chain == [(reverse("staff_list"), 302)]
    assert "1 staff imported." in text(response)
    assert "Imogen Portman" in text(response)


def test_import_page_without_a_file_asks_for_one(client, head):
    response = _as(client, head).post(reverse("people_import"), {"kind": "pupils"})
    assert "This field is required." in field_error(response, "file")


@pytest.mark.parametrize("persona", ["dsl", "deputy", "teacher", "governor"])
def test_import_page_is_for_editors_only(client, request, persona):
    _as(client, request.getfixturevalue(persona))
    assert client.get(reverse("people_import")).status_code == 403
    file = csv_bytes(PUPIL_HEADER, "Imo,Ported,2012-01-01,2023-09-04,,7")
    assert _upload(client, "pupils", file).status_code == 403
    assert not Pupil.objects.exists()


# --- deactivating -----------------------------------------------------------------------------


def test_head_deactivates_a_member_of_staff(client, head, teacher):
    url = reverse("staff_active", args=[teacher.pk])
    response = _as(client, head).post(url, {"active": "0"}, follow=True)
    assert f"{teacher.full_name} was deactivated and can no longer sign in." in text(response)
    assert "Inactive" in text(response)
    assert not Staff.objects.get(pk=teacher.pk).is_active


def test_head_reactivates_a_member_of_staff(client, head, teacher):
    Staff.objects.filter(pk=teacher.pk).update(is_active=False)
    url = reverse("staff_active", args=[teacher.pk])
    response = _as(client, head).post(url, {"active": "1"}, follow=True)
    assert f"{teacher.full_name} was reactivated." in text(response)
    assert Staff.objects.get(pk=teacher.pk).is_active


def test_head_cannot_deactivate_themself_through_the_page(client, head):
    url = reverse("staff_active", args=[head.pk])
    response = _as(client, head).post(url, {"active": "0"}, follow=True)
    assert "You cannot deactivate your own account." in text(response)
    assert Staff.objects.get(pk=head.pk).is_active


@pytest.mark.parametrize("persona", ["dsl", "line_manager", "teacher"])
def test_other_roles_cannot_deactivate(client, request, persona, colleague):
    _as(client, request.getfixturevalue(persona))
    client.post(reverse("staff_active", args=[colleague.pk]), {"active": "0"})
    assert Staff.objects.get(pk=colleague.pk).is_active


def test_head_cannot_deactivate_staff_of_another_school(client, head, outsider):
    response = _as(client, head).post(reverse("staff_active", args=[outsider.pk]), {"active": "0"})
    assert response.status_code == 404
    assert Staff.objects.get(pk=outsider.pk).is_active


# --- relatives --------------------------------------------------------------------------------


def test_teacher_records_their_own_relative(client, teacher, pupil):
    url = reverse("relative_add", args=[teacher.pk])
    data = {"pupil": str(pupil.pk), "relationship": "child"}
    response = _as(client, teacher).post(url, data, follow=True)
    page = text(response)
    assert (
        "The relationship was declared. It counts only once the headteacher has acknowledged it."
        in page
    )
    assert "Ava Current · Own child Awaiting acknowledgement" in page
    assert StaffRelative.objects.filter(staff=teacher, pupil=pupil).exists()


def test_relative_form_offers_only_this_schools_pupils(client, teacher, pupil, other_pupil):
    url = reverse("relative_add", args=[teacher.pk])
    assert options(find_pupils(_as(client, teacher), url, "Ava"), "pupil") == {
        pupil_choice_label(pupil): False
    }
    assert options(find_pupils(client, url, "Zed"), "pupil") == {}


def test_relative_form_refuses_the_same_pupil_twice(client, teacher, pupil):
    StaffRelativeFactory(staff=teacher, pupil=pupil)
    _refused_form(
        _as(client, teacher),
        reverse("relative_add", args=[teacher.pk]),
        {"pupil": str(pupil.pk), "relationship": "sibling"},
        "pupil",
        "A relationship with this pupil is already declared: end it first.",
    )


def test_teacher_cannot_add_a_relative_for_another_teacher(client, teacher, colleague, pupil):
    url = reverse("relative_add", args=[colleague.pk])
    response = _as(client, teacher).post(url, {"pupil": str(pupil.pk), "relationship": "child"})
    assert response.status_code == 404
    assert not StaffRelative.objects.exists()


def test_line_manager_cannot_add_a_relative_for_a_report(client, line_manager, teacher, pupil):
    url = reverse("relative_add", args=[teacher.pk])
    data = {"pupil": str(pupil.pk), "relationship": "child"}
    response = _as(client, line_manager).post(url, data)
    assert response.status_code == 403
    assert not StaffRelative.objects.exists()


def test_admin_records_a_relative_for_a_teacher(client, admin, teacher, pupil):
    url = reverse("relative_add", args=[teacher.pk])
    data = {"pupil": str(pupil.pk), "relationship": "grandchild"}
    response = _as(client, admin).post(url, data, follow=True)
    assert "Ava Current · Grandchild" in text(response)


def test_teacher_ends_their_own_declaration(client, teacher, pupil):
    relative = StaffRelativeFactory(staff=teacher, pupil=pupil)
    url = reverse("relative_end", args=[relative.pk])
    response = _as(client, teacher).post(url, {"reason": "She changed school"}, follow=True)
    page = text(response)
    assert "The declaration for Ava Current was ended." in page
    assert "Ended" in page and "She changed school" in page
    assert StaffRelative.objects.get().is_ended


def test_teacher_cannot_end_a_colleagues_declaration(client, teacher, colleague, pupil):
    relative = StaffRelativeFactory(staff=colleague, pupil=pupil)
    response = _as(client, teacher).post(reverse("relative_end", args=[relative.pk]))
    assert response.status_code == 404
    assert not StaffRelative.objects.get(pk=relative.pk).is_ended


def test_head_ends_a_declaration_for_someone_else(client, head, teacher, pupil):
    relative = StaffRelativeFactory(staff=teacher, pupil=pupil)
    response = _as(client, head).post(reverse("relative_end", args=[relative.pk]))
    assert response.status_code == 302
    assert StaffRelative.objects.get().is_ended


def test_pupil_page_names_the_staff_relative(client, head, teacher, pupil):
    StaffRelativeFactory(staff=teacher, pupil=pupil, relationship="child")
    page = text(_as(client, head).get(reverse("pupil_detail", args=[pupil.pk])))
    assert f"Declared by {teacher.full_name} · Own child" in page


# --- acknowledging a declared relative (issue 15, finding 6) ----------------------------------


def test_the_staff_page_shows_a_declared_relative_awaiting_acknowledgement(client, teacher, pupil):
    StaffRelativeFactory(staff=teacher, pupil=pupil, declared_by=teacher)

    page = text(_as(client, teacher).get(reverse("staff_detail", args=[teacher.pk])))

    assert "Ava Current · Own child Awaiting acknowledgement" in page
    assert "the usual rules apply until it is acknowledged" in page
    assert "Acknowledge" not in page.replace("Awaiting acknowledgement", "")


def test_the_head_acknowledges_from_the_staff_page(client, head, teacher, pupil):
    relative = StaffRelativeFactory(staff=teacher, pupil=pupil, declared_by=teacher)
    client = _as(client, head)
    url = reverse("staff_detail", args=[teacher.pk])
    assert "Acknowledge Ava Current" in text(client.get(url))

    response = client.post(reverse("relative_acknowledge", args=[relative.pk]), follow=True)

    page = text(response)
    assert response.redirect_chain[-1][0] == url
    assert "Ava Current, own child of" in page
    assert "was acknowledged: contact it covers is recorded, not asked about each time." in page
    assert f"Acknowledged by {head.full_name} on" in page
    assert "Acknowledge Ava Current" not in page
    assert StaffRelative.objects.get(pk=relative.pk).acknowledged_by == head


def test_acknowledging_twice_from_the_page_is_a_message_not_an_error(client, head, teacher, pupil):
    relative = StaffRelativeFactory(
        staff=teacher, pupil=pupil, acknowledged_by=head, acknowledged=True
    )

    response = _as(client, head).post(
        reverse("relative_acknowledge", args=[relative.pk]), follow=True
    )

    assert response.status_code == 200
    assert "This declaration was already acknowledged." in text(response)


def test_the_head_declines_from_the_list_of_relatives_awaiting(client, head, teacher, pupil):
    relative = StaffRelativeFactory(staff=teacher, pupil=pupil, declared_by=teacher)
    client = _as(client, head)
    listed = text(client.get(reverse("relatives_awaiting")))
    assert f"Ava Current · {teacher.full_name}'s declaration: Own child" in listed

    response = client.post(
        reverse("relative_decline", args=[relative.pk]), {"back": "list"}, follow=True
    )

    page = text(response)
    assert response.redirect_chain[-1][0] == reverse("relatives_awaiting")
    assert "was declined and the declaration removed." in page
    assert "No declaration is waiting for you." in page
    assert not StaffRelative.objects.exists()


def test_the_chair_acknowledges_the_head_s_relative_from_the_list(client, head, chair, pupil):
    relative = StaffRelativeFactory(staff=head, pupil=pupil, declared_by=head)
    assert "No declaration is waiting for you." in text(
        _as(client, head).get(reverse("relatives_awaiting"))
    )
    client = _as(client, chair)
    assert f"Ava Current · {head.full_name}'s declaration: Own child" in text(
        client.get(reverse("relatives_awaiting"))
    )

    response = client.post(
        reverse("relative_acknowledge", args=[relative.pk]), {"back": "list"}, follow=True
    )

    assert "was acknowledged" in text(response)
    assert StaffRelative.objects.get(pk=relative.pk).acknowledged_by == chair


# Who may acknowledge the teacher's declared relative: 403 for a role that never acknowledges,
# 404 where the declaration is out of reach, the head alone succeeds.
ACKNOWLEDGING = {
    "teacher": 403,
    "colleague": 403,
    "line_manager": 403,
    "deputy": 403,
    "assistant": 403,
    "dsl": 403,
    "admin": 403,
    "governor": 403,
    "chair": 404,
    "outsider": 404,
    "head": 302,
}


@pytest.mark.parametrize("action", ["relative_acknowledge", "relative_decline"])
@pytest.mark.parametrize("persona", ACKNOWLEDGING)
def test_only_the_head_acknowledges_or_declines_a_teacher_s_relative(
    request, client, action, persona, teacher, pupil
):
    relative = StaffRelativeFactory(staff=teacher, pupil=pupil, declared_by=teacher)
    actor = request.getfixturevalue(persona)
    before = row_counts()

    response = _as(client, actor).post(reverse(action, args=[relative.pk]))

    assert response.status_code == ACKNOWLEDGING[persona]
    if persona != "head":
        assert row_counts() == before
        assert not StaffRelative.objects.get(pk=relative.pk).is_acknowledged


def test_the_head_cannot_acknowledge_their_own_relative_from_their_page(client, head, pupil):
    relative = StaffRelativeFactory(staff=head, pupil=pupil, declared_by=head)
    client = _as(client, head)
    assert "Acknowledge Ava Current" not in text(
        client.get(reverse("staff_detail", args=[head.pk]))
    )

    response = client.post(reverse("relative_acknowledge", args=[relative.pk]))

    assert response.status_code == 403
    assert not StaffRelative.objects.get(pk=relative.pk).is_acknowledged


def test_the_dashboard_tells_the_head_of_relatives_awaiting(client, head, teacher, pupil):
    StaffRelativeFactory(staff=teacher, pupil=pupil, declared_by=teacher)

    page = text(_as(client, head).get(reverse("dashboard")))

    assert "1 declared relationship with pupils awaits your acknowledgement" in page


def test_the_pupil_page_shows_a_declared_relative_as_awaiting(client, head, teacher, pupil):
    StaffRelativeFactory(staff=teacher, pupil=pupil, declared_by=teacher)
    page = text(_as(client, head).get(reverse("pupil_detail", args=[pupil.pk])))
    assert f"Declared by {teacher.full_name} · Own child Awaiting acknowledgement" in page


# --- POST-only endpoints ----------------------------------------------------------------------


def test_post_only_endpoints_reject_get(client, head, teacher, pupil):
    relative = StaffRelativeFactory(staff=teacher, pupil=pupil)
    _as(client, head)
    for url in (
        reverse("staff_active", args=[teacher.pk]),
        reverse("relative_end", args=[relative.pk]),
        reverse("relative_review", args=[relative.pk]),
        reverse("logout"),
    ):
        assert client.get(url).status_code == 405, url
    assert Staff.objects.get(pk=teacher.pk).is_active
    assert not StaffRelative.objects.get(pk=relative.pk).is_ended


# --- sessions and query counts ----------------------------------------------------------------


def test_a_deactivated_persons_open_session_stops_working(client, head, teacher):
    sign_in(client, teacher)
    assert client.get(reverse("staff_detail", args=[teacher.pk])).status_code == 200
    Staff.objects.filter(pk=teacher.pk).update(is_active=False)
    response = client.get(reverse("staff_detail", args=[teacher.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def _queries_for(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("url_name", ["staff_list", "pupil_list"])
def test_directory_query_count_does_not_grow_with_the_rows(client, head, school, url_name):
    _as(client, head)
    url = reverse(url_name)
    StaffFactory.create_batch(3, school=school, line_manager=head, roles=["dsl"])
    PupilFactory.create_batch(3, school=school)
    few = _queries_for(client, url)
    StaffFactory.create_batch(20, school=school, line_manager=head, roles=["dsl"])
    PupilFactory.create_batch(20, school=school)
    assert _queries_for(client, url) == few
