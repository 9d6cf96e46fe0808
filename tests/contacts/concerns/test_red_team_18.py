"""A red-team review of relationships between colleagues and concerns (003 §3): a declared
relative, partner or close friend never reads or acts on a concern about the other, and a
declaration made after a concern was raised never leaves it without a case manager."""

from django.urls import reverse
from django.utils import timezone

from contacts.alerts.selectors import alerts_for
from contacts.concerns import services as concerns_services
from contacts.concerns.selectors import case_managers, concerns_visible_to, is_case_manager
from contacts.people import services as people_services
from contacts.planned import services as planned_services
from safeguard.audit.selectors import withheld_reporters
from tests.factories import StaffFactory
from tests.factories_records import make_concern
from tests.helpers import sign_in, text


def _absent_today(head):
    today = timezone.localdate()
    planned_services.absence_record(actor=head, school=head.school, starts_on=today, ends_on=today)


def _declare(actor, staff, colleague, kind="partner"):
    return people_services.colleague_relationship_declare(
        actor=actor, staff=staff, colleague=colleague, kind=kind
    )


# --- A declared colleague never reads a concern about the other -------------------------------


def test_the_acting_deputy_does_not_read_a_concern_about_a_declared_partner(
    client, teacher, colleague, head, deputy
):
    _declare(teacher, teacher, deputy)
    _absent_today(head)
    concern = make_concern(colleague, teacher)
    assert deputy not in case_managers(concern)
    assert concern not in concerns_visible_to(deputy)
    assert not alerts_for(deputy).filter(concern=concern).exists()
    sign_in(client, deputy)
    assert client.get(reverse("concern_detail", args=[concern.pk])).status_code == 404


def test_the_dsl_does_not_read_a_harm_concern_about_a_declared_partner(teacher, colleague, dsl):
    _declare(teacher, teacher, dsl)
    concern = make_concern(colleague, teacher, harm_to_pupils=True)
    assert concern not in concerns_visible_to(dsl)


def test_a_whistleblowing_governor_related_to_its_subject_passes_it_to_the_chair(
    school, teacher, colleague, chair
):
    from safeguard.core.roles import Role

    named = StaffFactory(school=school, roles=[Role.WHISTLEBLOWING_GOVERNOR])
    _declare(named, named, teacher, "close_friend")
    concern = make_concern(colleague, teacher, whistleblowing=True)
    assert named not in case_managers(concern) and concern not in concerns_visible_to(named)
    assert set(case_managers(concern)) == {chair}
    assert concern in concerns_visible_to(chair)


def test_a_reporter_still_reads_the_concern_they_raised_about_a_partner(teacher, deputy, head):
    _declare(teacher, teacher, deputy)
    concern = make_concern(deputy, teacher)
    assert concern in concerns_visible_to(deputy)


# --- A declaration after the concern never orphans it -----------------------------------------


def test_the_subject_declaring_a_friendship_with_the_head_moves_the_concern_to_the_chair(
    client, teacher, colleague, head, chair
):
    concern = make_concern(colleague, teacher)
    _declare(teacher, teacher, head, "close_friend")
    assert set(case_managers(concern)) == {chair}
    assert concern not in concerns_visible_to(head)
    assert concern in concerns_visible_to(chair)
    assert alerts_for(chair).filter(concern=concern).exists()
    assert not alerts_for(head).filter(concern=concern).exists()
    concerns_services.concern_respond(
        actor=chair,
        concern=concern,
        response="Spoke to both.",
        outcome="no_further_action",
        close=True,
    )
    sign_in(client, head)
    assert client.get(reverse("concern_detail", args=[concern.pk])).status_code == 404


def test_the_acting_deputy_does_not_take_a_concern_about_the_heads_friend(
    teacher, colleague, head, deputy, chair
):
    concern = make_concern(colleague, teacher)
    _declare(teacher, teacher, head, "close_friend")
    _absent_today(head)
    assert not is_case_manager(deputy, concern)
    assert concern not in concerns_visible_to(deputy)
    assert not alerts_for(deputy).filter(concern=concern).exists()
    assert is_case_manager(chair, concern)


def test_the_trail_withholds_a_reporter_from_the_subjects_partner(
    client, teacher, colleague, line_manager, head
):
    """Whether the head manages a concern is cached by its route: the head manages the newer
    concern, but not the one about the head's partner, whose confidential reporter stays
    withheld."""
    about_partner = make_concern(colleague, teacher, confidential=True)
    _declare(head, head, teacher, "partner")
    make_concern(line_manager, colleague, confidential=True)  # the head's: iterated first
    withheld = withheld_reporters(head)
    assert withheld.get(("contacts.boundaryconcern", str(about_partner.pk))) == colleague.pk
    sign_in(client, head)
    rows = text(client.get(reverse("audit_trail"))).split("When Who Role Action", 1)[1]
    assert colleague.full_name not in rows


def test_the_head_declaring_a_friendship_with_the_chair_does_not_orphan_a_concern_about_the_head(
    client, colleague, head, chair, governor
):
    from contacts.notifications.models import Notification

    raised_before = make_concern(colleague, head)
    _declare(head, head, chair, "close_friend")
    raised_after = make_concern(colleague, head)
    for concern in (raised_before, raised_after):
        assert set(case_managers(concern)) == {governor}
        assert concern in concerns_visible_to(governor)
        assert concern not in concerns_visible_to(chair)
    assert Notification.objects.filter(
        recipient=governor, message__contains=raised_after.reference
    ).exists()
    sign_in(client, governor)
    assert client.get(reverse("concern_detail", args=[raised_after.pk])).status_code == 200
    concerns_services.concern_respond(
        actor=governor, concern=raised_after, response="Taken to the governing body."
    )


def test_the_acting_deputy_does_not_act_on_the_alert_about_a_partners_record(
    teacher, pupil, head, deputy, assistant
):
    from tests.factories_records import make_record

    _declare(teacher, teacher, deputy)
    _absent_today(head)
    alert = make_record(teacher, [pupil], record_type="ongoing").alerts.get()
    assert alert not in alerts_for(deputy)
    assert alert in alerts_for(head)
