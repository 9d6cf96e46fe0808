"""contacts.selectors for records made after the fact: who finds which contact record (and may
read a restricted one), disclosure, boundary concern and LADO referral, and the staff file."""

import datetime as dt

import pytest
from django.utils import timezone

from contacts.concerns import selectors as concerns_selectors
from contacts.concerns import services as concerns_services
from contacts.files import selectors as files_selectors
from contacts.planned import services as planned_services
from contacts.records import selectors as records_selectors
from tests.factories import StaffFactory
from tests.factories_records import (
    make_concern,
    make_disclosure,
    make_family_record,
    make_lado,
    make_record,
    past,
)
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

# Which records each persona finds in records_visible_to, and whether can_read_record lets
# them read each one (False: they may know it exists, its content is masked).
RECORDS = {
    "teacher": {"teachers": True, "teachers_family": True},
    "colleague": {},
    # A line manager monitors approved contact (000), not the team's records.
    "line_manager": {},
    "head": {"teachers": True, "teachers_family": True, "heads_own": True},
    "deputy": {"teachers": True, "teachers_family": False, "heads_own": True},
    "assistant": {"teachers": True, "teachers_family": True, "heads_own": True},
    "dsl": {},
    "admin": {},
    "governor": {},
    "chair": {"heads_own": True},
    "outsider": {},
}

DISCLOSURES = {
    "teacher": {"child_protection", "personal"},
    "colleague": set(),
    "line_manager": set(),
    "head": {"child_protection", "personal"},
    "deputy": {"child_protection"},
    "assistant": set(),
    "dsl": {"child_protection", "personal"},
    "admin": set(),
    "governor": set(),
    "chair": set(),
    "outsider": set(),
}

# about_teacher: raised by the colleague; about_head: raised by the teacher; confidential:
# raised in confidence by the line manager about the colleague.
CONCERNS = {
    "teacher": {"about_head"},
    "colleague": {"about_teacher"},
    "line_manager": {"confidential"},
    "head": {"about_teacher", "confidential"},
    "deputy": set(),
    "assistant": set(),
    "dsl": set(),
    "admin": set(),
    "governor": set(),
    "chair": {"about_head"},
    "outsider": set(),
}

LADO = {persona: set() for persona in PERSONAS} | {
    "head": {"about_teacher"},
    "chair": {"about_teacher"},
    "dsl": {"about_teacher"},
}


@pytest.fixture
def items(teacher, colleague, line_manager, head, deputy, assistant, dsl, chair, pupil):
    return {
        "records": {
            "teachers": make_record(teacher, [pupil], occurred_at=past(3)),
            "teachers_family": make_family_record(teacher, [pupil], occurred_at=past(2)),
            "heads_own": make_record(head, [pupil], occurred_at=past(1)),
        },
        "disclosures": {
            "child_protection": make_disclosure(teacher, pupil),
            "personal": make_disclosure(teacher, pupil, disclosure_type="personal"),
        },
        "concerns": {
            "about_teacher": make_concern(colleague, teacher),
            "about_head": make_concern(teacher, head),
            "confidential": make_concern(line_manager, colleague, confidential=True),
        },
        "lado": {"about_teacher": make_lado(head, teacher)},
    }


def _names(rows, named) -> set[str]:
    by_pk = {item.pk: name for name, item in named.items()}
    return {by_pk[pk] for pk in rows.values_list("pk", flat=True)}


def _absent_today(head):
    today = timezone.localdate()
    planned_services.absence_record(actor=head, school=head.school, starts_on=today, ends_on=today)


# --- the table ----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_records_visible_to_and_readable_by(persona, items, request):
    user = request.getfixturevalue(persona)
    named = items["records"]
    visible = _names(records_selectors.records_visible_to(user), named)
    readable = {name: records_selectors.can_read_record(user, named[name]) for name in visible}
    assert readable == RECORDS[persona]


@pytest.mark.parametrize("persona", PERSONAS)
def test_disclosures_visible_to(persona, items, request):
    user = request.getfixturevalue(persona)
    rows = records_selectors.disclosures_visible_to(user)
    assert _names(rows, items["disclosures"]) == DISCLOSURES[persona]


