"""The disclosure pages: recording what a pupil said, who is alerted (and what the emails do
not say), who may read a disclosure, the list, and dated addenda instead of edits."""

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from contacts.notifications.models import Notification
from contacts.people.pupil_picker import pupil_choice_label
from contacts.planned import services
from contacts.records.models import Addendum, Disclosure
from safeguard.audit.models import AuditEvent
from tests.factories_records import ACCOUNT, make_disclosure
from tests.helpers import field_error, options, sign_in, text

SAID = "She said her stepdad shouts at her every night and she is scared to go home."


def _as(client, user):
    sign_in(client, user)
    return client


def _answers(pupil, **extra) -> dict:
    """The form filled in for a child-protection disclosure an hour ago."""
    said = timezone.localtime() - dt.timedelta(hours=1)
    data = {
        "pupil": pupil.pk,
        "disclosure_type": "child_protection",
        "disclosed_on": said.date().isoformat(),
        "disclosed_time": said.strftime("%H:%M"),
        "disclosed_by": "The pupil",
        "account": SAID,
        "circumstances": "At the end of the maths lesson, the others had gone.",
        "action_taken": "Listened, told her I would pass it on, went to the DSL.",
    }
    return data | extra


def _record(client, user, pupil, **extra):
    return _as(client, user).post(reverse("disclosure_new"), _answers(pupil, **extra))


def _notified() -> set:
    return {n.recipient for n in Notification.objects.select_related("recipient")}


def _absent_today(head):
    today = timezone.localdate()
    services.absence_record(actor=head, school=head.school, starts_on=today, ends_on=today)


# --- recording ------------------------------------------------------------------------------


def test_the_form_gives_guidance_and_asks_in_the_right_order(client, teacher, pupil):
    response = _as(client, teacher).get(reverse("disclosure_new"))
    page = text(response)
    assert response.status_code == 200
    for advice in ("Listen", "Do not promise to keep it secret", "Do not investigate"):
        assert advice in page
    assert "001 §4.2" in page
    assert "Child protection: anything that suggests a child is being harmed or at risk" in page
    assert "Write it in the child's own words where you can." in page
    assert "Do not investigate or ask leading questions." in page
    html = response.text
    assert html.index('value="child_protection"') < html.index('value="personal"')
    assert 'value="The pupil"' in html
    assert "Find a pupil by name" in page
    assert options(response, "pupil") == {}


def test_the_pupil_can_be_chosen_in_advance(client, teacher, pupil):
    response = _as(client, teacher).get(reverse("disclosure_new") + f"?pupil={pupil.pk}")
    assert options(response, "pupil") == {pupil_choice_label(pupil): True}


