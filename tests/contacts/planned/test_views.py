"""The requester's pages: asking for approval, drafts, changes, answers, withdrawal, outcomes.

Each test signs a persona in, reads the page as a person would (its text) and checks what the
database holds afterwards.
"""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from contacts.people.pupil_picker import pupil_choice_label
from contacts.people.services import relative_acknowledge
from contacts.planned import services
from contacts.planned.models import ContactRequest, NoteKind, RequestNote, Status
from safeguard.audit.models import AuditEvent
from tests.factories import PupilFactory, StaffRelativeFactory
from tests.factories_pages import add_busy_rows
from tests.factories_requests import future, make_request
from tests.helpers import field_error, find_pupils, options, page_queries, sign_in, text

REQUEST_MODELS = (ContactRequest, RequestNote, AuditEvent)


def _as(client, user):
    sign_in(client, user)
    return client


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in REQUEST_MODELS}


def _day(days: int = 7) -> str:
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def _answers(chosen, **extra) -> dict:
    """The new-request form filled in for a planned work meeting with the chosen pupils."""
    data = {
        "pupils": [p.pk for p in chosen],
        "with_whom": "pupil",
        "kind": "meeting",
        "purpose": "work",
        "contact_date": _day(),
        "contact_time": "15:00",
        "place": "Community centre",
        "exemption": "",
        "reasons": "Mentoring session agreed with the pupil's parents.",
        "action": "submit",
    }
    return data | extra


def _form_from(item: ContactRequest, **extra) -> dict:
    """The edit form as the page fills it for an existing request, with changes."""
    local = timezone.localtime(item.starts_at)
    data = {
        "pupils": [p.pk for p in item.pupils.all()],
        "with_whom": "family" if item.with_family_only else "pupil",
        "kind": item.kind,
        "purpose": item.purpose,
        "contact_date": local.date().isoformat(),
        "contact_time": local.strftime("%H:%M"),
        "place": item.place,
        "exemption": item.exemption,
        "reasons": item.reasons,
        "plan_outcomes": item.plan_outcomes,
        "plan_timescales": item.plan_timescales,
        "plan_support": item.plan_support,
        "plan_agencies": item.plan_agencies,
        "plan_signposting": item.plan_signposting,
        "plan_review_date": item.plan_review_date.isoformat() if item.plan_review_date else "",
        "version": item.version,
        "action": "submit",
    }
    return data | extra


def _ask(head, item, question="Who else will be there?") -> ContactRequest:
    return services.request_decide(
        actor=head,
        contact_request=item,
        decision="ask",
        reason=question,
        expected_version=item.version,
    )


@pytest.fixture
def former_pupil(school):
    return PupilFactory(
        school=school,
        first_name="Fern",
        last_name="Former",
        leaving_date=timezone.localdate() - dt.timedelta(days=400),
    )


# --- the new-request page ---------------------------------------------------------------------


def test_new_request_page_asks_the_questions(client, teacher, pupil):
    page = text(_as(client, teacher).get(reverse("request_new")))
    assert "Ask for approval of planned contact" in page
    for question in ("Who is the contact with?", "Kind of contact", "Purpose", "Reasons"):
        assert question in page
    assert "Find a pupil by name" in page
    assert "Ava Current" not in page  # pupils are found by name, not listed
    assert "Send for a decision" in page
    assert "Save as a draft" in page


def test_new_request_offers_only_pupils_of_the_own_school(client, teacher, pupil, other_pupil):
    url = reverse("request_new")
    found = find_pupils(_as(client, teacher), url, "Ava")
    assert options(found, "pupils") == {pupil_choice_label(pupil): False}
    found = find_pupils(client, url, "Zed Elsewhere")
    assert options(found, "pupils") == {}
    assert "No pupil's name matches “Zed Elsewhere”." in text(found)


def test_submitting_a_work_meeting_sends_it_for_a_decision(client, teacher, pupil):
    response = _as(client, teacher).post(reverse("request_new"), _answers([pupil]))

    item = ContactRequest.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("request_detail", args=[item.pk])
    assert item.status == Status.SUBMITTED
    assert item.requester == teacher
    assert list(item.pupils.all()) == [pupil]
    assert item.route == "headteacher"
    assert item.submitted_at is not None
    local = timezone.localtime(item.starts_at)
    assert (local.date().isoformat(), local.strftime("%H:%M")) == (_day(), "15:00")
    assert item.place == "Community centre"
    assert item.verdict == "needs_approval"


