"""Invitations: a new member of staff chooses their own password from a single-use link that
expires; the people editors send, resend and withdraw them within the separation of duties."""

import datetime as dt
import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from contacts.people.models import Invitation, Staff
from contacts.people.services import (
    invitation_accept,
    invitation_for_token,
    invitation_revoke,
    invitation_send,
    staff_create,
    staff_set_active,
    staff_update,
)
from safeguard.audit.models import AuditEvent
from safeguard.core.roles import Role
from tests.factories import StaffFactory
from tests.helpers import field_error, sign_in, text

NEW_PASSWORD = "Blue-kettle-Orchard-42"


@pytest.fixture
def newcomer(school):
    """Added by the office, no password yet."""
    person = StaffFactory(school=school, email="nina@test.example", first_name="Nina")
    person.set_unusable_password()
    person.save()
    return person


def _token(link: str) -> str:
    return link.rstrip("/").rsplit("/", 1)[-1]


def _link_in(message) -> str:
    return re.search(r"https?://\S+/invitation/\S+/", message.body).group(0)


def _expire(invitations):
    now = timezone.now()
    invitations.update(created_at=now - dt.timedelta(days=8), expires_at=now - dt.timedelta(days=1))


def _send(actor, staff, capture):
    with capture(execute=True):
        return invitation_send(actor=actor, staff=staff)


# --- Sending ------------------------------------------------------------------------------


def test_an_invitation_is_emailed_from_the_school_with_a_link_that_expires(
    admin, newcomer, django_capture_on_commit_callbacks, settings
):
    settings.DEFAULT_FROM_EMAIL = "safeguard@oakfield.example"
    link = _send(admin, newcomer, django_capture_on_commit_callbacks)
    [message] = mail.outbox
    assert message.to == ["nina@test.example"]
    assert message.from_email == "Oakfield Test School <safeguard@oakfield.example>"
    assert message.subject == "Oakfield Test School: you are invited to Safeguard"
    assert message.body.startswith("Dear Nina,")
    assert _link_in(message) == link
    assert "If you do not work at Oakfield Test School" in message.body
    html, kind = message.alternatives[0]
    assert kind == "text/html" and link in html
    invitation = Invitation.objects.get(staff=newcomer)
    assert invitation.status == "pending"
    assert invitation.expires_at - invitation.created_at == dt.timedelta(days=7)
    # Only the token's hash is kept.
    assert _token(link) not in invitation.token_hash
    event = AuditEvent.objects.get(action="invitation.send")
    assert event.actor == admin and event.object_ref == newcomer.audit_ref


def test_the_invitation_lasts_as_long_as_the_school_configures(
    admin, newcomer, settings, django_capture_on_commit_callbacks
):
    settings.INVITATION_DAYS = 3
    _send(admin, newcomer, django_capture_on_commit_callbacks)
    invitation = Invitation.objects.get(staff=newcomer)
    assert invitation.expires_at - invitation.created_at == dt.timedelta(days=3)


def test_a_role_that_needs_two_factor_is_told_so_in_the_email(
    head, school, django_capture_on_commit_callbacks
):
    dsl = StaffFactory(school=school, roles=[Role.DSL])
    dsl.set_unusable_password()
    dsl.save()
    _send(head, dsl, django_capture_on_commit_callbacks)
    assert "two-factor sign-in" in mail.outbox[0].body


def test_sending_again_replaces_the_earlier_link(
    admin, newcomer, django_capture_on_commit_callbacks
):
    first = _send(admin, newcomer, django_capture_on_commit_callbacks)
    second = _send(admin, newcomer, django_capture_on_commit_callbacks)
    assert invitation_for_token(_token(first)).status == "revoked"
    assert invitation_for_token(_token(second)).status == "pending"
    assert (
        "replaces INVITATION-"
        in AuditEvent.objects.filter(action="invitation.send").order_by("id").last().reason
    )


def test_someone_with_a_password_is_not_invited(admin, teacher):
    with pytest.raises(Exception, match="already has a password"):
        invitation_send(actor=admin, staff=teacher)
    assert not Invitation.objects.exists()


def test_a_deactivated_account_is_not_invited(admin, newcomer):
    staff_set_active(actor=admin, staff=newcomer, active=False)
    with pytest.raises(Exception, match="deactivated"):
        invitation_send(actor=admin, staff=newcomer)


def test_a_teacher_cannot_invite(teacher, newcomer):
    with pytest.raises(Exception, match="headteacher or the school administrator"):
        invitation_send(actor=teacher, staff=newcomer)


