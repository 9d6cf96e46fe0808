"""safeguard/backends.py: the signed-in person is loaded once per request with what every page
asks of them (school, roles, unread notices, second factors), and the pages use it."""

from __future__ import annotations

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from contacts.notifications import services
from contacts.people import selectors
from contacts.people.services import colleague_relationship_declare, colleague_relationship_end
from safeguard.accounts.backends import StaffBackend
from safeguard.accounts.services import two_factor_enabled_on_load
from safeguard.core import roles
from safeguard.core.memo import memo_per_request
from safeguard.core.roles import Role
from tests.helpers import sign_in, text


def _loaded(person):
    return StaffBackend().get_user(person.pk)


def test_one_query_loads_the_person_with_everything_a_page_asks_of_them(
    teacher, head, django_assert_num_queries
):
    services.notify(recipients=[teacher], message="First", path="/")
    services.notify(recipients=[teacher, head], message="Second", path="/")
    with django_assert_num_queries(1):
        user = _loaded(teacher)
    with django_assert_num_queries(0):
        assert user.school.name
        assert roles.roles_of(user) == {Role.STAFF}
        assert user.unread_on_load == 2
        assert two_factor_enabled_on_load(user) is False


def test_every_role_held_is_loaded(deputy, django_assert_num_queries):
    deputy.role_assignments.create(role=Role.LINE_MANAGER)
    user = _loaded(deputy)
    with django_assert_num_queries(0):
        assert roles.roles_of(user) == {Role.STAFF, Role.DEPUTY_HEAD, Role.LINE_MANAGER}


def test_read_notices_are_not_counted(teacher):
    services.notify(recipients=[teacher], message="Read", path="/")
    services.notifications_mark_all_read(actor=teacher)
    services.notify(recipients=[teacher], message="Unread", path="/")
    assert _loaded(teacher).unread_on_load == 1


@pytest.mark.parametrize(
    ("device", "confirmed", "enabled"),
    [
        (TOTPDevice, True, True),
        (TOTPDevice, False, False),
        (StaticDevice, True, True),
        (StaticDevice, False, False),
    ],
)
def test_only_a_confirmed_second_factor_counts(teacher, device, confirmed, enabled):
    device.objects.create(user=teacher, name="x", confirmed=confirmed)
    assert two_factor_enabled_on_load(_loaded(teacher)) is enabled


def test_a_person_who_may_not_sign_in_is_not_loaded(teacher):
    teacher.is_active = False
    teacher.save()
    assert _loaded(teacher) is None
    assert StaffBackend().get_user(10**9) is None


def test_roles_changed_during_a_request_are_read_again(head, teacher):
    user = _loaded(teacher)
    assert Role.LINE_MANAGER not in roles.roles_of(user)
    user.role_assignments.create(role=Role.LINE_MANAGER)
    roles.forget_roles(user)
    assert Role.LINE_MANAGER in roles.roles_of(user)


def test_the_navigation_shows_the_unread_count_and_the_roles_loaded(client, teacher, head):
    services.notify(recipients=[teacher], message="About your request", path="/")
    sign_in(client, teacher)
    page = text(client.get(reverse("my_requests")))
    assert "Notifications 1 unread" in page
    assert "Decisions" not in page  # a teacher decides nothing
    client.post(reverse("notifications"))
    assert "unread" not in text(client.get(reverse("my_requests")))
    sign_in(client, head)
    assert "Decisions" in text(client.get(reverse("my_requests")))


def test_the_second_factor_loaded_still_sends_its_owner_to_the_code_page(client, teacher):
    TOTPDevice.objects.create(user=teacher, name="phone", confirmed=True)
    client.force_login(teacher)
    response = client.get(reverse("my_requests"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("two_factor_verify"))


def test_a_verified_session_does_not_read_its_device_again(client, head):
    sign_in(client, head)
    with CaptureQueriesContext(connection) as asked:
        assert client.get(reverse("dashboard")).status_code == 200
    assert not [q for q in asked if q["sql"].startswith('SELECT "otp_')]


@pytest.mark.parametrize("change", ["delete", "unconfirm", "other_persons"])
def test_a_session_verified_with_a_device_no_longer_standing_is_verified_no_more(
    client, head, dsl, change
):
    sign_in(client, head)
    device = TOTPDevice.objects.get(user=head)
    if change == "delete":
        device.delete()
    elif change == "unconfirm":
        TOTPDevice.objects.filter(pk=device.pk).update(confirmed=False)
    else:
        TOTPDevice.objects.filter(pk=device.pk).update(user=dsl)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert DEVICE_ID_SESSION_KEY not in client.session


def test_the_device_is_read_when_something_asks_more_of_it(rf, head):
    from safeguard.accounts.middleware import OTPFromLoad

    device = TOTPDevice.objects.create(user=head, name="phone", confirmed=True)
    request = rf.get("/")
    request.session = {DEVICE_ID_SESSION_KEY: device.persistent_id}
    request.user = _loaded(head)
    OTPFromLoad(lambda request: HttpResponse())(request)
    assert request.user.is_verified()
    assert request.user.otp_device.name == "phone"


def test_a_device_gone_before_it_is_read_is_refused_not_used(rf, head, dsl):
    from django.core.exceptions import PermissionDenied

    from safeguard.accounts.middleware import OTPFromLoad

    device = TOTPDevice.objects.create(user=head, name="phone", confirmed=True)
    request = rf.get("/")
    request.session = {DEVICE_ID_SESSION_KEY: device.persistent_id}
    request.user = _loaded(head)
    OTPFromLoad(lambda request: HttpResponse())(request)
    TOTPDevice.objects.filter(pk=device.pk).update(user=dsl)  # after the person was loaded
    with pytest.raises(PermissionDenied):
        request.user.otp_device.name  # noqa: B018


def test_the_related_colleagues_loaded_are_those_the_selectors_read(
    head, deputy, teacher, colleague, line_manager, admin
):
    colleague_relationship_declare(actor=teacher, staff=teacher, colleague=head, kind="partner")
    colleague_relationship_declare(actor=admin, staff=deputy, colleague=head, kind="relative")
    colleague_relationship_declare(
        actor=admin, staff=teacher, colleague=colleague, kind="close_friend"
    )
    ended = colleague_relationship_declare(
        actor=admin, staff=line_manager, colleague=head, kind="close_friend"
    )
    colleague_relationship_end(actor=admin, relationship=ended)
    for person in (head, deputy, teacher, colleague, line_manager):
        fresh = (
            selectors.related_colleague_ids(person.pk),
            selectors.related_to_a_head_ids(person.school_id),
        )
        assert fresh[1] == {teacher.pk, deputy.pk}

        def page(request, person=person, fresh=fresh):
            loaded = _loaded(person)
            with CaptureQueriesContext(connection) as asked:
                answers = (
                    selectors.related_colleague_ids(loaded.pk),
                    selectors.related_to_a_head_ids(loaded.school_id),
                )
            assert answers == fresh
            assert len(asked) == 0  # loaded with the person
            return HttpResponse()

        memo_per_request(page)(RequestFactory().get("/"))


def test_a_page_asks_nothing_more_about_related_colleagues(client, head, teacher):
    colleague_relationship_declare(actor=teacher, staff=teacher, colleague=head, kind="partner")
    sign_in(client, head)
    page = client.get(reverse("decision_queue"))
    assert page.status_code == 200
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("decision_queue"))
    assert not [q for q in queries if "contacts_colleaguerelationship" in q["sql"].split("FROM")[1]]