def test_submitted_request_page_shows_its_reference_and_waiting(client, teacher, pupil):
    response = _as(client, teacher).post(reverse("request_new"), _answers([pupil]), follow=True)

    item = ContactRequest.objects.get()
    page = text(response)
    assert re.fullmatch(r"REQ-\d{6}", item.reference)
    assert f"{item.reference} was sent for a decision." in page
    assert f"{item.reference} Waiting for a decision" in page
    assert "Community centre" in page
    assert "Ava Current" in page
    assert "Needs approval first" in page
    assert "The headteacher" in page


def test_reference_is_numbered_from_the_request_id(client, teacher, pupil):
    _as(client, teacher).post(reverse("request_new"), _answers([pupil]))
    item = ContactRequest.objects.get()
    assert item.reference == f"REQ-{item.pk:06d}"


def test_saving_a_draft_does_not_send_it(client, teacher, pupil, head):
    response = _as(client, teacher).post(
        reverse("request_new"), _answers([pupil], action="draft"), follow=True
    )

    item = ContactRequest.objects.get()
    page = text(response)
    assert item.status == Status.DRAFT
    assert item.submitted_at is None
    assert f"{item.reference} was saved as a draft. It has not been sent." in page
    assert "Change or send" in page
    assert not head.notifications.exists()


def test_a_draft_is_its_authors_alone(client, teacher, pupil, head, line_manager):
    item = make_request(teacher, [pupil], submit=False)
    for person in (head, line_manager):
        assert _as(client, person).get(reverse("request_detail", args=[item.pk])).status_code == 404


def test_sending_a_draft_from_its_edit_page(client, teacher, pupil, head):
    item = make_request(teacher, [pupil], submit=False)

    response = _as(client, teacher).post(
        reverse("request_edit", args=[item.pk]), _form_from(item), follow=True
    )

    item.refresh_from_db()
    assert item.status == Status.SUBMITTED
    assert f"{item.reference} was sent for a decision." in text(response)
    assert head.notifications.filter(message=f"{item.reference} is waiting for your decision")


def test_prohibited_contact_is_refused_and_saves_nothing(client, teacher, pupil):
    before = _counts()

    response = _as(client, teacher).post(
        reverse("request_new"), _answers([pupil], kind="social_media", purpose="personal")
    )

    page = text(response)
    assert response.status_code == 200
    assert "What the policies say: Not allowed" in page
    assert "001 §5.2" in page
    assert "Do not connect or chat with pupils of any age" in page
    # Said once, beside the form; the reasons once, in the policies' card.
    assert page.count("do not allow this contact, so it cannot be sent for a decision") == 1
    assert page.count("Do not connect or chat with pupils of any age") == 1
    assert page.count("raise a boundary concern") == 1
    assert _counts() == before


def test_prohibited_contact_keeps_the_answers_on_the_form(client, teacher, pupil):
    response = _as(client, teacher).post(
        reverse("request_new"), _answers([pupil], kind="social_media", purpose="personal")
    )
    form = response.context["form"]
    assert form["kind"].value() == "social_media"
    assert form["reasons"].value() == "Mentoring session agreed with the pupil's parents."


def test_former_pupil_needs_a_plan_of_involvement(client, teacher, former_pupil):
    before = _counts()

    response = _as(client, teacher).post(reverse("request_new"), _answers([former_pupil]))

    assert response.status_code == 200
    assert field_error(response, "plan_outcomes") == (
        "For a former pupil, set out the outcomes you expect."
    )
    assert field_error(response, "plan_timescales") == (
        "For a former pupil, give the timescales of the plan."
    )
    assert field_error(response, "plan_support") == (
        "For a former pupil, say what support or supervision you will have (000 §contact with "
        "former pupils), for example regular meetings with your line manager."
    )
    assert field_error(response, "plan_review_date") == (
        "For a former pupil, give a date to review the plan."
    )
    page = text(response)
    assert "What the policies say: Needs approval first" in page
    assert "Agree a written plan of involvement, with aims and timescales" in page
    assert _counts() == before


def test_former_pupil_with_a_plan_is_sent(client, teacher, former_pupil):
    data = _answers(
        [former_pupil],
        plan_outcomes="Reference for college.",
        plan_timescales="Two meetings this term.",
        plan_support="A talk with my line manager after each meeting.",
        plan_review_date=_day(30),
    )

    response = _as(client, teacher).post(reverse("request_new"), data, follow=True)

    item = ContactRequest.objects.get()
    assert item.status == Status.SUBMITTED
    assert item.plan_review_date == timezone.localdate() + dt.timedelta(days=30)
    page = text(response)
    assert "Reference for college." in page
    assert "Two meetings this term." in page


