"""Relationships between colleagues (issue 18 point 12; 003 §3): declared by either of the two or
by whoever edits people; neither manages the other, decides the other's requests or manages a
concern about the other."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from contacts.concerns.selectors import case_managers
from contacts.notifications.models import Notification
from contacts.people import selectors, services
from contacts.people.models import ColleagueRelationship
from contacts.planned import selectors as planned_selectors
from contacts.planned import services as planned_services
from contacts.planned import workflow
from contacts.planned.models import Route
from safeguard.audit.models import AuditEvent
from tests.factories_records import make_concern
from tests.factories_requests import make_request
from tests.helpers import sign_in, text


def _absent_today(head):
    today = timezone.localdate()
    planned_services.absence_record(actor=head, school=head.school, starts_on=today, ends_on=today)


def _declare(actor, staff, colleague, kind="partner"):
    return services.colleague_relationship_declare(
        actor=actor, staff=staff, colleague=colleague, kind=kind
    )


def test_either_colleague_declares_and_it_is_audited(teacher, colleague):
    pair = _declare(colleague, colleague, teacher)
    assert {pair.first, pair.second} == {teacher, colleague}
    assert pair.first.pk < pair.second.pk
    event = AuditEvent.objects.get(action="colleague.declare")
    assert event.actor == colleague and event.object_ref == pair.audit_ref
    assert selectors.related_colleague_ids(teacher.pk) == {colleague.pk}


def test_a_pair_is_declared_once_whichever_side_declares(teacher, colleague):
    _declare(teacher, teacher, colleague)
    with pytest.raises(ValidationError, match="already declared"):
        _declare(colleague, colleague, teacher, "close_friend")
    assert ColleagueRelationship.objects.count() == 1


def test_nobody_declares_for_someone_else_unless_they_edit_people(teacher, colleague, dsl, admin):
    with pytest.raises(PermissionDenied):
        _declare(dsl, teacher, colleague)
    _declare(admin, teacher, colleague)


def test_nobody_is_related_to_themself(teacher):
    with pytest.raises(ValidationError, match="other than yourself"):
        _declare(teacher, teacher, teacher)


def test_ending_keeps_the_row_and_lifts_the_restriction(teacher, colleague, head):
    pair = _declare(teacher, teacher, colleague)
    services.colleague_relationship_end(actor=head, relationship=pair)
    pair.refresh_from_db()
    assert pair.ended_at is not None and pair.ended_by == head
    assert selectors.related_colleague_ids(teacher.pk) == set()
    with pytest.raises(ValidationError, match="already ended"):
        services.colleague_relationship_end(actor=head, relationship=pair)


def test_only_a_people_editor_outside_the_pair_ends_it(teacher, colleague, dsl, admin):
    pair = _declare(teacher, teacher, colleague)
    for actor in (dsl, teacher, colleague):
        with pytest.raises(PermissionDenied):
            services.colleague_relationship_end(actor=actor, relationship=pair)
    services.colleague_relationship_end(actor=admin, relationship=pair)
    assert AuditEvent.objects.filter(action="colleague.end", actor=admin).exists()


# --- The restrictions --------------------------------------------------------------------------


def test_the_line_manager_form_refuses_a_declared_colleague(head, teacher, colleague, line_manager):
    _declare(teacher, teacher, colleague)
    with pytest.raises(ValidationError) as caught:
        services.staff_update(actor=head, staff=teacher, line_manager=colleague)
    assert "declared a relationship" in caught.value.message_dict["line_manager"][0]


def test_declaring_a_relationship_with_ones_manager_tells_the_people_editors(
    teacher, line_manager, head, admin
):
    _declare(teacher, teacher, line_manager)
    told = Notification.objects.filter(message__contains="give the one managed another")
    assert {n.recipient for n in told} == {head, admin}


def test_a_deputy_acting_for_the_head_does_not_decide_a_partners_request(
    teacher, pupil, head, deputy
):
    _declare(teacher, teacher, deputy)
    _absent_today(head)
    waiting = make_request(teacher, [pupil])
    assert workflow.decider_role(deputy, waiting) is None
    assert deputy not in workflow.deciders(waiting)
    assert waiting not in planned_selectors.decision_queue_for(deputy)
    assert waiting in planned_selectors.decision_queue_for(head)


def test_a_request_from_the_heads_partner_goes_to_the_chair(teacher, pupil, head, chair):
    _declare(teacher, teacher, head)
    waiting = make_request(teacher, [pupil])
    assert waiting.route == Route.CHAIR_OF_GOVERNORS
    assert workflow.decider_role(head, waiting) is None
    assert workflow.decider_role(chair, waiting) == "chair of governors"


def test_a_concern_about_the_heads_relative_goes_to_the_chair(teacher, colleague, head, chair):
    _declare(head, head, teacher, "relative")
    concern = make_concern(colleague, teacher)
    assert concern.route == Route.CHAIR_OF_GOVERNORS
    assert set(case_managers(concern)) == {chair}


def test_case_managers_skip_a_declared_colleague(teacher, colleague, head, deputy):
    _declare(teacher, teacher, deputy, "close_friend")
    _absent_today(head)
    concern = make_concern(colleague, teacher)
    assert deputy not in case_managers(concern) and head in case_managers(concern)


# --- The page ---------------------------------------------------------------------------------


def test_a_teacher_declares_from_her_file_and_the_administrator_ends_it(
    client, teacher, colleague, admin
):
    sign_in(client, teacher)
    response = client.post(
        reverse("colleague_declare", args=[teacher.pk]),
        {"colleague": colleague.pk, "kind": "relative"},
        follow=True,
    )
    page = text(response)
    assert f"The relationship with {colleague.full_name} was declared" in page
    assert "Relative" in page
    pair = ColleagueRelationship.objects.get()
    # Ending it would lift the restriction on herself: the administrator does.
    assert client.post(reverse("colleague_end", args=[teacher.pk, pair.pk])).status_code == 403
    sign_in(client, admin)
    response = client.post(reverse("colleague_end", args=[teacher.pk, pair.pk]), follow=True)
    assert "The relationship was ended." in text(response)


def test_a_colleague_cannot_declare_or_end_on_someone_elses_file(client, teacher, colleague, dsl):
    pair = _declare(teacher, teacher, colleague)
    sign_in(client, dsl)
    assert client.post(
        reverse("colleague_declare", args=[teacher.pk]), {"colleague": dsl.pk, "kind": "relative"}
    ).status_code in (403, 404)
    assert client.post(reverse("colleague_end", args=[teacher.pk, pair.pk])).status_code == 404
    assert ColleagueRelationship.objects.get().ended_at is None


def test_a_bad_choice_is_a_message_not_an_error(client, teacher):
    sign_in(client, teacher)
    response = client.post(
        reverse("colleague_declare", args=[teacher.pk]),
        {"colleague": "x", "kind": "enemy"},
        follow=True,
    )
    assert "Choose a colleague and the relationship." in text(response)
    assert not ColleagueRelationship.objects.exists()


def test_a_request_sent_before_a_relationship_with_the_head_was_declared_goes_to_the_chair(
    teacher, pupil, head, chair
):
    waiting = make_request(teacher, [pupil])
    assert waiting.route == Route.HEADTEACHER
    _declare(teacher, teacher, head, "close_friend")
    assert workflow.route_now(waiting) == Route.CHAIR_OF_GOVERNORS
    assert workflow.decider_role(head, waiting) is None
    assert workflow.decider_role(chair, waiting) == "chair of governors"
    assert waiting not in planned_selectors.decision_queue_for(head)
    assert waiting in planned_selectors.decision_queue_for(chair)
    assert set(workflow.deciders(waiting)) == {chair}
