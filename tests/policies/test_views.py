"""The policy pages, "Can I do this?", the dashboard and the starting page, as people see them."""

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format

from contacts.people.models import Staff
from contacts.people.pupil_picker import pupil_choice_label
from policies import services
from policies.engine import CLAUSES
from policies.models import Acknowledgement, Policy, PolicyClause, PolicyVersion
from safeguard.audit.models import AuditEvent
from safeguard.core.roles import Role
from tests.factories import PupilFactory, StaffRelativeFactory
from tests.factories_policies import PolicyClauseFactory, PolicyFactory, PolicyVersionFactory
from tests.helpers import field_error, find_pupils, options, row_counts, sign_in, text

PDF_BYTES = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< >>\n%%EOF\n"
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64
EDITORS = ["head", "admin"]
NOT_EDITORS = ["teacher", "governor"]
IN_SCHOOL = ["head", "admin", "deputy", "dsl", "teacher", "governor"]


def _today() -> dt.date:
    return timezone.localdate()


def _day(days: int) -> str:
    return (_today() + dt.timedelta(days=days)).isoformat()


def _as(client, user):
    sign_in(client, user)
    return client


def _all_rows() -> dict[str, int]:
    counts = row_counts()
    for model in (Policy, PolicyVersion, PolicyClause, Acknowledgement):
        counts[model.__name__] = model.objects.count()
    return counts


def _row(response, title: str) -> str:
    """The text of the table row that names `title`."""
    for row in re.findall(r"<tr>(.*?)</tr>", response.content.decode(), flags=re.S):
        if title in row:
            return text(row)
    raise AssertionError(f"no row for {title!r}")


def _policy(actor, school, title="Safer working practice", **extra):
    fields = {
        "school": school,
        "title": title,
        "owner_role": Role.HEADTEACHER,
        "summary": "Keep clear professional boundaries with pupils.",
        "clauses": ["work_contact.approval"],
        "last_reviewed": _today() - dt.timedelta(days=10),
        "next_review": _today() + dt.timedelta(days=355),
        "text": "Staff keep clear professional boundaries.",
    }
    return services.policy_create(actor=actor, **(fields | extra))


def _overdue(actor, school, title="Home visits"):
    return _policy(
        actor,
        school,
        title=title,
        last_reviewed=_today() - dt.timedelta(days=800),
        next_review=_today() - dt.timedelta(days=70),
    )


@pytest.fixture
def upload_root(settings, tmp_path):
    root = tmp_path / "private-uploads"
    settings.PRIVATE_UPLOAD_ROOT = str(root)
    return root


@pytest.fixture
def policy(head, school):
    return _policy(head, school)


@pytest.fixture
def foreign_policy(other_school):
    """A policy of another school on the same installation."""
    return PolicyVersionFactory(
        policy=PolicyFactory(school=other_school, title="Elsewhere policy"),
        text="",
        document="0123456789abcdef0123456789abcdef.pdf",
        document_name="elsewhere.pdf",
    ).policy


# --- "Can I do this?" -------------------------------------------------------------------------


@pytest.fixture
def vulnerable_leaver(school):
    """An adult former pupil, flagged vulnerable, who left a year ago: inside the 3-year window."""
    born = _today() - dt.timedelta(days=20 * 365)
    return PupilFactory(
        school=school,
        first_name="Val",
        last_name="Leaver",
        date_of_birth=born,
        admission_date=born + dt.timedelta(days=11 * 365),
        leaving_date=_today() - dt.timedelta(days=365),
        year_group=13,
        vulnerable_adult=True,
    )


def _question(pupil, **extra):
    data = {
        "pupil": pupil.pk,
        "with_whom": "pupil",
        "kind": "meeting",
        "purpose": "work",
        "contact_date": _day(7),
        "planned": "yes",
        "exemption": "",
    }
    return data | extra


def _lift(pupil):
    return _question(
        pupil, kind="transport", purpose="personal", planned="yes", contact_date=_day(3)
    )


def test_a_lift_inside_a_declaration_is_recorded_and_its_conditions_shown(
    client, teacher, head, pupil
):
    StaffRelativeFactory(
        staff=teacher,
        pupil=pupil,
        relationship="childs_friend",
        contact="Lifts home from football.",
        contact_kinds=["transport"],
        acknowledged=True,
        acknowledged_by=head,
        conditions="Only with her mother told beforehand.",
    )
    page = text(_as(client, teacher).post(reverse("contact_check"), _lift(pupil)))
    assert "What the policies say: Allowed, but it must be recorded" in page
    assert "001 §3" in page
    assert (
        f"Your declared relationship with {pupil.full_name} (friend of own child) covers this"
        in page
    )
    assert "Conditions: Only with her mother told beforehand." in page