def test_plan_review_before_the_contact_is_refused(client, teacher, former_pupil):
    data = _answers(
        [former_pupil],
        plan_outcomes="Reference for college.",
        plan_timescales="Two meetings.",
        plan_support="A talk with my line manager after each meeting.",
        plan_review_date=_day(3),
    )
    response = _as(client, teacher).post(reverse("request_new"), data)
    assert field_error(response, "plan_review_date") == (
        "The plan's review date cannot be before the contact."
    )
    assert not ContactRequest.objects.exists()


def test_date_in_the_past_is_refused(client, teacher, pupil):
    response = _as(client, teacher).post(
        reverse("request_new"), _answers([pupil], contact_date=_day(-1))
    )
    assert field_error(response, "contact_date") == "A planned contact must be today or later."
    assert not ContactRequest.objects.exists()


def test_earlier_today_is_refused_beside_the_time(client, teacher, pupil):
    response = _as(client, teacher).post(
        reverse("request_new"), _answers([pupil], contact_date=_day(0), contact_time="00:00")
    )
    assert response.status_code == 200
    said = "A planned contact must be in the future: ask before it happens."
    assert field_error(response, "contact_time") == said
    assert text(response).count(said) == 1
    assert not ContactRequest.objects.exists()


def test_empty_reasons_is_a_field_error(client, teacher, pupil):
    response = _as(client, teacher).post(reverse("request_new"), _answers([pupil], reasons=""))
    assert field_error(response, "reasons") == "This field is required."
    assert not ContactRequest.objects.exists()


def test_blank_reasons_is_a_field_error(client, teacher, pupil):
    response = _as(client, teacher).post(reverse("request_new"), _answers([pupil], reasons="   "))
    assert field_error(response, "reasons")
    assert not ContactRequest.objects.exists()


def test_no_pupil_is_a_field_error(client, teacher, pupil):
    response = _as(client, teacher).post(reverse("request_new"), _answers([], pupils=[]))
    assert field_error(response, "pupils") == "Find the pupil by name, then tick them."
    assert not ContactRequest.objects.exists()


def test_pupil_of_another_school_is_an_invalid_choice(client, teacher, pupil, other_pupil):
    response = _as(client, teacher).post(reverse("request_new"), _answers([other_pupil]))
    assert response.status_code == 200
    error = field_error(response, "pupils")
    assert "Select a valid choice" in error
    assert not ContactRequest.objects.exists()


@pytest.mark.parametrize(
    "changes",
    [
        {"kind": "nonsense"},
        {"purpose": "nonsense"},
        {"with_whom": "nonsense"},
        {"exemption": "nonsense"},
        {"contact_date": "not a date"},
        {"contact_time": "25:99"},
        {"pupils": ["not-a-number"]},
        {"pupils": ["999999999"]},
        {"plan_review_date": "31/31/2031"},
        {"action": "nonsense"},
        {"place": "x" * 201},
    ],
)
def test_bad_input_never_breaks_the_page(client, teacher, pupil, changes):
    response = _as(client, teacher).post(reverse("request_new"), _answers([pupil], **changes))
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert "error" in response.content.decode()
        assert not ContactRequest.objects.exists()


def test_empty_post_shows_the_form_again_and_saves_nothing(client, teacher, pupil):
    response = _as(client, teacher).post(reverse("request_new"), {})
    assert response.status_code == 200
    assert "Ask for approval of planned contact" in text(response)
    assert not ContactRequest.objects.exists()


# --- my requests ------------------------------------------------------------------------------


def test_my_requests_groups_requests_by_state(client, teacher, pupil, head):
    draft = make_request(teacher, [pupil], submit=False)
    waiting = make_request(teacher, [pupil])
    approved = make_request(teacher, [pupil])
    services.request_decide(
        actor=head, contact_request=approved, decision="approve", expected_version=approved.version
    )

    response = _as(client, teacher).get(reverse("my_requests"))

    groups = {s["label"]: s["rows"] for s in response.context["sections"]}
    assert groups["Waiting on you"] == [draft]
    assert groups["Waiting for a decision"] == [waiting]
    assert groups["Approved"] == [approved]
    assert groups["Finished"] == []
    page = text(response)
    assert "Waiting on you (1)" in page
    assert "Waiting for a decision (1)" in page
    assert "Approved (1)" in page
    for item in (draft, waiting, approved):
        assert item.reference in page


