"""Two-factor sign-in: who must use it, set-up, the sign-in step, recovery codes and resets."""

import re
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from contacts.people.models import Staff
from safeguard.accounts import services as two_factor
from safeguard.audit.models import AuditEvent
from tests.factories import TEST_PASSWORD
from tests.helpers import sign_in, text


def code_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, digits=device.digits):06d}"


def app_for(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name=two_factor.APP_DEVICE_NAME, confirmed=True)


def password_sign_in(client, user, next_url: str = ""):
    data = {"username": user.email, "password": TEST_PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("login"), data)


# Who must use it ------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["head", "deputy", "assistant", "dsl", "chair", "admin"])
def test_senior_and_sensitive_roles_must_use_it(request, persona):
    assert two_factor.two_factor_required(request.getfixturevalue(persona))


@pytest.mark.parametrize("persona", ["teacher", "line_manager", "governor"])
def test_other_staff_may_choose_it(request, persona):
    assert not two_factor.two_factor_required(request.getfixturevalue(persona))


def test_the_school_can_require_it_of_everyone(school, teacher):
    school.require_two_factor_for_all = True
    school.save()
    teacher.refresh_from_db()
    assert two_factor.two_factor_required(teacher)


# Set-up service -------------------------------------------------------------------------------


def test_set_up_starts_with_an_untrusted_device(teacher):
    device = two_factor.two_factor_begin(actor=teacher)
    assert not device.confirmed
    assert not two_factor.two_factor_enabled(teacher)


def test_starting_again_replaces_the_waiting_device(teacher):
    first = two_factor.two_factor_begin(actor=teacher)
    second = two_factor.two_factor_begin(actor=teacher)
    assert list(TOTPDevice.objects.filter(user=teacher)) == [second]
    assert first.pk != second.pk


def test_the_first_code_turns_it_on_and_issues_recovery_codes(teacher):
    device = two_factor.two_factor_begin(actor=teacher)
    confirmed, codes = two_factor.two_factor_confirm(actor=teacher, token=code_for(device))
    assert confirmed.confirmed
    assert len(codes) == two_factor.RECOVERY_CODE_COUNT == len(set(codes))
    assert two_factor.two_factor_enabled(teacher)
    assert two_factor.recovery_codes_left(teacher) == 10
    event = AuditEvent.objects.get(action="two_factor.enable")
    assert event.actor_id == teacher.pk
    assert not any(code in event.reason for code in codes)


def test_a_wrong_first_code_is_refused_and_counted(teacher):
    device = two_factor.two_factor_begin(actor=teacher)
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
    with pytest.raises(ValidationError) as refused:
        two_factor.two_factor_confirm(actor=teacher, token=wrong)
    assert "not right" in str(refused.value.message_dict["token"])
    device.refresh_from_db()
    assert not device.confirmed
    assert device.throttling_failure_count == 1  # kept, not rolled back with the refusal
    assert not AuditEvent.objects.filter(action="two_factor.enable").exists()


def test_set_up_is_refused_once_it_is_on(teacher):
    app_for(teacher)
    with pytest.raises(ValidationError):
        two_factor.two_factor_begin(actor=teacher)


def test_confirming_without_starting_is_refused(teacher):
    with pytest.raises(ValidationError, match="Start the set-up again"):
        two_factor.two_factor_confirm(actor=teacher, token="123456")


# The sign-in step -----------------------------------------------------------------------------


def test_a_code_works_once(head):
    device = app_for(head)
    code = code_for(device)
    assert two_factor.two_factor_check(actor=head, token=code) == device
    with pytest.raises(ValidationError):
        two_factor.two_factor_check(actor=head, token=code)


def test_a_recovery_code_works_once_and_is_audited(head):
    device = two_factor.two_factor_begin(actor=head)
    _, codes = two_factor.two_factor_confirm(actor=head, token=code_for(device))
    spaced = f"{codes[0][:5]} {codes[0][5:]}"  # as printed on the page
    used = two_factor.two_factor_check(actor=head, token=spaced)
    assert used.name == two_factor.RECOVERY_DEVICE_NAME
    assert two_factor.recovery_codes_left(head) == 9
    assert AuditEvent.objects.get(action="two_factor.recovery_code_used").reason == (
        "9 recovery codes left"
    )
    with pytest.raises(ValidationError):
        two_factor.two_factor_check(actor=head, token=codes[0])


@pytest.mark.parametrize("token", ["", "000000x", "<script>", "1" * 20])
def test_nonsense_codes_are_refused(head, token):
    app_for(head)
    with pytest.raises(ValidationError):
        two_factor.two_factor_check(actor=head, token=token)


