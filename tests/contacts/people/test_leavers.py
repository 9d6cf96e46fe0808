"""Leavers: deactivating a member of staff, by hand or when their leaving date comes, ends their
sessions at once, withdraws open invitations and recovery codes, and keeps what they wrote."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken

from contacts.people.models import Invitation, Staff
from contacts.people.services import (
    invitation_send,
    staff_create,
    staff_leavers_deactivate,
    staff_set_active,
    staff_update,
)
from safeguard.accounts.services import _issue_recovery_codes
from safeguard.audit.models import AuditEvent
from safeguard.core.roles import Role
from tests.factories import TEST_PASSWORD, StaffFactory
from tests.helpers import field_error, sign_in, text

TODAY = timezone.localdate()


def _signed_in_client(person) -> Client:
    client = Client()
    sign_in(client, person)
    assert client.get(reverse("home"), follow=True).status_code == 200
    return client


def test_deactivating_ends_every_session_at_once(admin, teacher):
    laptop, phone = _signed_in_client(teacher), _signed_in_client(teacher)
    staff_set_active(actor=admin, staff=teacher, active=False)
    for client in (laptop, phone):
        response = client.get(reverse("home"))
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
    event = AuditEvent.objects.get(action="staff.deactivate")
    assert event.actor == admin and "2 session(s) ended" in event.reason


def test_deactivating_withdraws_invitations_and_recovery_codes(admin, school, head):
    newcomer = StaffFactory(school=school)
    newcomer.set_unusable_password()
    newcomer.save()
    invitation_send(actor=admin, staff=newcomer)
    staff_set_active(actor=admin, staff=newcomer, active=False)
    assert Invitation.objects.get().status == "revoked"
    _issue_recovery_codes(admin)
    staff_set_active(actor=head, staff=admin, active=False)
    assert not StaticToken.objects.filter(device__user=admin).exists()
    assert (
        "recovery codes withdrawn"
        in AuditEvent.objects.filter(action="staff.deactivate", object_ref=admin.audit_ref)
        .get()
        .reason
    )


def test_a_deactivated_account_cannot_sign_in_with_its_password(admin, teacher, client):
    staff_set_active(actor=admin, staff=teacher, active=False)
    response = client.post(reverse("login"), {"username": teacher.email, "password": TEST_PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_what_they_wrote_is_kept(admin, teacher, pupil):
    from tests.factories_records import make_record

    record = make_record(teacher, [pupil])
    staff_set_active(actor=admin, staff=teacher, active=False)
    record.refresh_from_db()
    assert record.author_id == teacher.pk
    assert Staff.objects.filter(pk=teacher.pk, is_active=False).exists()


def test_the_nightly_command_deactivates_everyone_whose_leaving_date_has_come(school, admin):
    leaving_today = StaffFactory(school=school, leaving_date=TODAY)
    left_last_week = StaffFactory(school=school, leaving_date=TODAY - dt.timedelta(days=7))
    staying = StaffFactory(school=school, leaving_date=TODAY + dt.timedelta(days=1))
    client = _signed_in_client(leaving_today)
    out = io.StringIO()
    call_command("deactivate_leavers", stdout=out)
    assert "2 leaver(s) deactivated." in out.getvalue()
    for person, active in ((leaving_today, False), (left_last_week, False), (staying, True)):
        person.refresh_from_db()
        assert person.is_active is active
    assert client.get(reverse("home")).status_code == 302
    events = AuditEvent.objects.filter(action="staff.deactivate")
    assert events.count() == 2
    assert all(e.actor is None and "leaving date reached" in e.reason for e in events)
    # Run twice, nothing more happens.
    assert staff_leavers_deactivate(actor=None) == []


def test_a_leaving_date_that_has_passed_deactivates_at_once(admin, teacher):
    staff_update(actor=admin, staff=teacher, leaving_date=TODAY)
    teacher.refresh_from_db()
    assert teacher.is_active is False
    assert AuditEvent.objects.filter(action="staff.deactivate", actor=admin).exists()


def test_a_leaver_cannot_be_reactivated_until_the_date_is_changed(admin, teacher):
    staff_update(actor=admin, staff=teacher, leaving_date=TODAY - dt.timedelta(days=1))
    with pytest.raises(Exception, match="leaving date has passed"):
        staff_set_active(actor=admin, staff=teacher, active=True)
    staff_update(actor=admin, staff=teacher, leaving_date=None)
    staff_set_active(actor=admin, staff=teacher, active=True)
    teacher.refresh_from_db()
    assert teacher.is_active


def test_the_administrator_cannot_set_a_senior_accounts_leaving_date(admin, deputy):
    """Otherwise the nightly run would deactivate the deputy on the administrator's word."""
    with pytest.raises(Exception, match="Only the headteacher can set the leaving date"):
        staff_update(actor=admin, staff=deputy, leaving_date=TODAY + dt.timedelta(days=30))
    deputy.refresh_from_db()
    assert deputy.leaving_date is None


def test_nobody_sets_their_own_leaving_date(head):
    with pytest.raises(Exception, match="your own leaving date"):
        staff_update(actor=head, staff=head, leaving_date=TODAY + dt.timedelta(days=30))


def test_a_new_member_of_staff_has_not_left_yet(admin, school):
    with pytest.raises(Exception, match="must be after today"):
        staff_create(
            actor=admin,
            school=school,
            email="past@test.example",
            first_name="Past",
            last_name="Leaver",
            leaving_date=TODAY,
        )


def test_the_staff_form_takes_a_leaving_date_and_says_so_beside_the_field(admin, deputy, client):
    sign_in(client, admin)
    data = {
        "first_name": deputy.first_name,
        "last_name": deputy.last_name,
        "email": deputy.email,
        "staff_type": "teacher",
        "line_manager": deputy.line_manager_id or "",
        "roles": [Role.DEPUTY_HEAD],
        "leaving_date": (TODAY + dt.timedelta(days=30)).strftime("%d/%m/%Y"),
    }
    response = client.post(reverse("staff_edit", args=[deputy.pk]), data)
    assert response.status_code == 200
    assert "Only the headteacher can set the leaving date" in field_error(response, "leaving_date")


def test_the_staff_page_shows_the_leaving_date(head, teacher, client):
    staff_update(actor=head, staff=teacher, leaving_date=TODAY + dt.timedelta(days=30))
    sign_in(client, head)
    page = text(client.get(reverse("staff_detail", args=[teacher.pk])))
    assert "Leaving date" in page