def test_my_requests_come_a_page_at_a_time_sections_carrying_on(
    client, teacher, pupil, head, monkeypatch
):
    from contacts.planned import views as request_views

    monkeypatch.setattr(request_views, "PAGE_SIZE", 3)
    draft = make_request(teacher, [pupil], submit=False)
    finished = []
    for i in range(4):
        item = make_request(teacher, [pupil], starts_at=future(days=3 + i))
        finished.append(
            services.request_withdraw(
                actor=teacher,
                contact_request=item,
                reason="Not needed.",
                expected_version=item.version,
            )
        )
    _as(client, teacher)
    first = client.get(reverse("my_requests"))
    sections = {s["label"]: s for s in first.context["sections"]}
    # Page one: every section, empty or not, with its count over all pages.
    assert list(sections) == ["Waiting on you", "Waiting for a decision", "Approved", "Finished"]
    assert [r.pk for r in sections["Waiting on you"]["rows"]] == [draft.pk]
    assert sections["Finished"]["count"] == 4 and len(sections["Finished"]["rows"]) == 2
    assert "Page 1 of 2" in text(first) and "Finished (4)" in text(first)

    second = client.get(reverse("my_requests"), {"page": 2})
    (rest,) = second.context["sections"]
    assert (rest["label"], rest["continued"], len(rest["rows"])) == ("Finished", True, 2)
    shown = {r.pk for r in sections["Finished"]["rows"]} | {r.pk for r in rest["rows"]}
    assert shown == {item.pk for item in finished}
    assert "Finished (4) continued" in text(second)


def test_my_requests_lists_only_my_own(client, teacher, colleague, pupil):
    mine = make_request(teacher, [pupil])
    theirs = make_request(colleague, [pupil])
    page = text(_as(client, teacher).get(reverse("my_requests")))
    assert mine.reference in page
    assert theirs.reference not in page


def test_my_requests_is_empty_for_a_newcomer(client, teacher):
    page = text(_as(client, teacher).get(reverse("my_requests")))
    assert "My requests" in page
    assert "Nothing is waiting on you." in page


def _my_requests_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("my_requests"))
    assert response.status_code == 200
    return len(queries)


def test_my_requests_queries_do_not_grow_with_requests(client, teacher, pupil, head):
    second = PupilFactory(school=pupil.school)
    _as(client, teacher)

    def add(n):
        for i in range(n):
            item = make_request(teacher, [pupil, second], starts_at=future(days=3 + i))
            if i % 2:
                services.request_decide(
                    actor=head,
                    contact_request=item,
                    decision="approve",
                    expected_version=item.version,
                )

    add(2)
    few = _my_requests_queries(client)
    add(8)
    many = _my_requests_queries(client)
    assert ContactRequest.objects.count() == 10
    assert many == few


# --- changing a request -----------------------------------------------------------------------


def test_requester_opens_the_edit_page_of_a_draft(client, teacher, pupil):
    item = make_request(teacher, [pupil], submit=False)
    response = _as(client, teacher).get(reverse("request_edit", args=[item.pk]))
    page = text(response)
    assert f"Change {item.reference}" in page
    assert response.context["form"]["place"].value() == "Community centre"
    assert "Your answer, or what you changed" not in page


def test_changing_a_draft_saves_the_changes(client, teacher, pupil):
    item = make_request(teacher, [pupil], submit=False)
    data = _form_from(item, place="The library", action="draft")

    response = _as(client, teacher).post(reverse("request_edit", args=[item.pk]), data)

    assert response.status_code == 302
    item.refresh_from_db()
    assert item.place == "The library"
    assert item.status == Status.DRAFT
    history = text(client.get(reverse("request_detail", args=[item.pk])))
    assert "Changed: the place." in history


def test_a_submitted_request_cannot_be_changed(client, teacher, pupil):
    item = make_request(teacher, [pupil])
    version = item.version

    response = _as(client, teacher).get(reverse("request_edit", args=[item.pk]), follow=True)

    assert response.redirect_chain[-1][0] == reverse("request_detail", args=[item.pk])
    assert "This request can no longer be changed." in text(response)
    posted = client.post(
        reverse("request_edit", args=[item.pk]), _form_from(item, place="Elsewhere")
    )
    assert posted.status_code == 302
    item.refresh_from_db()
    assert (item.place, item.version, item.status) == ("Community centre", version, "submitted")


def test_colleague_cannot_even_see_the_edit_page(client, teacher, colleague, pupil):
    item = make_request(teacher, [pupil], submit=False)
    assert _as(client, colleague).get(reverse("request_edit", args=[item.pk])).status_code == 404


def test_colleague_cannot_see_a_submitted_request_to_edit_it(client, teacher, colleague, pupil):
    item = make_request(teacher, [pupil])
    response = _as(client, colleague).post(
        reverse("request_edit", args=[item.pk]), _form_from(item, place="Elsewhere")
    )
    assert response.status_code == 404
    item.refresh_from_db()
    assert item.place == "Community centre"


