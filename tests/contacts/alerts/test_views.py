"""The Needs attention pages as people see them: the DSL's queue and case, the menu, the
dashboard panel, the audit view event, and the DSL reading what was reported to the head."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from safeguard.audit.models import AuditEvent
from safeguard.core.roles import Role
from tests.conftest import _person
from tests.factories_pages import add_busy_rows
from tests.factories_records import make_disclosure, make_family_record, make_record
from tests.helpers import field_error, page_queries, sign_in, text


def test_every_member_of_staff_can_record_a_disclosure_from_the_menu(client, teacher):
    sign_in(client, teacher)
    page = client.get(reverse("my_requests"))
    assert reverse("disclosure_new") in page.content.decode()
    assert "Record a disclosure" in text(page)
    assert "Needs attention" not in text(page)


def test_the_dsl_lands_on_the_queue_with_the_new_case_first(client, dsl, teacher, pupil):
    make_record(teacher, [pupil], record_type="ongoing")  # the head's, not the DSL's
    disclosure = make_disclosure(teacher, pupil)
    sign_in(client, dsl)
    home = client.get(reverse("home"))
    assert home.url == reverse("attention_queue")
    page = text(client.get(home.url))
    assert "New 1" in page and "Open 0" in page
    alert = disclosure.alerts.get()
    assert alert.reference in page and "Child protection" in page


def test_the_case_page_acknowledge_then_close_with_a_rationale(client, dsl, teacher, pupil):
    alert = make_disclosure(teacher, pupil).alerts.get()
    sign_in(client, dsl)
    url = reverse("alert_detail", args=[alert.pk])
    page = text(client.get(url))
    assert "To be acknowledged by" in page and pupil.full_name in page
    assert AuditEvent.objects.filter(action="view", object_ref=alert.reference, actor=dsl).exists()
    response = client.post(reverse("alert_acknowledge", args=[alert.pk]), follow=True)
    assert f"You acknowledged {alert.reference}." in text(response)
    refused = client.post(reverse("alert_close", args=[alert.pk]), {"outcome": "NFA"})
    assert refused.status_code == 200
    assert field_error(refused, "rationale")
    closed = client.post(
        reverse("alert_close", args=[alert.pk]),
        {"outcome": "Early help", "rationale": "Family agreed to early help."},
        follow=True,
    )
    assert f"{alert.reference} was closed." in text(closed)
    assert "Family agreed to early help." in text(closed)


def test_acknowledging_twice_says_who_did(client, dsl, head, teacher, pupil):
    alert = make_disclosure(teacher, pupil).alerts.get()
    sign_in(client, dsl)
    client.post(reverse("alert_acknowledge", args=[alert.pk]))
    sign_in(client, head)
    response = client.post(reverse("alert_acknowledge", args=[alert.pk]), follow=True)
    assert f"Already acknowledged by {dsl.full_name}." in text(response)


def test_the_case_adds_actions_and_referrals(client, dsl, teacher, pupil):
    alert = make_disclosure(teacher, pupil).alerts.get()
    sign_in(client, dsl)
    client.post(reverse("alert_acknowledge", args=[alert.pk]))
    due = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    client.post(
        reverse("case_action_add", args=[alert.pk]),
        {"description": "Speak to the form tutor.", "assigned_to": teacher.pk, "due_on": due},
    )
    bad = client.post(
        reverse("case_referral_add", args=[alert.pk]),
        {"agency": "other", "referred_on": timezone.localdate().isoformat()},
    )
    assert "Name the agency." in field_error(bad, "agency_other")
    client.post(
        reverse("case_referral_add", args=[alert.pk]),
        {"agency": "police", "referred_on": timezone.localdate().isoformat(), "reference": "P1"},
    )
    page = text(client.get(reverse("alert_detail", args=[alert.pk])))
    assert "Speak to the form tutor." in page and "Police on" in page


def test_the_teacher_who_wrote_it_cannot_open_the_case(client, teacher, dsl, pupil):
    alert = make_disclosure(teacher, pupil).alerts.get()
    sign_in(client, teacher)
    assert client.get(reverse("alert_detail", args=[alert.pk])).status_code == 404
    assert client.get(reverse("attention_queue")).status_code == 403


def test_the_dashboard_panel_counts_what_is_new(client, head, teacher, pupil):
    make_record(teacher, [pupil], record_type="ongoing")
    sign_in(client, head)
    page = text(client.get(reverse("dashboard")))
    assert "Needs attention 1 new · 1 open in all" in page


def test_the_dsl_reads_what_was_reported_to_the_head_but_not_the_liaison_log(
    client, dsl, head, teacher, pupil
):
    reported = make_record(teacher, [pupil], record_type="ongoing")
    plain = make_record(teacher, [pupil])
    restricted = make_family_record(teacher, [pupil])
    sign_in(client, dsl)
    assert client.get(reverse("record_detail", args=[reported.pk])).status_code == 200
    assert client.get(reverse("record_detail", args=[plain.pk])).status_code == 404
    assert client.get(reverse("record_detail", args=[restricted.pk])).status_code == 404


def test_a_deputy_dsl_reads_child_protection_disclosures(client, school, teacher, pupil):
    deputy_dsl = _person(school, "ddsl@test.example", "Deputy DSL", Role.DEPUTY_DSL)
    disclosure = make_disclosure(teacher, pupil)
    personal = make_disclosure(teacher, pupil, disclosure_type="personal")
    sign_in(client, deputy_dsl)
    assert client.get(reverse("disclosure_detail", args=[disclosure.pk])).status_code == 200
    assert client.get(reverse("disclosure_detail", args=[personal.pk])).status_code == 404


def test_the_attention_queue_costs_at_most_ten_queries_however_long(
    client, head, dsl, teacher, colleague, pupil
):
    for round_ in (0, 1):
        add_busy_rows(
            pupil=pupil, requesters=[teacher, colleague], head=head, dsl=dsl, round_=round_
        )
    sign_in(client, dsl)
    url = reverse("attention_queue")
    client.get(url)
    few = len(page_queries(client, url))
    add_busy_rows(pupil=pupil, requesters=[teacher, colleague], head=head, dsl=dsl, round_=2)
    many = len(page_queries(client, url))
    assert many == few
    assert many <= 10
