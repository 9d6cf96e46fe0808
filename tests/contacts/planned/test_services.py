"""contacts.planned.services: every transition of a planned-contact request, who may make it,
what it refuses, what it writes (row, notes, audit events, notifications, email) and what it
leaves alone."""

import datetime as dt
import io
from contextlib import contextmanager
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from contacts.notifications.models import Notification
from contacts.people.models import StaffRole
from contacts.planned import services, workflow
from contacts.planned.assessments import stored_assessment
from contacts.planned.models import (
    ContactRequest,
    HeadAbsence,
    NoteKind,
    RequestNote,
    Route,
    Status,
)
from contacts.planned.services import AlreadyDecided, StaleRequest
from policies.engine import ContactFacts, EngineSettings, assess
from safeguard.audit.chain import audit_verify
from safeguard.audit.models import AuditEvent
from safeguard.core.roles import Role
from tests.factories import PupilFactory
from tests.factories_requests import WORK_MEETING, future, make_request
from tests.helpers import allow_audit_tampering

REASONS = "Zanzibar mentoring plan agreed at the Tuesday review."

# --- helpers ------------------------------------------------------------------------------------


def _events(req, action=None):
    rows = AuditEvent.objects.filter(object_type="contacts.contactrequest", object_id=str(req.pk))
    if action:
        rows = rows.filter(action=f"request.{action}")
    return list(rows.order_by("id"))


def _only_event(req, action):
    (event,) = _events(req, action)
    return event


def _assert_event(event, *, actor, actor_role, from_state="", to_state="", reason=""):
    assert (event.actor, event.actor_role) == (actor, actor_role)
    assert (event.from_state, event.to_state) == (from_state, to_state)
    assert event.reason == reason
    assert event.object_ref == f"REQ-{int(event.object_id):06d}"


def _state(req):
    return {
        "row": ContactRequest.objects.filter(pk=req.pk).values().get(),
        "pupils": sorted(ContactRequest.objects.get(pk=req.pk).pupils.values_list("pk", flat=True)),
        "notes": list(RequestNote.objects.filter(request_id=req.pk).values_list("kind", "text")),
        "events": AuditEvent.objects.count(),
        "notifications": Notification.objects.count(),
    }


@contextmanager
def _unchanged(req):
    """Nothing about the request, its notes, the audit trail or the notifications changes."""
    before = _state(req)
    yield
    assert _state(req) == before


def _refused(req, call, exc=PermissionDenied):
    with _unchanged(req), pytest.raises(exc) as caught:
        call()
    return caught.value


def _invalid(req, call, field=None):
    """A ValidationError (on `field` if given) with a readable message; nothing changes."""
    error = _refused(req, call, ValidationError)
    if field:
        assert field in error.message_dict, error.message_dict
        text = " ".join(error.message_dict[field])
    else:
        text = " ".join(error.messages)
    assert len(text) >= 10 and text[0].isupper() and text.endswith("."), text
    return text


def _reload(req):
    return ContactRequest.objects.get(pk=req.pk)


def _recipients(message_start):
    return {n.recipient for n in Notification.objects.filter(message__startswith=message_start)}


def _decide(actor, req, decision="approve", **extra):
    return services.request_decide(
        actor=actor, contact_request=req, decision=decision, expected_version=req.version, **extra
    )


def _to_the_past(req, **delta):
    """The contact time has passed (moved in the database, as if the days went by)."""
    ContactRequest.objects.filter(pk=req.pk).update(
        starts_at=timezone.now() - dt.timedelta(**(delta or {"hours": 2}))
    )
    return _reload(req)


def _absent_today(head):
    today = timezone.localdate()
    return services.absence_record(actor=head, school=head.school, starts_on=today, ends_on=today)


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture
def draft(teacher, pupil):
    return make_request(teacher, [pupil], submit=False, reasons=REASONS)


@pytest.fixture
def submitted(teacher, pupil, head):
    return make_request(teacher, [pupil], reasons=REASONS)


@pytest.fixture
def approved(submitted, head):
    return _decide(head, submitted, conditions="Another adult present.")


@pytest.fixture
def asked(submitted, head):
    return _decide(head, submitted, "ask", reason="Who else will be there?")


@pytest.fixture
def former_pupil(school):
    today = timezone.localdate()
    return PupilFactory(
        school=school,
        first_name="Finn",
        last_name="Former",
        date_of_birth=today - dt.timedelta(days=20 * 365),
        admission_date=today - dt.timedelta(days=9 * 365),
        leaving_date=today - dt.timedelta(days=365),
    )


# --- saving a draft -----------------------------------------------------------------------------


def test_save_draft_creates_a_draft_with_the_answers(teacher, pupil, head):
    starts = future(10)
    req = services.request_save_draft(
        actor=teacher, pupils=[pupil], **(WORK_MEETING | {"starts_at": starts, "reasons": REASONS})
    )
    saved = _reload(req)
    assert saved.status == Status.DRAFT
    assert (saved.school, saved.requester) == (teacher.school, teacher)
    assert list(saved.pupils.all()) == [pupil]
    assert (saved.kind, saved.purpose, saved.starts_at, saved.reasons) == (
        "meeting",
        "work",
        starts,
        REASONS,
    )
    assert (saved.route, saved.verdict, saved.version) == (Route.HEADTEACHER, "needs_approval", 1)
    assert saved.submitted_at is None
    _assert_event(_only_event(saved, "create"), actor=teacher, actor_role="staff", to_state="draft")
    assert Notification.objects.count() == 0


def test_edit_draft_changes_its_answers_and_bumps_the_version(draft, teacher, pupil):
    edited = services.request_save_draft(
        actor=teacher,
        pupils=[pupil],
        contact_request=draft,
        expected_version=draft.version,
        place="School library",
    )
    saved = _reload(edited)
    assert (saved.place, saved.reasons, saved.version) == ("School library", REASONS, 2)
    assert saved.status == Status.DRAFT
    _assert_event(
        _only_event(saved, "edit"),
        actor=teacher,
        actor_role="staff",
        from_state="draft",
        to_state="draft",
        reason="Changed: the place.",
    )


