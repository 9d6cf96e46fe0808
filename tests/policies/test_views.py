"""The policy pages, "Can I do this?", the dashboard and the starting page, as people see them."""

import datetime as dt
import re
import time

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
from safeguard.core.reauth import SIGNED_IN_AT_KEY
from safeguard.core.roles import Role
from tests.factories import PupilFactory, StaffRelativeFactory
from tests.factories_policies import (
    PolicyClauseFactory,
    PolicyFactory,
    PolicyVersionFactory,
    adopt,
)
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


def _policy(actor, school, title="Safer working practice", *, adopted=True, **extra):
    """A policy made through the services; its first version signed by its signatories unless
    `adopted=False`."""
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
    policy = services.policy_create(actor=actor, **(fields | extra))
    if adopted:
        adopt(policy.versions.get())
    return policy


def _version(actor, policy, *, adopted=True, **extra):
    """A new version of the policy, signed by its signatories unless `adopted=False`."""
    fields = {
        "last_reviewed": _today(),
        "next_review": _today() + dt.timedelta(days=365),
        "text": "Version two of the policy.",
        "change_note": "Lifts section added",
    }
    version = services.policy_version_add(actor=actor, policy=policy, **(fields | extra))
    return adopt(version) if adopted else version


def _overdue(actor, school, title="Home visits"):
    return _policy(
        actor,
        school,
        title=title,
        last_reviewed=_today() - dt.timedelta(days=800),
        next_review=_today() - dt.timedelta(days=70),
    )


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
    # The school's own policy leads, the source document and section follow.
    title = page.index("Professional relationship boundaries")
    assert title < page.index(clause.text) < page.index("source 003 §2")
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
    clause = CLAUSES["personal_contact.vulnerable_window"]
    assert f"What the policies say: Not allowed Why: what the policies say {clause.text}" in text(
        response
    )
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


def test_policy_list_shows_the_version_in_force_and_one_awaiting_signatures(
    client, head, teacher, policy
):
    version = _version(head, policy, adopted=False)
    client = _as(client, teacher)

    row = _row(client.get(reverse("policy_list")), "Safer working practice")
    assert row.startswith("Safer working practice Owner: Headteacher 1 Version 2 awaits signatures")

    adopt(version)
    row = _row(client.get(reverse("policy_list")), "Safer working practice")
    adopted_on = date_format(timezone.localtime(version.adopted_at), "j M Y")
    assert row.startswith(f"Safer working practice Owner: Headteacher 2 {adopted_on} ")
    assert "awaits signatures" not in row


# --- Policy detail ----------------------------------------------------------------------------


def test_policy_detail_shows_the_current_text_clauses_and_versions(client, head, teacher, policy):
    _version(head, policy)

    page = text(_as(client, teacher).get(reverse("policy_detail", args=[policy.pk])))

    clause = CLAUSES["work_contact.approval"]
    assert "Safer working practice" in page
    assert "Version 2 In force Reviewed" in page
    assert "Lifts section added" in page
    assert "Version two of the policy." in page
    assert "Staff keep clear professional boundaries." not in page
    assert "Rules it stands behind" in page
    assert f"{clause.citation} {clause.text}" in page
    assert "Version 2 · " in page and "(in force, adopted" in page
    assert "Version 1 · " in page and "(superseded, adopted" in page
    assert "Version 2 In force" in page


def test_policy_detail_shows_an_older_version_on_request(client, head, teacher, policy):
    _version(head, policy)

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
    _version(head, policy)

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


# --- Adoption: signing a version ----------------------------------------------------------------


@pytest.fixture
def awaiting(head, school):
    """A policy whose first version awaits the head's and the chair's signatures."""
    return _policy(head, school, title="Home visits", adopted=False)