def test_a_child_protection_disclosure_alerts_the_dsl_and_head_without_details_in_email(
    client, teacher, pupil, dsl, head, deputy, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _record(client, teacher, pupil)
    disclosure = Disclosure.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("disclosure_detail", args=[disclosure.pk])
    assert (disclosure.author, disclosure.pupil, disclosure.account) == (teacher, pupil, SAID)
    assert _notified() == {dsl, head}
    assert sorted(m.to[0] for m in mail.outbox) == sorted([dsl.email, head.email])
    for email in mail.outbox:
        for secret in (pupil.first_name, pupil.last_name, "stepdad", "scared"):
            assert secret not in email.subject and secret not in email.body
    page = text(client.get(response.url))
    told = page[page.index(f"{disclosure.reference} was recorded. Alerted: ") :][:200]
    assert head.full_name in told and dsl.full_name in told
    assert SAID in page
    assert AuditEvent.objects.filter(action="disclosure.create").count() == 1


def test_the_deputy_is_alerted_too_while_the_head_is_absent(
    client, teacher, pupil, dsl, head, deputy, django_capture_on_commit_callbacks
):
    _absent_today(head)
    with django_capture_on_commit_callbacks(execute=True):
        _record(client, teacher, pupil)
    assert _notified() == {dsl, head, deputy}
    assert deputy.email in [m.to[0] for m in mail.outbox]


def test_a_personal_disclosure_tells_the_head(client, teacher, pupil, dsl, head):
    response = _record(client, teacher, pupil, disclosure_type="personal")
    assert _notified() == {head}
    page = text(client.get(response.url))
    assert f"was recorded. Alerted: {head.full_name}." in page
    assert "Other personal" in page


def test_a_future_time_is_refused_next_to_it_and_nothing_is_saved(client, teacher, pupil):
    later = timezone.localtime() + dt.timedelta(hours=2)
    data = {"disclosed_on": later.date().isoformat(), "disclosed_time": later.strftime("%H:%M")}
    response = _record(client, teacher, pupil, **data)
    shown = "disclosed_on" if later.date() > timezone.localdate() else "disclosed_time"
    assert response.status_code == 200
    assert "cannot be in the future" in field_error(response, shown)
    assert Disclosure.objects.count() == 0
    assert Notification.objects.count() == 0
    assert SAID in response.text


def test_an_empty_post_shows_the_errors(client, teacher):
    response = _as(client, teacher).post(reverse("disclosure_new"), {})
    assert field_error(response, "pupil")
    assert field_error(response, "account")
    assert Disclosure.objects.count() == 0


# --- reading --------------------------------------------------------------------------------


def test_a_child_protection_disclosure_is_read_by_the_author_dsl_head_and_deputy(
    client, teacher, pupil, dsl, head, deputy
):
    disclosure = make_disclosure(teacher, pupil)
    url = reverse("disclosure_detail", args=[disclosure.pk])
    for reader in (teacher, dsl, head, deputy):
        response = _as(client, reader).get(url)
        assert response.status_code == 200, reader
        assert ACCOUNT in text(response)
        assert "Child protection" in text(response)
        listing = text(client.get(reverse("disclosure_list")))
        assert disclosure.reference in listing and pupil.full_name in listing


@pytest.mark.parametrize(
    "persona", ["colleague", "line_manager", "governor", "chair", "admin", "outsider"]
)
def test_nobody_else_can_open_a_disclosure(client, request, teacher, pupil, persona):
    disclosure = make_disclosure(teacher, pupil)
    reader = request.getfixturevalue(persona)
    response = _as(client, reader).get(reverse("disclosure_detail", args=[disclosure.pk]))
    assert response.status_code == 404
    listing = client.get(reverse("disclosure_list"))
    assert listing.status_code == 200
    assert disclosure.reference not in text(listing)
    assert ACCOUNT not in text(listing)


def test_a_personal_disclosure_is_read_by_the_head_and_dsl_not_the_deputy(
    client, teacher, pupil, dsl, head, deputy
):
    disclosure = make_disclosure(teacher, pupil, disclosure_type="personal")
    url = reverse("disclosure_detail", args=[disclosure.pk])
    for reader in (head, dsl, teacher):
        assert _as(client, reader).get(url).status_code == 200
    assert _as(client, deputy).get(url).status_code == 404


def test_the_list_is_newest_first_with_the_type_in_words(client, teacher, pupil, dsl):
    older = make_disclosure(
        teacher,
        pupil,
        disclosed_at=timezone.now() - dt.timedelta(days=2),
        disclosure_type="personal",
    )
    newer = make_disclosure(dsl, pupil)
    page = text(_as(client, dsl).get(reverse("disclosure_list")))
    assert page.index(newer.reference) < page.index(older.reference)
    assert "Child protection" in page and "Other personal" in page
    assert teacher.full_name in page


# --- no edits, only addenda ---------------------------------------------------------------------


def test_the_disclosure_page_has_no_edit_and_says_so(client, teacher, pupil):
    disclosure = make_disclosure(teacher, pupil)
    response = _as(client, teacher).get(reverse("disclosure_detail", args=[disclosure.pk]))
    assert "/edit" not in response.text
    assert "Edit" not in text(response)
    assert "Disclosures cannot be changed once saved; add a dated addendum." in text(response)


def test_the_dsl_adds_an_addendum_and_it_shows(client, teacher, pupil, dsl):
    disclosure = make_disclosure(teacher, pupil)
    url = reverse("disclosure_addendum", args=[disclosure.pk])
    response = _as(client, dsl).post(url, {"text": "Referred to children's social care at 14:10."})
    assert response.status_code == 302
    addendum = Addendum.objects.get(disclosure=disclosure)
    assert addendum.author == dsl
    page = text(_as(client, teacher).get(response.url))
    assert "Referred to children's social care at 14:10." in page
    assert f"by {dsl.full_name}" in page
    assert Disclosure.objects.get().account == ACCOUNT


def test_those_who_cannot_read_it_cannot_add_to_it(client, teacher, pupil, colleague):
    disclosure = make_disclosure(teacher, pupil)
    url = reverse("disclosure_addendum", args=[disclosure.pk])
    assert _as(client, colleague).post(url, {"text": "Nothing."}).status_code == 404
    assert Addendum.objects.count() == 0


def test_an_empty_addendum_is_refused_next_to_its_field(client, teacher, pupil):
    disclosure = make_disclosure(teacher, pupil)
    response = _as(client, teacher).post(reverse("disclosure_addendum", args=[disclosure.pk]))
    assert "Write the addendum." in field_error(response, "text")
    assert Addendum.objects.count() == 0


def test_post_only_addresses_refuse_get(client, teacher, pupil):
    disclosure = make_disclosure(teacher, pupil)
    response = _as(client, teacher).get(reverse("disclosure_addendum", args=[disclosure.pk]))
    assert response.status_code == 405
