"""Wherever a page mentions the LADO, it gives the school's number for them; wherever it advises
consulting them, it also says where a headteacher who is unsure turns first: the chair of
governors, or the Schools HR team (000 §introduction)."""

import pytest
from django.urls import reverse

from contacts.planned.models import ContactRequest
from contacts.records.models import ContactRecord
from tests.factories_records import make_concern, make_lado, make_record
from tests.factories_requests import make_request
from tests.helpers import sign_in, text

UNSURE = (
    "A headteacher unsure how to handle it discusses it with the chair of governors first, or "
    "asks the Schools HR team for advice (000 §introduction)."
)


def _page(client, user, url) -> str:
    sign_in(client, user)
    response = client.get(url)
    assert response.status_code == 200
    return text(response)


def test_the_record_page_gives_the_number_and_the_hr_team(client, head, teacher, pupil, school):
    record = make_record(teacher, [pupil])
    ContactRecord.objects.filter(pk=record.pk).update(actions=["consider_lado"])

    page = _page(client, head, reverse("record_detail", args=[record.pk]))

    assert f"Consider consulting the LADO (telephone {school.lado_phone})" in page
    assert UNSURE in page


def test_the_request_page_gives_the_number_and_the_hr_team(client, head, teacher, pupil, school):
    item = make_request(teacher, [pupil])
    ContactRequest.objects.filter(pk=item.pk).update(actions=["consider_lado"])

    page = _page(client, head, reverse("request_detail", args=[item.pk]))

    assert f"consider consulting the LADO about this request (telephone {school.lado_phone})" in (
        page
    )
    assert UNSURE in page


def test_the_concern_page_gives_the_number_and_the_hr_team(client, head, teacher, colleague):
    concern = make_concern(colleague, teacher)

    page = _page(client, head, reverse("concern_detail", args=[concern.pk]))

    assert f"consult the LADO on {head.school.lado_phone} and record it." in page
    assert UNSURE in page


def test_the_lado_form_gives_the_number_and_the_hr_team(client, dsl, school):
    page = _page(client, dsl, reverse("lado_new"))

    assert f"Telephone the LADO on {school.lado_phone}" in page
    assert UNSURE in page


@pytest.mark.parametrize("name", ["lado_list", "lado_detail"])
def test_the_lado_pages_give_the_number(client, head, teacher, school, name):
    referral = make_lado(head, teacher)
    args = [referral.pk] if name == "lado_detail" else []

    page = _page(client, head, reverse(name, args=args))

    assert f"The local authority designated officer (LADO): {school.lado_phone}" in page


def test_a_school_with_no_number_says_so_rather_than_showing_none(client, head, teacher, school):
    school.lado_phone = ""
    school.save(update_fields=["lado_phone"])
    referral = make_lado(head, teacher)

    page = _page(client, head, reverse("lado_detail", args=[referral.pk]))

    assert "The local authority designated officer (LADO): no number recorded for the school" in (
        page
    )
    assert "None" not in page


def test_can_i_do_this_gives_the_number_and_the_hr_team_when_it_advises_the_lado(
    client, teacher, pupil, school
):
    sign_in(client, teacher)
    answers = {
        "pupil": pupil.pk,
        "with_whom": "pupil",
        "kind": "relationship",
        "purpose": "personal",
        "contact_date": "2020-01-01",
        "planned": "no",
        "exemption": "",
    }

    page = text(client.post(reverse("contact_check"), answers))

    assert "Consider consulting the LADO (local authority designated officer)" in page
    assert f"The LADO's number: {school.lado_phone}" in page
    assert UNSURE in page


def test_can_i_do_this_says_nothing_of_the_lado_when_it_does_not_advise_them(
    client, teacher, pupil
):
    sign_in(client, teacher)
    answers = {
        "pupil": pupil.pk,
        "with_whom": "pupil",
        "kind": "meeting",
        "purpose": "work",
        "contact_date": "2020-01-01",
        "planned": "no",
        "exemption": "",
    }

    page = text(client.post(reverse("contact_check"), answers))

    assert "What the policies say" in page
    assert "The LADO's number" not in page
    assert UNSURE not in page
