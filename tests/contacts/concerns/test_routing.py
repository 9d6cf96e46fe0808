"""Where a boundary concern goes (003 §3, §6): the case manager; the DSL told one was raised and,
for a relationship that could harm a pupil, reading it; the reporter's line manager if asked;
and the whistleblowing route to one governor, bypassing school management."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from contacts.alerts.models import Owner
from contacts.alerts.selectors import alerts_for
from contacts.concerns.selectors import concerns_visible_to, is_case_manager
from contacts.notifications.models import Notification
from contacts.people.services import governance_roles_set
from safeguard.audit.selectors import audit_events_for
from safeguard.core.roles import Role
from tests.factories_records import make_concern
from tests.helpers import sign_in, text


def _told(person) -> list[str]:
    return list(Notification.objects.filter(recipient=person).values_list("message", flat=True))


def test_the_dsl_is_told_a_concern_was_raised_but_not_by_whom(colleague, teacher, head, dsl):
    concern = make_concern(colleague, teacher, confidential=True)
    [notice] = Notification.objects.filter(recipient=dsl)
    assert concern.reference in notice.message
    # Notices are emailed: no name in the words; the link leads to the person's page.
    assert teacher.full_name not in notice.message
    assert colleague.full_name not in notice.message
    assert notice.url == reverse("staff_detail", args=[teacher.pk])
    assert concern not in concerns_visible_to(dsl)


def test_a_relationship_that_could_harm_a_pupil_goes_to_the_dsl_at_once(
    colleague, teacher, head, dsl
):
    concern = make_concern(colleague, teacher, harm_to_pupils=True)
    assert concern in concerns_visible_to(dsl)
    assert not is_case_manager(dsl, concern)
    owners = sorted(concern.alerts.values_list("owner", flat=True))
    assert owners == [Owner.DSL, Owner.HEADTEACHER]
    assert any("could harm a pupil" in m for m in _told(dsl))
    assert concern.alerts.get(owner=Owner.DSL) in alerts_for(dsl)
    # Never the person it is about, DSL or not.
    assert concern not in concerns_visible_to(teacher)


def test_the_reporter_may_tell_their_own_line_manager(colleague, teacher, head, line_manager):
    concern = make_concern(colleague, teacher, tell_line_manager=True)
    assert concern.told_line_manager
    [notice] = Notification.objects.filter(recipient=line_manager)
    assert concern.description not in notice.message
    assert colleague.full_name not in notice.message
    assert notice.url == reverse("staff_detail", args=[colleague.pk])


def test_no_line_manager_to_tell_is_refused_beside_the_box(head, teacher):
    with pytest.raises(ValidationError) as refused:
        make_concern(head, teacher, tell_line_manager=True)
    assert "tell_line_manager" in refused.value.error_dict


def test_the_whistleblowing_route_reaches_only_the_named_governor(
    colleague, teacher, head, dsl, chair, governor
):
    governance_roles_set(
        actor=chair, staff=governor, roles_held=[Role.GOVERNOR, Role.WHISTLEBLOWING_GOVERNOR]
    )
    concern = make_concern(colleague, teacher, whistleblowing=True)
    assert concern.confidential and concern.whistleblowing
    assert concern in concerns_visible_to(governor) and is_case_manager(governor, concern)
    for person in (head, dsl, chair):
        assert concern not in concerns_visible_to(person)
        assert not _told(person) or all(concern.reference not in m for m in _told(person))
    alert = concern.alerts.get()
    assert alert.owner == Owner.WHISTLEBLOWING
    assert alert in alerts_for(governor) and alert not in alerts_for(head)
    # Not even the trail tells the head one was sent.
    refs = set(audit_events_for(head, withheld={}).values_list("object_ref", flat=True))
    assert concern.reference not in refs and alert.reference not in refs


def test_with_nobody_named_the_chair_receives_whistleblowing(colleague, teacher, head, chair):
    concern = make_concern(colleague, teacher, whistleblowing=True)
    assert is_case_manager(chair, concern) and concern in concerns_visible_to(chair)
    assert concern not in concerns_visible_to(head)


def test_whistleblowing_keeps_out_of_management_entirely(colleague, teacher):
    with pytest.raises(ValidationError) as refused:
        make_concern(colleague, teacher, whistleblowing=True, tell_line_manager=True)
    assert "whistleblowing" in refused.value.error_dict


def test_the_form_says_who_will_see_it_before_it_is_sent(client, teacher, head, dsl, chair):
    sign_in(client, teacher)
    page = text(client.get(reverse("concern_new")))
    assert "Who will see it" in page
    assert head.full_name in page and dsl.full_name in page and chair.full_name in page
    assert "The person it is about never sees it." in page


def test_the_chair_names_the_governor_for_whistleblowing(client, chair, governor):
    sign_in(client, chair)
    response = client.post(reverse("governance_whistleblowing", args=[governor.pk]), follow=True)
    assert "now receives concerns sent by the whistleblowing route" in text(response)
    assert governor.role_assignments.filter(role=Role.WHISTLEBLOWING_GOVERNOR).exists()


def test_the_governor_sees_it_is_theirs_and_is_not_offered_what_they_may_not_do(
    client, colleague, teacher, chair, governor
):
    governance_roles_set(
        actor=chair, staff=governor, roles_held=[Role.GOVERNOR, Role.WHISTLEBLOWING_GOVERNOR]
    )
    concern = make_concern(colleague, teacher, whistleblowing=True)
    sign_in(client, governor)
    page = text(client.get(reverse("concern_detail", args=[concern.pk])))
    assert "managed by the governor for whistleblowing" in page
    assert "Record a LADO consultation or referral" not in page
    assert "tell the chair if one is needed" in page
