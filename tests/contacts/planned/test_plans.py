"""Plans of involvement that live (000 §contact with former pupils): contacts.planned.services
`plan_session_log` and `plan_review_record`, the flags behind them in `allowed_actions`, the
plan's invariants in the database, and "past review" as the queryset reports it."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from contacts.alerts.models import Alert
from contacts.notifications.models import Notification
from contacts.planned import services
from contacts.planned.models import ContactRequest, PlanDecision, PlanReview, PlanSession, Status
from contacts.planned.permissions import allowed_actions
from contacts.planned.services import PLAN_PARTS, StaleRequest
from safeguard.audit.models import AuditEvent
from tests.factories_requests import PLAN, make_former_pupil, make_plan, make_request

TODAY = timezone.localdate


def _day(days: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=days)


def _events(item, action):
    return list(
        AuditEvent.objects.filter(
            object_type="contacts.contactrequest", object_id=str(item.pk), action=action
        ).order_by("id")
    )


def _reload(item) -> ContactRequest:
    return ContactRequest.objects.get(pk=item.pk)


def _notices(person) -> list[str]:
    return list(Notification.objects.filter(recipient=person).values_list("message", flat=True))


@pytest.fixture
def former(school):
    return make_former_pupil(school)


@pytest.fixture
def plan(teacher, former, head, line_manager):
    return make_plan(teacher, [former], approve_as=head)


def _log(item, actor, **answers) -> PlanSession:
    fields = {"held_on": TODAY(), "what_happened": "Talked through the college application."}
    return services.plan_session_log(actor=actor, contact_request=item, **(fields | answers))


def _review(item, actor, decision=PlanDecision.CONTINUE, **answers) -> PlanReview:
    fields = {
        "reviewed_on": TODAY(),
        "decision": decision,
        "note": "Going to plan.",
        "next_review_date": None if decision == PlanDecision.END else _day(60),
        "expected_version": None,
    }
    return services.plan_review_record(actor=actor, contact_request=item, **(fields | answers))


# --- a plan is agreed with the request ----------------------------------------------------------


def test_a_former_pupils_plan_holds_support_agencies_and_signposting(plan):
    saved = _reload(plan)
    assert saved.status == Status.APPROVED
    assert saved.has_plan and saved.plan_is_live
    assert (saved.plan_support, saved.plan_agencies, saved.plan_signposting) == (
        PLAN["plan_support"],
        PLAN["plan_agencies"],
        PLAN["plan_signposting"],
    )


def test_a_plan_without_support_or_supervision_is_not_sent(teacher, former):
    with pytest.raises(ValidationError) as caught:
        make_plan(teacher, [former], plan_support="  ")
    assert set(caught.value.message_dict) == {"plan_support"}
    assert "support or supervision" in caught.value.message_dict["plan_support"][0]
    assert not ContactRequest.objects.exists()


def test_a_plan_typed_where_none_is_asked_for_is_not_kept(teacher, pupil):
    # Work contact with a current pupil asks for no plan: what was typed is not a plan.
    typed = PLAN | {"plan_outcomes": "Typed anyway.", "plan_review_date": _day(30)}
    item = make_request(teacher, [pupil], **typed)
    saved = _reload(item)
    assert not saved.has_plan
    assert (saved.plan_outcomes, saved.plan_support, saved.plan_review_date) == ("", "", None)


# --- sessions -----------------------------------------------------------------------------------


def test_the_requester_logs_sessions_one_by_one(plan, teacher, line_manager, head):
    first = _log(plan, teacher, what_happened="  Went through interview questions.  ")
    second = _log(plan, teacher)
    third = _log(plan, teacher)

    assert [first.number, second.number, third.number] == [1, 2, 3]
    assert first.what_happened == "Went through interview questions."
    assert first.logged_by == teacher
    saved = _reload(plan)
    # Never "completed" by a session: the plan lives until a review ends it.
    assert saved.status == Status.APPROVED
    assert saved.sessions_logged == 3
    assert saved.version == plan.version + 3
    assert list(saved.plan_sessions.values_list("number", flat=True)) == [1, 2, 3]


def test_each_session_is_an_audit_event(plan, teacher):
    ContactRequest.objects.filter(pk=plan.pk).update(decided_at=timezone.now() - dt.timedelta(3))
    _log(_reload(plan), teacher, held_on=_day(-1))
    _log(plan, teacher, concerns="Asked to meet at my home.")
    events = _events(plan, "request.session")
    assert [event.actor for event in events] == [teacher, teacher]
    assert [event.reason for event in events] == [
        f"session 1 on {_day(-1):%Y-%m-%d}",
        f"session 2 on {TODAY():%Y-%m-%d}; a concern",
    ]
    # What happened is on the request, never in the trail.
    assert all("home" not in event.reason for event in events)


def test_the_line_manager_is_told_of_each_session_and_sees_it_to_review(
    plan, teacher, line_manager
):
    services.request_review(actor=line_manager, contact_request=plan)
    _log(plan, teacher)
    _log(plan, teacher)

    ref = plan.reference
    assert _notices(line_manager).count(f"{ref}: session 1 of the plan was logged") == 1
    assert _notices(line_manager).count(f"{ref}: session 2 of the plan was logged") == 1
    # New contact to monitor: back in their queue as not yet reviewed.
    saved = _reload(plan)
    assert saved.reviewed_at is None and saved.reviewed_by is None
    assert allowed_actions(line_manager, saved).can_review


def test_a_session_with_a_concern_needs_the_deciders_attention(plan, teacher, head):
    _log(plan, teacher)
    assert not Alert.objects.exists()

    _log(plan, teacher, concerns="They asked to meet somewhere private.")

    (alert,) = Alert.objects.all()
    assert (alert.request_id, alert.owner) == (plan.pk, "headteacher")
    assert f"{plan.reference}: a concern was recorded in session 2 of the plan" in _notices(head)
    assert _reload(plan).has_session_concern


def test_a_second_concern_reopens_the_same_alert(plan, teacher):
    _log(plan, teacher, concerns="First worry.")
    _log(plan, teacher, concerns="Second worry.")
    assert Alert.objects.filter(request=plan).count() == 1


def test_a_session_is_refused_when_it_has_not_happened_or_came_before_the_approval(plan, teacher):
    with pytest.raises(ValidationError) as caught:
        _log(plan, teacher, held_on=_day(1), what_happened="   ")
    assert set(caught.value.message_dict) == {"held_on", "what_happened"}
    assert "future" in caught.value.message_dict["held_on"][0]
    with pytest.raises(ValidationError, match="before it was approved"):
        _log(plan, teacher, held_on=_day(-3))
    assert not PlanSession.objects.exists()
    assert _reload(plan).sessions_logged == 0


@pytest.mark.parametrize("who", ["head", "line_manager", "deputy", "colleague", "outsider"])
def test_only_the_requester_logs_a_session(who, plan, request):
    with pytest.raises(PermissionDenied, match="Only the member of staff who made the request"):
        _log(plan, request.getfixturevalue(who))
    assert not PlanSession.objects.exists()


def test_no_session_before_the_plan_is_approved(teacher, former, head):
    waiting = make_plan(teacher, [former])
    with pytest.raises(ValidationError, match="only under an approved plan"):
        _log(waiting, teacher)


def test_no_session_under_a_request_without_a_plan(teacher, pupil, head):
    item = make_request(teacher, [pupil])
    item = services.request_decide(
        actor=head, contact_request=item, decision="approve", expected_version=None
    )
    with pytest.raises(ValidationError, match="no plan of involvement: record its outcome"):
        _log(item, teacher)


def test_a_plan_is_not_completed_by_its_first_outcome(plan, teacher):
    ContactRequest.objects.filter(pk=plan.pk).update(
        starts_at=timezone.now() - dt.timedelta(hours=2)
    )
    with pytest.raises(ValidationError, match="log each session under it instead"):
        services.request_complete(
            actor=teacher, contact_request=plan, expected_version=None, outcome="It went well."
        )
    assert _reload(plan).status == Status.APPROVED


def test_a_session_is_the_outcome_the_overdue_list_waits_for(plan, teacher):
    ContactRequest.objects.filter(pk=plan.pk).update(
        starts_at=timezone.now() - dt.timedelta(days=2)
    )
    assert list(ContactRequest.objects.overdue()) == [plan]
    assert _reload(plan).is_overdue()

    _log(plan, teacher, held_on=_day(0))

    assert not ContactRequest.objects.overdue().exists()
    assert not _reload(plan).is_overdue()


# --- reviews ------------------------------------------------------------------------------------


def test_the_head_reviews_the_plan_and_it_is_no_longer_past_review(
    plan, head, teacher, line_manager
):
    ContactRequest.objects.filter(pk=plan.pk).update(plan_review_date=_day(-2))
    assert list(ContactRequest.objects.plans_past_review()) == [plan]

    review = _review(_reload(plan), head, note="  Two sessions so far; on track.  ")

    assert review.decision == PlanDecision.CONTINUE
    assert (review.reviewed_by, review.reviewed_as) == (head, "headteacher")
    assert (review.due_on, review.next_review_date) == (_day(-2), _day(60))
    assert review.note == "Two sessions so far; on track."
    assert review.changes == ""
    saved = _reload(plan)
    assert saved.plan_review_date == _day(60)
    assert not saved.plan_past_review()
    assert not ContactRequest.objects.plans_past_review().exists()
    assert saved.status == Status.APPROVED
    assert f"{plan.reference}: the plan was reviewed (continue as agreed)" in _notices(teacher)
    assert f"{plan.reference}: the plan was reviewed (continue as agreed)" in _notices(line_manager)


def test_a_review_is_an_audit_event(plan, head):
    _review(plan, head)
    (event,) = _events(plan, "request.plan_review")
    assert event.actor == head
    assert event.reason == f"continue as agreed; next review {_day(60):%Y-%m-%d}"
    assert (event.from_state, event.to_state) == (Status.APPROVED, Status.APPROVED)


def test_a_change_updates_the_plan_and_records_what_changed(plan, head):
    current = {name: getattr(plan, name) for name in PLAN_PARTS}
    review = _review(
        plan,
        head,
        PlanDecision.CHANGE,
        note="Two more sessions are needed; the college's mentor joins.",
        plan=current
        | {
            "plan_timescales": "Five sessions this term.",
            "plan_agencies": "The college's student support team and its mentor.",
        },
    )
    saved = _reload(plan)
    assert saved.plan_timescales == "Five sessions this term."
    assert saved.plan_agencies == "The college's student support team and its mentor."
    assert saved.plan_outcomes == PLAN["plan_outcomes"]
    assert review.changes == (
        "Timescales: was “Three sessions this term.”; now “Five sessions this term.”.\n"
        "Other agencies involved: was “The college's student support team.”; now “The "
        "college's student support team and its mentor.”."
    )
    (event,) = _events(plan, "request.plan_review")
    assert event.reason == (
        f"change the plan; next review {_day(60):%Y-%m-%d}; changed: timescales, other "
        "agencies involved"
    )


def test_a_change_that_changes_nothing_is_refused(plan, head):
    with pytest.raises(ValidationError) as caught:
        _review(plan, head, PlanDecision.CHANGE, plan={"plan_outcomes": PLAN["plan_outcomes"]})
    assert "Nothing in the plan was changed" in caught.value.message_dict["decision"][0]
    assert not PlanReview.objects.exists()


def test_a_change_cannot_empty_what_a_plan_needs(plan, head):
    with pytest.raises(ValidationError) as caught:
        _review(plan, head, PlanDecision.CHANGE, plan={"plan_support": " "})
    assert set(caught.value.message_dict) == {"plan_support"}
    assert _reload(plan).plan_support == PLAN["plan_support"]


def test_continuing_with_the_plan_changed_is_refused_and_changes_nothing(plan, head):
    with pytest.raises(ValidationError, match="choose “change the plan”"):
        _review(plan, head, plan={"plan_timescales": "Forever."})
    assert _reload(plan).plan_timescales == PLAN["plan_timescales"]
    assert not PlanReview.objects.exists()


def test_ending_the_plan_closes_it(plan, head, teacher):
    _log(plan, teacher)
    review = _review(plan, head, PlanDecision.END, note="The outcomes were met.")

    assert review.next_review_date is None
    saved = _reload(plan)
    assert saved.status == Status.COMPLETED
    assert saved.plan_ended and not saved.plan_is_live
    assert saved.outcome == "The plan was ended at its review: The outcomes were met."
    assert saved.completed_at is not None
    (event,) = _events(plan, "request.plan_review")
    assert (event.from_state, event.to_state, event.reason) == (
        Status.APPROVED,
        Status.COMPLETED,
        "end the plan",
    )
    # No more sessions, and no more reviews.
    with pytest.raises(ValidationError, match="no more sessions are logged under it"):
        _log(saved, teacher)
    with pytest.raises(ValidationError, match="it is not reviewed again"):
        _review(saved, head)
    actions = allowed_actions(teacher, saved)
    assert not actions.can_log_session
    assert not allowed_actions(head, saved).can_review_plan


def test_an_ended_plan_past_its_date_is_not_past_review(plan, head):
    ContactRequest.objects.filter(pk=plan.pk).update(plan_review_date=_day(-5))
    _review(_reload(plan), head, PlanDecision.END, note="Finished.")
    assert not ContactRequest.objects.plans_past_review().exists()
    assert not _reload(plan).plan_past_review()


def test_a_plan_completed_by_its_first_outcome_before_plans_had_sessions_lives_on(
    plan, head, teacher
):
    # A row from before sessions: completed with an outcome, its plan never ended.
    ContactRequest.objects.filter(pk=plan.pk).update(
        status=Status.COMPLETED,
        outcome="First meeting went well.",
        completed_at=timezone.now(),
        plan_review_date=_day(-1),
    )
    old = _reload(plan)
    assert old.plan_is_live and old.plan_past_review()
    _log(old, teacher)
    _review(_reload(plan), head, PlanDecision.END, note="Nothing more is needed.")
    saved = _reload(plan)
    assert saved.status == Status.COMPLETED
    assert saved.outcome == "First meeting went well."
    assert saved.plan_ended


def test_the_next_review_is_required_unless_the_plan_ends_and_must_be_after_today(plan, head):
    with pytest.raises(ValidationError) as caught:
        _review(plan, head, next_review_date=None)
    assert caught.value.message_dict == {
        "next_review_date": ["Give the date of the plan's next review."]
    }
    with pytest.raises(ValidationError, match="must be after today"):
        _review(plan, head, next_review_date=TODAY())
    with pytest.raises(ValidationError, match="An ended plan has no next review"):
        _review(plan, head, PlanDecision.END, next_review_date=_day(30))
    assert not PlanReview.objects.exists()


def test_a_review_needs_a_note_a_decision_and_a_date_that_has_come(plan, head):
    with pytest.raises(ValidationError) as caught:
        _review(plan, head, note=" ", reviewed_on=_day(1))
    assert set(caught.value.message_dict) == {"note", "reviewed_on"}
    with pytest.raises(ValidationError, match="continues, changes or ends"):
        _review(plan, head, decision="pause")
    with pytest.raises(ValidationError, match="before the plan was approved"):
        _review(plan, head, reviewed_on=_day(-10))


@pytest.mark.parametrize("who", ["teacher", "line_manager", "deputy", "assistant", "outsider"])
def test_only_whoever_decides_the_request_reviews_its_plan(who, plan, request):
    with pytest.raises(PermissionDenied, match="Only the person who decides this request"):
        _review(plan, request.getfixturevalue(who))
    assert not PlanReview.objects.exists()


def test_the_deputy_reviews_for_the_head_while_the_head_is_away(plan, head, deputy):
    today = TODAY()
    services.absence_record(actor=head, school=head.school, starts_on=today, ends_on=today)
    review = _review(plan, deputy)
    assert review.reviewed_as == "deputy headteacher, acting for the absent headteacher"


def test_the_chair_reviews_the_headteachers_own_plan(head, chair, former):
    own = make_plan(head, [former], approve_as=chair)
    assert allowed_actions(chair, own).can_review_plan
    assert not allowed_actions(head, own).can_review_plan
    assert _review(own, chair).reviewed_as == "chair of governors"


def test_a_plan_waiting_for_a_decision_is_not_reviewed(teacher, former, head):
    waiting = make_plan(teacher, [former])
    with pytest.raises(ValidationError, match="Only an approved plan"):
        _review(waiting, head)


def test_a_stale_review_form_is_refused(plan, head, teacher):
    version = plan.version
    _log(plan, teacher)
    with pytest.raises(StaleRequest):
        _review(plan, head, expected_version=version)
    assert not PlanReview.objects.exists()


# --- the flags ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "flags"),
    [
        ("teacher", {"can_log_session"}),
        ("head", {"can_review_plan"}),
        ("line_manager", set()),
        ("deputy", set()),
    ],
)
def test_who_may_act_on_an_approved_plan(who, flags, plan, request):
    actions = allowed_actions(request.getfixturevalue(who), plan)
    shown = {flag for flag in ("can_log_session", "can_review_plan") if getattr(actions, flag)}
    assert shown == flags
    assert not actions.can_complete


# --- the database holds the rules ---------------------------------------------------------------


def _refused(**changes):
    model = changes.pop("model")
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.create(**changes)


def test_a_review_that_continues_has_a_later_next_review_and_an_end_has_none(plan, head):
    base = {
        "model": PlanReview,
        "request": plan,
        "reviewed_on": TODAY(),
        "reviewed_by": head,
        "reviewed_as": "headteacher",
        "note": "Checked.",
        "due_on": TODAY(),
    }
    _refused(**base, decision=PlanDecision.CONTINUE, next_review_date=None)
    _refused(**base, decision=PlanDecision.CONTINUE, next_review_date=TODAY())
    _refused(**base, decision=PlanDecision.END, next_review_date=_day(5))
    _refused(**base, decision=PlanDecision.CHANGE, next_review_date=_day(5), changes="")
    _refused(**base, decision=PlanDecision.CONTINUE, next_review_date=_day(5), changes="Odd.")
    _refused(**base | {"note": ""}, decision=PlanDecision.END)
    _refused(**base, decision="pause", next_review_date=_day(5))


def test_sessions_are_numbered_once_each_and_say_what_happened(plan, teacher):
    _log(plan, teacher)
    base = {"model": PlanSession, "request": plan, "held_on": TODAY(), "logged_by": teacher}
    _refused(**base, number=1, what_happened="Again.")
    _refused(**base, number=0, what_happened="Zero.")
    _refused(**base, number=2, what_happened="")


def test_only_a_plan_ends_and_an_ended_plan_is_completed(plan, teacher, pupil):
    with pytest.raises(IntegrityError), transaction.atomic():
        ContactRequest.objects.filter(pk=plan.pk).update(plan_ended_at=timezone.now())
    plain = make_request(teacher, [pupil])
    with pytest.raises(IntegrityError), transaction.atomic():
        ContactRequest.objects.filter(pk=plain.pk).update(sessions_logged=1)