@pytest.mark.parametrize("persona", PERSONAS)
def test_concerns_visible_to(persona, items, request):
    user = request.getfixturevalue(persona)
    rows = concerns_selectors.concerns_visible_to(user)
    assert _names(rows, items["concerns"]) == CONCERNS[persona]


@pytest.mark.parametrize("persona", PERSONAS)
def test_lado_visible_to(persona, items, request):
    user = request.getfixturevalue(persona)
    rows = concerns_selectors.lado_visible_to(user)
    assert _names(rows, items["lado"]) == LADO[persona]


def test_the_table_names_every_persona():
    for table in (RECORDS, DISCLOSURES, CONCERNS, LADO):
        assert set(table) == set(PERSONAS)


# --- records ------------------------------------------------------------------------------------


def test_restricted_record_is_flagged(items):
    assert items["records"]["teachers_family"].is_restricted
    assert not items["records"]["teachers"].is_restricted


def test_chair_reads_the_heads_restricted_record(head, chair, deputy, line_manager, pupil):
    record = make_family_record(head, [pupil])
    assert record.is_restricted
    assert records_selectors.records_visible_to(chair).filter(pk=record.pk).exists()
    assert records_selectors.can_read_record(chair, record)
    assert records_selectors.records_visible_to(deputy).filter(pk=record.pk).exists()
    assert not records_selectors.can_read_record(deputy, record)


def test_another_schools_records_are_never_visible(outsider, other_pupil, head, chair):
    theirs = make_record(outsider, [other_pupil])
    for user in (head, chair):
        assert not records_selectors.records_visible_to(user).filter(pk=theirs.pk).exists()


def test_inactive_user_sees_nothing(items, head):
    head.is_active = False
    head.save(update_fields=["is_active"])
    assert not records_selectors.records_visible_to(head).exists()
    assert not records_selectors.disclosures_visible_to(head).exists()
    assert not concerns_selectors.concerns_visible_to(head).exists()
    assert not concerns_selectors.lado_visible_to(head).exists()


# --- disclosures --------------------------------------------------------------------------------


def test_deputy_sees_child_protection_only_even_while_acting(items, head, deputy):
    _absent_today(head)
    assert _names(records_selectors.disclosures_visible_to(deputy), items["disclosures"]) == {
        "child_protection"
    }


def test_another_schools_disclosures_are_never_visible(outsider, other_pupil, head, dsl):
    theirs = make_disclosure(outsider, other_pupil)
    for user in (head, dsl):
        assert not records_selectors.disclosures_visible_to(user).filter(pk=theirs.pk).exists()


# --- concerns -----------------------------------------------------------------------------------


def test_subject_never_sees_a_concern_about_themself(items, teacher, head):
    assert items["concerns"]["about_teacher"] not in concerns_selectors.concerns_visible_to(teacher)
    assert items["concerns"]["about_head"] not in concerns_selectors.concerns_visible_to(head)


def test_self_referral_is_seen_by_its_reporter_and_the_head(teacher, head, line_manager):
    concern = make_concern(teacher, teacher)
    assert concerns_selectors.concerns_visible_to(teacher).filter(pk=concern.pk).exists()
    assert concerns_selectors.concerns_visible_to(head).filter(pk=concern.pk).exists()
    assert not concerns_selectors.concerns_visible_to(line_manager).filter(pk=concern.pk).exists()


def test_acting_deputy_sees_the_heads_concerns_but_not_those_about_themself(
    items, teacher, head, deputy
):
    about_deputy = make_concern(teacher, deputy)
    named = items["concerns"] | {"about_deputy": about_deputy}
    assert _names(concerns_selectors.concerns_visible_to(deputy), named) == set()
    _absent_today(head)
    assert _names(concerns_selectors.concerns_visible_to(deputy), named) == {
        "about_teacher",
        "confidential",
    }
    assert "about_deputy" in _names(concerns_selectors.concerns_visible_to(head), named)


