"""contacts.selectors for planned-contact requests: who sees which request, who may read a
restricted family-liaison entry, the decision and monitoring queues, and the file chronology."""

import datetime as dt

import pytest
from django.utils import timezone

from contacts.planned import selectors, services
from contacts.planned.models import ContactRequest
from tests.factories_requests import future, make_request

PERSONAS = [
    "teacher",
    "colleague",
    "line_manager",
    "head",
    "deputy",
    "assistant",
    "dsl",
    "admin",
    "governor",
    "chair",
    "outsider",
]
ALL_SUBMITTED = {"teachers", "colleagues", "heads_own", "restricted"}

# Which of the requests below each persona finds in requests_visible_to.
VISIBLE = {
    "teacher": {"teachers", "teachers_draft", "restricted"},
    "colleague": {"colleagues"},
    # The team's submitted requests are not the line manager's: they monitor approved contact.
    "line_manager": set(),
    "head": ALL_SUBMITTED,
    "deputy": ALL_SUBMITTED,
    "assistant": ALL_SUBMITTED,
    "dsl": set(),
    "admin": set(),
    "governor": set(),
    "chair": {"heads_own"},
    "outsider": set(),
}


@pytest.fixture
def requests_by_name(teacher, colleague, head, pupil, chair, deputy, assistant, line_manager):
    return {
        "teachers": make_request(teacher, [pupil], starts_at=future(5)),
        "colleagues": make_request(colleague, [pupil], starts_at=future(6)),
        "heads_own": make_request(head, [pupil], starts_at=future(7)),
        "teachers_draft": make_request(teacher, [pupil], submit=False, starts_at=future(8)),
        "restricted": make_request(teacher, [pupil], with_family_only=True, starts_at=future(9)),
    }


def _names(rows, requests_by_name):
    by_pk = {req.pk: name for name, req in requests_by_name.items()}
    return {by_pk[pk] for pk in rows.values_list("pk", flat=True)}


def _absent_today(head):
    today = timezone.localdate()
    services.absence_record(actor=head, school=head.school, starts_on=today, ends_on=today)


def _decide(actor, req, decision="approve", **extra):
    return services.request_decide(
        actor=actor, contact_request=req, decision=decision, expected_version=req.version, **extra
    )


# --- requests_visible_to ------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_requests_visible_to(persona, requests_by_name, request):
    user = request.getfixturevalue(persona)
    rows = selectors.requests_visible_to(user)
    assert _names(rows, requests_by_name) == VISIBLE[persona]


def test_restricted_request_is_restricted(requests_by_name):
    restricted = requests_by_name["restricted"]
    assert "restricted_liaison_log" in restricted.actions
    assert restricted.is_restricted
    assert ContactRequest.objects.get(pk=restricted.pk).restricted
    assert not requests_by_name["teachers"].is_restricted


def test_referred_request_becomes_visible_to_the_chair(requests_by_name, head, chair):
    teachers = requests_by_name["teachers"]
    services.request_refer(
        actor=head, contact_request=teachers, expected_version=teachers.version, reason="Unsure."
    )
    assert _names(selectors.requests_visible_to(chair), requests_by_name) == {
        "heads_own",
        "teachers",
    }


def test_inactive_user_sees_nothing(requests_by_name, teacher):
    teacher.is_active = False
    teacher.save(update_fields=["is_active"])
    assert not selectors.requests_visible_to(teacher).exists()


# --- can_read_request ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "readable"),
    [
        ("teacher", True),
        ("head", True),
        ("assistant", True),
        ("deputy", False),
    ],
)
def test_who_may_read_a_restricted_entry(persona, readable, requests_by_name, request):
    user = request.getfixturevalue(persona)
    restricted = requests_by_name["restricted"]
    assert restricted in selectors.requests_visible_to(user)
    assert selectors.can_read_request(user, restricted) is readable


def test_the_line_manager_knows_of_an_approved_restricted_entry_but_cannot_read_it(
    requests_by_name, head, line_manager
):
    restricted = _decide(head, requests_by_name["restricted"])
    assert restricted in selectors.requests_visible_to(line_manager)
    assert not selectors.can_read_request(line_manager, restricted)


