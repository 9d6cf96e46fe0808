"""Journeys 1 to 3 of issue 8: planned contact asked for, decided, carried out and monitored."""

import datetime as dt

from django.utils import timezone

from contacts.planned.models import ContactRequest, Status
from tests.e2e.scenes import (
    LIFT_PLACE,
    PLAN_OUTCOMES,
    ask_can_i_give_a_lift,
    current_pupil,
    file_lift_request,
    fill_contact_questions,
    former_pupil,
    next_week,
)
from tests.factories_requests import make_request

QUESTION = "Who else will be in the car, and has his mother agreed to it in writing?"
ANSWER = "Nobody else; his mother confirmed by email this morning and the office has a copy."
CONDITIONS = "Jordan sits in the back, and you tell the office when he is home."
OUTCOME = "Drove Jordan home straight after the event; his mother met us at the door at 19:50."
MONITORING_NOTE = "Read the outcome; nothing further needed."


def test_teacher_asks_about_a_lift_home_and_files_the_request(people, teacher):
    jordan = former_pupil(teacher.school)
    tom = people(teacher)
    tom.sees("My requests", "Nothing is waiting on you.")

    ask_can_i_give_a_lift(tom, jordan)
    saved = file_lift_request(tom, jordan, screenshot=True)

    assert saved.status == Status.SUBMITTED
    assert list(saved.pupils.all()) == [jordan]
    tom.follow("My requests")
    tom.sees("Waiting for a decision (1)", saved.reference, "A lift in your vehicle")
    assert ContactRequest.objects.count() == 1


def test_head_asks_approves_teacher_logs_the_lift_manager_reviews(
    people, head, teacher, colleague, line_manager
):
    school = teacher.school
    jordan = former_pupil(school)
    tom = people(teacher)
    lift = file_lift_request(tom, jordan)
    # Someone else's request arrives later: the queue is oldest first, so the lift stays on top.
    later = make_request(colleague, [current_pupil(school)])

    # The headteacher signs in with their authenticator and finds the lift first in the queue.
    helen = people(head)
    helen.sees("Waiting for your decision", "Open the queue")
    helen.follow("Decisions")
    helen.sees("Requests waiting for your decision (2)")
    # One line each: who, which pupil, what, when, where, the reasons and the verdict.
    first, second = helen.page.locator("main tbody tr").all()
    assert lift.reference in first.locator("td").first.inner_text()
    assert later.reference in second.locator("td").first.inner_text()
    assert teacher.full_name in first.inner_text()
    helen.sees("A lift in your vehicle", "Needs approval first")
    helen.does_not_see("000 §contact with former pupils")  # the full assessment: on the request
    helen.screenshot("decision-queue")

    # She asks for more information.
    helen.follow(lift.reference, exact=True)
    helen.sees(LIFT_PLACE, PLAN_OUTCOMES, "Your decision")
    helen.page.get_by_role("radio", name="Ask for more information").check()
    helen.field("Reason, or what more you need to know").fill(QUESTION)
    helen.click("Record decision")
    helen.sees(f"{lift.reference} was sent back to the requester.", "More information asked for")

    # The teacher answers and sends it again.
    tom.follow("Notifications")
    tom.sees(f"{lift.reference} was sent back")
    tom.follow("My requests")
    tom.sees("Waiting on you (1)")
    tom.follow(lift.reference, exact=True)
    tom.sees("More information asked for", QUESTION)
    tom.follow("Answer and send again")
    tom.sees("The decider asked for more information.")
    tom.field("Your answer, or what you changed").fill(ANSWER)
    tom.click("Send for a decision")
    tom.sees(f"{lift.reference} was sent for a decision.", ANSWER)

    # The head approves it with a condition.
    helen.follow("Decisions")
    helen.follow(lift.reference, exact=True)
    helen.sees(ANSWER)
    helen.page.get_by_role("radio", name="Approve").check()
    helen.field("Conditions (if approving)").fill(CONDITIONS)
    helen.click("Record decision")
    helen.sees(f"{lift.reference} was approved.")

    # The teacher sees the decision. The lift is under a plan of involvement: it is logged as a
    # session of the plan, which lives on until the head ends it at a review.
    tom.open(f"/requests/{lift.pk}/")
    tom.sees("Approved by", head.full_name, f"Conditions: {CONDITIONS}")
    yesterday = timezone.now() - dt.timedelta(days=1)
    ContactRequest.objects.filter(pk=lift.pk).update(starts_at=yesterday)
    tom.open(f"/requests/{lift.pk}/")
    tom.does_not_see("Record the outcome")
    tom.follow("Log a session")
    tom.field("What happened").fill(OUTCOME)
    tom.click("Log the session")
    tom.sees("Session 1 of the plan was logged.", "Sessions (1)", OUTCOME)

    # The line manager monitors it and marks it reviewed.
    mark = people(line_manager)
    mark.follow("Monitoring")
    mark.sees(lift.reference, teacher.full_name, "To review")
    mark.follow(lift.reference, exact=True)
    mark.field("Monitoring note (optional)").fill(MONITORING_NOTE)
    mark.click("Mark reviewed")
    mark.sees(f"by {line_manager.full_name}", MONITORING_NOTE)

    lift.refresh_from_db()
    assert lift.status == Status.APPROVED
    assert lift.conditions == CONDITIONS
    assert [s.what_happened for s in lift.plan_sessions.all()] == [OUTCOME]
    assert lift.reviewed_by == line_manager

    # The whole story is on the former pupil's file.
    helen.follow("Pupils")
    helen.follow("Jordan Whitfield")
    helen.sees("Former pupil, left", lift.reference, "Request: A lift in your vehicle", "Approved")
    helen.sees(f"approved by {head.full_name}", "Plan of involvement: next review", "Session 1")
    helen.screenshot("pupil-file")


HEADS_REASONS = "To meet Maisie's new foster carer at the family centre before her review meeting."


def test_heads_own_request_goes_to_the_chair_who_decides_it(people, head, chair):
    maisie = current_pupil(head.school)
    helen = people(head)
    helen.follow("My requests")
    helen.follow("New request")
    helen.find_pupil(maisie.full_name)
    fill_contact_questions(
        helen, kind="A meeting in person", purpose="Work: part of your job", on=next_week()
    )
    helen.field("Time").fill("10:00")
    helen.field("Place").fill("Riverside family centre")
    helen.field("Reasons").fill(HEADS_REASONS)
    helen.click("Check what the policies say (nothing is saved)")
    helen.sees("What the policies say: Needs approval first")
    helen.click("Send for a decision")
    own = ContactRequest.objects.get(requester=head)
    helen.sees(f"{own.reference} was sent for a decision.", "decided by: Chair of governors")

    # Nobody decides their own request: it is not in the head's queue.
    helen.follow("Decisions")
    helen.sees("Requests waiting for your decision (0)", "Nothing is waiting for your decision.")

    # The chair signs in with their authenticator and starts on their queue.
    robert = people(chair)
    robert.sees("Requests waiting for your decision (1)", own.reference, head.full_name)
    robert.follow(own.reference, exact=True)
    robert.sees(HEADS_REASONS, "You decide as")
    robert.page.get_by_role("radio", name="Approve").check()
    robert.click("Record decision")
    robert.sees(f"{own.reference} was approved.")
    robert.follow("Decisions")
    robert.sees("Nothing is waiting for your decision.")

    helen.open(f"/requests/{own.pk}/")
    helen.sees("Approved by", chair.full_name)
    own.refresh_from_db()
    assert own.status == Status.APPROVED and own.decided_by == chair