def test_check_page_shows_the_questions_and_the_school_s_pupils(
    client, teacher, pupil, other_pupil
):
    response = _as(client, teacher).get(reverse("contact_check"))

    page = text(response)
    assert response.status_code == 200
    for question in (
        "Can I do this?",
        "Who is the contact with?",
        "Kind of contact",
        "A lift in your vehicle",
        "Purpose",
        "Date of the contact",
        "Is this planned?",
        "Does one of these apply?",
        "The contact could leave the pupil vulnerable",
    ):
        assert question in page
    assert "Find a pupil by name" in page
    assert "What the policies say" not in page
    url = reverse("contact_check")
    assert options(find_pupils(client, url, "Ava"), "pupil") == {pupil_choice_label(pupil): False}
    assert options(find_pupils(client, url, "Zed"), "pupil") == {}


def test_a_planned_personal_lift_for_a_vulnerable_recent_leaver_is_not_allowed(
    client, head, teacher, school, vulnerable_leaver
):
    backing = _policy(
        head,
        school,
        title="Professional relationship boundaries",
        clauses=["personal_contact.vulnerable_window"],
    )
    clause = CLAUSES["personal_contact.vulnerable_window"]

    response = _as(client, teacher).post(reverse("contact_check"), _lift(vulnerable_leaver))

    page = text(response)
    assert response.status_code == 200
    assert "What the policies say: Not allowed" in page
    assert clause.text in page
    assert clause.citation == "003 §2"
    assert "003 §2" in page
    assert "Our policy: Professional relationship boundaries" in page
    detail = reverse("policy_detail", args=[backing.pk])
    assert f'<a href="{detail}">Professional relationship boundaries</a>' in (
        response.content.decode()
    )
    assert "This contact is not allowed." in page


def test_the_vulnerable_checkbox_alone_makes_the_lift_not_allowed(client, teacher, school):
    born = _today() - dt.timedelta(days=20 * 365)
    leaver = PupilFactory(
        school=school,
        date_of_birth=born,
        admission_date=born + dt.timedelta(days=11 * 365),
        leaving_date=_today() - dt.timedelta(days=365),
    )
    client = _as(client, teacher)

    without = text(client.post(reverse("contact_check"), _lift(leaver)))
    with_box = text(
        client.post(reverse("contact_check"), _lift(leaver) | {"vulnerable_context": "on"})
    )

    assert "What the policies say: Needs approval first" in without
    assert "What the policies say: Not allowed" in with_box


def test_a_finding_without_a_school_policy_shows_no_policy_link(
    client, teacher, vulnerable_leaver, foreign_policy
):
    # Another school's policy backing the same clause is not this school's policy.
    PolicyClauseFactory(policy=foreign_policy, clause="personal_contact.vulnerable_window")

    response = _as(client, teacher).post(reverse("contact_check"), _lift(vulnerable_leaver))

    assert "What the policies say: Not allowed" in text(response)
    assert "Our policy:" not in text(response)
    assert "Elsewhere policy" not in text(response)


def test_a_planned_work_meeting_with_a_current_pupil_needs_the_head_s_approval(
    client, teacher, pupil
):
    response = _as(client, teacher).post(reverse("contact_check"), _question(pupil))

    page = text(response)
    assert "What the policies say: Needs approval first" in page
    assert "Approved by: The headteacher" in page
    assert CLAUSES["work_contact.approval"].text in page
    assert "Record it on your staff file" in page
    assert "Tell your line manager" in page


def test_the_same_meeting_asked_by_the_head_needs_the_chair_of_governors(client, head, pupil):
    response = _as(client, head).post(reverse("contact_check"), _question(pupil))

    page = text(response)
    assert "What the policies say: Needs approval first" in page
    assert "Approved by: The chair of governors" in page
    assert "Approved by: The headteacher" not in page


def test_a_planned_contact_dated_yesterday_is_refused_next_to_the_date(client, teacher, pupil):
    response = _as(client, teacher).post(
        reverse("contact_check"), _question(pupil, contact_date=_day(-1))
    )

    assert response.status_code == 200
    assert field_error(response, "contact_date") == "A planned contact must be today or later."
    assert "What the policies say" not in text(response)


