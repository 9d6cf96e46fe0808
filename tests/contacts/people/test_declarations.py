"""Standing declarations of relationships with pupils (issue 18 point 9; 000 intended contact;
001 §3): declared with the contact they involve, acknowledged with conditions, reviewed yearly,
ended; the engine reads an acknowledged one as a fact."""

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from contacts.notifications.models import Notification
from contacts.people import selectors, services
from contacts.people.models import DeclaredContact, StaffRelative
from policies.engine import KINDS
from policies.facts import assess_contact
from safeguard.audit.models import AuditEvent
from tests.factories import PupilFactory, StaffRelativeFactory
from tests.helpers import sign_in, text

NEXT_WEEK = timezone.localdate() + dt.timedelta(days=7)


def _lift(requester, pupils, **extra):
    answers = {
        "with_family_only": False,
        "on": NEXT_WEEK,
        "kind": "transport",
        "purpose": "personal",
        "planned": True,
    }
    return assess_contact(requester=requester, pupils=pupils, **(answers | extra))


def _declare(teacher, pupil, relationship="childs_friend", kinds=("transport",)):
    return services.relative_add(
        actor=teacher,
        staff=teacher,
        pupil=pupil,
        relationship=relationship,
        contact="Lifts home from football with my daughter on Saturdays.",
        contact_kinds=list(kinds),
    )


def test_every_declarable_kind_is_one_the_engine_knows():
    assert set(DeclaredContact.values) <= set(KINDS)
    assert "relationship" not in DeclaredContact.values


# --- Declaring ---------------------------------------------------------------------------------


def test_a_childs_friend_is_declared_with_the_contact_it_involves(teacher, pupil, head):
    relative = _declare(teacher, pupil)
    assert relative.contact_kinds == ["transport"] and not relative.is_acknowledged
    assert AuditEvent.objects.filter(action="relative.add", object_ref=relative.audit_ref).exists()
    assert Notification.objects.filter(recipient=head, message__contains="relationship").exists()


def test_a_connection_outside_the_family_must_say_what_contact_it_involves(teacher, pupil):
    with pytest.raises(ValidationError) as caught:
        services.relative_add(
            actor=teacher, staff=teacher, pupil=pupil, relationship="neighbour", contact=""
        )
    assert "contact_kinds" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.relative_add(
            actor=teacher,
            staff=teacher,
            pupil=pupil,
            relationship="neighbour",
            contact=" ",
            contact_kinds=["meeting"],
        )
    assert "contact" in caught.value.message_dict
    assert not StaffRelative.objects.exists()


def test_social_media_is_covered_only_for_the_family(teacher, pupil):
    with pytest.raises(ValidationError, match="own family"):
        _declare(teacher, pupil, "family_friend", ("social_media",))
    own = _declare(teacher, pupil, "child", ("social_media", "text_message"))
    assert own.contact_kinds == ["social_media", "text_message"]


def test_an_unknown_kind_of_contact_is_refused(teacher, pupil):
    with pytest.raises(ValidationError, match="Choose from"):
        _declare(teacher, pupil, "child", ("relationship",))


# --- Acknowledging, reviewing, ending -------------------------------------------------------------


def test_acknowledging_sets_conditions_and_a_review_in_a_year(teacher, pupil, head):
    relative = _declare(teacher, pupil)
    services.relative_acknowledge(actor=head, relative=relative, conditions="Another adult too.")
    relative.refresh_from_db()
    assert relative.conditions == "Another adult too."
    assert relative.review_due == timezone.localdate() + dt.timedelta(days=365)
    event = AuditEvent.objects.get(action="relative.acknowledge")
    assert "conditions: Another adult too." in event.reason


def test_the_review_keeps_it_standing_for_another_year(teacher, pupil, head):
    relative = StaffRelativeFactory(
        staff=teacher, pupil=pupil, acknowledged=True, review_due=timezone.localdate()
    )
    assert relative in selectors.relatives_due_for_review_by(head)
    services.relative_review(actor=head, relative=relative, conditions="Term time only.")
    relative.refresh_from_db()
    assert relative.review_due == timezone.localdate() + dt.timedelta(days=365)
    assert relative not in selectors.relatives_due_for_review_by(head)
    assert AuditEvent.objects.filter(action="relative.review").exists()


def test_a_declaration_not_yet_acknowledged_is_not_reviewed(teacher, pupil, head):
    relative = _declare(teacher, pupil)
    with pytest.raises(ValidationError, match="Only an acknowledged"):
        services.relative_review(actor=head, relative=relative)


@pytest.mark.parametrize("persona", ["teacher", "deputy", "line_manager", "chair", "admin"])
def test_only_the_acknowledger_reviews(request, persona, teacher, pupil, head):
    relative = StaffRelativeFactory(staff=teacher, pupil=pupil, acknowledged=True)
    with pytest.raises(PermissionDenied):
        services.relative_review(actor=request.getfixturevalue(persona), relative=relative)


def test_an_ended_declaration_lifts_nothing_and_can_be_made_again(teacher, pupil, head):
    relative = _declare(teacher, pupil)
    services.relative_acknowledge(actor=head, relative=relative)
    assert _lift(teacher, [pupil]).verdict == "record"
    services.relative_end(actor=teacher, relative=relative)
    assert _lift(teacher, [pupil]).verdict == "prohibited"
    again = _declare(teacher, pupil)
    assert not again.is_acknowledged and StaffRelative.objects.count() == 2


