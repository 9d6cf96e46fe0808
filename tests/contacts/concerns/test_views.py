"""The boundary-concern and LADO pages: raising a concern, the lists, the concern page with the
case manager's response, and recording a LADO consultation or referral and its outcome.

Each test signs a persona in, reads the page as a person would (its text) and checks what the
database holds afterwards.
"""

import datetime as dt
import re

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from contacts.concerns import services as concerns_services
from contacts.concerns.models import BoundaryConcern, LadoReferral
from contacts.notifications.models import Notification
from contacts.people import services as people_services
from safeguard.audit.models import AuditEvent
from tests.factories import StaffFactory
from tests.factories_records import (
    ADVICE,
    DESCRIPTION,
    days_ago,
    make_concern,
    make_lado,
    make_record,
    past,
)
from tests.helpers import field_error, sign_in, text

COUNTED = (BoundaryConcern, LadoReferral, AuditEvent, Notification)


def _as(client, user):
    sign_in(client, user)
    return client


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


def _concern_answers(subject, **extra) -> dict:
    return {
        "subject": subject.pk,
        "occurred_on": days_ago(2).isoformat(),
        "description": DESCRIPTION,
    } | extra


def _lado_answers(subject, **extra) -> dict:
    return {
        "subject": subject.pk,
        "referral_type": "referral",
        "contacted_on": days_ago(2).isoformat(),
        "contacted_time": "10:30",
        "spoke_to": "Sam Duty, LADO",
        "advice": ADVICE,
    } | extra


def _selected(response, field: str) -> str:
    """The value of the option chosen in a select field ('' when none)."""
    page = response.content.decode()
    select = re.search(rf'<select name="{field}".*?</select>', page, flags=re.S)
    assert select, f"no select named {field}"
    chosen = re.search(r'<option value="([^"]*)"[^>]*\bselected\b', select.group(0))
    return chosen.group(1) if chosen else ""


def _options(response, field: str) -> list[str]:
    page = response.content.decode()
    select = re.search(rf'<select name="{field}".*?</select>', page, flags=re.S)
    assert select, f"no select named {field}"
    return [text(label) for label in re.findall(r"<option[^>]*>(.*?)</option>", select.group(0))]


# --- raising a concern --------------------------------------------------------------------------


def test_new_concern_form_lists_colleagues_and_myself(client, teacher, colleague, head, outsider):
    response = _as(client, teacher).get(reverse("concern_new"))
    assert response.status_code == 200
    page = text(response)
    assert "Raise a boundary concern" in page
    options = _options(response, "subject")
    assert f"Myself (self-referral): {teacher.full_name}" in options
    assert f"{colleague.full_name}, Teacher" in options
    assert f"{head.full_name}, Headteacher" in options
    assert not any(outsider.full_name in option for option in options)


def test_raising_a_concern_passes_it_to_the_head(client, teacher, colleague, head, chair):
    response = _as(client, teacher).post(
        reverse("concern_new"), _concern_answers(colleague), follow=True
    )
    concern = BoundaryConcern.objects.get()
    assert response.redirect_chain == [(reverse("concern_detail", args=[concern.pk]), 302)]
    page = text(response)
    assert f"{concern.reference} was passed to the headteacher, {head.full_name}." in page
    assert (concern.reporter, concern.subject, concern.route) == (teacher, colleague, "headteacher")
    assert concern.occurred_on == days_ago(2) and concern.description == DESCRIPTION
    assert {n.recipient for n in Notification.objects.all()} == {head}


def test_concern_about_the_head_is_passed_to_the_chair(client, teacher, head, chair):
    response = _as(client, teacher).post(
        reverse("concern_new"), _concern_answers(head, confidential="on"), follow=True
    )
    concern = BoundaryConcern.objects.get()
    assert f"{concern.reference} was passed to the chair of governors, {chair.full_name}." in text(
        response
    )
    assert concern.route == "chair_of_governors" and concern.confidential
    assert {n.recipient for n in Notification.objects.all()} == {chair}


def test_self_referral_from_the_form(client, teacher, head):
    response = _as(client, teacher).post(
        reverse("concern_new"), _concern_answers(teacher), follow=True
    )
    concern = BoundaryConcern.objects.get()
    assert concern.is_self_referral
    assert f"{teacher.full_name} (self-referral)" in text(response)


