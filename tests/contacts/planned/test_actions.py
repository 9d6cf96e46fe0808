"""contacts.planned.permissions.allowed_actions: what each person may do with a request in each
state, as the request page shows it and the services enforce it."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from contacts.planned import services
from contacts.planned.models import ContactRequest, Route, Status
from contacts.planned.permissions import DECISIONS, allowed_actions
from tests.factories_requests import make_request

FLAGS = (
    "can_edit",
    "can_submit",
    "can_withdraw",
    "can_decide",
    "can_refer",
    "can_complete",
    "can_cancel",
    "can_note",
    "can_review",
    "can_ask",
    "can_log_session",
    "can_review_plan",
)
# The service action behind each flag (a decision stands for approve, reject and ask).
ACTION_OF = {flag: flag.removeprefix("can_") for flag in FLAGS} | {"can_decide": "approve"}

# The teacher's request, routed to the headteacher, for contact still to come. For each state,
# what each person may do; everyone not listed may do nothing. The line manager sees, so acts on,
# only the approved and completed contact they monitor (000).
EXPECTED = {
    Status.DRAFT: {"teacher": {"can_edit", "can_submit"}},
    Status.SUBMITTED: {
        "teacher": {"can_withdraw", "can_note"},
        "head": {"can_decide", "can_ask", "can_refer", "can_note"},
        "deputy": {"can_note"},
    },
    Status.MORE_INFORMATION: {
        "teacher": {"can_edit", "can_submit", "can_withdraw", "can_note"},
        "head": {"can_note"},
        "deputy": {"can_note"},
    },
    Status.APPROVED: {
        "teacher": {"can_cancel", "can_note"},
        "head": {"can_cancel", "can_note"},
        "deputy": {"can_note"},
        "line_manager": {"can_note", "can_review"},
    },
    Status.COMPLETED: {
        "teacher": {"can_note"},
        "head": {"can_note"},
        "deputy": {"can_note"},
        "line_manager": {"can_note", "can_review"},
    },
    **{
        finished: {
            "teacher": {"can_note"},
            "head": {"can_note"},
            "deputy": {"can_note"},
        }
        for finished in (Status.REJECTED, Status.WITHDRAWN, Status.CANCELLED)
    },
}
PERSONAS = ("teacher", "head", "deputy", "chair", "line_manager", "colleague", "dsl", "outsider")


def _allowed(actions) -> set[str]:
    return {flag for flag in FLAGS if getattr(actions, flag)}


def _in_state(req: ContactRequest, status: str, **columns) -> ContactRequest:
    """The request as if the workflow had brought it to `status` (in memory: allowed_actions
    reads the row it is given, and the services call it on the row they lock)."""
    shown = ContactRequest.objects.get(pk=req.pk)
    for name, value in {"status": status, **columns}.items():
        setattr(shown, name, value)
    return shown


@pytest.fixture
def waiting(teacher, pupil, line_manager, head):
    return make_request(teacher, [pupil])


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("status", list(EXPECTED))
def test_what_each_person_may_do_in_each_state(status, persona, waiting, request):
    user = request.getfixturevalue(persona)
    actions = allowed_actions(user, _in_state(waiting, status))
    assert _allowed(actions) == EXPECTED[status].get(persona, set())


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("status", list(EXPECTED))
def test_the_services_refuse_exactly_what_the_flags_refuse(status, persona, waiting, request):
    """Each refused action is refused for the person (PermissionDenied) or, for someone who may
    do it, for the state the request is in (ValidationError); each allowed one passes."""
    user = request.getfixturevalue(persona)
    actions = allowed_actions(user, _in_state(waiting, status))
    for flag in FLAGS:
        action = ACTION_OF[flag]
        if getattr(actions, flag):
            actions.require(action)
            continue
        with pytest.raises((PermissionDenied, ValidationError)) as caught:
            actions.require(action)
        text = str(
            caught.value.args[0] if caught.type is PermissionDenied else caught.value.message
        )
        assert text[0].isupper() and text.endswith("."), text


def test_the_requester_records_the_outcome_only_once_the_contact_has_happened(waiting, teacher):
    before = allowed_actions(teacher, _in_state(waiting, Status.APPROVED))
    assert not before.can_complete
    with pytest.raises(ValidationError, match="once the contact has taken place"):
        before.require("complete")
    happened = _in_state(waiting, Status.APPROVED, starts_at=timezone.now() - dt.timedelta(hours=1))
    assert allowed_actions(teacher, happened).can_complete


def test_the_line_manager_reviews_once(waiting, line_manager):
    reviewed = _in_state(waiting, Status.APPROVED, reviewed_at=timezone.now())
    actions = allowed_actions(line_manager, reviewed)
    assert not actions.can_review
    with pytest.raises(ValidationError, match="already been marked reviewed"):
        actions.require("review")


def test_a_referred_request_is_the_chairs_to_decide_and_nobody_refers_it_again(
    waiting, head, chair
):
    referred = services.request_refer(
        actor=head,
        contact_request=waiting,
        expected_version=waiting.version,
        reason="Conflict of interest.",
    )
    assert referred.route == Route.CHAIR_OF_GOVERNORS
    by_chair = allowed_actions(chair, referred)
    assert _allowed(by_chair) == {"can_decide", "can_ask", "can_note"}
    assert by_chair.decides_as == "chair of governors"
    by_head = allowed_actions(head, referred)
    assert _allowed(by_head) == {"can_note"}
    with pytest.raises(PermissionDenied):
        by_head.require("approve")


def test_the_deputy_decides_while_the_head_is_absent(waiting, head, deputy):
    today = timezone.localdate()
    services.absence_record(actor=head, school=head.school, starts_on=today, ends_on=today)
    actions = allowed_actions(deputy, waiting)
    assert _allowed(actions) == {"can_decide", "can_ask", "can_refer", "can_note"}
    assert actions.decides_as.startswith("deputy headteacher")


def test_the_headteachers_own_request_goes_to_the_chair(head, pupil, chair):
    own = make_request(head, [pupil])
    assert _allowed(allowed_actions(head, own)) == {"can_withdraw", "can_note"}
    assert "can_decide" in _allowed(allowed_actions(chair, own))


def test_a_restricted_entry_is_noted_only_by_those_who_may_read_it(
    waiting, teacher, head, line_manager, deputy
):
    restricted = _in_state(waiting, Status.SUBMITTED, restricted=True)
    assert allowed_actions(head, restricted).can_note
    assert allowed_actions(teacher, restricted).can_note
    for reader_not in (line_manager, deputy):
        actions = allowed_actions(reader_not, restricted)
        assert not actions.can_read and not actions.can_note


@pytest.mark.parametrize("decision", DECISIONS)
def test_every_decision_is_refused_to_whoever_may_not_decide(decision, waiting, line_manager):
    with pytest.raises(PermissionDenied, match="You cannot decide this request."):
        allowed_actions(line_manager, waiting).require(decision)


def test_the_flags_describe_the_person(waiting, teacher, head, line_manager):
    assert allowed_actions(teacher, waiting).is_requester
    assert allowed_actions(head, waiting).decides_as == "headteacher"
    assert allowed_actions(line_manager, waiting).monitors
    assert not allowed_actions(head, waiting).monitors


def test_the_note_service_refuses_whoever_may_not_read_a_restricted_entry(waiting, line_manager):
    ContactRequest.objects.filter(pk=waiting.pk).update(restricted=True)
    with pytest.raises(PermissionDenied):
        services.request_note_add(
            actor=line_manager, contact_request=waiting, text="Checked with the teacher."
        )
    assert not waiting.notes.exists()