def test_reviews_due_are_reminded_once(teacher, pupil, head):
    StaffRelativeFactory(
        staff=teacher, pupil=pupil, acknowledged=True, review_due=timezone.localdate()
    )
    StaffRelativeFactory(staff=teacher, acknowledged=True, review_due=NEXT_WEEK)
    first, second = io.StringIO(), io.StringIO()
    call_command("send_reminders", stdout=first)
    call_command("send_reminders", stdout=second)
    assert "1 declaration review(s) due" in first.getvalue()
    assert "0 declaration review(s) due" in second.getvalue()
    told = Notification.objects.filter(recipient=head, message__contains="yearly review")
    assert told.count() == 1
    assert AuditEvent.objects.filter(action="relative.remind").count() == 1


# --- What the engine makes of it (issue 18 points 1 and 2) ------------------------------------


def test_a_lift_for_an_acknowledged_childs_friend_is_recorded_not_asked(teacher, pupil, head):
    relative = _declare(teacher, pupil)
    assert _lift(teacher, [pupil]).verdict == "prohibited"
    services.relative_acknowledge(actor=head, relative=relative)
    assessment = _lift(teacher, [pupil])
    assert assessment.verdict == "record"
    assert "declaration.standing" in {f.clause for f in assessment.findings}


def test_texts_to_an_own_child_need_no_fresh_approval_once_declared(teacher, pupil, head):
    relative = _declare(teacher, pupil, "child", ("text_message",))
    services.relative_acknowledge(actor=head, relative=relative)
    assert _lift(teacher, [pupil], kind="text_message").verdict == "record"
    # Contact outside the declaration is assessed as usual.
    assert _lift(teacher, [pupil], kind="social_media").verdict == "prohibited"


def test_a_declaration_stands_only_while_the_pupil_is_at_the_school(teacher, head, school):
    leaver = PupilFactory(school=school, leaving_date=NEXT_WEEK - dt.timedelta(days=1))
    relative = _declare(teacher, leaver)
    services.relative_acknowledge(actor=head, relative=relative)
    assert not relative.is_standing(NEXT_WEEK)
    assert "declaration.standing" not in {f.clause for f in _lift(teacher, [leaver]).findings}


def test_someone_elses_declaration_lifts_nothing_for_me(teacher, colleague, pupil, head):
    relative = _declare(colleague, pupil)
    services.relative_acknowledge(actor=head, relative=relative)
    assert _lift(teacher, [pupil]).verdict == "prohibited"


# --- Pages ------------------------------------------------------------------------------------


def _as(client, person):
    sign_in(client, person)
    return client


def test_the_head_reviews_from_the_list_and_the_dashboard_says_when_due(
    client, head, teacher, pupil
):
    relative = StaffRelativeFactory(
        staff=teacher,
        pupil=pupil,
        relationship="neighbour",
        contact="Lifts to football.",
        contact_kinds=["transport"],
        acknowledged=True,
        review_due=timezone.localdate(),
    )
    _as(client, head)
    assert "1 declared relationship with pupils is due for the yearly review" in text(
        client.get(reverse("dashboard"))
    )
    listed = text(client.get(reverse("relatives_awaiting")))
    assert "Due for their yearly review (1)" in listed
    assert "Covers: Lifts in your vehicle" in listed
    response = client.post(
        reverse("relative_review", args=[relative.pk]),
        {"conditions": "Only with another parent in the car.", "back": "list"},
        follow=True,
    )
    assert "was reviewed and stands for another year" in text(response)
    relative.refresh_from_db()
    assert relative.conditions == "Only with another parent in the car."


def test_both_files_show_the_declaration_and_its_conditions(client, head, teacher, pupil):
    relative = _declare(teacher, pupil)
    services.relative_acknowledge(actor=head, relative=relative, conditions="Term time only.")
    _as(client, head)
    for page in (
        text(client.get(reverse("staff_detail", args=[teacher.pk]))),
        text(client.get(reverse("pupil_detail", args=[pupil.pk]))),
    ):
        assert "Friend of own child" in page
        assert "Conditions: Term time only." in page
        assert "Covers: Lifts in your vehicle" in page


# --- The parents' agreed forms of contact (issue 18 point 3; 004 §11) -------------------------


def test_the_agreed_forms_of_contact_are_saved_in_order_and_audited(admin, pupil):
    services.pupil_update(actor=admin, pupil=pupil, agreed_contact_modes=["email", "phone_call"])
    pupil.refresh_from_db()
    assert pupil.agreed_contact_modes == ["phone_call", "email"]
    assert "agreed_contact_modes" in AuditEvent.objects.filter(action="pupil.update").last().reason


def test_an_unknown_form_of_contact_is_refused(admin, pupil):
    with pytest.raises(ValidationError) as caught:
        services.pupil_update(actor=admin, pupil=pupil, agreed_contact_modes=["carrier_pigeon"])
    assert "agreed_contact_modes" in caught.value.message_dict


def test_the_pupil_page_says_what_the_parents_agreed_to(client, head, pupil):
    _as(client, head)
    page = text(client.get(reverse("pupil_detail", args=[pupil.pk])))
    assert "The parents have not agreed to direct calls, texts or emails from staff" in page
    pupil.agreed_contact_modes = ["text_message"]
    pupil.save()
    page = text(client.get(reverse("pupil_detail", args=[pupil.pk])))
    assert "direct contact from staff by: Texts from a school phone" in page