@pytest.mark.parametrize("persona", ["head", "deputy"])
def test_people_who_see_a_request_may_not_change_it(client, request, persona, teacher, pupil):
    item = make_request(teacher, [pupil])
    _ask(request.getfixturevalue("head"), item)
    item.refresh_from_db()
    sign_in(client, request.getfixturevalue(persona))

    assert client.get(reverse("request_edit", args=[item.pk])).status_code == 403
    posted = client.post(
        reverse("request_edit", args=[item.pk]), _form_from(item, place="Elsewhere", answer="x")
    )
    assert posted.status_code == 403
    item.refresh_from_db()
    assert (item.place, item.status) == ("Community centre", Status.MORE_INFORMATION)


def test_outsider_gets_404_on_the_edit_page(client, teacher, outsider, pupil):
    item = make_request(teacher, [pupil], submit=False)
    assert _as(client, outsider).get(reverse("request_edit", args=[item.pk])).status_code == 404


# --- more information -------------------------------------------------------------------------


def test_requester_reads_the_question_on_the_request_page(client, teacher, pupil, head):
    item = _ask(head, make_request(teacher, [pupil]))

    page = text(_as(client, teacher).get(reverse("request_detail", args=[item.pk])))

    assert "More information asked for" in page
    assert f"by {head.full_name}: Who else will be there?" in page
    assert "Answer and send again" in page


def test_edit_page_shows_the_answer_box_after_a_question(client, teacher, pupil, head):
    item = _ask(head, make_request(teacher, [pupil]))
    page = text(_as(client, teacher).get(reverse("request_edit", args=[item.pk])))
    # The question itself, beside the box that answers it.
    assert (
        f"{head.full_name} asked on {timezone.localdate():%-d %b %Y}: Who else will be there?"
        in page
    )
    assert "Your answer, or what you changed" in page
    # The answer comes first in the form, before the long list of the request's answers.
    assert page.index("Your answer, or what you changed") < page.index("Kind of contact")


def test_the_edit_page_shows_the_latest_question_only(client, teacher, pupil, head):
    item = _ask(head, make_request(teacher, [pupil]))
    services.request_note_add(actor=head, contact_request=item, text="A private aside.")
    page = text(_as(client, teacher).get(reverse("request_edit", args=[item.pk])))
    assert "Who else will be there?" in page
    assert "A private aside." not in page.split("Your answer")[0]


def test_sending_again_without_an_answer_is_refused(client, teacher, pupil, head):
    item = _ask(head, make_request(teacher, [pupil]))
    version = item.version

    response = _as(client, teacher).post(reverse("request_edit", args=[item.pk]), _form_from(item))

    assert response.status_code == 200
    assert field_error(response, "answer") == "This field is required."
    item.refresh_from_db()
    assert (item.status, item.version) == (Status.MORE_INFORMATION, version)
    assert not item.notes.filter(kind=NoteKind.ANSWER).exists()


def test_sending_again_with_a_blank_answer_is_refused(client, teacher, pupil, head):
    item = _ask(head, make_request(teacher, [pupil]))
    response = _as(client, teacher).post(
        reverse("request_edit", args=[item.pk]), _form_from(item, answer="   ")
    )
    assert response.status_code == 200
    assert field_error(response, "answer")
    item.refresh_from_db()
    assert item.status == Status.MORE_INFORMATION


def test_sending_again_with_an_answer_goes_back_to_the_head(client, teacher, pupil, head):
    item = _ask(head, make_request(teacher, [pupil]))
    head.notifications.all().delete()

    response = _as(client, teacher).post(
        reverse("request_edit", args=[item.pk]),
        _form_from(item, answer="Only the two of us, in a public room."),
        follow=True,
    )

    item.refresh_from_db()
    assert item.status == Status.SUBMITTED
    page = text(response)
    assert f"{item.reference} Waiting for a decision" in page
    assert "Answer · " in page
    assert "Only the two of us, in a public room." in page
    assert "Who else will be there?" in page
    note = item.notes.get(kind=NoteKind.ANSWER)
    assert (note.author, note.text) == (teacher, "Only the two of us, in a public room.")
    # The head is told it comes back answered, not as if it were new.
    assert head.notifications.filter(
        message=f"{item.reference} was answered and is waiting for your decision"
    )


def test_answer_with_changes_updates_the_request(client, teacher, pupil, head):
    item = _ask(head, make_request(teacher, [pupil]))
    _as(client, teacher).post(
        reverse("request_edit", args=[item.pk]),
        _form_from(item, place="School library", answer="Moved to the library."),
    )
    item.refresh_from_db()
    assert (item.status, item.place) == (Status.SUBMITTED, "School library")