def test_a_planned_contact_today_is_accepted(client, teacher, pupil):
    response = _as(client, teacher).post(
        reverse("contact_check"), _question(pupil, contact_date=_day(0))
    )

    assert field_error(response, "contact_date") == ""
    assert "What the policies say: Needs approval first" in text(response)


def test_an_unplanned_contact_dated_tomorrow_is_refused_next_to_the_date(client, teacher, pupil):
    response = _as(client, teacher).post(
        reverse("contact_check"), _question(pupil, planned="no", contact_date=_day(1))
    )

    assert field_error(response, "contact_date") == (
        "Something that has already happened cannot be in the future."
    )
    assert "What the policies say" not in text(response)


def test_a_pupil_of_another_school_is_not_a_valid_choice(client, teacher, other_pupil):
    response = _as(client, teacher).post(reverse("contact_check"), _question(other_pupil))

    assert response.status_code == 200
    assert "Select a valid choice" in field_error(response, "pupil")
    assert "What the policies say" not in text(response)
    assert "Zed Elsewhere" not in text(response)


def test_own_family_without_a_recorded_relative_is_refused_next_to_the_question(
    client, teacher, pupil
):
    data = _question(pupil, purpose="personal", exemption="own_family")

    response = _as(client, teacher).post(reverse("contact_check"), data)

    assert "not recorded as your child or relative" in field_error(response, "exemption")
    assert "What the policies say" not in text(response)


def test_own_family_with_a_declared_relative_awaiting_acknowledgement_is_not_family(
    client, teacher, pupil
):
    StaffRelativeFactory(staff=teacher, pupil=pupil, declared_by=teacher)
    data = _question(pupil, kind="meeting", purpose="personal", exemption="own_family")

    response = _as(client, teacher).post(reverse("contact_check"), data)

    assert "awaiting the headteacher's acknowledgement" in field_error(response, "exemption")
    assert "What the policies say" not in text(response)


def test_own_family_with_an_acknowledged_relative_is_assessed(client, head, teacher, pupil):
    StaffRelativeFactory(staff=teacher, pupil=pupil, acknowledged_by=head, acknowledged=True)
    data = _question(pupil, kind="meeting", purpose="personal", exemption="own_family")

    response = _as(client, teacher).post(reverse("contact_check"), data)

    page = text(response)
    assert "What the policies say: Allowed, but it must be recorded" in page
    assert CLAUSES["exemption.own_family"].text in page


def test_a_date_before_the_pupil_was_born_is_refused_next_to_the_date(client, teacher, pupil):
    data = _question(pupil, planned="no", contact_date="2000-01-01")

    response = _as(client, teacher).post(reverse("contact_check"), data)

    assert field_error(response, "contact_date") == "This date is before the pupil was born."


def test_the_check_page_writes_nothing(
    client, head, teacher, school, pupil, other_pupil, vulnerable_leaver
):
    _policy(head, school, clauses=["personal_contact.vulnerable_window"])
    before = _all_rows()
    events = AuditEvent.objects.count()
    client = _as(client, teacher)

    client.get(reverse("contact_check"))
    client.post(reverse("contact_check"), _question(pupil))
    client.post(reverse("contact_check"), _lift(vulnerable_leaver))
    client.post(reverse("contact_check"), _question(pupil, contact_date=_day(-1)))
    client.post(reverse("contact_check"), _question(other_pupil))

    assert AuditEvent.objects.count() == events
    assert _all_rows() == before