def test_an_edit_names_what_it_changed_in_the_history(draft, teacher, pupil, school):
    other = PupilFactory(school=school)
    later = draft.starts_at + dt.timedelta(days=1)
    edited = services.request_save_draft(actor=teacher, pupils=[pupil, other],
        contact_request=draft, expected_version=draft.version, starts_at=later,
        reasons=draft.reasons)  # fmt: skip
    assert _only_event(edited, "edit").reason == "Changed: the pupils, the date and time."
    again = services.request_save_draft(actor=teacher, pupils=[other, pupil],
        contact_request=edited, expected_version=edited.version)  # fmt: skip
    assert _events(again, "edit")[-1].reason == "Saved with no change."


@pytest.mark.parametrize("who", ["colleague", "line_manager", "head"])
def test_edit_by_anyone_but_the_requester_is_refused(who, draft, pupil, request):
    actor = request.getfixturevalue(who)
    _refused(
        draft,
        lambda: services.request_save_draft(
            actor=actor,
            pupils=[pupil],
            contact_request=draft,
            expected_version=1,
            place="Elsewhere",
        ),
    )


@pytest.mark.parametrize("state", ["submitted", "approved"])
def test_edit_once_sent_and_not_sent_back_is_refused(state, teacher, pupil, request):
    req = request.getfixturevalue(state)
    text = _invalid(
        req,
        lambda: services.request_save_draft(
            actor=teacher,
            pupils=[pupil],
            contact_request=req,
            expected_version=req.version,
            place="Elsewhere",
        ),
    )
    assert "Only a draft" in text


def test_draft_for_a_pupil_of_another_school_is_refused(teacher, other_pupil):
    with pytest.raises(ValidationError) as caught:
        make_request(teacher, [other_pupil], submit=False)
    assert "own school" in caught.value.message_dict["pupils"][0]
    assert ContactRequest.objects.count() == 0
    assert AuditEvent.objects.count() == 0


@pytest.mark.parametrize("reasons", ["", "   \n "])
def test_draft_without_reasons_is_refused(reasons, teacher, pupil):
    with pytest.raises(ValidationError) as caught:
        make_request(teacher, [pupil], submit=False, reasons=reasons)
    assert "reasons" in caught.value.message_dict["reasons"][0]
    assert ContactRequest.objects.count() == 0


def test_draft_without_pupils_is_refused(teacher):
    with pytest.raises(ValidationError) as caught:
        make_request(teacher, [], submit=False)
    assert "pupils" in caught.value.message_dict
    assert ContactRequest.objects.count() == 0


# --- submitting ---------------------------------------------------------------------------------


def test_submit_sends_a_draft_to_the_headteacher(draft, teacher, head):
    before = timezone.now()
    req = services.request_submit(
        actor=teacher, contact_request=draft, expected_version=draft.version
    )
    saved = _reload(req)
    assert saved.status == Status.SUBMITTED
    assert saved.route == Route.HEADTEACHER
    assert saved.submitted_at >= before
    assert (saved.version, saved.reminded_at) == (2, None)
    _assert_event(
        _only_event(saved, "submit"),
        actor=teacher,
        actor_role="staff",
        from_state="draft",
        to_state="submitted",
    )
    assert list(workflow.deciders(saved)) == [head]


def test_file_with_submit_saves_and_submits_in_one_step(teacher, pupil, head):
    req = make_request(teacher, [pupil])
    assert _reload(req).status == Status.SUBMITTED
    assert [e.action for e in _events(req)] == ["request.create", "request.submit"]


@pytest.mark.parametrize("who", ["colleague", "line_manager", "head"])
def test_submit_by_anyone_but_the_requester_is_refused(who, draft, request):
    actor = request.getfixturevalue(who)
    _refused(
        draft,
        lambda: services.request_submit(actor=actor, contact_request=draft, expected_version=1),
    )


@pytest.mark.parametrize("state", ["submitted", "approved"])
def test_submit_in_the_wrong_state_is_refused(state, teacher, request):
    req = request.getfixturevalue(state)
    text = _invalid(
        req,
        lambda: services.request_submit(
            actor=teacher, contact_request=req, expected_version=req.version
        ),
    )
    assert "cannot be submitted" in text


def test_prohibited_contact_filed_for_submission_saves_nothing(teacher, pupil, head):
    with pytest.raises(ValidationError) as caught:
        make_request(teacher, [pupil], kind="social_media", purpose="personal")
    assert "do not allow this contact" in caught.value.messages[0]
    assert ContactRequest.objects.count() == 0
    assert AuditEvent.objects.count() == 0
    assert Notification.objects.count() == 0


def test_prohibited_draft_cannot_be_submitted(teacher, pupil, head):
    req = make_request(teacher, [pupil], submit=False, kind="social_media", purpose="personal")
    assert req.verdict == "prohibited"
    text = _invalid(
        req, lambda: services.request_submit(actor=teacher, contact_request=req, expected_version=1)
    )
    assert "do not allow this contact" in text
    assert _reload(req).status == Status.DRAFT


def test_contact_needing_no_approval_is_not_submitted(teacher, pupil, head):
    with pytest.raises(ValidationError) as caught:
        make_request(teacher, [pupil], kind="email", purpose="work", school_channel=True)
    assert "does not need approval" in caught.value.messages[0]
    assert "Nothing was submitted" in caught.value.messages[0]
    assert ContactRequest.objects.count() == 0


def test_contact_in_the_past_is_refused_on_starts_at(teacher, pupil, head):
    past = timezone.now() - dt.timedelta(hours=1)
    with pytest.raises(ValidationError) as caught:
        make_request(teacher, [pupil], starts_at=past)
    assert "future" in caught.value.message_dict["starts_at"][0]
    assert ContactRequest.objects.count() == 0


def test_draft_whose_time_has_passed_cannot_be_submitted(draft, teacher):
    req = _to_the_past(draft)
    _invalid(
        req,
        lambda: services.request_submit(actor=teacher, contact_request=req, expected_version=1),
        "starts_at",
    )


def test_former_pupil_needs_a_plan_of_involvement(teacher, former_pupil, head):
    with pytest.raises(ValidationError) as caught:
        make_request(teacher, [former_pupil])
    errors = caught.value.message_dict
    assert {"plan_outcomes", "plan_timescales", "plan_support", "plan_review_date"} <= set(errors)
    assert "former pupil" in errors["plan_outcomes"][0]
    assert ContactRequest.objects.count() == 0


