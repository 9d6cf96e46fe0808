"""A red-team review of getting staff in (invitations, resets, leavers, single sign-on), each
finding as a test of what must hold: authority is checked when a link or a date takes effect,
not only when it was given."""

import datetime as dt
import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from contacts.people.models import Invitation
from contacts.people.services import (
    invitation_for_token,
    invitation_renew,
    staff_create,
    staff_leavers_deactivate,
    staff_set_active,
    staff_update,
)
from safeguard.accounts import sso
from safeguard.audit.models import AuditEvent
from safeguard.core.roles import Role
from tests.factories import SchoolFactory, StaffFactory

TENANT = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
NEW = "Green-teapot-Harbour-73"


def _token(link: str) -> str:
    return link.rstrip("/").rsplit("/", 1)[-1]


def _added_and_invited_by(admin, capture, email="pat@attacker.example"):
    with capture(execute=True):
        staff = staff_create(
            actor=admin,
            school=admin.school,
            invite=True,
            first_name="Pat",
            last_name="Newcomer",
            email=email,
            staff_type="teacher",
        )
    link = re.search(r"https?://\S+/invitation/\S+/", mail.outbox[-1].body).group(0)
    return staff, link


# --- 1. An invitation the administrator sent outlives the person's promotion to a senior role --


def test_admins_pending_invitation_stops_working_once_the_head_makes_the_person_deputy(
    admin, head, django_capture_on_commit_callbacks, client
):
    staff, link = _added_and_invited_by(admin, django_capture_on_commit_callbacks)
    staff_update(actor=head, staff=staff, roles_held=[Role.DEPUTY_HEAD], line_manager=head)
    # The administrator may not invite a deputy (Send again is refused on the Invitations page)...
    # ...so the link the administrator had sent must not set the deputy's password either.
    response = client.post(
        reverse("invitation_accept", args=[_token(link)]),
        {"new_password1": NEW, "new_password2": NEW},
    )
    staff.refresh_from_db()
    assert not staff.has_usable_password(), "the admin's link set a deputy's password"
    assert client.session.get(SESSION_KEY) is None
    assert response.status_code != 302


