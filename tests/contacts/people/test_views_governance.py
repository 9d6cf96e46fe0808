"""The chair of governors' governance page: the governor role, and the head's and governors'
accounts (docs/security.md "Separation of duties")."""

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from contacts.people.models import Staff, StaffRole
from safeguard.accounts.services import APP_DEVICE_NAME
from safeguard.audit.models import AuditEvent
from safeguard.core.roles import Role
from tests.helpers import field_error, sign_in, text

PAGE = reverse("governance")


def _as(client, user):
    sign_in(client, user)
    return client


def _events(action, staff):
    return list(AuditEvent.objects.filter(action=action, object_id=str(staff.pk)))


def _roles(staff):
    return set(StaffRole.objects.filter(staff=staff).values_list("role", flat=True))


# --- the page -------------------------------------------------------------------------------


def test_the_chair_sees_the_head_and_the_governors_with_their_email_and_sign_in(
    client, chair, head, governor, teacher
):
    Staff.objects.filter(pk=governor.pk).update(is_active=False)
    page = text(_as(client, chair).get(PAGE))
    for person in (chair, head, governor):
        assert person.full_name in page
        assert person.email in page
    assert "Cannot sign in (deactivated)" in page
    assert teacher.email not in page.split("Give the governor role")[0]


def test_the_governance_page_is_in_the_chairs_menu_only(client, chair, head):
    assert (
        'href="/governance/"' in _as(client, chair).get(reverse("decision_queue")).content.decode()
    )
    client.logout()
    assert 'href="/governance/"' not in _as(client, head).get(reverse("dashboard")).content.decode()


@pytest.mark.parametrize("persona", ["head", "admin", "governor", "dsl", "teacher"])
def test_the_governance_page_is_closed_to_everyone_but_the_chair(client, request, persona):
    assert _as(client, request.getfixturevalue(persona)).get(PAGE).status_code == 403


def test_the_head_is_not_offered_as_a_governor(client, chair, head, line_manager):
    page = _as(client, chair).get(PAGE).content.decode()
    offered = page.split('name="staff"')[1].split("</select>")[0]
    assert line_manager.full_name in offered
    assert head.full_name not in offered


# --- 1. the governor role --------------------------------------------------------------------


def test_the_chair_makes_a_member_of_staff_a_governor(client, chair, line_manager):
    response = _as(client, chair).post(
        reverse("governance_governor_give"), {"staff": line_manager.pk}, follow=True
    )
    assert f"{line_manager.full_name} is now a governor." in text(response)
    assert Role.GOVERNOR in _roles(line_manager)
    [event] = _events("staff.roles_change", line_manager)
    assert event.actor_id == chair.pk
    assert "governor" in event.to_state


def test_the_chair_cannot_make_the_head_a_governor(client, chair, head):
    response = _as(client, chair).post(reverse("governance_governor_give"), {"staff": head.pk})
    assert response.status_code == 200
    assert "Select a valid choice" in field_error(response, "staff")
    assert _roles(head) == {Role.HEADTEACHER, Role.LINE_MANAGER}


def test_a_refusal_by_the_service_is_shown_beside_the_choice(client, chair, teacher):
    # The teacher has a line manager: a governor has none in Safeguard.
    response = _as(client, chair).post(reverse("governance_governor_give"), {"staff": teacher.pk})
    assert response.status_code == 200
    assert "no line manager" in field_error(response, "staff")
    assert Role.GOVERNOR not in _roles(teacher)
    assert not _events("staff.roles_change", teacher)


def test_the_chair_removes_the_governor_role(client, chair, governor):
    response = _as(client, chair).post(
        reverse("governance_governor_remove", args=[governor.pk]), follow=True
    )
    assert f"{governor.full_name} is no longer a governor." in text(response)
    assert Role.GOVERNOR not in _roles(governor)
    assert governor.email not in text(response)
    [event] = _events("staff.roles_change", governor)
    assert event.actor_id == chair.pk


@pytest.mark.parametrize("persona", ["head", "admin"])
def test_the_head_and_the_administrator_cannot_give_or_remove_the_governor_role(
    client, request, persona, governor, line_manager
):
    client = _as(client, request.getfixturevalue(persona))
    give = client.post(reverse("governance_governor_give"), {"staff": line_manager.pk})
    remove = client.post(reverse("governance_governor_remove", args=[governor.pk]))
    assert (give.status_code, remove.status_code) == (403, 403)
    assert Role.GOVERNOR in _roles(governor)
    assert Role.GOVERNOR not in _roles(line_manager)


# --- 2. email ------------------------------------------------------------------------------


def test_the_chair_changes_the_heads_email_and_the_old_address_is_told(
    client, chair, head, django_capture_on_commit_callbacks, mailoutbox
):
    old = head.email
    with django_capture_on_commit_callbacks(execute=True):
        response = _as(client, chair).post(
            reverse("governance_email", args=[head.pk]), {"email": "new.head@test.example"}
        )
    assert response.status_code == 302
    head.refresh_from_db()
    assert head.email == "new.head@test.example"
    assert "new.head@test.example" in text(client.get(PAGE))
    [event] = _events("staff.update", head)
    assert event.actor_id == chair.pk
    assert any(old in m.to for m in mailoutbox)


def test_an_address_already_in_use_is_refused_beside_the_field(client, chair, governor, teacher):
    response = _as(client, chair).post(
        reverse("governance_email", args=[governor.pk]), {"email": teacher.email}
    )
    assert response.status_code == 200
    assert field_error(response, f"email_{governor.pk}")
    governor.refresh_from_db()
    assert governor.email == "governor@test.example"
    assert not _events("staff.update", governor)