def test_former_pupil_plan_review_before_the_contact_is_refused(teacher, former_pupil, head):
    with pytest.raises(ValidationError) as caught:
        make_request(
            teacher,
            [former_pupil],
            plan_outcomes="Confidence in interviews",
            plan_timescales="One term",
            plan_support="Supervision with the line manager",
            plan_review_date=timezone.localdate(),
        )
    assert set(caught.value.message_dict) == {"plan_review_date"}


def test_former_pupil_with_a_plan_is_submitted(teacher, former_pupil, head):
    review = timezone.localdate() + dt.timedelta(days=60)
    req = make_request(
        teacher,
        [former_pupil],
        plan_outcomes="Confidence in interviews",
        plan_timescales="One term",
        plan_support="Supervision with the line manager",
        plan_review_date=review,
    )
    saved = _reload(req)
    assert saved.status == Status.SUBMITTED
    assert saved.needs_plan
    assert (saved.plan_outcomes, saved.plan_review_date) == ("Confidence in interviews", review)


def test_stored_snapshot_is_the_engines_assessment(teacher, pupil, school, head):
    req = make_request(teacher, [pupil], vulnerable_context=True)
    on = timezone.localtime(req.starts_at).date()
    expected = assess(
        ContactFacts(
            kind="meeting",
            purpose="work",
            pupil_status="current",
            pupil_age=pupil.age_on(on),
            vulnerable=True,
            planned=True,
        ),
        EngineSettings(
            child_age=school.child_age,
            window_years=float(school.restricted_window_years),
            exemption_needs_approval=school.exemption_needs_approval,
        ),
    )
    saved = _reload(req)
    assert saved.verdict == expected.verdict == "needs_approval"
    assert saved.actions == sorted(expected.actions)
    assert [
        {k: f[k] for k in ("clause", "verdict", "source", "section", "text")}
        for f in saved.findings
    ] == [
        {
            "clause": f.clause,
            "verdict": f.verdict,
            "source": f.source,
            "section": f.section,
            "text": f.text,
        }
        for f in expected.findings
    ]
    assert [f["actions"] for f in saved.findings] == [sorted(f.actions) for f in expected.findings]


def test_stored_assessment_round_trips(teacher, pupil, head):
    saved = _reload(make_request(teacher, [pupil]))
    assert stored_assessment(saved) == services.request_assess(saved)
    assert stored_assessment(saved).approver == "headteacher"


def test_stored_assessment_of_an_unassessed_request_is_none():
    assert stored_assessment(ContactRequest()) is None


# --- deciding -----------------------------------------------------------------------------------


def test_head_approves_with_conditions(submitted, head, teacher, line_manager):
    req = _decide(head, submitted, conditions="  Another adult present.  ")
    saved = _reload(req)
    assert saved.status == Status.APPROVED
    assert (saved.decided_by, saved.decided_as) == (head, "headteacher")
    assert saved.decided_at is not None
    assert saved.conditions == "Another adult present."
    assert saved.version == submitted.version + 1
    _assert_event(
        _only_event(saved, "approve"),
        actor=head,
        actor_role="headteacher",
        from_state="submitted",
        to_state="approved",
        reason="Another adult present.",
    )
    assert _recipients(f"{saved.reference} was approved") == {teacher, line_manager}


@pytest.mark.parametrize("reason", ["", "   "])
def test_reject_without_a_reason_is_refused(reason, submitted, head):
    text = _invalid(submitted, lambda: _decide(head, submitted, "reject", reason=reason), "reason")
    assert "reason" in text


def test_head_rejects_with_a_reason(submitted, head, teacher):
    req = _decide(head, submitted, "reject", reason="Meet in school instead.")
    saved = _reload(req)
    assert saved.status == Status.REJECTED
    assert (saved.decided_by, saved.decision_reason, saved.conditions) == (
        head,
        "Meet in school instead.",
        "",
    )
    _assert_event(
        _only_event(saved, "reject"),
        actor=head,
        actor_role="headteacher",
        from_state="submitted",
        to_state="rejected",
        reason="Meet in school instead.",
    )
    assert _recipients(saved.reference) == {head, teacher}  # head: the submission notice
    assert _recipients(f"{saved.reference} was rejected") == {teacher}


def test_ask_without_a_question_is_refused(submitted, head):
    _invalid(submitted, lambda: _decide(head, submitted, "ask"), "reason")


def test_unknown_decision_is_refused(submitted, head):
    _invalid(submitted, lambda: _decide(head, submitted, "postpone"), "decision")


def test_head_asks_for_more_information(submitted, head, teacher):
    req = _decide(head, submitted, "ask", reason="Who else will be there?")
    saved = _reload(req)
    assert saved.status == Status.MORE_INFORMATION
    assert (saved.decided_by, saved.decided_at) == (None, None)
    (note,) = saved.notes.all()
    assert (note.kind, note.author, note.text) == (
        NoteKind.QUESTION,
        head,
        "Who else will be there?",
    )
    _assert_event(
        _only_event(saved, "ask"),
        actor=head,
        actor_role="headteacher",
        from_state="submitted",
        to_state="more_information",
        reason="Who else will be there?",
    )
    assert _recipients(f"{saved.reference} was sent back") == {teacher}


def test_requester_edits_and_resubmits_with_an_answer(asked, teacher, pupil, head):
    edited = services.request_save_draft(
        actor=teacher,
        pupils=[pupil],
        contact_request=asked,
        expected_version=asked.version,
        place="School hall",
    )
    assert _reload(edited).status == Status.MORE_INFORMATION
    req = services.request_submit(
        actor=teacher, contact_request=edited, expected_version=edited.version, answer=" Only me. "
    )
    saved = _reload(req)
    assert (saved.status, saved.place) == (Status.SUBMITTED, "School hall")
    assert [(n.kind, n.author, n.text) for n in saved.notes.all()] == [
        (NoteKind.QUESTION, head, "Who else will be there?"),
        (NoteKind.ANSWER, teacher, "Only me."),
    ]
    _assert_event(
        _events(saved, "submit")[-1],
        actor=teacher,
        actor_role="staff",
        from_state="more_information",
        to_state="submitted",
        reason="Only me.",
    )
    assert len(_events(saved, "edit")) == 1