def test_an_expired_link_of_an_admin_invitation_cannot_be_renewed_after_promotion_to_dsl(
    admin, head, django_capture_on_commit_callbacks
):
    staff, link = _added_and_invited_by(admin, django_capture_on_commit_callbacks)
    staff_update(actor=head, staff=staff, roles_held=[Role.DSL], line_manager=head)
    now = timezone.now()
    Invitation.objects.filter(staff=staff).update(
        created_at=now - dt.timedelta(days=8), expires_at=now - dt.timedelta(days=1)
    )
    invitation = invitation_for_token(_token(link))
    with (
        pytest.raises(ValidationError, match="Only an expired invitation"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        invitation_renew(actor=invitation.staff, invitation=invitation)


# --- 2. A leaving date set before a promotion deactivates a senior account ---------------------


def test_a_leaving_date_the_admin_set_does_not_deactivate_a_dsl_the_head_appointed_since(
    admin, head, teacher
):
    staff_update(
        actor=admin, staff=teacher, leaving_date=timezone.localdate() + dt.timedelta(days=1)
    )
    staff_update(actor=head, staff=teacher, roles_held=[Role.DSL], line_manager=head)
    # The administrator may not deactivate or set the leaving date of a DSL...
    ended = staff_leavers_deactivate(actor=None, on=timezone.localdate() + dt.timedelta(days=1))
    # ...so a date the administrator planted before the promotion does not do it either.
    assert teacher not in ended
    teacher.refresh_from_db()
    assert teacher.is_active
    assert AuditEvent.objects.filter(action="staff.leaving_date_held").exists()
    # The head setting it again ends the account on the day.
    staff_update(
        actor=head, staff=teacher, leaving_date=timezone.localdate() + dt.timedelta(days=2)
    )
    assert staff_leavers_deactivate(actor=None, on=timezone.localdate() + dt.timedelta(days=2)) == [
        teacher
    ]


# --- 3. Email change by the administrator, then "Forgot your password?" ------------------------


def test_the_person_is_told_at_the_old_address_when_the_admin_changes_their_email(
    admin, line_manager, django_capture_on_commit_callbacks
):
    old = line_manager.email
    with django_capture_on_commit_callbacks(execute=True):
        staff_update(actor=admin, staff=line_manager, email="mark@attacker.example")
    # The reset page now turns control of the address into control of the account (the line
    # manager's monitoring page, which the administrator cannot open): the owner must hear of it.
    assert any(old in m.to for m in mail.outbox), "nobody told the line manager"


# --- 4. Deactivated accounts --------------------------------------------------------------------


def test_a_reset_link_asked_for_before_deactivation_no_longer_changes_the_password(
    admin, teacher, django_capture_on_commit_callbacks
):
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("password_reset"), {"email": teacher.email})
    link = re.search(r"https?://\S+/password-reset/\S+/\S+/", mail.outbox[-1].body).group(0)
    staff_set_active(actor=admin, staff=teacher, active=False)
    page = client.get("/" + link.split("/", 3)[3], follow=True)
    target = page.redirect_chain[-1][0] if page.redirect_chain else "/" + link.split("/", 3)[3]
    client.post(target, {"new_password1": NEW, "new_password2": NEW})
    teacher.refresh_from_db()
    assert not teacher.check_password(NEW), "a deactivated leaver changed their password"
    assert not AuditEvent.objects.filter(action="account.password_reset").exists()


# --- 5. Password sign-in off ----------------------------------------------------------------


def test_a_pending_invitation_does_not_sign_in_by_password_at_a_school_that_turned_passwords_off(
    admin, head, django_capture_on_commit_callbacks, client
):
    staff, link = _added_and_invited_by(
        admin, django_capture_on_commit_callbacks, email="pat@test.example"
    )
    sso.school_sign_in_update(
        actor=head,
        school=head.school,
        sso_microsoft_tenant=TENANT,
        sso_google_domain="",
        sso_accept_provider_mfa=False,
        password_sign_in=False,
    )
    client.post(
        reverse("invitation_accept", args=[_token(link)]),
        {"new_password1": NEW, "new_password2": NEW},
    )
    assert client.session.get(SESSION_KEY) is None, "signed in by password with passwords off"


def test_the_administrator_cannot_lock_the_chair_and_the_dsl_out_by_turning_passwords_off(
    admin, chair, dsl
):
    # The administrator may not deactivate the chair or the DSL; turning password sign-in off
    # (with a domain nobody signs in from) would do the same to both.
    with pytest.raises(ValidationError, match="Only the headteacher turns password sign-in"):
        sso.school_sign_in_update(
            actor=admin,
            school=admin.school,
            sso_microsoft_tenant="",
            sso_google_domain="nobody-uses-this.example",
            sso_accept_provider_mfa=False,
            password_sign_in=False,
        )


# --- 6. Single sign-on matching -----------------------------------------------------------


@pytest.mark.parametrize(
    "lookalike",
    ["\uff54eacher@test.example", "hi\u017ftory@test.example"],  # full-width t; long s
)
def test_a_compatibility_lookalike_email_in_the_id_token_names_nobody(school, settings, lookalike):
    settings.SSO_PROVIDERS = {
        "microsoft": {"name": "Microsoft", "client_id": "x", "secret": "y", "server_url": "z"}
    }
    school.sso_microsoft_tenant = TENANT
    school.save()
    ascii_form = lookalike.replace("\uff54", "t").replace("\u017f", "s")
    StaffFactory(school=school, email=ascii_form)
    claims = {"email": lookalike, "tid": TENANT, "xms_edov": True}
    with pytest.raises(sso.SsoRefused):
        sso.sso_decide(provider_id="microsoft", claims=claims, request=None)


def test_another_school_cannot_claim_this_schools_tenant_and_receive_its_refusals(school):
    other = SchoolFactory(name="Aardvark Academy")
    other_head = StaffFactory(school=other, email="head@aardvark.example", roles=[Role.HEADTEACHER])
    school.sso_microsoft_tenant = TENANT
    school.save()
    with pytest.raises(ValidationError) as refused:
        sso.school_sign_in_update(
            actor=other_head,
            school=other,
            sso_microsoft_tenant=TENANT,
            sso_google_domain="",
            sso_accept_provider_mfa=False,
            password_sign_in=True,
        )
    assert "Another school" in " ".join(refused.value.message_dict["sso_microsoft_tenant"])
    assert sso.school_named_by({"tid": TENANT}) == school


def test_the_head_cannot_shut_the_chair_out_by_turning_passwords_off(head, chair, client):
    from contacts.people.models import Staff

    sso.school_sign_in_update(
        actor=head,
        school=head.school,
        sso_microsoft_tenant=TENANT,
        sso_google_domain="",
        sso_accept_provider_mfa=False,
        password_sign_in=False,
    )
    chair = Staff.objects.select_related("school").get(pk=chair.pk)
    assert sso.password_sign_in_allowed(chair)


def test_the_chair_invites_the_head_from_the_governance_page(
    chair, school, client, django_capture_on_commit_callbacks
):
    from tests.helpers import sign_in, text

    head = StaffFactory(school=school, first_name="New", last_name="Head", roles=[Role.HEADTEACHER])
    head.set_unusable_password()
    head.save()
    sign_in(client, chair)
    assert "Send an invitation" in text(client.get(reverse("governance")))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("invitation_send", args=[head.pk]), follow=True)
    assert "An invitation was emailed to New Head." in text(response)
    assert mail.outbox[-1].to == [head.email]