def test_visibility_follows_the_case_manager(items, head, chair, deputy):
    """Whoever may manage a concern can see it, and nobody else but its reporter."""
    _absent_today(head)
    for concern in items["concerns"].values():
        for user in (head, chair, deputy):
            if concerns_services.is_case_manager(user, concern):
                assert concerns_selectors.concerns_visible_to(user).filter(pk=concern.pk).exists()


# --- LADO ---------------------------------------------------------------------------------------


def test_lado_referral_is_hidden_from_its_subject_among_the_recorders(head, chair, dsl):
    about_dsl = make_lado(head, dsl)
    about_head = make_lado(dsl, head)
    named = {"about_dsl": about_dsl, "about_head": about_head}
    assert _names(concerns_selectors.lado_visible_to(head), named) == {"about_dsl"}
    assert _names(concerns_selectors.lado_visible_to(dsl), named) == {"about_head"}
    assert _names(concerns_selectors.lado_visible_to(chair), named) == {"about_dsl", "about_head"}


def test_another_schools_lado_referrals_are_never_visible(outsider, other_school, head, chair):
    theirs = make_lado(outsider, StaffFactory(school=other_school))
    for user in (head, chair):
        assert not concerns_selectors.lado_visible_to(user).filter(pk=theirs.pk).exists()


# --- file_page -----------------------------------------------------------------------------------


def _file_entries(user, person):
    return files_selectors.file_page(user, person).entries


@pytest.fixture
def teachers_file(teacher, head, pupil):
    return {
        "request": make_request(teacher, [pupil], starts_at=future(3)),
        "older_record": make_record(teacher, [pupil], occurred_at=past(5)),
        "family_record": make_family_record(teacher, [pupil], occurred_at=past(2)),
        "disclosure": make_disclosure(
            teacher, pupil, disclosed_at=timezone.now() - dt.timedelta(hours=3)
        ),
    }


def _summary(entries, named) -> list[tuple[str, bool]]:
    by_key = {(type(item).__name__, item.pk): name for name, item in named.items()}
    return [(by_key[(type(e["item"]).__name__, e["item"].pk)], e["readable"]) for e in entries]


def test_file_entries_newest_first_for_the_head(teachers_file, head, pupil):
    entries = _file_entries(head, pupil)
    assert _summary(entries, teachers_file) == [
        ("request", True),
        ("disclosure", True),
        ("family_record", True),
        ("older_record", True),
    ]
    whens = [e["when"] for e in entries]
    assert whens == sorted(whens, reverse=True)


def test_the_line_managers_file_of_a_report_holds_only_approved_contact(
    teachers_file, head, line_manager, teacher, pupil
):
    # Waiting for a decision: not the line manager's to see, like the records and disclosure.
    assert _file_entries(line_manager, pupil) == []
    request = teachers_file["request"]
    planned_services.request_decide(
        actor=head, contact_request=request, decision="approve", expected_version=request.version
    )
    for person in (pupil, teacher):
        assert _summary(_file_entries(line_manager, person), teachers_file) == [("request", True)]


def test_being_made_the_heads_line_manager_opens_none_of_the_heads_file(head, chair, admin, pupil):
    """Finding 4: nothing of the head's file for whoever is recorded as the head's manager."""
    approved = make_request(head, [pupil], starts_at=future(3))
    planned_services.request_decide(
        actor=chair, contact_request=approved, decision="approve", expected_version=approved.version
    )
    make_record(head, [pupil], occurred_at=past(2))
    head.line_manager = admin
    head.save(update_fields=["line_manager"])
    assert not records_selectors.records_visible_to(admin).filter(author=head).exists()
    assert _file_entries(admin, head) == []


def test_file_entries_show_a_colleague_nothing(teachers_file, colleague, teacher, pupil):
    assert _file_entries(colleague, pupil) == []
    assert _file_entries(colleague, teacher) == []


def test_a_staff_file_holds_their_requests_and_records_not_disclosures(
    teachers_file, head, teacher
):
    assert _summary(_file_entries(head, teacher), teachers_file) == [
        ("request", True),
        ("family_record", True),
        ("older_record", True),
    ]