@pytest.mark.parametrize("answer", ["", "  "])
def test_resubmission_without_an_answer_is_refused(answer, asked, teacher):
    _invalid(
        asked,
        lambda: services.request_submit(
            actor=teacher, contact_request=asked, expected_version=asked.version, answer=answer
        ),
        "answer",
    )


@pytest.mark.parametrize("state", ["draft", "approved", "asked"])
def test_decision_in_the_wrong_state_is_refused(state, head, request):
    req = request.getfixturevalue(state)
    text = _invalid(req, lambda: _decide(head, req, "reject", reason="No."))
    assert "cannot be rejected" in text or "already" in text


def test_decision_on_a_withdrawn_request_is_refused(submitted, teacher, head):
    req = services.request_withdraw(actor=teacher, contact_request=submitted, expected_version=2)
    text = _invalid(req, lambda: _decide(head, req))
    assert text.startswith("This request is “withdrawn”, so it cannot be approved")


@pytest.mark.parametrize(
    "who",
    ["teacher", "colleague", "line_manager", "deputy", "assistant", "dsl", "chair", "governor"]
    + ["admin", "outsider"],
)
@pytest.mark.parametrize("decision", ["approve", "reject", "ask"])
def test_decision_by_anyone_but_the_head_is_refused(who, decision, submitted, request):
    actor = request.getfixturevalue(who)
    _refused(submitted, lambda: _decide(actor, submitted, decision, reason="Because."))


# --- routing: head, deputy, chair ---------------------------------------------------------------


def test_teachers_request_is_routed_to_the_head(submitted, head, deputy, chair):
    assert submitted.route == Route.HEADTEACHER
    assert list(workflow.deciders(submitted)) == [head]
    assert workflow.decider_role(head, submitted) == "headteacher"
    assert workflow.decider_role(deputy, submitted) is None
    assert workflow.decider_role(chair, submitted) is None


def test_head_records_an_absence(head, school):
    today = timezone.localdate()
    absence = services.absence_record(
        actor=head, school=school, starts_on=today, ends_on=today + dt.timedelta(days=2)
    )
    assert HeadAbsence.objects.get() == absence
    event = AuditEvent.objects.get(action="absence.record")
    assert (event.actor, event.actor_role, event.object_ref) == (
        head,
        "headteacher",
        f"ABSENCE-{absence.pk}",
    )
    assert workflow.head_absent(school)


def test_the_chair_records_the_heads_absence_and_the_head_is_told(chair, head, school):
    today = timezone.localdate()
    services.absence_record(actor=chair, school=school, starts_on=today, ends_on=today)
    assert HeadAbsence.objects.get().created_by == chair
    assert Notification.objects.filter(recipient=head, message__startswith="Your absence").exists()


def test_the_administrator_cannot_record_the_heads_absence_behind_their_back(admin, school):
    """Issue 15, finding 3: an absence the head was never told of handed the head's decisions
    and confidential concerns to the deputy."""
    today = timezone.localdate()
    with pytest.raises(PermissionDenied):
        services.absence_record(actor=admin, school=school, starts_on=today, ends_on=today)
    assert not HeadAbsence.objects.exists()
    assert not workflow.head_absent(school)


@pytest.mark.parametrize("who", ["teacher", "deputy", "admin", "outsider"])
def test_absence_by_anyone_else_is_refused(who, school, request):
    actor = request.getfixturevalue(who)
    today = timezone.localdate()
    with pytest.raises(PermissionDenied):
        services.absence_record(actor=actor, school=school, starts_on=today, ends_on=today)
    assert HeadAbsence.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_absence_ending_before_it_starts_is_refused(head, school):
    today = timezone.localdate()
    with pytest.raises(ValidationError) as caught:
        services.absence_record(
            actor=head, school=school, starts_on=today, ends_on=today - dt.timedelta(days=1)
        )
    assert "ends_on" in caught.value.message_dict
    assert HeadAbsence.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_deputy_is_a_decider_only_while_the_head_is_absent(submitted, head, deputy):
    assert workflow.decider_role(deputy, submitted) is None
    _absent_today(head)
    assert "acting for the absent headteacher" in workflow.decider_role(deputy, submitted)
    assert set(workflow.deciders(submitted)) == {head, deputy}


def test_deputy_decides_while_the_head_is_absent(submitted, head, deputy, teacher):
    _absent_today(head)
    saved = _reload(_decide(deputy, submitted))
    assert saved.status == Status.APPROVED
    assert saved.decided_by == deputy
    assert "acting for the absent headteacher" in saved.decided_as
    event = _only_event(saved, "approve")
    assert (event.actor, event.actor_role) == (deputy, "deputy_head")


def test_every_decider_capacity_fits_the_decided_as_column():
    limit = ContactRequest._meta.get_field("decided_as").max_length
    for route in Route.values:
        for kind in ("meeting", "photography"):
            for restricted in (False, True):
                for absent in (False, True):
                    acting = workflow.acting_roles(
                        route=route, kind=kind, restricted=restricted, absent=absent
                    )
                    assert all(len(words) <= limit for words in acting.values()), acting


def test_an_assistant_head_authorises_a_photograph(teacher, pupil, head, assistant):
    # 003 §5: the head or a member of the senior leadership team authorises it in advance.
    photo = make_request(teacher, [pupil], kind="photography")
    assert _recipients(f"{photo.reference} is waiting") >= {head, assistant}
    saved = _reload(_decide(assistant, photo))
    assert (saved.status, saved.decided_by) == (Status.APPROVED, assistant)
    assert saved.decided_as == "assistant headteacher, for the senior leadership team"
    event = _only_event(saved, "approve")
    assert (event.actor, event.actor_role) == (assistant, "assistant_head")


def test_an_assistant_head_decides_nothing_else_while_the_head_is_present(submitted, assistant):
    assert workflow.decider_role(assistant, submitted) is None
    _refused(submitted, lambda: _decide(assistant, submitted))


def test_the_acting_deputy_cannot_decide_a_restricted_entry(
    teacher, pupil, head, deputy, assistant
):
    _absent_today(head)
    entry = make_request(teacher, [pupil], with_family_only=True)
    assert set(workflow.deciders(entry)) == {head, assistant}
    _refused(entry, lambda: _decide(deputy, entry))
    saved = _reload(_decide(assistant, entry))
    assert saved.decided_as == "assistant headteacher, acting for the absent headteacher"