def test_the_line_manager_sees_only_the_teams_approved_and_completed_contact(
    requests_by_name, head, teacher, line_manager
):
    approved = _decide(head, requests_by_name["teachers"])
    _decide(head, requests_by_name["colleagues"], "reject", reason="No.")
    services.request_withdraw(
        actor=teacher,
        contact_request=requests_by_name["restricted"],
        expected_version=requests_by_name["restricted"].version,
        reason="Not needed.",
    )
    assert _names(selectors.requests_visible_to(line_manager), requests_by_name) == {"teachers"}
    ContactRequest.objects.filter(pk=approved.pk).update(starts_at=timezone.now())
    approved.refresh_from_db()
    services.request_complete(
        actor=teacher, contact_request=approved, expected_version=approved.version, outcome="Ok."
    )
    assert _names(selectors.requests_visible_to(line_manager), requests_by_name) == {"teachers"}


def test_being_made_the_heads_line_manager_reveals_none_of_the_heads_requests(
    head, chair, admin, pupil
):
    """Finding 4: the administrator recorded as the head's line manager sees nothing of the
    head's contact, approved or not, and has nothing of it to monitor."""
    waiting = make_request(head, [pupil], starts_at=future(5))
    approved = _decide(chair, make_request(head, [pupil], starts_at=future(6)))
    head.line_manager = admin
    head.save(update_fields=["line_manager"])
    assert not selectors.requests_visible_to(admin).filter(pk__in=[waiting.pk, approved.pk])
    assert not selectors.monitoring_queue_for(admin).exists()
    assert not selectors.monitors(admin, approved)


def test_deputy_never_reads_a_restricted_entry_even_acting_for_the_head(
    requests_by_name, deputy, head
):
    # 002: the liaison log is the head's and the assistant head's alone.
    restricted = requests_by_name["restricted"]
    assert not selectors.can_read_request(deputy, restricted)
    _absent_today(head)
    assert not selectors.can_read_request(deputy, restricted)


def test_chair_reads_a_restricted_entry_only_when_it_is_the_heads_own(head, chair, pupil, teacher):
    heads_own = make_request(head, [pupil], with_family_only=True, starts_at=future(9))
    teachers = make_request(teacher, [pupil], with_family_only=True, starts_at=future(9))
    assert selectors.can_read_request(chair, heads_own)
    assert not selectors.can_read_request(chair, teachers)


@pytest.mark.parametrize("persona", ["teacher", "line_manager", "head", "deputy", "assistant"])
def test_ordinary_entries_are_readable_by_whoever_sees_them(persona, requests_by_name, request):
    user = request.getfixturevalue(persona)
    assert selectors.can_read_request(user, requests_by_name["teachers"])


# --- decision_queue_for -------------------------------------------------------------------------


def _submitted_days_ago(req, days):
    ContactRequest.objects.filter(pk=req.pk).update(
        submitted_at=timezone.now() - dt.timedelta(days=days)
    )


def test_heads_decision_queue_is_oldest_first(requests_by_name, head):
    _submitted_days_ago(requests_by_name["teachers"], 1)
    _submitted_days_ago(requests_by_name["colleagues"], 3)
    _submitted_days_ago(requests_by_name["restricted"], 2)
    queue = list(selectors.decision_queue_for(head))
    assert queue == [
        requests_by_name["colleagues"],
        requests_by_name["restricted"],
        requests_by_name["teachers"],
    ]


def test_decision_queue_holds_only_requests_waiting(requests_by_name, head, teacher):
    _decide(head, requests_by_name["teachers"])
    _decide(head, requests_by_name["colleagues"], "ask", reason="When?")
    assert list(selectors.decision_queue_for(head)) == [requests_by_name["restricted"]]


def test_chairs_queue_is_the_chairs_route(requests_by_name, chair):
    assert list(selectors.decision_queue_for(chair)) == [requests_by_name["heads_own"]]


def test_deputys_queue_fills_only_while_the_head_is_absent(requests_by_name, deputy, head):
    assert not selectors.decision_queue_for(deputy).exists()
    _absent_today(head)
    # Not the restricted entry: the assistant head decides those in the head's place (002).
    assert set(selectors.decision_queue_for(deputy)) == {
        requests_by_name[name] for name in ("teachers", "colleagues")
    }


