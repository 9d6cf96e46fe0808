"""A plan of involvement that lives (000 §contact with former pupils): the head approves a
teacher's plan for contact with a former pupil, the teacher logs three sessions under it and the
line manager follows each one, and the head's review clears "past review" on the dashboard."""

import datetime as dt

from django.core.cache import cache
from django.utils import timezone

from contacts.planned.models import ContactRequest, PlanDecision, Status
from tests.e2e.scenes import (
    PLAN_OUTCOMES,
    PLAN_SUPPORT,
    PLAN_TIMESCALES,
    former_pupil,
    next_week,
)
from tests.factories_requests import make_request

SIGNPOSTING = "The college's student support service, and the local careers hub."
SESSIONS = (
    "Met at the college library: went through the course handbook together.",
    "A phone call: Jordan has found a study group and feels more settled.",
    "Met at the library again: practised for the placement interview.",
)
CONCERN = "Jordan asked whether we could meet at my home instead."
REVIEW_NOTE = "Three sessions, on track: keep to the plan until the placement starts."


def test_a_plan_approved_lived_and_reviewed(people, head, teacher, line_manager):
    jordan = former_pupil(teacher.school)
    plan = make_request(
        teacher,
        [jordan],
        kind="meeting",
        purpose="work",
        place="Anytown college library",
        reasons="Jordan asked for help settling in at college.",
        plan_outcomes=PLAN_OUTCOMES,
        plan_timescales=PLAN_TIMESCALES,
        plan_support=PLAN_SUPPORT,
        plan_signposting=SIGNPOSTING,
        plan_review_date=next_week() + dt.timedelta(days=21),
    )

    # The head approves the plan.
    helen = people(head)
    helen.follow("Decisions")
    helen.follow(plan.reference, exact=True)
    helen.sees("Plan of involvement", PLAN_OUTCOMES, PLAN_SUPPORT, SIGNPOSTING, "Sessions (0)")
    helen.page.get_by_role("radio", name="Approve").check()
    helen.click("Record decision")
    helen.sees(f"{plan.reference} was approved.")

    # The teacher logs three sessions under it, one by one; the last with a concern.
    tom = people(teacher)
    tom.open(f"/requests/{plan.pk}/")
    tom.does_not_see("Record the outcome")
    for number, what in enumerate(SESSIONS, start=1):
        tom.follow("Log a session")
        tom.sees(f"Log a session under the plan of {plan.reference}", PLAN_OUTCOMES)
        tom.field("What happened").fill(what)
        if number == len(SESSIONS):
            tom.field("Anything of concern").fill(CONCERN)
        tom.click("Log the session")
        tom.sees(f"Session {number} of the plan was logged.", f"Sessions ({number})", what)
    tom.sees("Approved", CONCERN)

    # The line manager was told of each, and follows them on the request page.
    mark = people(line_manager)
    mark.follow("Notifications")
    for number in range(1, len(SESSIONS) + 1):
        mark.sees(f"{plan.reference}: session {number} of the plan was logged")
    mark.follow("Monitoring")
    mark.sees(plan.reference, "To review")
    mark.follow(plan.reference, exact=True)
    mark.sees(*SESSIONS, CONCERN)
    mark.does_not_see("Log a session", "Review the plan")

    # The head was told of the concern. The review date passes.
    helen.follow("Notifications")
    helen.sees(f"{plan.reference}: a concern was recorded in session 3 of the plan")
    ContactRequest.objects.filter(pk=plan.pk).update(
        plan_review_date=timezone.localdate() - dt.timedelta(days=1)
    )
    cache.clear()  # moved by hand, where in use the day passes (the dashboard's kept panels)
    helen.follow("Dashboard")
    helen.sees("Plans of involvement past review (1)", plan.reference)

    # The head reviews the plan: it continues, with a new review date, and is no longer past
    # review.
    helen.follow(plan.reference, exact=True)
    helen.sees("Past review", "Review overdue")
    helen.follow("Review the plan")
    helen.sees(f"Review the plan of involvement of {plan.reference}", *SESSIONS)
    helen.page.get_by_role("radio", name="Continue as agreed").check()
    helen.field("What the review found").fill(REVIEW_NOTE)
    next_review = timezone.localdate() + dt.timedelta(days=42)
    helen.field("Next review").fill(next_review.isoformat())
    helen.click("Sign off the review")
    helen.sees("The review was recorded: continue as agreed.", "Reviews (1)", REVIEW_NOTE)
    helen.does_not_see("Past review", "Review overdue")
    helen.follow("Dashboard")
    helen.sees("Plans of involvement past review (0)", "None past review.")

    saved = ContactRequest.objects.get(pk=plan.pk)
    assert saved.status == Status.APPROVED
    assert saved.plan_review_date == next_review
    assert [s.what_happened for s in saved.plan_sessions.all()] == list(SESSIONS)
    (review,) = saved.plan_reviews.all()
    assert (review.decision, review.reviewed_by, review.note) == (
        PlanDecision.CONTINUE,
        head,
        REVIEW_NOTE,
    )

    # The plan, its sessions and its review are on the teacher's file.
    helen.open(f"/staff/{teacher.pk}/")
    helen.sees(
        plan.reference,
        f"Plan of involvement: next review {next_review:%-d %b %Y}",
        "Session 3",
        f"by {head.full_name}: continue as agreed",
    )