def test_submission_during_an_absence_notifies_head_and_deputy(teacher, pupil, head, deputy):
    _absent_today(head)
    req = make_request(teacher, [pupil])
    assert _recipients(f"{req.reference} is waiting") == {head, deputy}


def test_heads_own_request_goes_to_the_chair(head, pupil, chair, deputy):
    req = make_request(head, [pupil])
    assert req.route == Route.CHAIR_OF_GOVERNORS
    assert list(workflow.deciders(req)) == [chair]
    assert _recipients(f"{req.reference} is waiting") == {chair}
    _refused(req, lambda: _decide(head, req))
    _refused(req, lambda: _decide(deputy, req))
    saved = _reload(_decide(chair, req))
    assert (saved.status, saved.decided_by, saved.decided_as) == (
        Status.APPROVED,
        chair,
        "chair of governors",
    )
    assert _only_event(saved, "approve").actor_role == "chair_of_governors"


def test_heads_own_request_still_goes_to_the_chair_during_an_absence(head, pupil, deputy, chair):
    _absent_today(head)
    req = make_request(head, [pupil])
    assert list(workflow.deciders(req)) == [chair]
    _refused(req, lambda: _decide(deputy, req))


def test_head_refers_a_request_to_the_chair(submitted, head, chair):
    req = services.request_refer(
        actor=head,
        contact_request=submitted,
        expected_version=submitted.version,
        reason=" Conflict. ",
    )
    saved = _reload(req)
    assert (saved.route, saved.referred_to_chair, saved.status) == (
        Route.CHAIR_OF_GOVERNORS,
        True,
        Status.SUBMITTED,
    )
    assert saved.version == submitted.version + 1
    _assert_event(
        _only_event(saved, "refer"),
        actor=head,
        actor_role="headteacher",
        from_state="submitted",
        to_state="submitted",
        reason="Conflict.",
    )
    assert _recipients(f"{saved.reference} was referred") == {chair}
    _refused(saved, lambda: _decide(head, saved))
    assert _reload(_decide(chair, saved)).decided_by == chair


def test_referral_without_a_reason_is_refused(submitted, head):
    _invalid(
        submitted,
        lambda: services.request_refer(
            actor=head, contact_request=submitted, expected_version=2, reason=""
        ),
        "reason",
    )


@pytest.mark.parametrize("who", ["teacher", "line_manager", "deputy", "chair", "outsider"])
def test_referral_by_anyone_but_the_decider_is_refused(who, submitted, request):
    actor = request.getfixturevalue(who)
    _refused(
        submitted,
        lambda: services.request_refer(
            actor=actor, contact_request=submitted, expected_version=2, reason="Unsure."
        ),
    )


def test_referral_of_a_decided_request_is_refused(approved, head):
    _invalid(
        approved,
        lambda: services.request_refer(
            actor=head,
            contact_request=approved,
            expected_version=approved.version,
            reason="Unsure.",
        ),
    )


def test_referred_request_sent_back_returns_to_the_chair(submitted, head, chair, teacher):
    req = services.request_refer(
        actor=head, contact_request=submitted, expected_version=2, reason="Hm"
    )
    req = _decide(chair, req, "ask", reason="When exactly?")
    req = services.request_submit(
        actor=teacher, contact_request=req, expected_version=req.version, answer="After school."
    )
    assert _reload(req).route == Route.CHAIR_OF_GOVERNORS


def test_deputy_cannot_decide_their_own_request_while_acting(deputy, pupil, head):
    _absent_today(head)
    req = make_request(deputy, [pupil])
    assert set(workflow.deciders(req)) == {head}
    _refused(req, lambda: _decide(deputy, req))


def test_database_refuses_a_self_decided_request(submitted, teacher):
    with pytest.raises(IntegrityError), transaction.atomic():
        ContactRequest.objects.filter(pk=submitted.pk).update(decided_by=teacher)
    assert _reload(submitted).decided_by is None


# --- stale forms and second decisions -----------------------------------------------------------


def _stale_call(action, people, req):
    old = req.version - 1
    calls = {
        "edit": lambda: services.request_save_draft(
            actor=people["teacher"],
            pupils=[people["pupil"]],
            contact_request=req,
            expected_version=old,
            place="Elsewhere",
        ),
        "submit": lambda: services.request_submit(
            actor=people["teacher"], contact_request=req, expected_version=old
        ),
        "approve": lambda: services.request_decide(
            actor=people["head"], contact_request=req, decision="approve", expected_version=old
        ),
        "refer": lambda: services.request_refer(
            actor=people["head"], contact_request=req, expected_version=old, reason="Unsure."
        ),
        "withdraw": lambda: services.request_withdraw(
            actor=people["teacher"], contact_request=req, expected_version=old
        ),
        "cancel": lambda: services.request_cancel(
            actor=people["head"], contact_request=req, expected_version=old, reason="Ill."
        ),
        "complete": lambda: services.request_complete(
            actor=people["teacher"], contact_request=req, expected_version=old, outcome="Fine."
        ),
    }
    return calls[action]


@pytest.mark.parametrize(
    ("action", "state"),
    [
        ("edit", "draft"),
        ("submit", "draft"),
        ("approve", "submitted"),
        ("refer", "submitted"),
        ("withdraw", "submitted"),
        ("cancel", "approved"),
        ("complete", "approved"),
    ],
)
def test_action_from_a_stale_form_changes_nothing(action, state, request, teacher, head, pupil):
    req = request.getfixturevalue(state)
    # Somebody else changed the request after this form was loaded.
    ContactRequest.objects.filter(pk=req.pk).update(
        version=F("version") + 1, starts_at=timezone.now() + dt.timedelta(hours=1)
    )
    if action == "complete":
        ContactRequest.objects.filter(pk=req.pk).update(
            starts_at=timezone.now() - dt.timedelta(hours=1)
        )
    req = _reload(req)
    people = {"teacher": teacher, "head": head, "pupil": pupil}
    error = _refused(req, _stale_call(action, people, req), StaleRequest)
    assert "changed after you opened the page" in error.messages[0]


