"""A red-team review of who oversees a request (003 §3; 000 §contact with former pupils): a
declared relative, partner or close friend never monitors the other's contact, never records the
LADO's advice that lets the other's relationship be decided, and never opens the other's
pattern; what held is kept as tests too."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from contacts.concerns import services as concern_services
from contacts.concerns.selectors import lado_visible_to
from contacts.patterns.selectors import may_open_pattern
from contacts.people import services as people_services
from contacts.planned import selectors, services, workflow
from contacts.planned.models import Route
from contacts.planned.permissions import allowed_actions
from tests.factories_requests import make_former_pupil, make_plan, make_request
from tests.helpers import sign_in

RELATIONSHIP = {"kind": "relationship", "purpose": "personal", "reasons": "We have met again."}


def _declare(actor, staff, colleague, kind="partner"):
    return people_services.colleague_relationship_declare(
        actor=actor, staff=staff, colleague=colleague, kind=kind
    )


def _absent_today(head):
    today = timezone.localdate()
    services.absence_record(actor=head, school=head.school, starts_on=today, ends_on=today)


def _approve(actor, item):
    return services.request_decide(
        actor=actor, contact_request=item, decision="approve", expected_version=None
    )


def _consult(actor, item):
    return concern_services.lado_record(
        actor=actor,
        subject=item.requester,
        referral_type="consultation",
        contacted_at=timezone.now() - dt.timedelta(minutes=5),
        spoke_to="Duty LADO",
        advice="No concerns.",
        contact_request=item,
    )


# --- Monitoring ---------------------------------------------------------------------------------


def test_a_line_manager_who_declared_a_relationship_no_longer_monitors_the_other(
    client, teacher, pupil, head, line_manager
):
    approved = _approve(head, make_request(teacher, [pupil]))
    assert approved in selectors.monitoring_queue_for(line_manager)
    _declare(teacher, teacher, line_manager, "partner")
    assert approved not in selectors.monitoring_queue_for(line_manager)
    assert approved not in selectors.requests_visible_to(line_manager)
    assert not allowed_actions(line_manager, approved).can_review
    sign_in(client, line_manager)
    assert client.get(reverse("request_detail", args=[approved.pk])).status_code == 404


# --- The LADO's advice on a relationship ---------------------------------------------------------


def test_the_head_does_not_record_the_lado_advice_on_a_partners_relationship(
    teacher, school, head, chair
):
    _declare(teacher, teacher, head, "partner")
    item = make_request(teacher, [make_former_pupil(school)], **RELATIONSHIP)
    assert item.route == Route.CHAIR_OF_GOVERNORS
    with pytest.raises(ValidationError, match="someone else records"):
        _consult(head, item)
    assert not item.lado_referrals.exists()
    referral = _consult(chair, item)
    assert referral not in lado_visible_to(head)
    assert allowed_actions(chair, item).can_decide
    sent = concern_services.lado_record(
        actor=chair,
        subject=teacher,
        referral_type="referral",
        contacted_at=timezone.now() - dt.timedelta(minutes=5),
        spoke_to="Duty LADO",
        advice="Referred for a strategy meeting.",
    )
    with pytest.raises(PermissionDenied):
        concern_services.lado_outcome_record(
            actor=head, referral=sent, outcome="unsubstantiated", outcome_on=timezone.localdate()
        )


# --- Patterns -----------------------------------------------------------------------------------


def test_the_head_does_not_open_a_partners_pattern(teacher, head, dsl):
    _declare(head, head, teacher, "partner")
    assert not may_open_pattern(head, teacher)
    assert may_open_pattern(dsl, teacher)


# --- What held --------------------------------------------------------------------------------


def test_held_the_deputy_never_decides_or_reads_a_restricted_entry(teacher, pupil, head, deputy):
    from tests.factories_requests import WORK_MEETING

    _absent_today(head)
    family = make_request(teacher, [pupil], **(WORK_MEETING | {"with_family_only": True}))
    assert workflow.decider_role(deputy, family) is None
    assert not selectors.can_read_request(deputy, family)
    assert family not in selectors.decision_queue_for(deputy)


def test_held_a_photograph_is_decided_by_any_senior_leader_but_a_partner(
    teacher, pupil, head, deputy, assistant
):
    photo = make_request(teacher, [pupil], kind="photography", purpose="work")
    assert workflow.decider_role(deputy, photo) and workflow.decider_role(assistant, photo)
    _declare(teacher, teacher, assistant, "close_friend")
    assert workflow.decider_role(assistant, photo) is None


def test_held_sessions_are_the_requesters_and_reviews_the_deciders(
    teacher, colleague, school, head, deputy, line_manager
):
    plan = make_plan(teacher, [make_former_pupil(school)], approve_as=head)
    for outsider in (colleague, deputy, line_manager):
        actions = allowed_actions(outsider, plan)
        assert not actions.can_log_session and not actions.can_review_plan
    assert allowed_actions(teacher, plan).can_log_session
    assert not allowed_actions(teacher, plan).can_review_plan
    assert allowed_actions(head, plan).can_review_plan


def test_the_lado_advice_on_a_request_does_not_carry_over_to_another_former_pupil(
    teacher, school, head
):
    """Sent back for more information, the requester may change everything, the pupil
    included: the advice recorded before counts for the request as it then was."""
    from contacts.planned.permissions import LADO_FIRST
    from tests.factories_requests import WORK_MEETING, make_former_pupil

    first = make_former_pupil(school)
    item = make_request(teacher, [first], **RELATIONSHIP)
    _consult(head, item)
    item = services.request_decide(
        actor=head,
        contact_request=item,
        decision="ask",
        expected_version=None,
        reason="Who exactly?",
    )
    other = make_former_pupil(school, first_name="Gale", last_name="Other")
    answers = WORK_MEETING | RELATIONSHIP | {"starts_at": item.starts_at}
    item = services.request_file(
        actor=teacher,
        pupils=[other],
        submit=True,
        contact_request=item,
        expected_version=item.version,
        answer="It is someone else.",
        **answers,
    )
    assert allowed_actions(head, item).decision_waits == LADO_FIRST
    _consult(head, item)
    assert allowed_actions(head, item).can_decide
