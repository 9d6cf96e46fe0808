"""The pages of a living plan of involvement: the plan, its sessions and reviews on the request
page; logging a session; reviewing the plan; and where "past review" and the plan show
elsewhere (the dashboard, the monitoring queue, the staff and pupil files, an alert)."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from contacts.alerts.models import Alert
from contacts.planned import services
from contacts.planned.models import ContactRequest, PlanDecision, PlanReview, PlanSession, Status
from tests.factories_requests import PLAN, make_former_pupil, make_plan
from tests.helpers import field_error, sign_in, text


def _day(days: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=days)


def _as(client, person):
    client.logout()
    sign_in(client, person)
    return client


@pytest.fixture
def former(school):
    return make_former_pupil(school)


@pytest.fixture
def plan(teacher, former, head, line_manager):
    return make_plan(teacher, [former], approve_as=head)


def _log(item, teacher, **answers):
    fields = {"held_on": _day(0), "what_happened": "Practised interview answers."}
    return services.plan_session_log(actor=teacher, contact_request=item, **(fields | answers))


def _review_answers(item, **answers):
    fields = {
        "version": item.version,
        "reviewed_on": _day(0).isoformat(),
        "decision": "continue",
        "note": "On track.",
        "next_review_date": _day(45).isoformat(),
        **{name: getattr(item, name) for name in PLAN},
    }
    return fields | answers


def _reload(item):
    return ContactRequest.objects.get(pk=item.pk)


# --- the request page ---------------------------------------------------------------------------


def test_the_request_page_shows_the_plan_its_sessions_and_reviews(client, plan, teacher, head):
    _log(plan, teacher, what_happened="Went through the interview questions.")
    _log(plan, teacher, concerns="They asked for my personal number.")
    services.plan_review_record(
        actor=head,
        contact_request=_reload(plan),
        expected_version=None,
        reviewed_on=_day(0),
        decision=PlanDecision.CONTINUE,
        note="Two sessions in: on track.",
        next_review_date=_day(30),
    )
    page = text(_as(client, teacher).get(reverse("request_detail", args=[plan.pk])))
    for words in PLAN.values():
        assert words in page
    assert "Sessions (2)" in page
    assert "Session 1" in page and "Went through the interview questions." in page
    assert "Anything of concern: They asked for my personal number." in page
    assert "Reviews (1)" in page
    assert "Continue as agreed" in page and "Two sessions in: on track." in page
    assert f"next review {_day(30):%-d %b %Y}" in page
    assert "Log a session" in page
    assert "Review the plan" not in page
    assert "Record the outcome" not in page


def test_the_head_is_offered_the_review_and_the_line_manager_neither_button(
    client, plan, head, line_manager
):
    page = text(_as(client, head).get(reverse("request_detail", args=[plan.pk])))
    assert "Review the plan" in page and "Log a session" not in page
    page = text(_as(client, line_manager).get(reverse("request_detail", args=[plan.pk])))
    assert "Plan of involvement" in page
    assert "Review the plan" not in page and "Log a session" not in page


def test_a_plan_past_its_review_says_so_on_its_page(client, plan, head):
    ContactRequest.objects.filter(pk=plan.pk).update(plan_review_date=_day(-1))
    page = text(_as(client, head).get(reverse("request_detail", args=[plan.pk])))
    assert "Past review" in page and "Review overdue" in page


# --- logging a session --------------------------------------------------------------------------


def test_the_requester_logs_a_session_from_its_page(client, plan, teacher, line_manager):
    url = reverse("request_session", args=[plan.pk])
    form = _as(client, teacher).get(url)
    assert form.status_code == 200
    assert PLAN["plan_outcomes"] in text(form)

    response = client.post(
        url,
        {"held_on": _day(0).isoformat(), "what_happened": "Met at the college library."},
        follow=True,
    )

    (session,) = PlanSession.objects.all()
    assert (session.number, session.what_happened) == (1, "Met at the college library.")
    assert response.redirect_chain[-1][0] == reverse("request_detail", args=[plan.pk])
    assert "Session 1 of the plan was logged." in text(response)
    page = text(_as(client, line_manager).get(reverse("request_detail", args=[plan.pk])))
    assert "Met at the college library." in page


def test_a_session_with_errors_shows_them_beside_the_fields_and_saves_nothing(
    client, plan, teacher
):
    response = _as(client, teacher).post(
        reverse("request_session", args=[plan.pk]),
        {"held_on": _day(2).isoformat(), "what_happened": "   "},
    )
    assert response.status_code == 200
    assert field_error(response, "what_happened") == "This field is required."
    response = client.post(
        reverse("request_session", args=[plan.pk]),
        {"held_on": _day(2).isoformat(), "what_happened": "Planned ahead."},
    )
    assert "cannot be in the future" in field_error(response, "held_on")
    assert "Nothing has been logged yet" in text(response)
    assert not PlanSession.objects.exists()


@pytest.mark.parametrize("who", ["head", "line_manager", "deputy"])
def test_someone_else_is_refused_the_session_page(who, client, plan, request):
    response = _as(client, request.getfixturevalue(who)).get(
        reverse("request_session", args=[plan.pk])
    )
    assert response.status_code == 403


def test_a_session_under_an_ended_plan_is_sent_back_saying_why(client, plan, teacher, head):
    services.plan_review_record(
        actor=head,
        contact_request=plan,
        expected_version=None,
        reviewed_on=_day(0),
        decision=PlanDecision.END,
        note="Done.",
    )
    response = _as(client, teacher).post(
        reverse("request_session", args=[plan.pk]),
        {"held_on": _day(0).isoformat(), "what_happened": "One more."},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("request_detail", args=[plan.pk])
    assert "no more sessions are logged under it" in text(response)
    assert not PlanSession.objects.exists()


# --- reviewing the plan -------------------------------------------------------------------------


def test_the_review_form_comes_filled_in_with_the_plan(client, plan, head):
    response = _as(client, head).get(reverse("request_plan_review", args=[plan.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    for words in PLAN.values():
        assert words.replace("'", "&#x27;") in page


def test_the_head_changes_the_plan_in_the_review(client, plan, head, teacher):
    answers = _review_answers(
        plan,
        decision="change",
        note="Meeting fortnightly now.",
        plan_timescales="Fortnightly until Easter.",
    )
    response = _as(client, head).post(
        reverse("request_plan_review", args=[plan.pk]), answers, follow=True
    )
    assert "The review was recorded: change the plan." in text(response)
    saved = _reload(plan)
    assert saved.plan_timescales == "Fortnightly until Easter."
    assert saved.plan_review_date == _day(45)
    page = text(response)
    assert "What changed: Timescales: was “Three sessions this term.”" in page


def test_a_review_with_errors_shows_them_beside_the_fields_and_saves_nothing(client, plan, head):
    response = _as(client, head).post(
        reverse("request_plan_review", args=[plan.pk]),
        _review_answers(plan, next_review_date="", plan_outcomes="Something else."),
    )
    assert response.status_code == 200
    assert field_error(response, "next_review_date") == "Give the date of the plan's next review."
    assert "choose “change the plan”" in field_error(response, "decision")
    assert not PlanReview.objects.exists()
    assert _reload(plan).plan_outcomes == PLAN["plan_outcomes"]


def test_ending_the_plan_from_the_review_page(client, plan, head):
    response = _as(client, head).post(
        reverse("request_plan_review", args=[plan.pk]),
        _review_answers(plan, decision="end", next_review_date="", note="Outcomes met."),
        follow=True,
    )
    assert "The review was recorded: end the plan." in text(response)
    assert _reload(plan).status == Status.COMPLETED
    page = text(response)
    assert "Ended" in page and "Review the plan" not in page


@pytest.mark.parametrize("who", ["teacher", "line_manager", "assistant"])
def test_someone_else_is_refused_the_review_page(who, client, plan, request):
    response = _as(client, request.getfixturevalue(who)).get(
        reverse("request_plan_review", args=[plan.pk])
    )
    assert response.status_code == 403


def test_the_review_page_of_a_request_without_a_plan_sends_the_head_back(
    client, head, teacher, pupil
):
    from tests.factories_requests import make_request

    item = make_request(teacher, [pupil])
    response = _as(client, head).get(reverse("request_plan_review", args=[item.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("request_detail", args=[item.pk])
    assert "no plan of involvement to review" in text(response)


def test_a_stale_review_is_refused_above_the_form(client, plan, head, teacher):
    answers = _review_answers(plan)
    _log(plan, teacher)
    response = _as(client, head).post(reverse("request_plan_review", args=[plan.pk]), answers)
    assert response.status_code == 200
    assert "changed after you opened the page" in text(response)
    assert not PlanReview.objects.exists()


# --- "past review" wherever it shows ------------------------------------------------------------


def test_a_review_clears_past_review_on_the_dashboard_and_the_monitoring_queue(
    client, plan, head, line_manager
):
    ContactRequest.objects.filter(pk=plan.pk).update(plan_review_date=_day(-3))
    plan = _reload(plan)
    assert "Plans of involvement past review (1)" in text(
        _as(client, head).get(reverse("dashboard"))
    )
    assert "Past review" in text(_as(client, line_manager).get(reverse("monitoring_queue")))

    _as(client, head).post(reverse("request_plan_review", args=[plan.pk]), _review_answers(plan))

    assert "Plans of involvement past review (0)" in text(client.get(reverse("dashboard")))
    queue = text(_as(client, line_manager).get(reverse("monitoring_queue")))
    assert "Past review" not in queue


def test_the_monitoring_queue_counts_sessions_and_brings_a_plan_back_to_review(
    client, plan, teacher, line_manager
):
    services.request_review(actor=line_manager, contact_request=plan)
    _log(plan, teacher)
    _log(plan, teacher)
    queue = text(_as(client, line_manager).get(reverse("monitoring_queue")))
    assert f"{plan.reference}" in queue
    assert "To review" in queue
    assert " 2 " in queue


def test_the_staff_and_pupil_files_show_the_plan_with_its_sessions_and_reviews(
    client, plan, teacher, head, former
):
    _log(plan, teacher, what_happened="Went through the application form.")
    services.plan_review_record(
        actor=head,
        contact_request=_reload(plan),
        expected_version=None,
        reviewed_on=_day(0),
        decision=PlanDecision.CONTINUE,
        note="Fine.",
        next_review_date=_day(20),
    )
    for url in (
        reverse("staff_detail", args=[teacher.pk]),
        reverse("pupil_detail", args=[former.pk]),
    ):
        page = text(_as(client, head).get(url))
        assert f"Plan of involvement: next review {_day(20):%-d %b %Y}" in page
        assert "Session 1" in page and "Went through the application form." in page
        assert f"by {head.full_name}: continue as agreed" in page


def test_a_plan_past_review_is_marked_on_the_file(client, plan, teacher, head):
    ContactRequest.objects.filter(pk=plan.pk).update(plan_review_date=_day(-1))
    page = text(_as(client, head).get(reverse("staff_detail", args=[teacher.pk])))
    assert "Past review" in page


def test_the_alert_for_a_sessions_concern_says_what_it_is(client, plan, teacher, head):
    _log(plan, teacher, concerns="They seemed very low.")
    alert = Alert.objects.get(request=plan)
    page = text(_as(client, head).get(reverse("alert_detail", args=[alert.pk])))
    assert "a concern was recorded in a session of its plan of involvement" in page


def test_the_history_names_the_plans_steps(client, plan, teacher, head):
    _log(plan, teacher)
    page = text(_as(client, head).get(reverse("request_detail", args=[plan.pk])))
    assert f"Session by {teacher.full_name}" in page