def test_second_decision_is_told_who_decided_first(submitted, head, deputy):
    version = submitted.version
    _decide(head, submitted)
    _absent_today(head)
    stale = _reload(submitted)
    for actor, expected in ((deputy, version), (head, stale.version)):
        error = _refused(
            stale,
            lambda a=actor, v=expected: services.request_decide(
                actor=a, contact_request=stale, decision="reject", expected_version=v, reason="No."
            ),
            AlreadyDecided,
        )
        assert f"already approved by {head.full_name}" in error.messages[0]
        assert "Nothing you sent was applied" in error.messages[0]


def test_decision_after_a_rejection_names_the_rejecter(submitted, head):
    _decide(head, submitted, "reject", reason="No.")
    error = _refused(submitted, lambda: _decide(head, submitted), AlreadyDecided)
    assert f"already rejected by {head.full_name}" in error.messages[0]


# --- withdrawing --------------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["submitted", "asked"])
def test_requester_withdraws_an_open_request(state, teacher, request):
    req = request.getfixturevalue(state)
    from_state = req.status
    saved = _reload(
        services.request_withdraw(
            actor=teacher, contact_request=req, expected_version=req.version, reason=" Not needed. "
        )
    )
    assert saved.status == Status.WITHDRAWN
    _assert_event(
        _only_event(saved, "withdraw"),
        actor=teacher,
        actor_role="staff",
        from_state=from_state,
        to_state="withdrawn",
        reason="Not needed.",
    )


@pytest.mark.parametrize("state", ["draft", "approved"])
def test_withdraw_in_the_wrong_state_is_refused(state, teacher, request):
    req = request.getfixturevalue(state)
    text = _invalid(
        req,
        lambda: services.request_withdraw(
            actor=teacher, contact_request=req, expected_version=req.version
        ),
    )
    assert "cannot be withdrawn" in text


@pytest.mark.parametrize("who", ["colleague", "line_manager", "head"])
def test_withdraw_by_anyone_but_the_requester_is_refused(who, submitted, request):
    actor = request.getfixturevalue(who)
    _refused(
        submitted,
        lambda: services.request_withdraw(
            actor=actor, contact_request=submitted, expected_version=2
        ),
    )


# --- completing ---------------------------------------------------------------------------------


def test_outcome_before_the_contact_is_refused(approved, teacher):
    text = _invalid(
        approved,
        lambda: services.request_complete(
            actor=teacher,
            contact_request=approved,
            expected_version=approved.version,
            outcome="Fine.",
        ),
    )
    assert "once the contact has taken place" in text


def test_requester_completes_after_the_contact(approved, teacher):
    req = _to_the_past(approved)
    saved = _reload(
        services.request_complete(
            actor=teacher,
            contact_request=req,
            expected_version=req.version,
            outcome=" It went well. ",
        )
    )
    assert saved.status == Status.COMPLETED
    assert (saved.outcome, saved.outcome_concerns) == ("It went well.", "")
    assert saved.completed_at is not None
    _assert_event(
        _only_event(saved, "complete"),
        actor=teacher,
        actor_role="staff",
        from_state="approved",
        to_state="completed",
    )
    assert not Notification.objects.filter(message__contains="concern").exists()


def test_completion_when_the_clock_passes_the_contact_time(approved, teacher):
    later = approved.starts_at + dt.timedelta(hours=3)
    with mock.patch("django.utils.timezone.now", return_value=later):
        services.request_complete(
            actor=teacher,
            contact_request=approved,
            expected_version=approved.version,
            outcome="Fine.",
        )
    saved = _reload(approved)
    assert (saved.status, saved.completed_at) == (Status.COMPLETED, later)


def test_outcome_with_a_concern_notifies_the_deciders(approved, teacher, head):
    req = _to_the_past(approved)
    services.request_complete(
        actor=teacher,
        contact_request=req,
        expected_version=req.version,
        outcome="Fine.",
        concerns="The pupil asked for my number.",
    )
    assert _reload(req).outcome_concerns == "The pupil asked for my number."
    assert _recipients(f"{req.reference}: a concern") == {head}


def test_completion_without_an_outcome_is_refused(approved, teacher):
    req = _to_the_past(approved)
    _invalid(
        req,
        lambda: services.request_complete(
            actor=teacher, contact_request=req, expected_version=req.version, outcome="  "
        ),
        "outcome",
    )


@pytest.mark.parametrize("state", ["submitted", "asked"])
def test_completion_in_the_wrong_state_is_refused(state, teacher, request):
    req = _to_the_past(request.getfixturevalue(state))
    text = _invalid(
        req,
        lambda: services.request_complete(
            actor=teacher, contact_request=req, expected_version=req.version, outcome="Fine."
        ),
    )
    assert "cannot be completed" in text


@pytest.mark.parametrize("who", ["colleague", "line_manager", "head"])
def test_completion_by_anyone_but_the_requester_is_refused(who, approved, request):
    actor = request.getfixturevalue(who)
    req = _to_the_past(approved)
    _refused(
        req,
        lambda: services.request_complete(
            actor=actor, contact_request=req, expected_version=req.version, outcome="Fine."
        ),
    )


# --- cancelling ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "role"), [("teacher", "staff"), ("head", "headteacher")])
def test_requester_or_head_cancels_approved_contact(who, role, approved, request):
    actor = request.getfixturevalue(who)
    saved = _reload(
        services.request_cancel(
            actor=actor,
            contact_request=approved,
            expected_version=approved.version,
            reason=" Ill. ",
        )
    )
    assert saved.status == Status.CANCELLED
    _assert_event(
        _only_event(saved, "cancel"),
        actor=actor,
        actor_role=role,
        from_state="approved",
        to_state="cancelled",
        reason="Ill.",
    )


def test_cancel_without_a_reason_is_refused(approved, teacher):
    _invalid(
        approved,
        lambda: services.request_cancel(
            actor=teacher, contact_request=approved, expected_version=approved.version, reason=" "
        ),
        "reason",
    )


@pytest.mark.parametrize("state", ["submitted", "asked", "draft"])
def test_cancel_in_the_wrong_state_is_refused(state, teacher, request):
    req = request.getfixturevalue(state)
    text = _invalid(
        req,
        lambda: services.request_cancel(
            actor=teacher, contact_request=req, expected_version=req.version, reason="Ill."
        ),
    )
    assert "cannot be cancelled" in text