def test_an_invalid_address_is_refused_beside_the_field(client, chair, governor):
    response = _as(client, chair).post(
        reverse("governance_email", args=[governor.pk]), {"email": "<script>x</script>"}
    )
    assert "valid email" in field_error(response, f"email_{governor.pk}")
    assert "<script>x</script>" not in response.content.decode()


def test_the_chair_cannot_change_a_teachers_email_here(client, chair, teacher):
    response = _as(client, chair).post(
        reverse("governance_email", args=[teacher.pk]), {"email": "x@test.example"}
    )
    assert response.status_code == 404


@pytest.mark.parametrize("persona", ["head", "admin"])
def test_the_head_and_the_administrator_cannot_change_a_governors_email_here(
    client, request, persona, governor
):
    response = _as(client, request.getfixturevalue(persona)).post(
        reverse("governance_email", args=[governor.pk]), {"email": "x@test.example"}
    )
    assert response.status_code == 403
    governor.refresh_from_db()
    assert governor.email == "governor@test.example"


# --- 3. deactivate and reactivate ----------------------------------------------------------


def test_the_chair_deactivates_and_reactivates_a_governor(client, chair, governor):
    client = _as(client, chair)
    response = client.post(reverse("governance_active", args=[governor.pk]), {"active": "0"})
    assert response.status_code == 302
    governor.refresh_from_db()
    assert not governor.is_active
    assert "Cannot sign in (deactivated)" in text(client.get(PAGE))
    assert _events("staff.deactivate", governor)[0].actor_id == chair.pk

    client.post(reverse("governance_active", args=[governor.pk]), {"active": "1"})
    governor.refresh_from_db()
    assert governor.is_active
    assert _events("staff.activate", governor)[0].actor_id == chair.pk


def test_the_chair_cannot_deactivate_themself(client, chair):
    response = _as(client, chair).post(
        reverse("governance_active", args=[chair.pk]), {"active": "0"}, follow=True
    )
    assert "You cannot deactivate your own account." in text(response)
    chair.refresh_from_db()
    assert chair.is_active


def test_a_made_up_answer_is_refused_with_a_message(client, chair, head):
    response = _as(client, chair).post(
        reverse("governance_active", args=[head.pk]), {"active": "maybe"}, follow=True
    )
    assert "Choose to deactivate or to reactivate the account." in text(response)
    head.refresh_from_db()
    assert head.is_active


@pytest.mark.parametrize("persona", ["head", "admin"])
def test_the_head_and_the_administrator_cannot_deactivate_a_governor_here(
    client, request, persona, governor
):
    response = _as(client, request.getfixturevalue(persona)).post(
        reverse("governance_active", args=[governor.pk]), {"active": "0"}
    )
    assert response.status_code == 403
    governor.refresh_from_db()
    assert governor.is_active


# --- 4. the second factor ------------------------------------------------------------------


def test_the_chair_resets_the_heads_second_factor(client, chair, head):
    TOTPDevice.objects.create(user=head, name=APP_DEVICE_NAME, confirmed=True)
    response = _as(client, chair).post(
        reverse("governance_two_factor_reset", args=[head.pk]), follow=True
    )
    assert f"Two-factor sign-in was reset for {head.full_name}." in text(response)
    assert not TOTPDevice.objects.filter(user=head).exists()
    assert _events("two_factor.reset", head)[0].actor_id == chair.pk


def test_a_governor_with_no_second_factor_is_said_so(client, chair, governor):
    response = _as(client, chair).post(
        reverse("governance_two_factor_reset", args=[governor.pk]), follow=True
    )
    assert "has not set up two-factor sign-in" in text(response)
    assert not _events("two_factor.reset", governor)


def test_the_chair_cannot_reset_their_own_second_factor_here(client, chair):
    response = _as(client, chair).post(
        reverse("governance_two_factor_reset", args=[chair.pk]), follow=True
    )
    assert response.status_code == 200
    assert TOTPDevice.objects.filter(user=chair).exists()
    assert not _events("two_factor.reset", chair)


@pytest.mark.parametrize("persona", ["head", "admin"])
def test_the_head_and_the_administrator_cannot_reset_a_governors_second_factor_here(
    client, request, persona, governor
):
    TOTPDevice.objects.create(user=governor, name=APP_DEVICE_NAME, confirmed=True)
    response = _as(client, request.getfixturevalue(persona)).post(
        reverse("governance_two_factor_reset", args=[governor.pk])
    )
    assert response.status_code == 403
    assert TOTPDevice.objects.filter(user=governor).exists()


# --- another school ------------------------------------------------------------------------


def test_the_head_of_another_school_is_not_found(client, chair, outsider):
    TOTPDevice.objects.create(user=outsider, name=APP_DEVICE_NAME, confirmed=True)
    client = _as(client, chair)
    for name, data in [
        ("governance_email", {"email": "x@test.example"}),
        ("governance_active", {"active": "0"}),
        ("governance_two_factor_reset", {}),
        ("governance_governor_remove", {}),
    ]:
        assert client.post(reverse(name, args=[outsider.pk]), data).status_code == 404, name
    assert (
        client.post(reverse("governance_governor_give"), {"staff": outsider.pk}).status_code == 200
    )
    outsider.refresh_from_db()
    assert outsider.is_active and outsider.email == "head@elsewhere.example"
    assert _roles(outsider) == {Role.HEADTEACHER}
    assert TOTPDevice.objects.filter(user=outsider).exists()
