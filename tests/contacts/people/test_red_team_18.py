"""A red-team review of standing declarations and relationships between colleagues (003 §3):
a declaration counts only once someone independent of it has acknowledged it, and a
relationship between colleagues is never a way to choose one's own overseer."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from contacts.people import selectors, services
from contacts.people.models import StaffRelative
from policies.facts import assess_contact
from tests.helpers import sign_in

NEXT_WEEK = timezone.localdate() + dt.timedelta(days=7)


def _declare_colleague(actor, staff, colleague, kind="partner"):
    return services.colleague_relationship_declare(
        actor=actor, staff=staff, colleague=colleague, kind=kind
    )


def _declare_pupil(actor, staff, pupil, kinds=("transport",)):
    return services.relative_add(
        actor=actor,
        staff=staff,
        pupil=pupil,
        relationship="neighbour",
        contact="Lifts to the Saturday club with my own children.",
        contact_kinds=list(kinds),
    )


def _lift_verdict(requester, pupil):
    answers = {
        "with_family_only": False,
        "on": NEXT_WEEK,
        "kind": "transport",
        "purpose": "personal",
        "planned": True,
    }
    return assess_contact(requester=requester, pupils=[pupil], **answers).verdict


# --- Acknowledging a declaration ---------------------------------------------------------------


def test_the_head_does_not_acknowledge_the_declaration_of_the_heads_partner(
    client, teacher, pupil, head, chair, admin
):
    _declare_colleague(admin, teacher, head)
    relative = _declare_pupil(teacher, teacher, pupil)
    assert relative not in selectors.relatives_acknowledgeable_by(head)
    with pytest.raises(PermissionDenied):
        services.relative_acknowledge(actor=head, relative=relative)
    sign_in(client, head)
    client.post(reverse("relative_acknowledge", args=[relative.pk]))
    assert not StaffRelative.objects.get(pk=relative.pk).is_acknowledged
    # The chair, who oversees the head, acknowledges it.
    assert relative in selectors.relatives_awaiting_acknowledgement_by(chair)
    services.relative_acknowledge(actor=chair, relative=relative)


def test_nobody_acknowledges_the_declaration_of_a_colleague_they_are_related_to(
    teacher, pupil, head, chair
):
    _declare_colleague(chair, chair, teacher, "close_friend")
    relative = _declare_pupil(head, teacher, pupil)  # declared by the head: the chair's
    assert relative not in selectors.relatives_acknowledgeable_by(chair)
    with pytest.raises(PermissionDenied):
        services.relative_acknowledge(actor=chair, relative=relative)


def test_held_a_declaration_counts_only_once_acknowledged_by_someone_else(
    teacher, pupil, head, admin, other_school
):
    """What held: self-acknowledgement, one's own declaration made by the admin, an ended one,
    and one at another school."""
    from tests.factories import StaffFactory

    mine = _declare_pupil(teacher, teacher, pupil)
    for actor in (teacher, admin):
        with pytest.raises(PermissionDenied):
            services.relative_acknowledge(actor=actor, relative=mine)
    by_admin = _declare_pupil(admin, head, pupil)  # the head's own, declared by the admin
    with pytest.raises(PermissionDenied):
        services.relative_acknowledge(actor=head, relative=by_admin)
    services.relative_end(actor=teacher, relative=mine)
    with pytest.raises((PermissionDenied, ValidationError)):
        services.relative_acknowledge(actor=head, relative=mine)
    assert _lift_verdict(teacher, pupil) != "record"
    elsewhere = StaffFactory(school=other_school, roles=["headteacher"])
    again = _declare_pupil(teacher, teacher, pupil)
    with pytest.raises(PermissionDenied):
        services.relative_acknowledge(actor=elsewhere, relative=again)
    assert not StaffRelative.objects.filter(acknowledged_at__isnull=False).exists()


# --- Relationships between colleagues -----------------------------------------------------------


def _absent_today(head):
    from contacts.planned import services as planned_services

    today = timezone.localdate()
    planned_services.absence_record(actor=head, school=head.school, starts_on=today, ends_on=today)


def test_neither_of_the_pair_ends_it_to_decide_the_others_request(
    client, teacher, pupil, head, deputy, admin
):
    """Ending lifts the restriction: the acting deputy would decide the partner's request."""
    from contacts.planned import workflow
    from tests.factories_requests import make_request

    pair = _declare_colleague(admin, teacher, deputy)
    _absent_today(head)
    waiting = make_request(teacher, [pupil])
    for actor in (teacher, deputy):
        with pytest.raises(PermissionDenied):
            services.colleague_relationship_end(actor=actor, relationship=pair)
    sign_in(client, teacher)
    page = client.get(reverse("staff_detail", args=[teacher.pk])).content.decode()
    assert reverse("colleague_end", args=[teacher.pk, pair.pk]) not in page
    assert client.post(reverse("colleague_end", args=[teacher.pk, pair.pk])).status_code == 403
    pair.refresh_from_db()
    assert pair.ended_at is None
    assert workflow.decider_role(deputy, waiting) is None