def test_someone_elses_code_does_not_work(head, deputy):
    app_for(head)
    other = app_for(deputy)
    with pytest.raises(ValidationError):
        two_factor.two_factor_check(actor=head, token=code_for(other))


def test_new_recovery_codes_replace_the_old(head):
    device = two_factor.two_factor_begin(actor=head)
    _, old = two_factor.two_factor_confirm(actor=head, token=code_for(device))
    new = two_factor.recovery_codes_regenerate(actor=head)
    assert set(old).isdisjoint(new)
    assert set(StaticToken.objects.values_list("token", flat=True)) == set(new)
    assert AuditEvent.objects.filter(action="two_factor.recovery_codes_regenerate").count() == 1


def test_recovery_codes_need_two_factor_on(teacher):
    with pytest.raises(ValidationError):
        two_factor.recovery_codes_regenerate(actor=teacher)


# Resets -------------------------------------------------------------------------------------------


def test_the_head_resets_a_lost_phone(head, dsl):
    app_for(dsl)
    two_factor.two_factor_reset(actor=head, staff=dsl)
    assert not two_factor.two_factor_enabled(dsl)
    event = AuditEvent.objects.get(action="two_factor.reset")
    assert (event.actor_id, event.object_id) == (head.pk, str(dsl.pk))


def test_the_chair_resets_the_heads(chair, head):
    app_for(head)
    two_factor.two_factor_reset(actor=chair, staff=head)
    assert not two_factor.two_factor_enabled(head)


@pytest.mark.parametrize(
    ("actor", "subject"),
    [("teacher", "colleague"), ("head", "head"), ("deputy", "teacher"), ("outsider", "teacher")],
)
def test_nobody_else_resets(request, actor, subject):
    person = request.getfixturevalue(subject)
    app_for(person)
    with pytest.raises(PermissionDenied):
        two_factor.two_factor_reset(actor=request.getfixturevalue(actor), staff=person)
    assert two_factor.two_factor_enabled(person)
    assert not AuditEvent.objects.filter(action="two_factor.reset").exists()


def test_resetting_someone_without_it_says_so(head, teacher):
    with pytest.raises(ValidationError, match="has not set up"):
        two_factor.two_factor_reset(actor=head, staff=teacher)


# Pages: a role that must use it ---------------------------------------------------------------


def test_a_head_without_it_is_taken_to_set_up_and_reaches_nothing_else(client, head):
    response = password_sign_in(client, head)
    assert response.status_code == 302
    for url in [reverse("home"), reverse("dashboard"), reverse("pupil_list"), "/no-such-page/"]:
        response = client.get(url)
        if url == "/no-such-page/":
            assert response.status_code == 404
            continue
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("two_factor_setup"))
    page = client.get(reverse("two_factor_setup"))
    assert "Your role gives you access to sensitive records" in text(page)
    assert 'aria-label="Main"' not in page.content.decode()  # no navigation it cannot use


def test_setting_up_in_the_browser(client, head):
    password_sign_in(client, head)
    response = client.post(reverse("two_factor_setup"), {"begin": "1", "next": "/dashboard/"})
    assert response.status_code == 302
    page = client.get(response["Location"])
    device = TOTPDevice.objects.get(user=head, confirmed=False)
    body = page.content.decode()
    assert "<svg" in body
    assert two_factor.setup_key(device) in text(page)

    wrong = client.post(page.request["PATH_INFO"], {"token": "12", "next": "/dashboard/"})
    assert "That code is not right" in text(wrong)
    device.throttle_reset()  # as if the second django-otp makes you wait had passed

    done = client.post(
        reverse("two_factor_setup"), {"token": code_for(device), "next": "/dashboard/"}
    )
    assert "Keep these recovery codes safe" in text(done)
    shown = re.findall(r"\b([0-9a-f]{5}) ([0-9a-f]{5})\b", text(done))
    assert {a + b for a, b in shown} == set(StaticToken.objects.values_list("token", flat=True))
    assert client.get("/dashboard/").status_code == 200


def test_a_code_sent_after_the_set_up_was_reset_says_to_start_again(client, teacher):
    # The page used to come back as if nothing had been sent, with no word of what happened.
    sign_in(client, teacher)
    response = client.post(reverse("two_factor_setup"), {"token": "123456"})
    assert response.status_code == 200
    assert "Start the set-up again: there is no authenticator waiting." in text(response)
    assert not TOTPDevice.objects.filter(user=teacher).exists()