def test_the_administrator_cannot_invite_a_senior_account(admin, school):
    """The link lets whoever holds it choose the password: for a senior account only the head
    sends it (the chair, for the head and the governors)."""
    deputy = StaffFactory(school=school, roles=[Role.DEPUTY_HEAD])
    deputy.set_unusable_password()
    deputy.save()
    with pytest.raises(Exception, match="Only the headteacher can invite"):
        invitation_send(actor=admin, staff=deputy)


def test_only_the_chair_invites_a_governor(head, chair, school, django_capture_on_commit_callbacks):
    governor = StaffFactory(school=school, roles=[Role.GOVERNOR])
    governor.set_unusable_password()
    governor.save()
    with pytest.raises(Exception, match="Only the chair of governors can invite"):
        invitation_send(actor=head, staff=governor)
    _send(chair, governor, django_capture_on_commit_callbacks)
    assert Invitation.objects.filter(staff=governor).exists()


def test_adding_staff_with_invite_sends_it_in_the_same_transaction(
    admin, school, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        staff = staff_create(
            actor=admin,
            school=school,
            email="New.Person@Test.example",
            first_name="New",
            last_name="Person",
            invite=True,
        )
    assert not staff.has_usable_password()
    assert staff.invitations.get().status == "pending"
    assert mail.outbox[0].to == ["new.person@test.example"]


def test_changing_the_address_withdraws_the_link_sent_to_the_old_one(
    admin, newcomer, django_capture_on_commit_callbacks
):
    link = _send(admin, newcomer, django_capture_on_commit_callbacks)
    staff_update(actor=admin, staff=newcomer, email="nina.new@test.example")
    assert invitation_for_token(_token(link)).status == "revoked"


# --- Withdrawing ----------------------------------------------------------------------------


def test_withdrawing_stops_the_link(admin, newcomer, client, django_capture_on_commit_callbacks):
    link = _send(admin, newcomer, django_capture_on_commit_callbacks)
    invitation_revoke(actor=admin, invitation=Invitation.objects.get())
    response = client.get(reverse("invitation_accept", args=[_token(link)]))
    assert response.status_code == 410
    assert "withdrawn" in text(response)
    assert AuditEvent.objects.filter(action="invitation.revoke", actor=admin).exists()


def test_a_used_invitation_cannot_be_withdrawn(admin, newcomer, django_capture_on_commit_callbacks):
    _send(admin, newcomer, django_capture_on_commit_callbacks)
    invitation = Invitation.objects.get()
    invitation_accept(actor=newcomer, invitation=invitation, password=NEW_PASSWORD)
    with pytest.raises(Exception, match="already been used or withdrawn"):
        invitation_revoke(actor=admin, invitation=invitation)


def test_a_teacher_cannot_withdraw(admin, teacher, newcomer, django_capture_on_commit_callbacks):
    _send(admin, newcomer, django_capture_on_commit_callbacks)
    with pytest.raises(Exception, match="headteacher or the school administrator"):
        invitation_revoke(actor=teacher, invitation=Invitation.objects.get())


# --- Accepting ------------------------------------------------------------------------------


def test_accepting_sets_the_password_and_signs_in(
    admin, newcomer, client, django_capture_on_commit_callbacks
):
    token = _token(_send(admin, newcomer, django_capture_on_commit_callbacks))
    page = client.get(reverse("invitation_accept", args=[token]))
    assert page.status_code == 200
    assert "Welcome, Nina" in text(page) and "nina@test.example" in text(page)
    response = client.post(
        reverse("invitation_accept", args=[token]),
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302 and response.url == reverse("home")
    assert client.session[SESSION_KEY] == str(newcomer.pk)
    assert client.get(reverse("home"), follow=True).status_code == 200
    assert client.session[SESSION_KEY] == str(newcomer.pk)
    newcomer.refresh_from_db()
    assert newcomer.check_password(NEW_PASSWORD)
    assert Invitation.objects.get().status == "accepted"
    event = AuditEvent.objects.get(action="invitation.accept")
    assert event.actor == newcomer


def test_someone_whose_role_needs_two_factor_sets_it_up_next(
    head, school, client, django_capture_on_commit_callbacks
):
    dsl = StaffFactory(school=school, roles=[Role.DSL])
    dsl.set_unusable_password()
    dsl.save()
    token = _token(_send(head, dsl, django_capture_on_commit_callbacks))
    client.post(
        reverse("invitation_accept", args=[token]),
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("two_factor_setup"))


def test_a_weak_password_is_refused_beside_the_field(
    admin, newcomer, client, django_capture_on_commit_callbacks
):
    token = _token(_send(admin, newcomer, django_capture_on_commit_callbacks))
    response = client.post(
        reverse("invitation_accept", args=[token]),
        {"new_password1": "password", "new_password2": "password"},
    )
    assert response.status_code == 200
    assert "too common" in field_error(response, "new_password2")
    assert Invitation.objects.get().status == "pending"
    newcomer.refresh_from_db()
    assert not newcomer.has_usable_password()


def test_a_link_works_once(admin, newcomer, client, django_capture_on_commit_callbacks):
    token = _token(_send(admin, newcomer, django_capture_on_commit_callbacks))
    url = reverse("invitation_accept", args=[token])
    client.post(url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    client.logout()
    again = client.post(
        url, {"new_password1": "Other-long-Pass-99", "new_password2": "Other-long-Pass-99"}
    )
    assert again.status_code == 410
    assert "already been used" in text(again)
    newcomer.refresh_from_db()
    assert newcomer.check_password(NEW_PASSWORD)


def test_an_expired_link_can_ask_for_a_new_one_sent_to_the_same_address(
    admin, newcomer, client, django_capture_on_commit_callbacks
):
    token = _token(_send(admin, newcomer, django_capture_on_commit_callbacks))
    _expire(Invitation.objects.all())
    page = client.get(reverse("invitation_accept", args=[token]))
    assert page.status_code == 410
    assert "expired" in text(page) and "Send me a new invitation" in text(page)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        renewed = client.post(reverse("invitation_renew", args=[token]))
    assert "A new invitation is on its way" in text(renewed)
    [message] = mail.outbox
    assert message.to == ["nina@test.example"]
    assert f"{admin.full_name} has added you" in message.body
    assert (
        newcomer.invitations.filter(revoked_at__isnull=True, accepted_at__isnull=True).count() == 1
    )
    # The expired link is spent: asking again from it sends nothing more.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(reverse("invitation_renew", args=[token]))
    assert again.status_code == 410 and not mail.outbox


def test_a_pending_link_cannot_be_renewed(
    admin, newcomer, client, django_capture_on_commit_callbacks
):
    token = _token(_send(admin, newcomer, django_capture_on_commit_callbacks))
    mail.outbox.clear()
    response = client.post(reverse("invitation_renew", args=[token]))
    assert response.status_code == 410 and not mail.outbox


def test_a_tampered_link_is_a_clear_page(client, db):
    response = client.get(reverse("invitation_accept", args=["not-a-real-token"]))
    assert response.status_code == 404
    assert "This invitation link is not valid" in text(response)
    assert client.post(reverse("invitation_renew", args=["nope"])).status_code == 404


def test_a_deactivated_person_cannot_accept(
    admin, newcomer, client, django_capture_on_commit_callbacks
):
    token = _token(_send(admin, newcomer, django_capture_on_commit_callbacks))
    staff_set_active(actor=admin, staff=newcomer, active=False)
    response = client.post(
        reverse("invitation_accept", args=[token]),
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 410
    assert SESSION_KEY not in client.session
    newcomer.refresh_from_db()
    assert not newcomer.has_usable_password()


def test_accepting_for_someone_else_is_refused(
    admin, newcomer, teacher, django_capture_on_commit_callbacks
):
    _send(admin, newcomer, django_capture_on_commit_callbacks)
    with pytest.raises(Exception, match="someone else"):
        invitation_accept(actor=teacher, invitation=Invitation.objects.get(), password=NEW_PASSWORD)


def test_one_open_invitation_per_person_in_the_database(newcomer):
    from django.db import IntegrityError, transaction

    now = timezone.now()
    Invitation.objects.create(
        staff=newcomer,
        token_hash="a" * 64,
        sent_to=newcomer.email,
        expires_at=now + dt.timedelta(days=1),
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Invitation.objects.create(
            staff=newcomer,
            token_hash="b" * 64,
            sent_to=newcomer.email,
            expires_at=now + dt.timedelta(days=1),
        )


# --- The Invitations page -----------------------------------------------------------------


def test_the_page_lists_who_is_invited_accepted_expired_and_not_invited(
    admin, school, client, django_capture_on_commit_callbacks
):
    people = {}
    for name in ("Invited", "Accepted", "Expired", "Waiting"):
        person = StaffFactory(school=school, first_name=name, last_name="Person")
        person.set_unusable_password()
        person.save()
        people[name] = person
    for name in ("Invited", "Accepted", "Expired"):
        _send(admin, people[name], django_capture_on_commit_callbacks)
    invitation_accept(
        actor=people["Accepted"],
        invitation=people["Accepted"].invitations.get(),
        password=NEW_PASSWORD,
    )
    _expire(people["Expired"].invitations.all())
    sign_in(client, admin)
    page = text(client.get(reverse("invitation_list")))
    # Each name, its address, then its state.
    assert re.search(r"Accepted Person \S+ Accepted", page)
    assert re.search(r"Expired Person \S+ Expired", page)
    assert re.search(r"Invited Person \S+ Invited until", page)
    assert re.search(r"Waiting Person \S+ Not invited", page)
    assert "Send invitation to Waiting Person" in page
    assert "Withdraw Invited Person's invitation" in page
    assert f"by {admin.full_name}" in page
    # The administrator signs in with a password and was never invited: not listed.
    assert admin.email not in page


def test_the_page_sends_and_withdraws(admin, newcomer, client, django_capture_on_commit_callbacks):
    sign_in(client, admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("invitation_send", args=[newcomer.pk]), follow=True)
    assert "An invitation was emailed to" in text(response)
    assert len(mail.outbox) == 1
    invitation = Invitation.objects.get()
    response = client.post(reverse("invitation_revoke", args=[invitation.pk]), follow=True)
    assert "was withdrawn" in text(response)
    invitation.refresh_from_db()
    assert invitation.status == "revoked"


def test_the_page_says_why_a_senior_account_cannot_be_invited_by_the_administrator(
    admin, school, client
):
    deputy = StaffFactory(school=school, first_name="Dee", roles=[Role.DEPUTY_HEAD])
    deputy.set_unusable_password()
    deputy.save()
    sign_in(client, admin)
    page = text(client.get(reverse("invitation_list")))
    assert "Only the headteacher can invite" in page
    response = client.post(reverse("invitation_send", args=[deputy.pk]), follow=True)
    assert "Only the headteacher can invite" in text(response)
    assert not Invitation.objects.exists()


def test_a_teacher_cannot_open_the_page_or_send(teacher, newcomer, client):
    sign_in(client, teacher)
    assert client.get(reverse("invitation_list")).status_code == 403
    assert client.post(reverse("invitation_send", args=[newcomer.pk])).status_code == 403


def test_another_schools_invitation_is_out_of_reach(
    admin, outsider, client, django_capture_on_commit_callbacks
):
    stranger = StaffFactory(school=outsider.school)
    stranger.set_unusable_password()
    stranger.save()
    _send(outsider_admin(outsider), stranger, django_capture_on_commit_callbacks)
    sign_in(client, admin)
    assert client.post(reverse("invitation_send", args=[stranger.pk])).status_code == 404
    invitation = Invitation.objects.get()
    assert client.post(reverse("invitation_revoke", args=[invitation.pk])).status_code == 404


def outsider_admin(outsider) -> Staff:
    return StaffFactory(school=outsider.school, roles=[Role.SCHOOL_ADMIN])


def test_adding_staff_on_the_page_invites_them(admin, client, django_capture_on_commit_callbacks):
    sign_in(client, admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("staff_create"),
            {
                "first_name": "Nina",
                "last_name": "Newstaff",
                "email": "nina.newstaff@test.example",
                "staff_type": "support",
                "invite": "on",
            },
            follow=True,
        )
    assert "Nina Newstaff was added and emailed an invitation to sign in." in text(response)
    assert mail.outbox[0].to == ["nina.newstaff@test.example"]
    assert "Invited, until" in text(response)


def test_an_address_already_in_use_is_refused_beside_the_field(admin, teacher, client):
    sign_in(client, admin)
    response = client.post(
        reverse("staff_create"),
        {
            "first_name": "Copy",
            "last_name": "Cat",
            "email": teacher.email.upper(),
            "staff_type": "teacher",
            "invite": "on",
        },
    )
    assert response.status_code == 200
    assert "already uses this email address" in field_error(response, "email")
    assert not Invitation.objects.exists()


def test_a_school_that_signs_in_with_microsoft_only_invites_nobody_but_the_head(
    admin, head, newcomer, school
):
    school.sso_microsoft_tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
    school.password_sign_in = False
    school.save()
    newcomer.refresh_from_db()
    with pytest.raises(Exception, match="has turned password sign-in off"):
        invitation_send(actor=admin, staff=newcomer)


def test_the_invitation_mentions_the_schools_single_sign_on(
    admin, newcomer, school, django_capture_on_commit_callbacks
):
    school.sso_google_domain = "oakfield.example"
    school.save()
    newcomer.refresh_from_db()
    _send(admin, newcomer, django_capture_on_commit_callbacks)
    assert "sign in with your school Google account" in mail.outbox[0].body
