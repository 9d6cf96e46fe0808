""" "Can I do this?" → "Ask for approval": the answers carried over to the request form."""

from __future__ import annotations

import html
import re

from django.urls import reverse

from contacts.planned.models import ContactRequest, Status
from tests.factories import PupilFactory, SchoolFactory
from tests.helpers import options, sign_in, text
from tests.policies.test_views import _day, _question


def _ask_link(response) -> str | None:
    found = re.search(
        r'<a class="btn btn-primary" href="([^"]+)">Ask for approval</a>', response.text
    )
    return html.unescape(found.group(1)) if found else None


def _value(response, name: str) -> str | None:
    found = re.search(rf'<[^>]*name="{name}"[^>]*value="([^"]*)"', response.text)
    return found.group(1) if found else None


def test_an_answer_of_needs_approval_offers_to_ask_with_every_answer_carried(
    client, teacher, pupil
):
    sign_in(client, teacher)
    answers = _question(pupil, contact_date=_day(9), school_channel="on")
    checked = client.post(reverse("contact_check"), answers)
    assert "What the policies say: Needs approval first" in text(checked)
    link = _ask_link(checked)
    assert link and link.startswith(reverse("request_new") + "?")

    form = client.get(link)
    page = text(form)
    assert 'Your answers to "Can I do this?" are filled in.' in page
    assert options(form, "pupils") == {f"{pupil.full_name} (Year 8)": True}
    assert options(form, "purpose")["Work: part of your job"] is True
    assert re.search(r'<option value="meeting" selected>', form.text)
    assert _value(form, "contact_date") == _day(9)
    assert re.search(r'<input type="checkbox" name="school_channel"[^>]* checked', form.text)
    assert not ContactRequest.objects.exists()  # nothing is made by following the link

    sent = client.post(
        reverse("request_new"),
        {
            "pupils": [pupil.pk],
            "with_whom": "pupil",
            "kind": "meeting",
            "purpose": "work",
            "contact_date": _day(9),
            "contact_time": "16:00",
            "place": "The library",
            "exemption": "",
            "school_channel": "on",
            "reasons": "Catch-up reading after school.",
            "action": "submit",
        },
    )
    assert sent.status_code == 302
    made = ContactRequest.objects.get()
    assert (made.status, made.school_channel, made.place) == (
        Status.SUBMITTED,
        True,
        "The library",
    )


def test_nothing_to_ask_for_when_no_approval_is_needed_or_it_is_not_allowed(client, teacher, pupil):
    sign_in(client, teacher)
    prohibited = client.post(
        reverse("contact_check"), _question(pupil, kind="social_media", purpose="personal")
    )
    assert "What the policies say: Not allowed" in text(prohibited)
    assert _ask_link(prohibited) is None
    happened = client.post(
        reverse("contact_check"), _question(pupil, planned="no", contact_date=_day(-1))
    )
    assert _ask_link(happened) is None


def test_a_made_up_link_fills_in_only_what_is_valid_and_no_pupil_out_of_reach(
    client, teacher, pupil
):
    elsewhere = PupilFactory(school=SchoolFactory())
    sign_in(client, teacher)
    query = (
        f"?pupils={elsewhere.pk}&pupils=99999999999999999999999&pupils=x"
        "&kind=nonsense&purpose=work&contact_date=31/31/2026&with_whom=family"
    )
    form = client.get(reverse("request_new") + query)
    assert form.status_code == 200
    assert options(form, "pupils") == {}
    assert elsewhere.full_name not in text(form)
    assert not re.search(r'<option value="[a-z_]+" selected>', form.text)  # no kind chosen
    assert options(form, "with_whom")["Only their parent, carer or family"] is True
    assert _value(form, "contact_date") in (None, "")


def test_digits_that_are_not_ascii_fill_in_nothing(client, teacher, pupil):
    sign_in(client, teacher)
    for value in ("²", "①", "¹²", "٣"):
        response = client.get(reverse("request_new"), {"pupils": value})
        assert response.status_code == 200
        assert options(response, "pupils") == {}