@pytest.mark.parametrize("who", ["colleague", "line_manager", "deputy", "assistant", "chair"])
def test_cancel_by_anyone_else_is_refused(who, approved, request):
    actor = request.getfixturevalue(who)
    _refused(
        approved,
        lambda: services.request_cancel(
            actor=actor, contact_request=approved, expected_version=approved.version, reason="Ill."
        ),
    )


def test_cancel_by_the_head_of_another_school_is_refused(approved, outsider):
    _refused(
        approved,
        lambda: services.request_cancel(
            actor=outsider,
            contact_request=approved,
            expected_version=approved.version,
            reason="Ill.",
        ),
    )


# --- notes --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "kind", "role"),
    [
        ("teacher", NoteKind.NOTE, "staff"),
        ("head", NoteKind.NOTE, "headteacher"),
        ("assistant", NoteKind.NOTE, "assistant_head"),
    ],
)
def test_note_is_added_by_requester_manager_or_head(who, kind, role, submitted, request):
    actor = request.getfixturevalue(who)
    note = services.request_note_add(actor=actor, contact_request=submitted, text="  Checked in.  ")
    saved = RequestNote.objects.get(pk=note.pk)
    assert (saved.request, saved.author, saved.kind, saved.text) == (
        submitted,
        actor,
        kind,
        "Checked in.",
    )
    _assert_event(
        _only_event(submitted, "note"),
        actor=actor,
        actor_role=role,
        reason=f"{saved.get_kind_display()} added",
    )
    assert _reload(submitted).status == Status.SUBMITTED


def test_the_line_manager_adds_a_monitoring_note_to_approved_contact(approved, line_manager):
    note = services.request_note_add(actor=line_manager, contact_request=approved, text="Seen.")
    assert RequestNote.objects.get(pk=note.pk).kind == NoteKind.MONITORING
    _assert_event(
        _only_event(approved, "note"),
        actor=line_manager,
        actor_role="line_manager",
        reason="Monitoring note added",
    )


def test_a_requesters_note_on_a_waiting_request_tells_whoever_decides_it(
    submitted, teacher, head, django_capture_on_commit_callbacks
):
    Notification.objects.all().delete()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.request_note_add(actor=teacher, contact_request=submitted, text="Moved to 4pm.")
    notice = Notification.objects.get(recipient=head)
    assert notice.message == f"{teacher.full_name} added a note to {submitted.reference}"
    assert not Notification.objects.filter(recipient=teacher).exists()
    [sent] = mail.outbox
    assert sent.to == [head.email]
    assert "Moved to 4pm." not in sent.body  # the note is read on its page, signed in


def test_a_note_on_a_decided_request_tells_the_requester_and_who_decided(
    approved, teacher, head, line_manager
):
    Notification.objects.all().delete()
    services.request_note_add(actor=line_manager, contact_request=approved, text="Seen.")
    told = set(Notification.objects.values_list("recipient__email", flat=True))
    assert told == {teacher.email, head.email}


def test_who_decided_is_not_told_of_a_note_once_they_may_no_longer_read_it(head, chair, pupil):
    own = make_request(head, [pupil], with_family_only=True, purpose="personal", kind="meeting",
                       place="Their home", reasons="Family liaison visit.")  # fmt: skip
    services.request_decide(actor=chair, contact_request=own, decision="approve", reason="",
                            expected_version=None)  # fmt: skip
    StaffRole.objects.filter(staff=chair, role=Role.CHAIR_OF_GOVERNORS).update(role=Role.GOVERNOR)
    Notification.objects.all().delete()
    services.request_note_add(actor=head, contact_request=_reload(own), text="Went well.")
    assert not Notification.objects.exists()


def test_the_line_manager_cannot_note_contact_not_yet_approved(submitted, line_manager):
    with pytest.raises(PermissionDenied):
        services.request_note_add(actor=line_manager, contact_request=submitted, text="Seen.")
    assert not RequestNote.objects.exists()


def test_whoever_is_made_the_heads_line_manager_cannot_note_the_heads_contact(
    head, chair, admin, pupil
):
    """Finding 4: no notes on the head's requests by someone recorded as the head's manager."""
    approved = _decide(chair, make_request(head, [pupil]))
    head.line_manager = admin
    head.save(update_fields=["line_manager"])
    with pytest.raises(PermissionDenied):
        services.request_note_add(actor=admin, contact_request=approved, text="Noted.")
    with pytest.raises(PermissionDenied):
        services.request_review(actor=admin, contact_request=approved)
    assert not RequestNote.objects.exists()


def test_approving_the_heads_contact_asks_no_line_manager_to_monitor_it(head, chair, admin, pupil):
    head.line_manager = admin
    head.save(update_fields=["line_manager"])
    _decide(chair, make_request(head, [pupil]))
    assert not admin.notifications.exists()


def test_note_on_a_draft_is_refused(draft, teacher):
    text = _invalid(
        draft, lambda: services.request_note_add(actor=teacher, contact_request=draft, text="Hi")
    )
    assert "once the request has been submitted" in text


def test_empty_note_is_refused(submitted, teacher):
    _invalid(
        submitted,
        lambda: services.request_note_add(actor=teacher, contact_request=submitted, text="  "),
        "text",
    )


@pytest.mark.parametrize("who", ["colleague", "dsl", "governor", "admin", "chair", "outsider"])
def test_note_by_anyone_else_is_refused(who, submitted, request):
    actor = request.getfixturevalue(who)
    _refused(
        submitted,
        lambda: services.request_note_add(actor=actor, contact_request=submitted, text="Hello"),
    )


# --- review by the line manager -----------------------------------------------------------------


def test_line_manager_reviews_approved_contact(approved, line_manager):
    saved = _reload(
        services.request_review(
            actor=line_manager, contact_request=approved, note=" Spoke to them. "
        )
    )
    assert (saved.reviewed_by, saved.status) == (line_manager, Status.APPROVED)
    assert saved.reviewed_at is not None
    note = saved.notes.get(kind=NoteKind.MONITORING)
    assert (note.author, note.text) == (line_manager, "Spoke to them.")
    _assert_event(
        _only_event(saved, "review"),
        actor=line_manager,
        actor_role="line_manager",
        reason="Spoke to them.",
    )