def test_the_head_does_not_end_the_heads_own_relationship(client, teacher, head, admin, chair):
    from contacts.notifications.models import Notification

    pair = _declare_colleague(teacher, teacher, head, "close_friend")
    with pytest.raises(PermissionDenied):
        services.colleague_relationship_end(actor=head, relationship=pair)
    services.colleague_relationship_end(actor=admin, relationship=pair)
    told = {n.recipient for n in Notification.objects.filter(message__contains="was ended")}
    assert {teacher, head, chair} <= told and admin not in told


def test_whoever_is_named_in_a_declaration_is_told(teacher, colleague, head, chair, admin):
    from contacts.notifications.models import Notification

    _declare_colleague(teacher, teacher, colleague, "close_friend")
    told = Notification.objects.filter(message__contains="declared a relationship with you")
    assert {n.recipient for n in told} == {colleague}
    Notification.objects.all().delete()
    # Naming the head sends the declarer's requests and concerns to the chair: both are told.
    _declare_colleague(admin, colleague, head, "relative")
    assert {n.recipient for n in Notification.objects.all()} >= {colleague, head, chair}


# --- Traces -------------------------------------------------------------------------------------


def test_the_trail_says_what_contact_a_declaration_covered_when_it_was_acknowledged(
    teacher, pupil, head
):
    """The chain covers events, not declarations: the kinds of contact acknowledged are written
    into the events, so broadening them later in the database shows against the trail."""
    from safeguard.audit.models import AuditEvent

    relative = _declare_pupil(teacher, teacher, pupil, kinds=("transport", "text_message"))
    services.relative_acknowledge(actor=head, relative=relative)
    for action in ("relative.add", "relative.acknowledge"):
        reason = AuditEvent.objects.get(action=action).reason
        assert "covers: transport, text_message" in reason, reason


def test_the_trail_says_which_forms_of_contact_the_parents_agreed_to(pupil, admin):
    """Agreed calls or texts make a school-phone call "record" rather than "approve" (004 §11):
    the event says what was recorded, not only that the field changed."""
    from safeguard.audit.models import AuditEvent

    fields = {
        name: getattr(pupil, name)
        for name in ("first_name", "last_name", "date_of_birth", "admission_date")
    }
    services.pupil_update(actor=admin, pupil=pupil, agreed_contact_modes=["text_message"], **fields)
    services.pupil_update(actor=admin, pupil=pupil, agreed_contact_modes=[], **fields)
    reasons = list(
        AuditEvent.objects.filter(action="pupil.update")
        .order_by("pk")
        .values_list("reason", flat=True)
    )
    assert "parents agreed to: text_message" in reasons[0]
    assert "parents agreed to: nothing" in reasons[1]