def test_the_policy_page_shows_who_signed_and_when_it_was_adopted(client, head, chair, policy):
    version = policy.versions.get()
    places = {p.role: p for p in version.signatures.all()}

    page = text(_as(client, head).get(reverse("policy_detail", args=[policy.pk])))

    adopted = date_format(timezone.localtime(version.adopted_at), "j F Y")
    assert f"version 1 in force, adopted {adopted}" in page
    assert f"Adoption of version 1 Adopted {adopted}, when the last signatory signed." in page
    for role, person in ((Role.HEADTEACHER, head), (Role.CHAIR_OF_GOVERNORS, chair)):
        when = date_format(timezone.localtime(places[role].signed_at), "j F Y, H:i")
        assert f"{Role(role).label}: signed by {person.full_name}, {when}" in page
    assert "Sign version 1" not in page


def test_a_version_published_before_signatures_were_recorded_says_so(client, teacher, school):
    version = PolicyVersionFactory(policy=PolicyFactory(school=school, title="Archive"))

    page = text(_as(client, teacher).get(reverse("policy_detail", args=[version.policy_id])))

    adopted = date_format(timezone.localtime(version.adopted_at), "j F Y")
    assert f"Adopted {adopted}, before Safeguard recorded signatures: nobody signed it here." in (
        page
    )


def test_a_version_awaiting_signatures_asks_nobody_to_read_it(client, teacher, awaiting):
    page = text(_as(client, teacher).get(reverse("policy_detail", args=[awaiting.pk])))

    assert "not yet adopted: no version is in force" in page
    assert "Version 1 awaits signatures." in page
    assert "Version 1 Awaiting signatures" in page
    assert "Headteacher: not signed" in page and "Chair of governors: not signed" in page
    assert "Please read" not in page
    assert "I have read this version" not in page
    assert "Sign version 1" not in page


def test_signatories_sign_from_the_page_and_the_last_adopts_it(client, head, chair, awaiting):
    version = awaiting.versions.get()
    url = reverse("policy_detail", args=[awaiting.pk])
    client = _as(client, chair)
    assert "Sign version 1" in text(client.get(url))

    response = client.post(reverse("policy_sign", args=[version.pk]), follow=True)

    assert response.redirect_chain == [(f"{url}?version=1", 302)]
    page = text(response)
    assert "You signed version 1: it is adopted once its other signatories sign it." in page
    assert f"Chair of governors: signed by {chair.full_name}" in page
    assert "Sign version 1" not in page
    assert AuditEvent.objects.filter(action="policy.sign", actor=chair).count() == 1

    client = _as(client, head)
    response = client.post(reverse("policy_sign", args=[version.pk]), follow=True)

    page = text(response)
    assert "You signed version 1: it is now adopted and in force." in page
    assert "Version 1 In force" in page
    assert "Please read version 1 of this policy, then confirm." in page
    assert PolicyVersion.objects.get(pk=version.pk).adopted_at is not None


def test_signing_twice_says_so_and_signs_once(client, chair, awaiting):
    version = awaiting.versions.get()
    client = _as(client, chair)
    client.post(reverse("policy_sign", args=[version.pk]))

    response = client.post(reverse("policy_sign", args=[version.pk]), follow=True)

    assert "You have already signed this version." in text(response)
    assert version.signatures.filter(signed_by=chair).count() == 1
    assert AuditEvent.objects.filter(action="policy.sign").count() == 1


def test_a_superseded_version_offers_no_signature_and_refuses_one(client, head, chair, awaiting):
    v1 = awaiting.versions.get()
    _version(head, awaiting, adopted=False)
    client = _as(client, chair)

    page = text(client.get(reverse("policy_detail", args=[awaiting.pk]), {"version": 1}))
    assert "Version 1 Superseded before it was adopted" in page
    assert "Sign version 1" not in page

    response = client.post(reverse("policy_sign", args=[v1.pk]), follow=True)
    assert "A newer version exists: this one can no longer be signed." in text(response)
    assert not v1.signatures.filter(signed_by__isnull=False).exists()