def test_concern_dated_in_the_future_shows_the_error_by_the_date(client, teacher, colleague):
    before = _counts()
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = _as(client, teacher).post(
        reverse("concern_new"), _concern_answers(colleague, occurred_on=tomorrow)
    )
    assert response.status_code == 200
    assert "cannot be in the future" in field_error(response, "occurred_on")
    assert _counts() == before


def test_concern_without_a_description_shows_the_error_by_it(client, teacher, colleague):
    before = _counts()
    response = _as(client, teacher).post(
        reverse("concern_new"), _concern_answers(colleague, description="")
    )
    assert response.status_code == 200
    assert field_error(response, "description") == "This field is required."
    assert field_error(response, "occurred_on") == ""
    assert _counts() == before


def test_empty_concern_form_shows_every_missing_answer(client, teacher):
    before = _counts()
    response = _as(client, teacher).post(reverse("concern_new"), {})
    for field in ("subject", "occurred_on", "description"):
        assert field_error(response, field) == "This field is required."
    assert _counts() == before


def test_concern_about_someone_at_another_school_cannot_be_chosen(client, teacher, outsider):
    before = _counts()
    response = _as(client, teacher).post(reverse("concern_new"), _concern_answers(outsider))
    assert "Select a valid choice" in field_error(response, "subject")
    assert _counts() == before


def test_concern_from_a_record_links_it_and_preselects_its_author(
    client, deputy, teacher, pupil, head
):
    # A senior leader reads the school's records (a line manager no longer reads the team's).
    record = make_record(teacher, [pupil], occurred_at=past(4))
    url = f"{reverse('concern_new')}?record={record.pk}"
    response = _as(client, deputy).get(url)
    assert _selected(response, "subject") == str(teacher.pk)
    assert f"This concern is linked to {record.reference}" in text(response)
    assert f'value="{days_ago(4).isoformat()}"' in response.content.decode()
    response = client.post(url, _concern_answers(teacher), follow=True)
    concern = BoundaryConcern.objects.get()
    assert concern.related_record == record and concern.subject == teacher
    assert f"Linked record {record.reference}" in text(response)


def test_concern_from_a_record_the_user_cannot_see_is_404(client, colleague, teacher, pupil):
    record = make_record(teacher, [pupil])
    response = _as(client, colleague).get(f"{reverse('concern_new')}?record={record.pk}")
    assert response.status_code == 404


# --- the lists ----------------------------------------------------------------------------------


def test_reporter_sees_the_concerns_they_raised(client, teacher, colleague, head):
    concern = make_concern(teacher, colleague)
    own = make_concern(teacher, teacher)
    page = text(_as(client, teacher).get(reverse("concern_list")))
    assert "Concerns you raised" in page
    assert f"{concern.reference} · about {colleague.full_name}" in page
    assert f"{own.reference} · about yourself" in page
    assert "Concerns you manage" not in page


def test_reporter_with_none_is_told_so(client, teacher):
    page = text(_as(client, teacher).get(reverse("concern_list")))
    assert "You have not raised any." in page


def test_head_sees_concerns_grouped_by_person_with_patterns_flagged(
    client, head, teacher, colleague, line_manager
):
    first = make_concern(colleague, teacher)
    second = make_concern(line_manager, teacher, occurred_on=days_ago(5))
    single = make_concern(teacher, colleague)
    response = _as(client, head).get(reverse("concern_list"))
    page = text(response)
    assert "Concerns you manage, by the person they are about" in page
    assert f"{teacher.full_name} · 2 concerns More than one: look for a pattern" in page
    assert f"{colleague.full_name} · 1 concern" in page
    assert page.count("More than one: look for a pattern") == 1
    for concern in (first, second, single):
        assert concern.reference in page


def test_subject_does_not_find_concerns_about_themself_in_the_list(client, teacher, colleague):
    concern = make_concern(colleague, teacher)
    page = text(_as(client, teacher).get(reverse("concern_list")))
    assert concern.reference not in page


def test_concerns_about_one_person_are_listed_together(
    client, head, teacher, colleague, line_manager
):
    first = make_concern(colleague, teacher, description="First worry about the lifts.")
    second = make_concern(line_manager, teacher, description="Second worry about messages.")
    other = make_concern(teacher, colleague)
    page = text(_as(client, head).get(reverse("concern_subject", args=[teacher.pk])))
    assert f"Concerns about {teacher.full_name} (2)" in page
    assert first.reference in page and second.reference in page
    assert "First worry about the lifts." in page and "Second worry about messages." in page
    assert other.reference not in page