def test_assistant_heads_queue_holds_the_restricted_log_while_the_head_is_absent(
    requests_by_name, assistant, head
):
    assert not selectors.decision_queue_for(assistant).exists()
    _absent_today(head)
    assert list(selectors.decision_queue_for(assistant)) == [requests_by_name["restricted"]]


def test_photographs_reach_every_senior_leader_but_the_requester(
    teacher, deputy, assistant, head, pupil
):
    # 003 §5: authorised in advance by the head or the senior leadership team.
    photo = make_request(teacher, [pupil], kind="photography", starts_at=future(4))
    for leader in (head, deputy, assistant):
        assert list(selectors.decision_queue_for(leader)) == [photo]
    assistants_own = make_request(assistant, [pupil], kind="photography", starts_at=future(4))
    assert assistants_own not in selectors.decision_queue_for(assistant)
    assert assistants_own in selectors.decision_queue_for(deputy)


@pytest.mark.parametrize("persona", ["teacher", "line_manager", "assistant", "dsl", "outsider"])
def test_non_deciders_have_no_queue(persona, requests_by_name, request):
    assert not selectors.decision_queue_for(request.getfixturevalue(persona)).exists()


# --- monitoring_queue_for -----------------------------------------------------------------------


def test_monitoring_queue_is_the_teams_approved_and_completed_unreviewed_first(
    teacher, colleague, deputy, head, pupil, line_manager
):
    first = _decide(head, make_request(teacher, [pupil], starts_at=future(3)))
    second = _decide(head, make_request(colleague, [pupil], starts_at=future(4)))
    third = _decide(head, make_request(teacher, [pupil], starts_at=future(5)))
    ContactRequest.objects.filter(pk=third.pk).update(starts_at=timezone.now())
    services.request_complete(
        actor=teacher, contact_request=third, expected_version=third.version, outcome="Fine."
    )
    make_request(teacher, [pupil])  # waiting
    _decide(head, make_request(colleague, [pupil]), "reject", reason="No.")
    _decide(head, make_request(deputy, [pupil]))  # not line_manager's team
    services.request_review(actor=line_manager, contact_request=first)

    queue = list(selectors.monitoring_queue_for(line_manager))
    assert queue == [_reload(third), second, first]
    assert [item.reviewed_at is None for item in queue] == [True, True, False]


def _reload(req):
    return ContactRequest.objects.get(pk=req.pk)


def test_restricted_entries_stay_out_of_the_line_managers_monitoring_queue(
    requests_by_name, head, line_manager
):
    for name in ("teachers", "restricted"):
        _decide(head, requests_by_name[name])
    assert list(selectors.monitoring_queue_for(line_manager)) == [requests_by_name["teachers"]]


def test_monitoring_queue_of_someone_without_a_team_is_empty(requests_by_name, head, teacher):
    _decide(head, requests_by_name["teachers"])
    assert not selectors.monitoring_queue_for(teacher).exists()


# --- chronology ---------------------------------------------------------------------------------


def test_chronology_masks_restricted_entries(requests_by_name, head, line_manager, pupil):
    for name in ("restricted", "colleagues", "teachers"):
        _decide(head, requests_by_name[name])
    rows = ContactRequest.objects.filter(pupils=pupil)
    entries = selectors.chronology(line_manager, rows)
    assert [(item, readable) for item, readable in entries] == [
        (requests_by_name["restricted"], False),
        (requests_by_name["colleagues"], True),
        (requests_by_name["teachers"], True),
    ]


def test_chronology_shows_the_head_everything_non_draft(requests_by_name, head, pupil):
    entries = selectors.chronology(head, ContactRequest.objects.filter(pupils=pupil))
    assert [item for item, _ in entries] == [
        requests_by_name[name] for name in ("restricted", "heads_own", "colleagues", "teachers")
    ]
    assert all(readable for _, readable in entries)


def test_chronology_shows_the_requester_their_own_draft(requests_by_name, teacher, pupil):
    entries = selectors.chronology(teacher, ContactRequest.objects.filter(pupils=pupil))
    assert [(item, readable) for item, readable in entries] == [
        (requests_by_name["restricted"], True),
        (requests_by_name["teachers_draft"], True),
        (requests_by_name["teachers"], True),
    ]


def test_chronology_of_another_school_is_empty(requests_by_name, outsider, pupil):
    assert selectors.chronology(outsider, ContactRequest.objects.all()) == []