def test_stale_edit_form_is_refused(client, teacher, pupil, head):
    item = make_request(teacher, [pupil], submit=False)
    old = _form_from(item, place="Stale place", action="draft")
    services.request_file(
        actor=teacher,
        contact_request=item,
        expected_version=item.version,
        submit=False,
        pupils=[pupil],
        place="Fresh place",
    )

    response = _as(client, teacher).post(reverse("request_edit", args=[item.pk]), old)

    assert response.status_code == 200
    assert "This request changed after you opened the page. Nothing you sent was applied" in (
        text(response)
    )
    item.refresh_from_db()
    assert item.place == "Fresh place"


# --- withdrawing ------------------------------------------------------------------------------


def test_requester_sees_withdraw_on_a_waiting_request(client, teacher, pupil):
    item = make_request(teacher, [pupil])
    page = text(_as(client, teacher).get(reverse("request_detail", args=[item.pk])))
    assert "Withdraw request" in page
    assert "Your decision" not in page
    assert "Refer to the chair" not in page


def test_requester_withdraws_a_request(client, teacher, pupil):
    item = make_request(teacher, [pupil])

    response = _as(client, teacher).post(
        reverse("request_withdraw", args=[item.pk]),
        {"version": item.version, "reason": "No longer needed."},
        follow=True,
    )

    item.refresh_from_db()
    assert item.status == Status.WITHDRAWN
    page = text(response)
    assert f"{item.reference} was withdrawn." in page
    assert "Withdraw request" not in page
    event = AuditEvent.objects.filter(action="request.withdraw").get()
    assert event.reason == "No longer needed."


def test_withdrawing_with_a_stale_page_changes_nothing(client, teacher, pupil, head):
    item = make_request(teacher, [pupil])
    old_version = item.version
    _ask(head, item)

    response = _as(client, teacher).post(
        reverse("request_withdraw", args=[item.pk]), {"version": old_version}, follow=True
    )

    page = text(response)
    assert "This request changed after you opened the page. Nothing you sent was applied" in page
    item.refresh_from_db()
    assert item.status == Status.MORE_INFORMATION
    assert not AuditEvent.objects.filter(action="request.withdraw").exists()


def test_withdrawing_twice_says_why_not(client, teacher, pupil):
    item = make_request(teacher, [pupil])
    _as(client, teacher).post(reverse("request_withdraw", args=[item.pk]))
    response = client.post(reverse("request_withdraw", args=[item.pk]), follow=True)
    assert "This request is “withdrawn”, so it cannot be withdrawn." in text(response)


def test_line_manager_neither_sees_nor_withdraws_a_waiting_request(
    client, teacher, line_manager, pupil
):
    # A line manager monitors approved contact; a request waiting for a decision is not theirs.
    item = make_request(teacher, [pupil])
    response = _as(client, line_manager).post(reverse("request_withdraw", args=[item.pk]))
    assert response.status_code == 404
    item.refresh_from_db()
    assert item.status == Status.SUBMITTED


def test_colleague_cannot_withdraw_a_request(client, teacher, colleague, pupil):
    item = make_request(teacher, [pupil])
    response = _as(client, colleague).post(reverse("request_withdraw", args=[item.pk]))
    assert response.status_code == 404
    item.refresh_from_db()
    assert item.status == Status.SUBMITTED


# --- outcome and cancellation -----------------------------------------------------------------


def _approved(teacher, head, pupil, **extra) -> ContactRequest:
    item = make_request(teacher, [pupil], **extra)
    return services.request_decide(
        actor=head, contact_request=item, decision="approve", expected_version=item.version
    )


def _in_the_past(item) -> ContactRequest:
    past = timezone.now() - dt.timedelta(days=2)
    ContactRequest.objects.filter(pk=item.pk).update(starts_at=past)
    item.refresh_from_db()
    return item


def test_outcome_cannot_be_recorded_before_the_contact(client, teacher, head, pupil):
    item = _approved(teacher, head, pupil)
    page = text(_as(client, teacher).get(reverse("request_detail", args=[item.pk])))
    assert "Record the outcome" not in page

    response = client.post(
        reverse("request_complete", args=[item.pk]),
        {"version": item.version, "outcome": "Too early."},
        follow=True,
    )

    assert "The outcome can be recorded once the contact has taken place." in text(response)
    item.refresh_from_db()
    assert (item.status, item.outcome) == (Status.APPROVED, "")


def test_requester_records_the_outcome_after_the_contact(client, teacher, head, pupil):
    item = _in_the_past(_approved(teacher, head, pupil))
    page = text(_as(client, teacher).get(reverse("request_detail", args=[item.pk])))
    assert "Record the outcome" in page
    assert "Outcome overdue" in page

    response = client.post(
        reverse("request_complete", args=[item.pk]),
        {"version": item.version, "outcome": "Went well; parents present.", "concerns": ""},
        follow=True,
    )

    item.refresh_from_db()
    assert item.status == Status.COMPLETED
    assert item.outcome == "Went well; parents present."
    assert item.completed_at is not None
    page = text(response)
    assert "The outcome was recorded." in page
    assert "Completed" in page
    assert "Went well; parents present." in page
    assert "Record the outcome" not in page