@pytest.mark.parametrize("persona", ["teacher", "governor", "deputy", "dsl", "admin", "assistant"])
def test_others_cannot_sign(request, client, persona, awaiting):
    version = awaiting.versions.get()
    client = _as(client, request.getfixturevalue(persona))

    assert "Sign version 1" not in text(client.get(reverse("policy_detail", args=[awaiting.pk])))
    response = client.post(reverse("policy_sign", args=[version.pk]))

    assert response.status_code == 403
    assert not version.signatures.filter(signed_by__isnull=False).exists()
    assert not AuditEvent.objects.filter(action="policy.sign").exists()


def test_get_on_sign_is_not_allowed(client, chair, awaiting):
    response = _as(client, chair).get(reverse("policy_sign", args=[awaiting.versions.get().pk]))

    assert response.status_code == 405


def test_a_version_of_another_school_cannot_be_signed(client, outsider, awaiting):
    version = awaiting.versions.get()

    response = _as(client, outsider).post(reverse("policy_sign", args=[version.pk]))

    assert response.status_code == 404
    assert not version.signatures.filter(signed_by__isnull=False).exists()


def test_signing_asks_for_the_password_after_a_long_session(client, chair, awaiting):
    version = awaiting.versions.get()
    client = _as(client, chair)
    session = client.session
    session[SIGNED_IN_AT_KEY] = int(time.time()) - 100_000
    session.save()

    response = client.post(reverse("policy_sign", args=[version.pk]))

    assert response.status_code == 302
    assert response.url.startswith(reverse("confirm_password"))
    assert not version.signatures.filter(signed_by__isnull=False).exists()


def test_the_policy_list_asks_each_signatory_to_sign(client, head, chair, teacher, awaiting):
    version = awaiting.versions.get()
    services.policy_version_sign(actor=head, version=version)

    chair_row = _row(_as(client, chair).get(reverse("policy_list")), "Home visits")
    head_row = _row(_as(client, head).get(reverse("policy_list")), "Home visits")
    teacher_row = _row(_as(client, teacher).get(reverse("policy_list")), "Home visits")

    assert "Please sign" in chair_row
    assert "Not yet" in chair_row and "Version 1 awaits signatures" in chair_row
    assert "Please sign" not in head_row
    assert "Please sign" not in teacher_row and "Please read" not in teacher_row


def test_the_dashboard_lists_what_awaits_the_head_s_signature(client, head, chair, awaiting):
    client = _as(client, head)
    page = text(client.get(reverse("dashboard")))
    assert "Policies awaiting your signature Home visits, version 1" in page

    services.policy_version_sign(actor=head, version=awaiting.versions.get())
    assert "Policies awaiting your signature" not in text(client.get(reverse("dashboard")))


def test_a_policy_not_yet_adopted_is_not_cited_beside_the_rules(
    client, head, teacher, school, vulnerable_leaver
):
    awaiting = _policy(
        head,
        school,
        title="Professional relationship boundaries",
        clauses=["personal_contact.vulnerable_window"],
        adopted=False,
    )
    client = _as(client, teacher)

    page = text(client.post(reverse("contact_check"), _lift(vulnerable_leaver)))
    assert "Professional relationship boundaries" not in page

    adopt(awaiting.versions.get())
    page = text(client.post(reverse("contact_check"), _lift(vulnerable_leaver)))
    assert "Professional relationship boundaries" in page


def test_a_policy_with_nobody_to_sign_it_is_refused_next_to_the_field(client, head):
    before = _all_rows()

    response = _as(client, head).post(reverse("policy_create"), _new_policy_data(signatories=[]))

    assert field_error(response, "signatories") == "Choose who signs each version to adopt it."
    _assert_nothing_created(before)


# --- PDF download -----------------------------------------------------------------------------