def test_signing_in_with_an_app_asks_for_the_code(client, dsl):
    device = app_for(dsl)
    response = password_sign_in(client, dsl, next_url=reverse("disclosure_list"))
    assert response.status_code == 302
    gate = client.get(reverse("disclosure_list"))
    assert gate["Location"].startswith(reverse("two_factor_verify"))
    # A password alone cannot add a new device either.
    assert client.get(reverse("two_factor_setup"))["Location"].startswith(
        reverse("two_factor_verify")
    )
    refused = client.post(
        reverse("two_factor_verify"), {"token": "000000", "next": reverse("disclosure_list")}
    )
    assert "That code is not right" in text(refused)
    too_soon = client.post(reverse("two_factor_verify"), {"token": code_for(device), "next": "/"})
    assert "Too many wrong codes. Wait" in text(too_soon)
    device.refresh_from_db()
    device.throttle_reset()  # as if the wait had passed
    passed = client.post(
        reverse("two_factor_verify"),
        {"token": code_for(device), "next": reverse("disclosure_list")},
    )
    assert passed["Location"] == reverse("disclosure_list")
    assert client.get(reverse("disclosure_list")).status_code == 200


def test_the_code_page_never_sends_you_to_another_site(client, dsl):
    device = app_for(dsl)
    password_sign_in(client, dsl)
    passed = client.post(
        reverse("two_factor_verify"),
        {"token": code_for(device), "next": "https://evil.example/"},
    )
    assert passed["Location"] == "/"


@pytest.mark.parametrize("target", ["dashboard", "Ava\x00Current", "disclosures/"])
def test_a_next_that_is_not_a_path_sends_you_home(client, dsl, target):
    # redirect() took such a value for the name of a URL pattern: a server error.
    device = app_for(dsl)
    password_sign_in(client, dsl)
    passed = client.post(reverse("two_factor_verify"), {"token": code_for(device), "next": target})
    assert passed["Location"] == "/"


def test_signing_out_is_possible_half_way(client, dsl):
    app_for(dsl)
    password_sign_in(client, dsl)
    client.post(reverse("logout"))
    assert "_auth_user_id" not in client.session


# Pages: staff who may choose it -----------------------------------------------------------------


def test_a_teacher_without_it_is_not_asked(client, teacher):
    password_sign_in(client, teacher)
    assert client.get(reverse("my_requests")).status_code == 200


def test_a_teacher_who_chose_it_must_use_it(client, teacher):
    app_for(teacher)
    password_sign_in(client, teacher)
    response = client.get(reverse("my_requests"))
    assert response["Location"].startswith(reverse("two_factor_verify"))


def test_a_school_that_requires_it_sends_teachers_to_set_up(client, school, teacher):
    school.require_two_factor_for_all = True
    school.save()
    password_sign_in(client, teacher)
    assert client.get(reverse("my_requests"))["Location"].startswith(reverse("two_factor_setup"))


def test_the_account_page_shows_the_state(client, teacher):
    sign_in(client, teacher)
    assert "Off" in text(client.get(reverse("two_factor")))
    app_for(teacher)
    sign_in(client, teacher)
    assert "On" in text(client.get(reverse("two_factor")))


def test_making_new_recovery_codes_in_the_browser(client, head):
    sign_in(client, head)
    page = client.post(reverse("recovery_codes_regenerate"))
    assert "Your earlier codes no longer work" in text(page)
    assert two_factor.recovery_codes_left(head) == 10


# Reset from the staff page ----------------------------------------------------------------------


def test_the_head_resets_from_the_staff_page(client, head, dsl):
    app_for(dsl)
    sign_in(client, head)
    page = client.get(reverse("staff_detail", args=[dsl.pk]))
    assert "Reset (lost phone)" in text(page)
    response = client.post(reverse("two_factor_reset", args=[dsl.pk]), follow=True)
    assert "Two-factor sign-in was reset for" in text(response)
    assert not two_factor.two_factor_enabled(dsl)


def test_the_dsls_old_session_must_set_up_again_after_a_reset(client, head, dsl):
    sign_in(client, dsl)
    assert client.get(reverse("disclosure_list")).status_code == 200
    two_factor.two_factor_reset(actor=head, staff=dsl)
    assert client.get(reverse("disclosure_list"))["Location"].startswith(
        reverse("two_factor_setup")
    )


def test_a_teacher_cannot_reset_anyone(client, teacher, colleague):
    app_for(colleague)
    sign_in(client, teacher)
    assert client.post(reverse("two_factor_reset", args=[colleague.pk])).status_code == 404
    assert two_factor.two_factor_enabled(colleague)