def test_a_concern_with_the_outcome_tells_the_head(client, teacher, head, pupil):
    item = _in_the_past(_approved(teacher, head, pupil))
    head.notifications.all().delete()

    _as(client, teacher).post(
        reverse("request_complete", args=[item.pk]),
        {"version": item.version, "outcome": "Met.", "concerns": "Pupil asked for my number."},
    )

    item.refresh_from_db()
    assert item.outcome_concerns == "Pupil asked for my number."
    notice = head.notifications.get()
    assert notice.message == f"{item.reference}: a concern was recorded with the outcome"
    assert "number" not in notice.message


def test_outcome_without_words_is_refused(client, teacher, head, pupil):
    item = _in_the_past(_approved(teacher, head, pupil))
    response = _as(client, teacher).post(
        reverse("request_complete", args=[item.pk]), {"version": item.version}, follow=True
    )
    assert "Say what happened." in text(response)
    item.refresh_from_db()
    assert item.status == Status.APPROVED


def test_only_the_requester_records_the_outcome(client, teacher, head, line_manager, pupil):
    item = _in_the_past(_approved(teacher, head, pupil))
    for person in (head, line_manager):
        response = _as(client, person).post(
            reverse("request_complete", args=[item.pk]),
            {"version": item.version, "outcome": "Not mine to say."},
        )
        assert response.status_code == 403
    item.refresh_from_db()
    assert (item.status, item.outcome) == (Status.APPROVED, "")


def test_requester_cancels_approved_contact(client, teacher, head, pupil):
    item = _approved(teacher, head, pupil)
    page = text(_as(client, teacher).get(reverse("request_detail", args=[item.pk])))
    assert "Cancel the contact" in page

    response = client.post(
        reverse("request_cancel", args=[item.pk]),
        {"version": item.version, "reason": "The pupil moved school."},
        follow=True,
    )

    item.refresh_from_db()
    assert item.status == Status.CANCELLED
    assert f"{item.reference} was cancelled." in text(response)


def test_cancelling_needs_a_reason(client, teacher, head, pupil):
    item = _approved(teacher, head, pupil)
    response = _as(client, teacher).post(
        reverse("request_cancel", args=[item.pk]), {"version": item.version}, follow=True
    )
    assert "Say why the contact is cancelled." in text(response)
    item.refresh_from_db()
    assert item.status == Status.APPROVED


def test_requester_adds_a_note(client, teacher, pupil):
    item = make_request(teacher, [pupil])
    response = _as(client, teacher).post(
        reverse("request_note", args=[item.pk]), {"text": "Parents confirmed."}, follow=True
    )
    page = text(response)
    assert "The note was added." in page
    assert f"Note · {teacher.full_name}" in page
    assert "Parents confirmed." in page
    assert item.notes.get().kind == NoteKind.NOTE


def test_an_empty_note_is_refused(client, teacher, pupil):
    item = make_request(teacher, [pupil])
    response = _as(client, teacher).post(
        reverse("request_note", args=[item.pk]), {"text": "  "}, follow=True
    )
    assert "Write the note." in text(response)
    assert not item.notes.exists()


# --- hand-made posts ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "field", "who", "approved"),
    [
        ("request_withdraw", "reason", "teacher", False),
        ("request_note", "text", "teacher", False),
        ("request_cancel", "reason", "teacher", True),
        ("request_review", "note", "line_manager", True),
    ],
)
def test_a_nul_character_in_a_buttons_text_is_refused_and_changes_nothing(
    request, client, teacher, pupil, head, action, field, who, approved
):
    # These read their text straight from the POST: PostgreSQL cannot store a NUL, so it was a
    # server error there (and was stored as sent on SQLite).
    item = make_request(teacher, [pupil])
    if approved:
        item = services.request_decide(
            actor=head, contact_request=item, decision="approve", expected_version=item.version
        )
    before = _counts()
    response = _as(client, request.getfixturevalue(who)).post(
        reverse(action, args=[item.pk]),
        {field: "Parents\x00 agreed", "version": item.version},
        follow=True,
    )
    assert "Null characters are not allowed." in text(response)
    assert _counts() == before
    item.refresh_from_db()
    assert (item.status, item.reviewed_at) == (
        Status.APPROVED if approved else Status.SUBMITTED,
        None,
    )