@pytest.fixture
def pdf_policy(head, school, uploads):
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
        "signatories": ["headteacher", "chair_of_governors"],
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
    assert "“Lifts and transport” was added: it is adopted once its signatories sign it." in page
    assert "Lifts only in an emergency." in page
    assert "Version 1 Awaiting signatures" in page
    assert "not yet adopted: no version is in force" in page
    assert policy.signatory_roles == [Role.HEADTEACHER, Role.CHAIR_OF_GOVERNORS]


def test_the_head_adds_a_policy_as_a_pdf(client, head, uploads):
    upload = SimpleUploadedFile("lifts.pdf", PDF_BYTES, content_type="application/pdf")

    response = _as(client, head).post(
        reverse("policy_create"), _new_policy_data(text="", document=upload), follow=True
    )

    version = PolicyVersion.objects.get()
    assert version.document_name == "lifts.pdf"
    assert uploads.read(version.document) == PDF_BYTES
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


def test_an_executable_named_pdf_is_refused_next_to_the_upload(client, head, uploads):
    before = _all_rows()
    upload = SimpleUploadedFile("policy.pdf", EXE_BYTES, content_type="application/pdf")

    response = _as(client, head).post(
        reverse("policy_create"), _new_policy_data(text="", document=upload)
    )

    assert response.status_code == 200
    assert "Upload a PDF file; this file is not one." in text(response)
    assert field_error(response, "document") == "Upload a PDF file; this file is not one."
    _assert_nothing_created(before)
    assert uploads.names() == []


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
            "signatories": ["headteacher", "assistant_head"],
        },
        follow=True,
    )

    policy.refresh_from_db()
    assert policy.title == "Safer working"
    assert policy.owner_role == Role.DSL
    assert policy.requires_acknowledgement is False
    assert list(policy.clauses.values_list("clause", flat=True)) == ["gift.record"]
    assert policy.signatory_roles == [Role.HEADTEACHER, Role.ASSISTANT_HEAD]
    page = text(response)
    assert "The policy was updated." in page
    assert "Owner: Designated safeguarding lead" in page
    assert CLAUSES["gift.record"].text in page
    assert AuditEvent.objects.filter(action="policy.update").count() == 1


def test_the_edit_form_starts_from_the_policy(client, head, policy):
    page = _as(client, head).get(reverse("policy_edit", args=[policy.pk])).content.decode()

    assert 'value="Safer working practice"' in page
    assert re.search(r'<input[^>]*value="work_contact.approval"[^>]*checked', page)
    assert re.search(r'<input[^>]*value="chair_of_governors"[^>]*checked', page)
    assert not re.search(r'<input[^>]*value="assistant_head"[^>]*checked', page)


def test_editing_to_another_policy_s_title_is_refused_next_to_the_title(
    client, head, school, policy
):
    other = _policy(head, school, title="Lifts")

    response = _as(client, head).post(
        reverse("policy_edit", args=[other.pk]),
        {
            "title": "safer working practice",
            "owner_role": "headteacher",
            "summary": "x",
            "signatories": ["headteacher"],
        },
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
    assert (
        "Version 2 was added: it replaces the version in force once its signatories sign it."
        in page
    )
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
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _as(client, head)
    with CaptureQueriesContext(connection) as one_policy:
        client.get(reverse("dashboard"))
    for n in range(4):
        version = PolicyVersionFactory(policy=PolicyFactory(school=school, title=f"Extra {n}"))
        if n % 2:
            services.policy_acknowledge(actor=teacher, version=version)
    cache.clear()  # every panel worked out again, as at the first opening
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


def test_the_dashboard_forgets_an_overdue_review_once_a_new_version_is_adopted(
    client, head, school
):
    late = _overdue(head, school, title="Home visits")
    version = _version(head, late, adopted=False, text="Reviewed text.")
    client = _as(client, head)

    # Until the chair signs the new version, the old one is in force and still overdue.
    page = text(client.get(reverse("dashboard")))
    assert "Policy reviews overdue (1)" in page
    assert "Home visits (version 1)" in page

    adopt(version)
    page = text(client.get(reverse("dashboard")))
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