def test_person_page_is_refused_to_the_subject(client, teacher, colleague):
    concern = make_concern(colleague, teacher)
    response = _as(client, teacher).get(reverse("concern_subject", args=[teacher.pk]))
    assert response.status_code == 403
    assert concern.reference not in text(response)


def test_the_head_cannot_open_the_page_about_themself(client, head, teacher):
    make_concern(teacher, head)
    response = _as(client, head).get(reverse("concern_subject", args=[head.pk]))
    assert response.status_code == 404


# --- the concern page ---------------------------------------------------------------------------


def test_subject_gets_404_on_a_concern_about_them(client, colleague, teacher):
    concern = make_concern(colleague, teacher)
    assert _as(client, teacher).get(reverse("concern_detail", args=[concern.pk])).status_code == 404


def test_head_gets_404_on_a_concern_about_the_head(client, teacher, head, chair):
    concern = make_concern(teacher, head)
    assert _as(client, head).get(reverse("concern_detail", args=[concern.pk])).status_code == 404
    page = text(_as(client, chair).get(reverse("concern_detail", args=[concern.pk])))
    assert "managed by the chair of governors" in page
    assert "Your response as case manager" in page


@pytest.mark.parametrize("persona", ["colleague", "deputy", "dsl", "line_manager", "outsider"])
def test_others_get_404_on_a_concern(persona, client, teacher, head, request):
    concern = make_concern(teacher, teacher)
    user = request.getfixturevalue(persona)
    assert _as(client, user).get(reverse("concern_detail", args=[concern.pk])).status_code == 404


def test_confidential_reporter_is_named_to_the_case_manager_and_the_reporter(
    client, colleague, teacher, head
):
    concern = make_concern(colleague, teacher, confidential=True)
    url = reverse("concern_detail", args=[concern.pk])
    for user in (head, colleague):
        page = text(_as(client, user).get(url))
        assert (
            f"Raised by {colleague.full_name} (asked for their name to be kept confidential)"
            in page
        )
        assert "Name withheld" not in page


def test_case_manager_page_offers_the_response_and_the_lado(client, colleague, teacher, head):
    concern = make_concern(colleague, teacher)
    page = text(_as(client, head).get(reverse("concern_detail", args=[concern.pk])))
    assert "Your response as case manager" in page
    assert "consult the LADO on 01632 960 000" in page
    reporter_page = text(_as(client, colleague).get(reverse("concern_detail", args=[concern.pk])))
    assert "Your response as case manager" not in reporter_page
    assert "LADO" not in reporter_page


def test_head_responds_and_then_closes_with_an_outcome(client, colleague, teacher, head):
    concern = make_concern(colleague, teacher)
    respond = reverse("concern_respond", args=[concern.pk])
    response = _as(client, head).post(
        respond, {"response": "Spoke to them; they understand."}, follow=True
    )
    assert response.redirect_chain == [(reverse("concern_detail", args=[concern.pk]), 302)]
    page = text(response)
    assert "Your response was recorded." in page
    assert f"{head.full_name}: Spoke to them; they understand." in page
    assert "Open" in page
    response = client.post(
        respond,
        {"response": "Advice given in writing.", "outcome": "advice", "close": "on"},
        follow=True,
    )
    page = text(response)
    concern.refresh_from_db()
    assert not concern.is_open and concern.outcome == "advice" and concern.closed_by == head
    assert f"Advice given, closed by {head.full_name}" in page
    assert "Closed" in page
    assert "Your response as case manager" not in page
    assert [e.action for e in AuditEvent.objects.exclude(action="view").order_by("id")][-2:] == [
        "concern.respond",
        "concern.close",
    ]


def test_closing_without_an_outcome_shows_the_error(client, colleague, teacher, head):
    concern = make_concern(colleague, teacher)
    response = _as(client, head).post(
        reverse("concern_respond", args=[concern.pk]),
        {"response": "Nothing more to do.", "close": "on"},
        follow=True,
    )
    assert "Choose the outcome before closing the concern." in text(response)
    concern.refresh_from_db()
    assert concern.is_open and concern.response == ""


def test_empty_response_shows_the_error(client, colleague, teacher, head):
    concern = make_concern(colleague, teacher)
    response = _as(client, head).post(
        reverse("concern_respond", args=[concern.pk]), {"response": ""}, follow=True
    )
    assert "Record your response." in text(response)
    concern.refresh_from_db()
    assert concern.response == ""