def test_a_pupil_id_too_big_for_any_database_is_an_invalid_choice(client, teacher, pupil):
    # SQLite cannot even look up an id past 64 bits: the form once let it reach the query.
    before = _counts()
    response = _as(client, teacher).post(
        reverse("request_new"), _answers([pupil], pupils=["99999999999999999999"])
    )
    assert response.status_code == 200
    assert "is not a valid value" in field_error(response, "pupils")
    assert _counts() == before


# --- starting page ----------------------------------------------------------------------------


def test_teacher_lands_on_my_requests(client, teacher):
    response = _as(client, teacher).get(reverse("home"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("my_requests")
    assert "My requests" in text(response)


# --- a declared relative (issue 15, finding 6) -------------------------------------------------


def test_a_request_treats_a_declared_relative_as_any_pupil_until_acknowledged(
    client, head, teacher, pupil
):
    relative = StaffRelativeFactory(staff=teacher, pupil=pupil, declared_by=teacher)
    family = _answers([pupil], purpose="personal", exemption="own_family")

    response = _as(client, teacher).post(reverse("request_new"), family)

    assert "awaiting the headteacher's acknowledgement" in field_error(response, "exemption")
    assert not ContactRequest.objects.exists()

    relative_acknowledge(actor=head, relative=relative)
    response = _as(client, teacher).post(reverse("request_new"), family)

    # Now the family rules apply: allowed, to be recorded, so nothing is sent for a decision.
    assert "This contact does not need approval: it is allowed, and must be recorded" in text(
        response
    )
    assert field_error(response, "exemption") == ""


# --- what the daily pages cost (docs/performance.md, "Benchmark": at most 10 queries) ---------


def _busy_queries(client, url, *, pupil, teacher, colleague, head, dsl) -> tuple[int, int]:
    """Queries of the page with two rounds of busy rows, and again with a third."""
    for round_ in (0, 1):
        add_busy_rows(
            pupil=pupil, requesters=[teacher, colleague], head=head, dsl=dsl, round_=round_
        )
    client.get(url)
    few = len(page_queries(client, url))
    add_busy_rows(pupil=pupil, requesters=[teacher, colleague], head=head, dsl=dsl, round_=2)
    return few, len(page_queries(client, url))


@pytest.mark.parametrize(
    ("persona", "url_name"),
    [
        ("head", "decision_queue"),
        ("chair", "decision_queue"),
        ("teacher", "my_requests"),
        ("line_manager", "monitoring_queue"),
        ("head", "request_new"),
    ],
)
def test_a_list_costs_at_most_ten_queries_however_long(
    persona, url_name, request, client, pupil, teacher, colleague, head, chair, dsl
):
    sign_in(client, request.getfixturevalue(persona))
    few, many = _busy_queries(
        client,
        reverse(url_name),
        pupil=pupil,
        teacher=teacher,
        colleague=colleague,
        head=head,
        dsl=dsl,
    )
    assert many == few
    assert many <= 10


def test_a_requests_page_costs_at_most_ten_queries(
    client, pupil, teacher, colleague, head, chair, dsl
):
    item = make_request(teacher, [pupil, PupilFactory(school=pupil.school)])
    for text_ in ("Which room?", "And who else?"):
        services.request_note_add(actor=head, contact_request=item, text=text_)
    sign_in(client, head)
    url = reverse("request_detail", args=[item.pk])
    few, many = _busy_queries(
        client, url, pupil=pupil, teacher=teacher, colleague=colleague, head=head, dsl=dsl
    )
    services.request_note_add(actor=head, contact_request=item, text="One more.")
    assert many == few == len(page_queries(client, url))
    assert many <= 10


def test_the_same_new_request_sent_twice_is_refused_naming_the_first(client, teacher, pupil):
    _as(client, teacher)
    form = client.get(reverse("request_new"))
    key = re.search(r'name="submission_key" value="([^"]+)"', form.text).group(1)
    answers = _answers([pupil], submission_key=key)
    assert client.post(reverse("request_new"), answers).status_code == 302
    made = ContactRequest.objects.get()
    # The browser's Back, then "Send for a decision" again: the same form, the same key.
    again = client.post(reverse("request_new"), answers)
    assert again.status_code == 200
    assert f"This form was already sent: it made {made.reference}" in text(again)
    assert ContactRequest.objects.count() == 1
    # A fresh form is a new request.
    fresh = re.search(
        r'name="submission_key" value="([^"]+)"', client.get(reverse("request_new")).text
    ).group(1)
    assert fresh != key
    assert (
        client.post(reverse("request_new"), answers | {"submission_key": fresh}).status_code == 302
    )
    assert ContactRequest.objects.count() == 2
