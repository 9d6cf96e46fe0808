"""The retention pages: the headteacher's legal holds (see, place, lift) and the review of
disclosures flagged at the end of their retention period. Who may open them (403), what is out
of reach (404), and what each form does."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from contacts.privacy import services
from contacts.privacy.models import LegalHold
from contacts.records.models import Disclosure
from tests.factories import PupilFactory
from tests.factories_records import make_disclosure
from tests.factories_retention import DISCLOSURE_DUE, make_leaver, make_old_disclosure
from tests.helpers import sign_in, text

HOLDS = "legal_holds"
REVIEWS = "retention_reviews"


def _as(client, user):
    sign_in(client, user)
    return client


@pytest.fixture
def leaver(pupil):
    return make_leaver(pupil)


@pytest.fixture
def hold(head, leaver):
    return services.legal_hold_place(actor=head, pupil=leaver, reason="A claim has been made.")


@pytest.fixture
def flagged(school, teacher, head, dsl, leaver):
    disclosure = make_old_disclosure(teacher, leaver)
    services.retention_apply(school=school, today=DISCLOSURE_DUE)
    disclosure.refresh_from_db()
    return disclosure


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- Legal holds ------------------------------------------------------------------------------


def test_the_head_sees_holds_in_force_and_the_form(client, head, hold, leaver):
    response = _as(client, head).get(reverse(HOLDS))
    page = text(response)
    assert response.status_code == 200
    assert hold.audit_ref in page
    assert leaver.full_name in page
    assert "A claim has been made." in page
    assert "Place a hold" in page
    assert reverse("legal_hold_lift", args=[hold.pk]) in response.text


@pytest.mark.parametrize("who", ["teacher", "deputy", "dsl", "chair", "admin"])
def test_nobody_else_opens_the_holds_page(client, request, who, hold):
    response = _as(client, request.getfixturevalue(who)).get(reverse(HOLDS))
    assert response.status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(reverse(HOLDS))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_head_places_a_hold_on_a_pupil(client, head, leaver):
    response = _as(client, head).post(
        reverse(HOLDS), {"pupil": leaver.pk, "staff": "", "reason": "Police inquiry."}
    )
    assert response.status_code == 302
    hold = LegalHold.objects.get()
    assert (hold.pupil, hold.staff, hold.placed_by, hold.reason) == (
        leaver,
        None,
        head,
        "Police inquiry.",
    )


def test_the_head_places_a_hold_on_a_member_of_staff(client, head, teacher):
    _as(client, head).post(reverse(HOLDS), {"staff": teacher.pk, "reason": "Tribunal claim."})
    assert LegalHold.objects.get().staff == teacher


def test_a_hold_on_both_or_neither_is_refused_on_the_form(client, head, teacher, leaver):
    response = _as(client, head).post(
        reverse(HOLDS), {"pupil": leaver.pk, "staff": teacher.pk, "reason": "A claim."}
    )
    assert response.status_code == 200
    assert "Choose either a pupil or a member of staff, not both." in text(response)
    response = client.post(reverse(HOLDS), {"reason": "A claim."})
    assert "Choose either a pupil or a member of staff, not both." in text(response)
    assert not LegalHold.objects.exists()


def test_a_hold_needs_a_reason(client, head, leaver):
    response = _as(client, head).post(reverse(HOLDS), {"pupil": leaver.pk, "reason": ""})
    assert response.status_code == 200
    assert "This field is required." in text(response)
    assert not LegalHold.objects.exists()


def test_a_pupil_of_another_school_cannot_be_chosen(client, head, other_pupil):
    response = _as(client, head).post(reverse(HOLDS), {"pupil": other_pupil.pk, "reason": "X."})
    assert response.status_code == 200
    assert "Select a valid choice." in text(response)
    assert other_pupil.full_name not in text(response)
    assert not LegalHold.objects.exists()


def test_the_head_lifts_a_hold_with_a_reason(client, head, hold):
    response = _as(client, head).post(
        reverse("legal_hold_lift", args=[hold.pk]), {"reason": "The claim was withdrawn."}
    )
    assert response.status_code == 302
    hold.refresh_from_db()
    assert (hold.is_active, hold.lifted_by, hold.lift_reason) == (
        False,
        head,
        "The claim was withdrawn.",
    )
    page = text(client.get(reverse(HOLDS)))
    assert "Recently lifted" in page
    assert "No legal hold is in force." in page


def test_lifting_without_a_reason_or_twice_is_refused_with_a_message(client, head, hold):
    url = reverse("legal_hold_lift", args=[hold.pk])
    response = _as(client, head).post(url, {"reason": ""}, follow=True)
    assert "Say why the hold is lifted." in _messages(response)
    hold.refresh_from_db()
    assert hold.is_active
    client.post(url, {"reason": "Settled."})
    response = client.post(url, {"reason": "Again."}, follow=True)
    assert "This hold has already been lifted." in _messages(response)


def test_lift_is_post_only_and_for_the_head(client, teacher, head, hold):
    url = reverse("legal_hold_lift", args=[hold.pk])
    assert _as(client, head).get(url).status_code == 405
    assert _as(client, teacher).post(url, {"reason": "Done."}).status_code == 403
    hold.refresh_from_db()
    assert hold.is_active


def test_a_hold_of_another_school_is_not_found(client, head, outsider, other_pupil):
    theirs = services.legal_hold_place(actor=outsider, pupil=other_pupil, reason="Their claim.")
    response = _as(client, head).post(
        reverse("legal_hold_lift", args=[theirs.pk]), {"reason": "Done."}
    )
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.is_active
    assert "Their claim." not in text(client.get(reverse(HOLDS)))


def test_a_hold_on_the_head_offers_no_lift_and_refuses_one(client, head):
    mine = services.legal_hold_place(actor=head, staff=head, reason="Claim against the head.")
    url = reverse("legal_hold_lift", args=[mine.pk])
    response = _as(client, head).get(reverse(HOLDS))
    assert url not in response.text
    assert "A hold on you is lifted by someone else." in text(response)
    assert client.post(url, {"reason": "Done."}).status_code == 403
    mine.refresh_from_db()
    assert mine.is_active


# --- Reviews of flagged disclosures ------------------------------------------------------------


@pytest.mark.parametrize("who", ["head", "dsl"])
def test_the_dsl_and_head_see_disclosures_due_for_review(client, request, who, flagged, teacher):
    waiting = make_disclosure(teacher, PupilFactory(school=flagged.school))
    response = _as(client, request.getfixturevalue(who)).get(reverse(REVIEWS))
    page = text(response)
    assert response.status_code == 200
    assert flagged.reference in page
    assert "retention ran out on 1 Mar 2023" in page
    assert waiting.reference not in page
    assert reverse("retention_review", args=[flagged.pk]) in response.text


@pytest.mark.parametrize("who", ["teacher", "deputy", "chair", "governor", "admin"])
def test_nobody_else_opens_the_reviews(client, request, who, flagged):
    response = _as(client, request.getfixturevalue(who)).get(reverse(REVIEWS))
    assert response.status_code == 403


def test_the_reviews_page_says_when_nothing_waits(client, dsl):
    assert "No disclosure is waiting" in text(_as(client, dsl).get(reverse(REVIEWS)))


def test_keeping_a_disclosure_at_review(client, dsl, flagged):
    next_review = timezone.localdate() + dt.timedelta(days=365)
    response = _as(client, dsl).post(
        reverse("retention_review", args=[flagged.pk]),
        {"decision": "keep", "review_on": f"{next_review}", "reason": "Siblings on roll."},
        follow=True,
    )
    assert f"{flagged.reference} was kept until its next review." in _messages(response)
    flagged.refresh_from_db()
    assert (flagged.retention_flagged_at, flagged.retention_review_on) == (None, next_review)
    assert flagged.reference not in text(client.get(reverse(REVIEWS)))


def test_deleting_a_disclosure_at_review(client, head, flagged):
    response = _as(client, head).post(
        reverse("retention_review", args=[flagged.pk]), {"decision": "delete"}, follow=True
    )
    assert f"{flagged.reference} was deleted." in _messages(response)
    assert not Disclosure.objects.filter(pk=flagged.pk).exists()


def test_keeping_without_a_date_is_refused_with_a_message(client, dsl, flagged):
    response = _as(client, dsl).post(
        reverse("retention_review", args=[flagged.pk]),
        {"decision": "keep", "reason": "Ongoing."},
        follow=True,
    )
    assert any("Choose a date in the future" in m for m in _messages(response))
    flagged.refresh_from_db()
    assert flagged.retention_flagged_at is not None


def test_a_decision_must_be_chosen(client, dsl, flagged):
    url = reverse("retention_review", args=[flagged.pk])
    response = _as(client, dsl).post(url, {}, follow=True)
    assert f"{flagged.reference}: choose whether to keep or delete it." in _messages(response)
    assert Disclosure.objects.filter(pk=flagged.pk).exists()


def test_a_held_disclosure_is_marked_and_cannot_be_deleted(client, head, leaver, flagged):
    services.legal_hold_place(actor=head, pupil=leaver, reason="Inquiry.")
    response = _as(client, head).get(reverse(REVIEWS))
    assert "A legal hold covers this disclosure" in text(response)
    assert f'id="delete-{flagged.pk}"' not in response.text
    response = client.post(
        reverse("retention_review", args=[flagged.pk]), {"decision": "delete"}, follow=True
    )
    assert any("legal hold" in m for m in _messages(response))
    assert Disclosure.objects.filter(pk=flagged.pk).exists()


def test_a_disclosure_not_flagged_is_not_found(client, dsl, teacher, leaver):
    disclosure = make_old_disclosure(teacher, leaver)
    response = _as(client, dsl).post(
        reverse("retention_review", args=[disclosure.pk]), {"decision": "delete"}
    )
    assert response.status_code == 404
    assert Disclosure.objects.filter(pk=disclosure.pk).exists()


def test_a_disclosure_of_another_school_is_not_found(client, outsider, flagged):
    response = _as(client, outsider).post(
        reverse("retention_review", args=[flagged.pk]), {"decision": "delete"}
    )
    assert response.status_code == 404
    assert Disclosure.objects.filter(pk=flagged.pk).exists()


def test_review_is_post_only_and_for_reviewers(client, head, teacher, flagged):
    url = reverse("retention_review", args=[flagged.pk])
    assert _as(client, head).get(url).status_code == 405
    assert _as(client, teacher).post(url, {"decision": "delete"}).status_code == 403
    assert Disclosure.objects.filter(pk=flagged.pk).exists()


# --- Navigation -------------------------------------------------------------------------------


def test_the_navigation_offers_retention_to_the_head_and_the_dsl_only(client, head, dsl, teacher):
    holds, reviews = reverse(HOLDS), reverse(REVIEWS)
    page = _as(client, head).get(reverse("notifications")).text
    assert f'href="{holds}">Retention<' in page
    page = _as(client, dsl).get(reverse("notifications")).text
    assert f'href="{reviews}">Retention<' in page
    page = _as(client, teacher).get(reverse("notifications")).text
    assert ">Retention<" not in page