def test_the_check_page_needs_a_signed_in_user(client):
    response = client.get(reverse("contact_check"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


# --- Policy list ------------------------------------------------------------------------------


def test_policy_list_shows_titles_overdue_reviews_and_what_to_read(
    client, head, teacher, school, policy
):
    late = _overdue(head, school, title="Home visits")
    services.policy_acknowledge(actor=teacher, version=policy.versions.get())

    response = _as(client, teacher).get(reverse("policy_list"))

    in_date = _row(response, "Safer working practice")
    overdue = _row(response, "Home visits")
    assert "Review overdue" not in in_date
    assert "Please read" not in in_date
    assert in_date.endswith("Read")
    assert "Review overdue" in overdue
    assert "Please read" in overdue
    assert date_format(late.versions.get().next_review, "j M Y") in overdue
    assert "Add a policy" not in text(response)


def test_policy_list_shows_only_the_school_s_own_policies(client, teacher, policy, foreign_policy):
    page = text(_as(client, teacher).get(reverse("policy_list")))

    assert "Safer working practice" in page
    assert "Elsewhere policy" not in page


def test_policy_list_offers_editors_a_way_to_add_one(client, admin, policy):
    assert "Add a policy" in text(_as(client, admin).get(reverse("policy_list")))


def test_policy_list_with_no_policies_says_so(client, teacher):
    page = text(_as(client, teacher).get(reverse("policy_list")))

    assert "The school has not added any policies yet." in page


def test_policy_list_shows_the_newest_version(client, head, teacher, policy):
    services.policy_version_add(
        actor=head,
        policy=policy,
        last_reviewed=_today(),
        next_review=_today() + dt.timedelta(days=365),
        text="Version two.",
        change_note="Reviewed",
    )

    row = _row(_as(client, teacher).get(reverse("policy_list")), "Safer working practice")

    assert row.startswith("Safer working practice Owner: Headteacher 2 ")


# --- Policy detail ----------------------------------------------------------------------------


def test_policy_detail_shows_the_current_text_clauses_and_versions(client, head, teacher, policy):
    services.policy_version_add(
        actor=head,
        policy=policy,
        last_reviewed=_today(),
        next_review=_today() + dt.timedelta(days=365),
        text="Version two of the policy.",
        change_note="Lifts section added",
    )

    page = text(_as(client, teacher).get(reverse("policy_detail", args=[policy.pk])))

    clause = CLAUSES["work_contact.approval"]
    assert "Safer working practice" in page
    assert "Version 2 Reviewed" in page
    assert "Lifts section added" in page
    assert "Version two of the policy." in page
    assert "Staff keep clear professional boundaries." not in page
    assert "Rules it stands behind" in page
    assert f"{clause.citation} {clause.text}" in page
    assert "Version 2 · " in page and "(current)" in page
    assert "Version 1 · " in page
    assert "Superseded" not in page


def test_policy_detail_shows_an_older_version_on_request(client, head, teacher, policy):
    services.policy_version_add(
        actor=head,
        policy=policy,
        last_reviewed=_today(),
        next_review=_today() + dt.timedelta(days=365),
        text="Version two of the policy.",
        change_note="Lifts section added",
    )

    response = _as(client, teacher).get(reverse("policy_detail", args=[policy.pk]), {"version": 1})

    page = text(response)
    assert "Version 1 Superseded" in page
    assert "Staff keep clear professional boundaries." in page
    assert "First version" in page
    assert "Version two of the policy." not in page
    # The confirmation asked for is still of the current version.
    assert "Please read version 2 of this policy" in page


def test_policy_detail_shows_review_overdue(client, head, teacher, school):
    late = _overdue(head, school)

    page = text(_as(client, teacher).get(reverse("policy_detail", args=[late.pk])))

    assert "Review overdue" in page


def test_reading_a_policy_is_recorded_and_then_the_page_says_so(client, teacher, policy):
    version = policy.versions.get()
    client = _as(client, teacher)
    before = text(client.get(reverse("policy_detail", args=[policy.pk])))
    assert "Please read version 1 of this policy, then confirm." in before
    assert "I have read this version" in before

    response = client.post(reverse("policy_acknowledge", args=[version.pk]), follow=True)

    page = text(response)
    assert response.redirect_chain == [(reverse("policy_detail", args=[policy.pk]), 302)]
    assert Acknowledgement.objects.filter(version=version, staff=teacher).count() == 1
    assert AuditEvent.objects.filter(action="policy.acknowledge", actor=teacher).count() == 1
    assert "Thank you: your confirmation is recorded." in page
    assert "You confirmed you read version 1 on" in page
    assert "I have read this version" not in page


def test_reading_a_policy_twice_says_so_and_records_it_once(client, teacher, policy):
    version = policy.versions.get()
    client = _as(client, teacher)
    client.post(reverse("policy_acknowledge", args=[version.pk]))

    response = client.post(reverse("policy_acknowledge", args=[version.pk]), follow=True)

    assert "You have already confirmed that you read this version." in text(response)
    assert Acknowledgement.objects.filter(staff=teacher).count() == 1


def test_confirming_a_superseded_version_is_refused_with_a_message(client, head, teacher, policy):
    v1 = policy.versions.get()
    services.policy_version_add(
        actor=head,
        policy=policy,
        last_reviewed=_today(),
        next_review=_today() + dt.timedelta(days=365),
        text="New",
        change_note="Reviewed",
    )

    response = _as(client, teacher).post(reverse("policy_acknowledge", args=[v1.pk]), follow=True)

    assert "A newer version of this policy exists: read that one." in text(response)
    assert not Acknowledgement.objects.exists()


def test_get_on_acknowledge_is_not_allowed(client, teacher, policy):
    version = policy.versions.get()

    response = _as(client, teacher).get(reverse("policy_acknowledge", args=[version.pk]))

    assert response.status_code == 405
    assert not Acknowledgement.objects.exists()


@pytest.mark.parametrize("persona", EDITORS)
def test_editors_see_who_has_not_read_the_policy(request, client, persona, head, teacher, policy):
    services.policy_acknowledge(actor=head, version=policy.versions.get())
    yet = Staff.objects.filter(school=policy.school, is_active=True).exclude(pk=head.pk)

    response = _as(client, request.getfixturevalue(persona)).get(
        reverse("policy_detail", args=[policy.pk])
    )

    assert f"Not yet read version 1 ({yet.count()})" in text(response)
    not_read = response.content.decode().split("Not yet read version 1")[1]
    assert f'href="{reverse("staff_detail", args=[teacher.pk])}">{teacher.full_name}<' in not_read
    assert reverse("staff_detail", args=[head.pk]) not in not_read


def test_a_teacher_does_not_see_who_has_not_read_it(client, teacher, colleague, policy):
    response = _as(client, teacher).get(reverse("policy_detail", args=[policy.pk]))

    page = text(response)
    assert "Not yet read" not in page
    assert reverse("staff_detail", args=[colleague.pk]) not in response.content.decode()
    assert "Edit details" not in page
    assert "New version" not in page


def test_a_policy_without_acknowledgement_asks_nobody_to_read_it(client, head, teacher, school):
    optional = _policy(head, school, title="Optional", requires_acknowledgement=False)

    page = text(_as(client, teacher).get(reverse("policy_detail", args=[optional.pk])))

    assert "I have read this version" not in page
    assert "Please read" not in page


@pytest.mark.parametrize("persona", IN_SCHOOL)
def test_a_policy_of_another_school_is_not_found(request, client, persona, foreign_policy):
    client = _as(client, request.getfixturevalue(persona))
    version = foreign_policy.versions.get()

    detail = client.get(reverse("policy_detail", args=[foreign_policy.pk]))
    acknowledge = client.post(reverse("policy_acknowledge", args=[version.pk]))
    document = client.get(reverse("policy_document", args=[version.pk]))

    assert detail.status_code == 404
    assert "Elsewhere policy" not in text(detail)
    assert acknowledge.status_code == 404
    assert document.status_code == 404
    assert not Acknowledgement.objects.exists()


@pytest.mark.parametrize("persona", EDITORS)
def test_editors_cannot_edit_a_policy_of_another_school(request, client, persona, foreign_policy):
    client = _as(client, request.getfixturevalue(persona))

    edit = client.post(
        reverse("policy_edit", args=[foreign_policy.pk]),
        {"title": "Taken over", "owner_role": "headteacher", "summary": "x"},
    )
    new_version = client.get(reverse("policy_version_add", args=[foreign_policy.pk]))

    assert edit.status_code == 404
    assert new_version.status_code == 404
    assert Policy.objects.get(pk=foreign_policy.pk).title == "Elsewhere policy"


def test_an_unknown_version_number_shows_the_current_one(client, teacher, policy):
    response = _as(client, teacher).get(
        reverse("policy_detail", args=[policy.pk]), {"version": "99"}
    )

    assert response.status_code == 200
    assert "Staff keep clear professional boundaries." in text(response)


# --- PDF download -----------------------------------------------------------------------------


@pytest.fixture
def pdf_policy(head, school, upload_root):
    upload = SimpleUploadedFile("Safer working 2025.pdf", PDF_BYTES, content_type="application/pdf")
    return _policy(head, school, title="With a PDF", text="", document=upload)


@pytest.mark.parametrize("persona", ["teacher", "governor", "head"])
def test_the_pdf_is_downloaded_as_an_attachment_by_staff(request, client, persona, pdf_policy):
    version = pdf_policy.versions.get()
    client = _as(client, request.getfixturevalue(persona))

    response = client.get(reverse("policy_document", args=[version.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "Safer working 2025.pdf" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == PDF_BYTES


def test_the_detail_page_links_to_the_pdf(client, teacher, pdf_policy):
    version = pdf_policy.versions.get()

    response = _as(client, teacher).get(reverse("policy_detail", args=[pdf_policy.pk]))

    assert "Download the PDF (Safer working 2025.pdf)" in text(response)
    assert reverse("policy_document", args=[version.pk]) in response.content.decode()


def test_the_pdf_is_not_found_for_the_head_of_another_school(client, outsider, pdf_policy):
    response = _as(client, outsider).get(
        reverse("policy_document", args=[pdf_policy.versions.get().pk])
    )

    assert response.status_code == 404


def test_a_version_without_a_pdf_has_no_download(client, teacher, policy):
    response = _as(client, teacher).get(reverse("policy_document", args=[policy.versions.get().pk]))

    assert response.status_code == 404


# --- Create, edit, new version ----------------------------------------------------------------


def _new_policy_data(**extra):
    data = {
        "title": "Lifts and transport",
        "owner_role": "headteacher",
        "summary": "Lifts are the exception.",
        "requires_acknowledgement": "on",
        "last_reviewed": _day(-10),
        "next_review": _day(355),
        "text": "Lifts only in an emergency.",
        "clauses": ["transport.planned_work", "transport.emergency"],
    }
    return data | extra


@pytest.mark.parametrize("persona", EDITORS)
def test_editors_add_a_policy(request, client, persona, school):
    user = request.getfixturevalue(persona)
    client = _as(client, user)
    assert "Add a policy" in text(client.get(reverse("policy_create")))

    response = client.post(reverse("policy_create"), _new_policy_data(), follow=True)

    policy = Policy.objects.get(title="Lifts and transport")
    assert policy.school == school
    assert response.redirect_chain == [(reverse("policy_detail", args=[policy.pk]), 302)]
    assert set(policy.clauses.values_list("clause", flat=True)) == {
        "transport.planned_work",
        "transport.emergency",
    }
    assert policy.versions.get().created_by == user
    page = text(response)
    assert "“Lifts and transport” was added." in page
    assert "Lifts only in an emergency." in page


def test_the_head_adds_a_policy_as_a_pdf(client, head, upload_root):
    upload = SimpleUploadedFile("lifts.pdf", PDF_BYTES, content_type="application/pdf")

    response = _as(client, head).post(
        reverse("policy_create"), _new_policy_data(text="", document=upload), follow=True
    )

    version = PolicyVersion.objects.get()
    assert version.document_name == "lifts.pdf"
    assert (upload_root / version.document).read_bytes() == PDF_BYTES
    assert "Download the PDF (lifts.pdf)" in text(response)


def _assert_nothing_created(before):
    assert _all_rows() == before
    assert not Policy.objects.filter(title="Lifts and transport").exists()


def test_bad_dates_are_shown_next_to_the_field_and_nothing_is_created(client, head):
    before = _all_rows()

    response = _as(client, head).post(
        reverse("policy_create"), _new_policy_data(last_reviewed=_day(-5), next_review=_day(-5))
    )

    assert response.status_code == 200
    assert field_error(response, "next_review") == (
        "The next review must come after the last review."
    )
    _assert_nothing_created(before)


def test_a_last_review_in_the_future_is_shown_next_to_the_field(client, head):
    before = _all_rows()

    response = _as(client, head).post(
        reverse("policy_create"), _new_policy_data(last_reviewed=_day(1), next_review=_day(400))
    )

    assert field_error(response, "last_reviewed") == "The last review cannot be in the future."
    _assert_nothing_created(before)


def test_a_policy_with_no_text_or_pdf_is_refused_next_to_the_text(client, head):
    before = _all_rows()

    response = _as(client, head).post(reverse("policy_create"), _new_policy_data(text=""))

    assert field_error(response, "text") == "Paste the policy text or upload it as a PDF."
    _assert_nothing_created(before)


def test_a_duplicate_title_is_refused_next_to_the_title(client, head, policy):
    before = _all_rows()

    response = _as(client, head).post(
        reverse("policy_create"), _new_policy_data(title="SAFER working practice")
    )

    assert field_error(response, "title") == "The school already has a policy with this title."
    assert _all_rows() == before


def test_missing_fields_are_shown_next_to_them(client, head):
    before = _all_rows()

    response = _as(client, head).post(
        reverse("policy_create"), _new_policy_data(title="", summary="", next_review="")
    )

    assert field_error(response, "title") == "This field is required."
    assert field_error(response, "summary") == "This field is required."
    assert field_error(response, "next_review") == "This field is required."
    assert _all_rows() == before


def test_an_executable_named_pdf_is_refused_next_to_the_upload(client, head, upload_root):
    before = _all_rows()
    upload = SimpleUploadedFile("policy.pdf", EXE_BYTES, content_type="application/pdf")

    response = _as(client, head).post(
        reverse("policy_create"), _new_policy_data(text="", document=upload)
    )

    assert response.status_code == 200
    assert "Upload a PDF file; this file is not one." in text(response)
    assert field_error(response, "document") == "Upload a PDF file; this file is not one."
    _assert_nothing_created(before)
    assert not upload_root.exists() or list(upload_root.iterdir()) == []


@pytest.mark.parametrize("persona", NOT_EDITORS)
def test_others_cannot_add_edit_or_version_a_policy(request, client, persona, policy):
    client = _as(client, request.getfixturevalue(persona))
    before = _all_rows()
    pages = [
        reverse("policy_create"),
        reverse("policy_edit", args=[policy.pk]),
        reverse("policy_version_add", args=[policy.pk]),
    ]

    for url in pages:
        got = client.get(url)
        posted = client.post(url, _new_policy_data(change_note="Sneaky"))
        assert got.status_code == 403, url
        assert posted.status_code == 403, url
        assert "You do not have access to this page" in text(posted)

    assert _all_rows() == before
    assert Policy.objects.get(pk=policy.pk).title == "Safer working practice"


@pytest.mark.parametrize("persona", EDITORS)
def test_editors_edit_a_policy(request, client, persona, policy):
    client = _as(client, request.getfixturevalue(persona))
    form = text(client.get(reverse("policy_edit", args=[policy.pk])))
    assert "Edit “Safer working practice”" in form

    response = client.post(
        reverse("policy_edit", args=[policy.pk]),
        {
            "title": "Safer working",
            "owner_role": "dsl",
            "summary": "Updated summary.",
            "clauses": ["gift.record"],
        },
        follow=True,
    )

    policy.refresh_from_db()
    assert policy.title == "Safer working"
    assert policy.owner_role == Role.DSL
    assert policy.requires_acknowledgement is False
    assert list(policy.clauses.values_list("clause", flat=True)) == ["gift.record"]
    page = text(response)
    assert "The policy was updated." in page
    assert "Owner: Designated safeguarding lead" in page
    assert CLAUSES["gift.record"].text in page
    assert AuditEvent.objects.filter(action="policy.update").count() == 1


def test_the_edit_form_starts_from_the_policy(client, head, policy):
    page = _as(client, head).get(reverse("policy_edit", args=[policy.pk])).content.decode()

    assert 'value="Safer working practice"' in page
    assert re.search(r'<input[^>]*value="work_contact.approval"[^>]*checked', page)


def test_editing_to_another_policy_s_title_is_refused_next_to_the_title(
    client, head, school, policy
):
    other = _policy(head, school, title="Lifts")

    response = _as(client, head).post(
        reverse("policy_edit", args=[other.pk]),
        {"title": "safer working practice", "owner_role": "headteacher", "summary": "x"},
    )

    assert field_error(response, "title") == "The school already has a policy with this title."
    assert Policy.objects.get(pk=other.pk).title == "Lifts"


@pytest.mark.parametrize("persona", EDITORS)
def test_editors_add_a_new_version(request, client, persona, policy):
    client = _as(client, request.getfixturevalue(persona))
    assert "New version of “Safer working practice”" in text(
        client.get(reverse("policy_version_add", args=[policy.pk]))
    )

    response = client.post(
        reverse("policy_version_add", args=[policy.pk]),
        {
            "last_reviewed": _day(0),
            "next_review": _day(365),
            "text": "The 2025 text.",
            "change_note": "Annual review",
        },
        follow=True,
    )

    assert list(policy.versions.values_list("number", flat=True)) == [2, 1]
    page = text(response)
    assert "Version 2 is now the current version." in page
    assert "The 2025 text." in page
    assert "Annual review" in page


def test_a_new_version_without_a_change_note_is_refused_next_to_it(client, head, policy):
    before = _all_rows()

    response = _as(client, head).post(
        reverse("policy_version_add", args=[policy.pk]),
        {"last_reviewed": _day(0), "next_review": _day(365), "text": "New", "change_note": ""},
    )

    assert field_error(response, "change_note") == "Say briefly what changed in this version."
    assert _all_rows() == before


# --- Dashboard and starting page --------------------------------------------------------------


def test_the_head_s_dashboard_shows_overdue_reviews_and_who_has_to_read(
    client, head, teacher, governor, school, policy
):
    late = _overdue(head, school, title="Home visits")
    services.policy_acknowledge(actor=teacher, version=policy.versions.get())
    staff = Staff.objects.filter(school=school, is_active=True).count()

    page = text(_as(client, head).get(reverse("dashboard")))

    due = date_format(late.versions.get().next_review, "j M Y")
    assert "Policy reviews overdue (1)" in page
    assert f"Home visits · Overdue review was due {due}" in page
    assert "Safer working practice · Overdue" not in page
    assert f"Safer working practice (version 1): {staff - 1} members of staff" in page
    assert f"Home visits (version 1): {staff} members of staff" in page
    assert "Policies for you to read" in page


def test_the_dashboard_counts_who_has_read_each_policy_in_queries_that_do_not_grow(
    client, head, teacher, school, policy
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _as(client, head)
    with CaptureQueriesContext(connection) as one_policy:
        client.get(reverse("dashboard"))
    for n in range(4):
        version = PolicyVersionFactory(policy=PolicyFactory(school=school, title=f"Extra {n}"))
        if n % 2:
            services.policy_acknowledge(actor=teacher, version=version)
    with CaptureQueriesContext(connection) as five_policies:
        page = text(client.get(reverse("dashboard")))
    assert len(five_policies) == len(one_policy)
    staff = Staff.objects.filter(school=school, is_active=True).count()
    assert f"Extra 0 (version 1): {staff} members of staff" in page
    assert f"Extra 1 (version 1): {staff - 1} members of staff" in page


def test_the_dashboard_says_when_all_is_in_order(client, head, school, policy):
    for person in Staff.objects.filter(school=school):
        services.policy_acknowledge(actor=person, version=policy.versions.get())

    page = text(_as(client, head).get(reverse("dashboard")))

    assert "Every policy is within its review date." in page
    assert "Everyone has read the current version of every policy." in page
    assert "Policies for you to read" not in page


def test_the_dashboard_shows_only_the_head_s_own_school(client, head, outsider, other_school):
    _overdue(outsider, other_school, title="Elsewhere overdue")

    page = text(_as(client, head).get(reverse("dashboard")))

    assert "Elsewhere overdue" not in page
    assert "Policy reviews overdue (0)" in page


def test_the_dashboard_forgets_an_overdue_review_once_a_new_version_is_added(client, head, school):
    late = _overdue(head, school, title="Home visits")
    services.policy_version_add(
        actor=head,
        policy=late,
        last_reviewed=_today(),
        next_review=_today() + dt.timedelta(days=365),
        text="Reviewed text.",
        change_note="Reviewed at last",
    )

    page = text(_as(client, head).get(reverse("dashboard")))

    assert "Policy reviews overdue (0)" in page
    assert "Home visits (version 1)" not in page


@pytest.mark.parametrize("persona", ["deputy", "assistant", "dsl", "admin"])
def test_other_leaders_see_the_dashboard(request, client, persona, policy):
    response = _as(client, request.getfixturevalue(persona)).get(reverse("dashboard"))

    assert response.status_code == 200
    assert "Policy reviews overdue" in text(response)


@pytest.mark.parametrize("persona", ["teacher", "governor", "chair", "line_manager"])
def test_others_cannot_open_the_dashboard(request, client, persona, policy):
    response = _as(client, request.getfixturevalue(persona)).get(reverse("dashboard"))

    assert response.status_code == 403
    assert "Policy reviews overdue" not in text(response)


@pytest.mark.parametrize("persona", ["head", "deputy", "admin"])
def test_home_takes_leaders_to_the_dashboard(request, client, persona):
    response = _as(client, request.getfixturevalue(persona)).get(reverse("home"))

    assert response.status_code == 302
    assert response.url == reverse("dashboard")


def test_home_does_not_take_a_teacher_to_the_dashboard(client, teacher):
    response = _as(client, teacher).get(reverse("home"))

    assert response.status_code == 302
    assert response.url != reverse("dashboard")