def test_reporter_cannot_respond(client, colleague, teacher, head):
    concern = make_concern(colleague, teacher)
    response = _as(client, colleague).post(
        reverse("concern_respond", args=[concern.pk]), {"response": "Any news?"}
    )
    assert response.status_code == 403
    concern.refresh_from_db()
    assert concern.response == ""


def test_subject_cannot_respond(client, colleague, teacher, head):
    concern = make_concern(colleague, teacher)
    response = _as(client, teacher).post(
        reverse("concern_respond", args=[concern.pk]), {"response": "It was nothing."}
    )
    assert response.status_code == 404


# --- LADO pages ---------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["head", "chair", "dsl"])
def test_lado_list_shows_the_schools_lado_number(persona, client, request):
    user = request.getfixturevalue(persona)
    page = text(_as(client, user).get(reverse("lado_list")))
    assert "The local authority designated officer (LADO): 01632 960 000" in page
    assert "None recorded." in page


@pytest.mark.parametrize("persona", ["teacher", "governor", "deputy", "admin", "line_manager"])
@pytest.mark.parametrize("name", ["lado_list", "lado_new"])
def test_lado_pages_are_forbidden_to_others(persona, name, client, request):
    user = request.getfixturevalue(persona)
    assert _as(client, user).get(reverse(name)).status_code == 403


def test_lado_detail_is_forbidden_to_a_teacher(client, head, teacher, colleague):
    referral = make_lado(head, colleague)
    response = _as(client, teacher).get(reverse("lado_detail", args=[referral.pk]))
    assert response.status_code == 403


def test_lado_referral_about_the_dsl_is_404_for_the_dsl(client, head, dsl):
    referral = make_lado(head, dsl)
    assert _as(client, dsl).get(reverse("lado_detail", args=[referral.pk])).status_code == 404


def test_lado_form_offers_colleagues_but_not_yourself(client, head, teacher):
    response = _as(client, head).get(reverse("lado_new"))
    options = _options(response, "subject")
    assert any(teacher.full_name in option for option in options)
    assert not any(head.full_name in option for option in options)
    assert "Telephone the LADO on 01632 960 000" in text(response)


def test_head_records_a_referral_and_then_its_outcome(client, head, teacher):
    response = _as(client, head).post(reverse("lado_new"), _lado_answers(teacher), follow=True)
    referral = LadoReferral.objects.get()
    assert response.redirect_chain == [(reverse("lado_detail", args=[referral.pk]), 302)]
    page = text(response)
    assert f"{referral.reference} was recorded." in page
    assert f"{referral.reference}: Referral" in page
    assert f"About {teacher.full_name}" in page
    assert "Not known yet" in page
    assert "Record the LADO's outcome" in page
    assert (referral.recorded_by, referral.subject, referral.referral_type) == (
        head,
        teacher,
        "referral",
    )
    assert timezone.localtime(referral.contacted_at) == past(2, hour=10, minute=30)
    assert (referral.spoke_to, referral.advice) == ("Sam Duty, LADO", ADVICE)

    response = client.post(
        reverse("lado_outcome", args=[referral.pk]),
        {"outcome": "unsubstantiated", "outcome_on": days_ago(0).isoformat()},
        follow=True,
    )
    page = text(response)
    assert "The outcome was recorded." in page
    assert f"Unsubstantiated ({days_ago(0):%-d %b %Y})" in page
    assert "Record the LADO's outcome" not in page
    referral.refresh_from_db()
    assert (referral.outcome, referral.outcome_on) == ("unsubstantiated", days_ago(0))
    assert f"{referral.reference}" in text(client.get(reverse("lado_list")))


def test_lado_outcome_before_the_call_shows_the_error(client, head, teacher):
    referral = make_lado(head, teacher, contacted_at=past(3))
    response = _as(client, head).post(
        reverse("lado_outcome", args=[referral.pk]),
        {"outcome": "unfounded", "outcome_on": days_ago(5).isoformat()},
        follow=True,
    )
    assert "The outcome cannot come before the referral." in text(response)
    referral.refresh_from_db()
    assert (referral.outcome, referral.outcome_on) == ("", None)


def test_lado_outcome_form_missing_answers_shows_the_error(client, head, teacher):
    referral = make_lado(head, teacher)
    response = _as(client, head).post(
        reverse("lado_outcome", args=[referral.pk]), {"outcome": ""}, follow=True
    )
    assert "Choose the outcome and give its date." in text(response)