def test_line_manager_reviews_completed_contact(approved, teacher, line_manager):
    req = _to_the_past(approved)
    services.request_complete(
        actor=teacher, contact_request=req, expected_version=3, outcome="Fine."
    )
    saved = _reload(services.request_review(actor=line_manager, contact_request=req))
    assert saved.reviewed_by == line_manager
    assert not saved.notes.filter(kind=NoteKind.MONITORING).exists()
    _assert_event(_only_event(saved, "review"), actor=line_manager, actor_role="line_manager")


def test_second_review_is_refused(approved, line_manager):
    services.request_review(actor=line_manager, contact_request=approved)
    text = _invalid(
        approved,
        lambda: services.request_review(actor=line_manager, contact_request=approved, note="x"),
    )
    assert "already been marked reviewed" in text


@pytest.mark.parametrize("state", ["submitted", "asked", "draft"])
def test_review_of_undecided_contact_is_refused(state, line_manager, request):
    req = request.getfixturevalue(state)
    text = _invalid(
        req, lambda: services.request_review(actor=line_manager, contact_request=req, note="x")
    )
    assert "Only approved or completed" in text


def test_review_of_rejected_contact_is_refused(submitted, head, line_manager):
    req = _decide(head, submitted, "reject", reason="No.")
    _invalid(req, lambda: services.request_review(actor=line_manager, contact_request=req))


@pytest.mark.parametrize("who", ["teacher", "colleague", "head", "deputy", "outsider"])
def test_review_by_anyone_but_the_line_manager_is_refused(who, approved, request):
    actor = request.getfixturevalue(who)
    _refused(
        approved, lambda: services.request_review(actor=actor, contact_request=approved, note="x")
    )


# --- notifications and email --------------------------------------------------------------------


def _link(req):
    return settings.SITE_URL.rstrip("/") + reverse("request_detail", args=[req.pk])


def test_submission_emails_the_deciders_once_committed(
    draft, teacher, head, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.request_submit(actor=teacher, contact_request=draft, expected_version=1)
        assert mail.outbox == []
    (message,) = mail.outbox
    assert message.to == [head.email]
    assert draft.reference in message.subject
    assert _link(draft) in message.body
    (notice,) = Notification.objects.all()
    assert (notice.recipient, notice.url) == (head, reverse("request_detail", args=[draft.pk]))


def test_refused_submission_sends_no_email(
    teacher, pupil, head, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        make_request(teacher, [pupil], kind="social_media", purpose="personal")
    assert mail.outbox == []


def test_approval_emails_requester_and_line_manager(
    submitted, head, teacher, line_manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _decide(head, submitted)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([teacher.email, line_manager.email])
    assert all(submitted.reference in m.subject and _link(submitted) in m.body for m in mail.outbox)


def test_rejection_emails_only_the_requester(
    submitted, head, teacher, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _decide(head, submitted, "reject", reason="No.")
    assert [m.to for m in mail.outbox] == [[teacher.email]]


def test_no_email_or_notice_names_the_pupil_or_gives_reasons(
    teacher, pupil, head, chair, line_manager, django_capture_on_commit_callbacks
):
    secret = "The pupil's father asked about Zanzibar tutoring."
    with django_capture_on_commit_callbacks(execute=True):
        req = make_request(teacher, [pupil], reasons=secret)
    with django_capture_on_commit_callbacks(execute=True):
        req = _decide(head, req, "ask", reason="Which dates, Ava?")
    with django_capture_on_commit_callbacks(execute=True):
        req = services.request_submit(
            actor=teacher, contact_request=req, expected_version=req.version, answer="Mondays."
        )
    with django_capture_on_commit_callbacks(execute=True):
        req = services.request_refer(
            actor=head, contact_request=req, expected_version=req.version, reason="Family link."
        )
    with django_capture_on_commit_callbacks(execute=True):
        req = _decide(chair, req, conditions="Current tutor present.")
    req = _to_the_past(req)
    with django_capture_on_commit_callbacks(execute=True):
        services.request_complete(
            actor=teacher,
            contact_request=req,
            expected_version=req.version,
            outcome="Fine.",
            concerns="Ava Current was upset.",
        )
    assert len(mail.outbox) >= 6
    forbidden = [pupil.first_name, pupil.last_name, secret, "Zanzibar", "Mondays", "Family link"]
    for message in mail.outbox:
        assert req.reference in message.subject
        assert _link(req) in message.body
        for word in forbidden:
            assert word not in message.subject, (word, message.subject)
            assert word not in message.body, (word, message.body)
    for notice in Notification.objects.all():
        assert all(word not in notice.message for word in forbidden), notice.message


# --- the audit trail ----------------------------------------------------------------------------


def _whole_workflow(teacher, pupil, head, line_manager):
    req = make_request(teacher, [pupil])
    req = _decide(head, req, "ask", reason="Who else?")
    req = services.request_submit(
        actor=teacher, contact_request=req, expected_version=req.version, answer="Nobody."
    )
    req = _decide(head, req, conditions="Door open.")
    services.request_note_add(actor=line_manager, contact_request=req, text="Spoke to them.")
    req = _to_the_past(req)
    req = services.request_complete(
        actor=teacher, contact_request=req, expected_version=req.version, outcome="Fine."
    )
    services.request_review(actor=line_manager, contact_request=req)
    return req


def test_a_whole_workflow_leaves_an_intact_audit_trail(teacher, pupil, head, line_manager):
    req = _whole_workflow(teacher, pupil, head, line_manager)
    assert [e.action for e in _events(req)] == [
        "request.create",
        "request.submit",
        "request.ask",
        "request.submit",
        "request.approve",
        "request.note",
        "request.complete",
        "request.review",
    ]
    assert audit_verify() == []
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    assert "intact" in out.getvalue()


def test_changing_an_event_breaks_the_chain_and_names_it(teacher, pupil, head, line_manager):
    req = _whole_workflow(teacher, pupil, head, line_manager)
    target = _only_event(req, "approve")
    allow_audit_tampering()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE safeguard_auditevent SET reason = %s WHERE id = %s", ["Nothing.", target.pk]
        )
    assert [p.event_id for p in audit_verify()] == [target.pk]
    err = io.StringIO()
    with pytest.raises(CommandError, match="broken"):
        call_command("verify_audit", stdout=io.StringIO(), stderr=err)
    assert f"event {target.pk} was changed" in err.getvalue()
