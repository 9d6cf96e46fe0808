"""A close relationship with an adult former pupil (000 §contact with former pupils): the head
asks the LADO for advice before deciding. The request asks for no plan of involvement, and it
is approved or rejected only once a LADO consultation about it is recorded."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from contacts.concerns import services as concern_services
from contacts.notifications.models import Notification
from contacts.planned import services
from contacts.planned.models import ContactRequest, Status
from contacts.planned.permissions import LADO_FIRST, allowed_actions
from safeguard.audit.models import AuditEvent
from tests.factories import StaffFactory
from tests.factories_requests import PLAN, make_former_pupil, make_request
from tests.helpers import field_error, options, sign_in, text

RELATIONSHIP = {"kind": "relationship", "purpose": "personal", "reasons": "We have met again."}


@pytest.fixture
def former(school):
    return make_former_pupil(school)


@pytest.fixture
def relationship(teacher, former, head):
    return make_request(teacher, [former], **RELATIONSHIP)


def _consult(actor, item, subject=None):
    return concern_services.lado_record(
        actor=actor,
        subject=subject or item.requester,
        referral_type="consultation",
        contacted_at=timezone.now() - dt.timedelta(minutes=5),
        spoke_to="Duty LADO",
        advice="No concerns about suitability; keep the school informed.",
        contact_request=item,
    )


def _decide(item, actor, decision, reason=""):
    return services.request_decide(
        actor=actor,
        contact_request=item,
        decision=decision,
        expected_version=None,
        reason=reason,
    )


def _reload(item):
    return ContactRequest.objects.get(pk=item.pk)


# --- the request --------------------------------------------------------------------------------


def test_a_relationship_asks_the_head_to_consult_the_lado_and_for_no_plan(relationship):
    saved = _reload(relationship)
    assert saved.status == Status.SUBMITTED
    assert saved.needs_lado
    assert "consult_lado" in saved.actions and "plan_of_involvement" not in saved.actions
    assert not saved.has_plan


def test_a_plan_typed_for_a_relationship_is_not_kept(teacher, former):
    item = make_request(
        teacher, [former], **RELATIONSHIP, **PLAN, plan_review_date=timezone.localdate()
    )
    saved = _reload(item)
    assert saved.status == Status.SUBMITTED
    assert (saved.plan_outcomes, saved.plan_support, saved.plan_review_date) == ("", "", None)


# --- deciding waits for the LADO ----------------------------------------------------------------


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_the_head_may_not_approve_or_reject_before_a_lado_consultation(
    decision, relationship, head
):
    with pytest.raises(ValidationError) as caught:
        _decide(relationship, head, decision, reason="Not now.")
    assert caught.value.messages == [LADO_FIRST]
    assert _reload(relationship).status == Status.SUBMITTED
    assert not AuditEvent.objects.filter(action=f"request.{decision}").exists()


def test_the_head_may_still_ask_for_more_information(relationship, head):
    asked = _decide(relationship, head, "ask", reason="How long have you known each other?")
    assert asked.status == Status.MORE_INFORMATION


def test_the_refusal_is_a_state_the_flags_say_with_its_sentence(relationship, head, teacher):
    actions = allowed_actions(head, relationship)
    assert not actions.can_decide
    assert actions.can_ask
    assert actions.decision_waits == LADO_FIRST
    assert actions.refusals["approve"].person == ""
    # Nobody else is told the decision waits: it is not theirs.
    assert allowed_actions(teacher, relationship).decision_waits == ""


def test_once_the_lado_is_consulted_the_head_decides(relationship, head, teacher):
    referral = _consult(head, relationship)
    assert referral.related_request == relationship
    actions = allowed_actions(head, _reload(relationship))
    assert actions.can_decide and actions.decision_waits == ""

    approved = _decide(relationship, head, "approve")

    assert approved.status == Status.APPROVED
    # A relationship is not a plan: it has no sessions or reviews.
    assert not allowed_actions(teacher, approved).can_log_session


def test_the_chair_records_the_consultation_for_the_heads_own(head, chair, former):
    own = make_request(head, [former], **RELATIONSHIP)
    assert allowed_actions(chair, own).decision_waits == LADO_FIRST
    _consult(chair, own)
    assert _decide(own, chair, "reject", reason="Step back from the role.").status == (
        Status.REJECTED
    )


def test_a_consultation_on_another_request_does_not_count(relationship, teacher, former, head):
    other = make_request(teacher, [former], **RELATIONSHIP)
    _consult(head, other)
    assert allowed_actions(head, _reload(relationship)).decision_waits == LADO_FIRST


def test_a_lado_consultation_is_recorded_about_the_requests_requester(
    relationship, head, colleague
):
    with pytest.raises(ValidationError) as caught:
        _consult(head, relationship, subject=colleague)
    assert "who made it" in caught.value.message_dict["subject"][0]
    assert not relationship.lado_referrals.exists()


def test_a_request_of_another_school_is_refused(relationship, other_school):
    stranger = StaffFactory(school=other_school, roles=["headteacher"])
    elsewhere = StaffFactory(school=other_school)
    with pytest.raises(PermissionDenied):
        _consult(stranger, relationship, subject=elsewhere)


def test_the_consultation_is_audited(relationship, head, teacher):
    referral = _consult(head, relationship)
    event = AuditEvent.objects.get(action="lado.consultation")
    assert event.reason == f"about {teacher.audit_ref}, on {relationship.reference}"
    assert event.object_ref == referral.reference


def test_whoever_decides_is_told_the_advice_is_recorded(relationship, head, chair):
    referred = services.request_refer(
        actor=head, contact_request=relationship, expected_version=None, reason="Unsure."
    )
    _consult(head, referred)
    told = Notification.objects.filter(message__contains="the LADO's advice on it is recorded")
    assert [notice.recipient for notice in told] == [chair]
    assert told.get().message == f"{relationship.reference}: the LADO's advice on it is recorded"


def test_only_a_request_the_recorder_can_see_is_linked(relationship, dsl):
    # The DSL records LADO matters but does not see a colleague's requests.
    with pytest.raises(PermissionDenied, match="not one you can see"):
        _consult(dsl, relationship)
    assert not relationship.lado_referrals.exists()


# --- the pages ----------------------------------------------------------------------------------


def _page(client, person, item):
    sign_in(client, person)
    return client.get(reverse("request_detail", args=[item.pk]))


def test_the_head_is_told_why_and_offered_only_to_ask(client, relationship, head):
    response = _page(client, head, relationship)
    page = text(response)
    assert LADO_FIRST in page
    assert "Record the LADO consultation" in page
    assert list(options(response, "decision")) == ["Ask for more information"]
    assert "Plan of involvement" not in page


def test_once_consulted_the_page_offers_every_decision_and_lists_the_advice(
    client, relationship, head
):
    referral = _consult(head, relationship)
    response = _page(client, head, relationship)
    page = text(response)
    assert LADO_FIRST not in page
    assert referral.reference in page
    assert set(options(response, "decision")) == {
        "Approve",
        "Ask for more information",
        "Reject",
    }


def test_the_requester_is_not_shown_the_lado_records(client, relationship, head, teacher):
    referral = _consult(head, relationship)
    page = text(_page(client, teacher, relationship))
    assert referral.reference not in page
    assert LADO_FIRST not in page
    assert "Record the LADO consultation" not in page


def test_an_approve_posted_before_the_consultation_is_refused_with_the_sentence(
    client, relationship, head
):
    sign_in(client, head)
    response = client.post(
        reverse("request_decide", args=[relationship.pk]),
        {"decision": "approve", "version": relationship.version},
        follow=True,
    )
    assert LADO_FIRST in text(response)
    assert _reload(relationship).status == Status.SUBMITTED


def test_the_lado_form_from_the_request_links_the_consultation(client, relationship, head):
    sign_in(client, head)
    url = reverse("lado_new") + f"?request={relationship.pk}"
    assert relationship.reference in text(client.get(url))
    now = timezone.localtime()
    response = client.post(
        url,
        {
            "subject": relationship.requester_id,
            "referral_type": "consultation",
            "contacted_on": now.date().isoformat(),
            "contacted_time": (now - dt.timedelta(minutes=2)).strftime("%H:%M"),
            "spoke_to": "Duty LADO",
            "advice": "Keep the school informed.",
        },
    )
    assert response.status_code == 302
    (referral,) = relationship.lado_referrals.all()
    assert allowed_actions(head, _reload(relationship)).can_decide
    assert relationship.reference in text(client.get(reverse("lado_detail", args=[referral.pk])))


def test_the_lado_form_refuses_another_subject_beside_the_field(
    client, relationship, head, colleague
):
    sign_in(client, head)
    now = timezone.localtime()
    response = client.post(
        reverse("lado_new") + f"?request={relationship.pk}",
        {
            "subject": colleague.pk,
            "referral_type": "consultation",
            "contacted_on": now.date().isoformat(),
            "contacted_time": (now - dt.timedelta(minutes=2)).strftime("%H:%M"),
            "spoke_to": "Duty LADO",
            "advice": "Keep the school informed.",
        },
    )
    assert response.status_code == 200
    assert relationship.reference in field_error(response, "subject")
    assert not relationship.lado_referrals.exists()


def test_the_request_form_asks_no_plan_for_a_relationship(client, teacher, former):
    sign_in(client, teacher)
    when = timezone.localdate() + dt.timedelta(days=7)
    response = client.post(
        reverse("request_new"),
        {
            "pupils": [former.pk],
            "with_whom": "pupil",
            **RELATIONSHIP,
            "contact_date": when.isoformat(),
            "contact_time": "15:00",
            "place": "A café",
            "exemption": "",
            "action": "check",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="plan_outcomes"' not in page
    assert 'name="plan_review_date"' not in page
    assert "not agreed as a plan of involvement" in text(response)
    assert "The headteacher asks the LADO" in text(response)