def test_consultation_page_has_no_outcome_form(client, head, teacher):
    referral = make_lado(head, teacher, referral_type="consultation")
    page = text(_as(client, head).get(reverse("lado_detail", args=[referral.pk])))
    assert "A consultation has no outcome" in page
    assert "Record the LADO's outcome" not in page


def test_lado_call_in_the_future_shows_the_error_by_the_date(client, head, teacher):
    before = _counts()
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = _as(client, head).post(
        reverse("lado_new"), _lado_answers(teacher, contacted_on=tomorrow)
    )
    assert response.status_code == 200
    assert "cannot be in the future" in field_error(response, "contacted_on")
    assert _counts() == before


def test_lado_form_missing_answers_show_by_their_fields(client, head, teacher):
    before = _counts()
    response = _as(client, head).post(
        reverse("lado_new"), _lado_answers(teacher, spoke_to="", referral_type="")
    )
    assert field_error(response, "spoke_to") == "This field is required."
    assert field_error(response, "referral_type") == "This field is required."
    assert _counts() == before


def test_lado_from_a_concern_links_it(client, colleague, teacher, head):
    concern = make_concern(colleague, teacher)
    url = f"{reverse('lado_new')}?concern={concern.pk}"
    response = _as(client, head).get(url)
    assert _selected(response, "subject") == str(teacher.pk)
    client.post(url, _lado_answers(teacher, referral_type="consultation"))
    referral = LadoReferral.objects.get()
    assert referral.concern == concern
    page = text(client.get(reverse("concern_detail", args=[concern.pk])))
    assert f"{referral.reference} · Consultation (advice sought)" in page


# --- POST-only addresses ------------------------------------------------------------------------


def test_concern_respond_is_post_only(client, colleague, teacher, head):
    concern = make_concern(colleague, teacher)
    response = _as(client, head).get(reverse("concern_respond", args=[concern.pk]))
    assert response.status_code == 405


def test_lado_outcome_is_post_only(client, head, teacher):
    referral = make_lado(head, teacher)
    response = _as(client, head).get(reverse("lado_outcome", args=[referral.pk]))
    assert response.status_code == 405


def test_case_manager_response_via_the_service_shows_on_the_reporters_page(
    client, colleague, teacher, head
):
    concern = make_concern(colleague, teacher)
    concerns_services.concern_respond(
        actor=head, concern=concern, response="Thank you for raising it."
    )
    page = text(_as(client, colleague).get(reverse("concern_detail", args=[concern.pk])))
    assert "The case manager's response" in page
    assert "Thank you for raising it." in page


# --- found while testing (see the xfail reasons) ------------------------------------------------


def test_people_with_the_same_name_are_grouped_separately_and_patterns_still_show(
    client, head, colleague, line_manager, school
):
    first = StaffFactory(school=school, first_name="Sam", last_name="Smith", job_title="Teacher")
    second = StaffFactory(school=school, first_name="Sam", last_name="Smith", job_title="TA")
    make_concern(colleague, first)
    make_concern(colleague, second)
    make_concern(line_manager, first)
    page = text(_as(client, head).get(reverse("concern_list")))
    assert page.count("Sam Smith · 2 concerns More than one: look for a pattern") == 1
    assert page.count("Sam Smith · 1 concern") == 1


def test_concerns_about_someone_who_has_left_can_still_be_listed(client, head, colleague, teacher):
    concern = make_concern(colleague, teacher)
    people_services.staff_set_active(actor=head, staff=teacher, active=False)
    client = _as(client, head)
    listed = client.get(reverse("concern_list"))
    assert reverse("concern_subject", args=[teacher.pk]) in listed.content.decode()
    response = client.get(reverse("concern_subject", args=[teacher.pk]))
    assert response.status_code == 200
    assert concern.reference in text(response)


def test_concern_from_a_record_prefills_the_local_date(client, deputy, teacher, pupil):
    # Far from UTC, so a morning record falls on the previous day in UTC.
    with override_settings(TIME_ZONE="Pacific/Auckland"):
        record = make_record(teacher, [pupil], occurred_at=past(4, hour=8))
        response = _as(client, deputy).get(f"{reverse('concern_new')}?record={record.pk}")
        assert f'value="{days_ago(4).isoformat()}"' in response.content.decode()