def test_the_deputy_sees_no_reset_button_and_is_refused(client, deputy, dsl):
    app_for(dsl)
    sign_in(client, deputy)
    assert "Reset (lost phone)" not in text(client.get(reverse("staff_detail", args=[dsl.pk])))
    assert client.post(reverse("two_factor_reset", args=[dsl.pk])).status_code == 403
    assert two_factor.two_factor_enabled(dsl)


# Codes sent together (finding 8) ---------------------------------------------------------------


def _wrong(device: TOTPDevice) -> str:
    return f"{(int(code_for(device)) + 500_000) % 1_000_000:06d}"


def test_two_wrong_codes_sent_together_count_twice(teacher, monkeypatch):
    # Deterministic: the second code is checked while the first is between its wait check and
    # its locked check, as two requests sent at once are.
    device = app_for(teacher)
    real_check = two_factor._throttled_message
    parallel = {"sent": False}

    def meanwhile_another_code(user):
        message = real_check(user)
        if not parallel["sent"]:
            parallel["sent"] = True
            with pytest.raises(ValidationError):
                two_factor.two_factor_check(actor=teacher, token=_wrong(device))
        return message

    monkeypatch.setattr(two_factor, "_throttled_message", meanwhile_another_code)
    with pytest.raises(ValidationError) as refused:
        two_factor.two_factor_check(actor=teacher, token=_wrong(device))
    assert "not right" in str(refused.value.message_dict["token"])
    device.refresh_from_db()
    assert device.throttling_failure_count == 2


def test_a_code_sent_during_the_wait_is_told_to_wait_and_not_counted(teacher):
    device = app_for(teacher)
    with pytest.raises(ValidationError):
        two_factor.two_factor_check(actor=teacher, token=_wrong(device))
    with pytest.raises(ValidationError) as refused:
        two_factor.two_factor_check(actor=teacher, token=_wrong(device))
    assert "Too many wrong codes. Wait" in str(refused.value.message_dict["token"])
    device.refresh_from_db()
    assert device.throttling_failure_count == 1


@pytest.mark.postgres_only
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent transactions")
@pytest.mark.django_db(transaction=True)
def test_two_wrong_codes_sent_at_once_from_two_connections_count_twice(teacher, monkeypatch):
    device = app_for(teacher)
    wrong = _wrong(device)
    both_checked = threading.Barrier(2)
    real_check = two_factor._throttled_message

    def together(user):
        message = real_check(user)
        both_checked.wait(timeout=10)  # both past the wait check before either locks
        return message

    monkeypatch.setattr(two_factor, "_throttled_message", together)
    outcomes = []

    def send():
        try:
            two_factor.two_factor_check(actor=Staff.objects.get(pk=teacher.pk), token=wrong)
        except ValidationError as error:
            outcomes.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert len(outcomes) == 2
    device.refresh_from_db()
    assert device.throttling_failure_count == 2


# Separation of duties (issue 15, finding 1) ---------------------------------------------------


@pytest.mark.parametrize("overseer", ["chair", "governor"])
def test_the_head_cannot_reset_the_second_factor_of_those_who_oversee_the_head(
    request, head, overseer
):
    person = request.getfixturevalue(overseer)
    app_for(person)
    with pytest.raises(PermissionDenied):
        two_factor.two_factor_reset(actor=head, staff=person)
    assert two_factor.two_factor_enabled(person)


def test_the_chair_resets_a_governors_second_factor(chair, governor):
    app_for(governor)
    two_factor.two_factor_reset(actor=chair, staff=governor)
    assert not two_factor.two_factor_enabled(governor)


def test_the_installation_resets_the_chairs_second_factor_and_says_who_ran_it(chair):
    app_for(chair)
    two_factor.two_factor_reset(actor=None, staff=chair, operator="A. Operator")
    assert not two_factor.two_factor_enabled(chair)
    event = AuditEvent.objects.get(action="two_factor.reset")
    assert event.actor_id is None and "A. Operator" in event.reason


@pytest.mark.parametrize(
    ("persona", "ask"),
    [
        ("dsl", "ask the headteacher to reset"),
        ("head", "ask the chair of governors to reset"),
        ("governor", "ask the chair of governors to reset"),
        ("chair", "ask whoever runs Safeguard for your school"),
    ],
)
def test_the_code_page_names_who_resets_a_lost_phone(db, client, request, persona, ask):
    """The head never resets their overseers' second factor, so the page must not send the
    chair or a governor to the head (issue 15, finding 1)."""
    person = request.getfixturevalue(persona)
    app_for(person)
    password_sign_in(client, person, next_url="/")
    page = text(client.get(reverse("two_factor_verify")))
    assert ask in page
