"""policies.services and policies.models: every write to policy documents, its audit event, who
may make it, what it refuses, and what the database itself refuses."""

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.test import override_settings
from django.utils import timezone

from contacts.people.models import Staff
from demo.policies import DEMO_POLICIES
from policies import selectors, services
from policies.engine import CLAUSES
from policies.models import Acknowledgement, Policy, PolicyClause, PolicyVersion
from safeguard.audit.chain import audit_verify
from safeguard.audit.models import AuditEvent
from safeguard.core.roles import Role
from tests.factories_policies import (
    AcknowledgementFactory,
    PolicyFactory,
    PolicyVersionFactory,
)

PDF_BYTES = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< >>\n%%EOF\n"
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64
COUNTED = (Policy, PolicyVersion, PolicyClause, Acknowledgement, AuditEvent)


def _today() -> dt.date:
    return timezone.localdate()


def _rows() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


def _events(n: int) -> list[AuditEvent]:
    """The last n audit events, oldest first."""
    return list(reversed(AuditEvent.objects.order_by("-id")[:n]))


def _fields(school, **extra):
    fields = {
        "school": school,
        "title": "Safer working practice",
        "owner_role": Role.HEADTEACHER,
        "summary": "Keep clear professional boundaries with pupils.",
        "clauses": ["work_contact.approval", "transport.planned_work"],
        "last_reviewed": _today() - dt.timedelta(days=10),
        "next_review": _today() + dt.timedelta(days=355),
        "text": "Staff keep clear professional boundaries.",
    }
    return fields | extra


def _version_fields(**extra):
    fields = {
        "last_reviewed": _today() - dt.timedelta(days=1),
        "next_review": _today() + dt.timedelta(days=364),
        "text": "The revised text.",
        "change_note": "Annual review: section 4 rewritten.",
    }
    return fields | extra


def _pdf(name="x.pdf", content=PDF_BYTES):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def _files(root) -> list[str]:
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


def _invalid(call, field):
    """The call raises a ValidationError naming `field` and nothing at all is written."""
    before = _rows()
    with pytest.raises(ValidationError) as caught:
        call()
    assert field in caught.value.message_dict, caught.value.message_dict
    assert _rows() == before
    return caught.value.message_dict[field]


@pytest.fixture
def upload_root(settings, tmp_path):
    """A private upload folder of this test's own, so files left behind can be counted."""
    root = tmp_path / "private-uploads"
    settings.PRIVATE_UPLOAD_ROOT = str(root)
    return root


@pytest.fixture
def policy(head, school):
    return services.policy_create(actor=head, **_fields(school))


# --- policy_create ----------------------------------------------------------------------------


def test_policy_create_saves_the_policy_version_one_its_clauses_and_two_events(head, school):
    policy = services.policy_create(actor=head, **_fields(school))

    policy.refresh_from_db()
    assert policy.school == school
    assert policy.title == "Safer working practice"
    assert policy.owner_role == Role.HEADTEACHER
    assert policy.requires_acknowledgement is True
    assert set(policy.clauses.values_list("clause", flat=True)) == {
        "transport.planned_work",
        "work_contact.approval",
    }
    version = policy.versions.get()
    assert version.number == 1
    assert version.text == "Staff keep clear professional boundaries."
    assert version.change_note == "First version"
    assert version.created_by == head
    assert version.document == ""

    create, version_add = _events(2)
    assert create.action == "policy.create"
    assert create.object_ref == f"POLICY-{policy.pk}"
    assert create.actor == head
    assert create.actor_role == Role.HEADTEACHER
    assert version_add.action == "policy.version_add"
    assert version_add.object_ref == f"POLICY-{policy.pk}-V1"
    assert AuditEvent.objects.count() == 2
    assert audit_verify() == []


def test_policy_create_by_the_school_administrator_is_allowed(admin, school):
    policy = services.policy_create(actor=admin, **_fields(school))

    assert policy.versions.get().created_by == admin
    assert _events(1)[0].actor_role == Role.SCHOOL_ADMIN


def test_policy_create_strips_the_title(head, school):
    policy = services.policy_create(actor=head, **_fields(school, title="  Lifts  "))

    assert Policy.objects.get(pk=policy.pk).title == "Lifts"


@pytest.mark.parametrize("persona", ["teacher", "governor", "outsider", "dsl", "deputy"])
def test_policy_create_is_refused_to_anyone_but_the_head_or_admin_and_writes_nothing(
    request, persona, school, upload_root
):
    actor = request.getfixturevalue(persona)
    before = _rows()

    with pytest.raises(PermissionDenied):
        services.policy_create(actor=actor, **_fields(school, document=_pdf()))

    assert _rows() == before
    assert _files(upload_root) == []


def test_policy_create_refuses_a_title_the_school_already_has_whatever_the_case(head, school):
    services.policy_create(actor=head, **_fields(school))

    errors = _invalid(
        lambda: services.policy_create(
            actor=head, **_fields(school, title="SAFER working Practice")
        ),
        "title",
    )
    assert errors == ["The school already has a policy with this title."]


def test_policy_create_allows_a_title_another_school_uses(head, school, outsider, other_school):
    services.policy_create(actor=outsider, **_fields(other_school))

    services.policy_create(actor=head, **_fields(school))

    assert Policy.objects.filter(title="Safer working practice").count() == 2


def test_policy_create_refuses_an_unknown_clause(head, school):
    errors = _invalid(
        lambda: services.policy_create(
            actor=head, **_fields(school, clauses=["work_contact.approval", "made.up"])
        ),
        "clauses",
    )
    assert errors == ["Unknown clause: made.up."]


@pytest.mark.parametrize("days_after", [0, -1], ids=["same day", "day before"])
def test_policy_create_refuses_a_next_review_on_or_before_the_last_review(head, school, days_after):
    reviewed = _today() - dt.timedelta(days=30)
    fields = _fields(
        school, last_reviewed=reviewed, next_review=reviewed + dt.timedelta(days=days_after)
    )

    errors = _invalid(lambda: services.policy_create(actor=head, **fields), "next_review")

    assert errors == ["The next review must come after the last review."]


def test_policy_create_refuses_a_last_review_in_the_future(head, school):
    fields = _fields(
        school,
        last_reviewed=_today() + dt.timedelta(days=1),
        next_review=_today() + dt.timedelta(days=366),
    )

    errors = _invalid(lambda: services.policy_create(actor=head, **fields), "last_reviewed")

    assert errors == ["The last review cannot be in the future."]


def test_policy_create_accepts_a_review_dated_today(head, school):
    policy = services.policy_create(actor=head, **_fields(school, last_reviewed=_today()))

    assert policy.versions.get().last_reviewed == _today()


@pytest.mark.parametrize("text", ["", "   \n  "], ids=["empty", "blank"])
def test_policy_create_needs_text_or_a_document(head, school, text):
    errors = _invalid(
        lambda: services.policy_create(actor=head, **_fields(school, text=text)), "text"
    )

    assert errors == ["Paste the policy text or upload it as a PDF."]


def test_policy_create_refuses_an_unknown_owner_role(head, school):
    _invalid(
        lambda: services.policy_create(actor=head, **_fields(school, owner_role="janitor")),
        "owner_role",
    )


def test_policy_create_stores_a_pdf_privately_under_a_random_name(head, school, upload_root):
    policy = services.policy_create(
        actor=head, **_fields(school, text="", document=_pdf("Safer working 2025.pdf"))
    )

    version = policy.versions.get()
    assert version.document_name == "Safer working 2025.pdf"
    assert version.document != "Safer working 2025.pdf"
    assert "Safer" not in version.document
    assert version.document.endswith(".pdf")
    assert len(version.document) == 32 + len(".pdf")
    assert _files(upload_root) == [version.document]
    assert (upload_root / version.document).read_bytes() == PDF_BYTES


def test_two_uploads_of_the_same_name_are_stored_apart(head, school, upload_root):
    first = services.policy_create(actor=head, **_fields(school, text="", document=_pdf()))
    second = services.policy_create(
        actor=head, **_fields(school, title="Lifts", text="", document=_pdf())
    )

    names = {first.versions.get().document, second.versions.get().document}
    assert len(names) == 2
    assert _files(upload_root) == sorted(names)


def test_policy_create_refuses_an_executable_renamed_to_pdf_and_keeps_nothing(
    head, school, upload_root
):
    upload = SimpleUploadedFile("policy.pdf", EXE_BYTES, content_type="application/pdf")

    errors = _invalid(
        lambda: services.policy_create(actor=head, **_fields(school, text="", document=upload)),
        "document",
    )

    assert errors == ["Upload a PDF file; this file is not one."]
    assert _files(upload_root) == []


def test_policy_create_refuses_a_pdf_that_is_not_named_pdf(head, school, upload_root):
    upload = _pdf("policy.exe")

    _invalid(
        lambda: services.policy_create(actor=head, **_fields(school, text="", document=upload)),
        "document",
    )
    assert _files(upload_root) == []


def test_policy_create_refuses_a_file_over_the_size_limit(head, school, upload_root):
    upload = _pdf(content=PDF_BYTES + b"%" * 2048)

    with override_settings(UPLOAD_MAX_BYTES=1024):
        _invalid(
            lambda: services.policy_create(actor=head, **_fields(school, text="", document=upload)),
            "document",
        )

    assert _files(upload_root) == []


def test_a_valid_pdf_is_removed_again_when_the_version_is_refused(head, school, upload_root):
    reviewed = _today() - dt.timedelta(days=5)
    fields = _fields(school, text="", document=_pdf(), last_reviewed=reviewed, next_review=reviewed)

    _invalid(lambda: services.policy_create(actor=head, **fields), "next_review")

    assert _files(upload_root) == []


# --- policy_update ----------------------------------------------------------------------------


def test_policy_update_changes_the_details_and_clauses_and_writes_an_event(head, policy):
    services.policy_update(
        actor=head,
        policy=policy,
        title="Lifts and transport",
        owner_role=Role.DSL,
        summary="Lifts are the exception.",
        requires_acknowledgement=False,
        clauses=["transport.planned_work", "transport.emergency"],
    )

    policy.refresh_from_db()
    assert policy.title == "Lifts and transport"
    assert policy.owner_role == Role.DSL
    assert policy.requires_acknowledgement is False
    assert sorted(policy.clauses.values_list("clause", flat=True)) == [
        "transport.emergency",
        "transport.planned_work",
    ]
    assert policy.versions.count() == 1
    event = _events(1)[0]
    assert event.action == "policy.update"
    assert event.object_ref == f"POLICY-{policy.pk}"
    assert event.reason == "clauses: transport.emergency, transport.planned_work"


def test_policy_update_can_remove_every_clause(head, policy):
    services.policy_update(
        actor=head,
        policy=policy,
        title=policy.title,
        owner_role=policy.owner_role,
        summary=policy.summary,
        requires_acknowledgement=True,
        clauses=[],
    )

    assert not PolicyClause.objects.filter(policy=policy).exists()
    assert _events(1)[0].reason == "clauses: none"


def test_policy_update_keeps_its_own_title_in_another_case(head, policy):
    services.policy_update(
        actor=head,
        policy=policy,
        title="SAFER WORKING PRACTICE",
        owner_role=policy.owner_role,
        summary=policy.summary,
        requires_acknowledgement=True,
        clauses=[],
    )

    assert Policy.objects.get(pk=policy.pk).title == "SAFER WORKING PRACTICE"


def test_policy_update_refuses_another_policy_s_title(head, school, policy):
    other = services.policy_create(actor=head, **_fields(school, title="Lifts"))

    _invalid(
        lambda: services.policy_update(
            actor=head,
            policy=other,
            title="safer working practice",
            owner_role=Role.HEADTEACHER,
            summary="x",
            requires_acknowledgement=True,
            clauses=[],
        ),
        "title",
    )
    assert Policy.objects.get(pk=other.pk).title == "Lifts"


def test_policy_update_refuses_an_unknown_clause_and_keeps_the_old_ones(head, policy):
    _invalid(
        lambda: services.policy_update(
            actor=head,
            policy=policy,
            title=policy.title,
            owner_role=policy.owner_role,
            summary=policy.summary,
            requires_acknowledgement=True,
            clauses=["nope"],
        ),
        "clauses",
    )
    assert policy.clauses.count() == 2


@pytest.mark.parametrize("persona", ["teacher", "governor", "outsider"])
def test_policy_update_is_refused_to_others(request, persona, policy):
    before = _rows()

    with pytest.raises(PermissionDenied):
        services.policy_update(
            actor=request.getfixturevalue(persona),
            policy=policy,
            title="Hijacked",
            owner_role=Role.HEADTEACHER,
            summary="x",
            requires_acknowledgement=False,
            clauses=[],
        )

    assert _rows() == before
    assert Policy.objects.get(pk=policy.pk).title == "Safer working practice"


# --- policy_version_add -----------------------------------------------------------------------


def test_policy_version_add_numbers_the_new_version_and_keeps_the_old_one(head, policy):
    v2 = services.policy_version_add(actor=head, policy=policy, **_version_fields())
    v3 = services.policy_version_add(
        actor=head, policy=policy, **_version_fields(text="Third text.", change_note="Typo")
    )

    assert (v2.number, v3.number) == (2, 3)
    assert list(policy.versions.values_list("number", "text")) == [
        (3, "Third text."),
        (2, "The revised text."),
        (1, "Staff keep clear professional boundaries."),
    ]
    assert v2.change_note == "Annual review: section 4 rewritten."
    assert v2.created_by == head


def test_policy_version_add_writes_an_event_with_the_change_note(head, policy):
    version = services.policy_version_add(actor=head, policy=policy, **_version_fields())

    event = _events(1)[0]
    assert event.action == "policy.version_add"
    assert event.object_ref == f"POLICY-{policy.pk}-V2"
    assert event.object_id == str(version.pk)
    assert event.reason == "Annual review: section 4 rewritten."
    assert audit_verify() == []


@pytest.mark.parametrize("note", ["", "   "], ids=["empty", "blank"])
def test_policy_version_add_needs_a_change_note(head, policy, note):
    errors = _invalid(
        lambda: services.policy_version_add(
            actor=head, policy=policy, **_version_fields(change_note=note)
        ),
        "change_note",
    )

    assert errors == ["Say briefly what changed in this version."]


def test_policy_version_add_checks_the_dates(head, policy):
    fields = _version_fields(last_reviewed=_today(), next_review=_today())

    _invalid(
        lambda: services.policy_version_add(actor=head, policy=policy, **fields), "next_review"
    )


def test_policy_version_add_can_replace_text_with_a_pdf(head, policy, upload_root):
    version = services.policy_version_add(
        actor=head, policy=policy, **_version_fields(text="", document=_pdf("v2.pdf"))
    )

    assert version.document_name == "v2.pdf"
    assert _files(upload_root) == [version.document]


@pytest.mark.parametrize("persona", ["teacher", "governor", "outsider"])
def test_policy_version_add_is_refused_to_others(request, persona, policy):
    before = _rows()

    with pytest.raises(PermissionDenied):
        services.policy_version_add(
            actor=request.getfixturevalue(persona), policy=policy, **_version_fields()
        )

    assert _rows() == before


def test_a_new_version_must_be_read_again_by_staff_who_read_the_old_one(head, teacher, policy):
    v1 = policy.versions.get()
    services.policy_acknowledge(actor=teacher, version=v1)
    assert teacher not in selectors.staff_yet_to_acknowledge(v1)
    assert list(selectors.versions_awaiting(teacher)) == []

    v2 = services.policy_version_add(actor=head, policy=policy, **_version_fields())

    assert teacher in selectors.staff_yet_to_acknowledge(v2)
    assert list(selectors.versions_awaiting(teacher)) == [v2]
    # The confirmation of version 1 is kept as history.
    assert Acknowledgement.objects.filter(version=v1, staff=teacher).exists()


def test_versions_awaiting_lists_only_the_current_version(head, colleague, policy):
    v2 = services.policy_version_add(actor=head, policy=policy, **_version_fields())

    assert list(selectors.versions_awaiting(colleague)) == [v2]


def test_staff_yet_to_acknowledge_is_the_active_staff_of_the_school(
    head, teacher, colleague, governor, outsider, policy
):
    version = policy.versions.get()
    Staff.objects.filter(pk=colleague.pk).update(is_active=False)
    services.policy_acknowledge(actor=teacher, version=version)

    yet = set(selectors.staff_yet_to_acknowledge(version))

    assert head in yet
    assert governor in yet
    assert teacher not in yet
    assert colleague not in yet
    assert outsider not in yet


# --- policy_acknowledge -----------------------------------------------------------------------


def test_policy_acknowledge_records_the_confirmation_and_an_event(teacher, policy):
    version = policy.versions.get()

    ack = services.policy_acknowledge(actor=teacher, version=version)

    assert Acknowledgement.objects.get() == ack
    assert (ack.staff, ack.version) == (teacher, version)
    event = _events(1)[0]
    assert event.action == "policy.acknowledge"
    assert event.actor == teacher
    assert event.actor_role == Role.STAFF
    assert event.object_ref == f"POLICY-{policy.pk}-V1"
    assert version not in selectors.versions_awaiting(teacher)


def test_a_governor_can_confirm_reading_a_policy(governor, policy):
    services.policy_acknowledge(actor=governor, version=policy.versions.get())

    assert Acknowledgement.objects.filter(staff=governor).count() == 1


def test_policy_acknowledge_twice_is_refused(teacher, policy):
    version = policy.versions.get()
    services.policy_acknowledge(actor=teacher, version=version)
    before = _rows()

    with pytest.raises(ValidationError) as caught:
        services.policy_acknowledge(actor=teacher, version=version)

    assert caught.value.messages == ["You have already confirmed that you read this version."]
    assert _rows() == before


def test_policy_acknowledge_of_a_superseded_version_is_refused(head, teacher, policy):
    v1 = policy.versions.get()
    services.policy_version_add(actor=head, policy=policy, **_version_fields())
    before = _rows()

    with pytest.raises(ValidationError) as caught:
        services.policy_acknowledge(actor=teacher, version=v1)

    assert caught.value.messages == ["A newer version of this policy exists: read that one."]
    assert _rows() == before


def test_policy_acknowledge_by_someone_of_another_school_is_refused(outsider, policy):
    before = _rows()

    with pytest.raises(PermissionDenied):
        services.policy_acknowledge(actor=outsider, version=policy.versions.get())

    assert _rows() == before


def test_policy_acknowledge_by_an_inactive_member_of_staff_is_refused(teacher, policy):
    Staff.objects.filter(pk=teacher.pk).update(is_active=False)
    teacher.refresh_from_db()

    with pytest.raises(PermissionDenied):
        services.policy_acknowledge(actor=teacher, version=policy.versions.get())

    assert not Acknowledgement.objects.exists()


# --- The database itself ----------------------------------------------------------------------


@pytest.mark.parametrize("days_after", [0, -1], ids=["same day", "day before"])
def test_database_refuses_a_next_review_not_after_the_last_review(school, days_after):
    reviewed = dt.date(2024, 1, 10)
    policy = PolicyFactory(school=school)

    with pytest.raises(IntegrityError), transaction.atomic():
        PolicyVersionFactory(
            policy=policy,
            last_reviewed=reviewed,
            next_review=reviewed + dt.timedelta(days=days_after),
        )

    assert not PolicyVersion.objects.exists()


def test_database_refuses_a_version_with_neither_text_nor_document(school):
    policy = PolicyFactory(school=school)

    with pytest.raises(IntegrityError), transaction.atomic():
        PolicyVersionFactory(policy=policy, text="", document="")

    assert not PolicyVersion.objects.exists()


def test_database_accepts_a_version_with_only_a_document(school):
    version = PolicyVersionFactory(
        policy=PolicyFactory(school=school), text="", document="ab12.pdf", document_name="p.pdf"
    )

    assert PolicyVersion.objects.get() == version


def test_database_refuses_the_same_version_number_twice(school):
    policy = PolicyFactory(school=school)
    PolicyVersionFactory(policy=policy, number=1)

    with pytest.raises(IntegrityError), transaction.atomic():
        PolicyVersionFactory(policy=policy, number=1)

    assert policy.versions.count() == 1


def test_the_same_version_number_in_two_policies_is_fine(school):
    PolicyVersionFactory(policy=PolicyFactory(school=school), number=1)
    PolicyVersionFactory(policy=PolicyFactory(school=school), number=1)

    assert PolicyVersion.objects.filter(number=1).count() == 2


def test_database_refuses_a_second_acknowledgement_of_one_version(school, teacher):
    version = PolicyVersionFactory(policy=PolicyFactory(school=school))
    AcknowledgementFactory(version=version, staff=teacher)

    with pytest.raises(IntegrityError), transaction.atomic():
        AcknowledgementFactory(version=version, staff=teacher)

    assert Acknowledgement.objects.count() == 1


def test_database_refuses_the_same_policy_title_twice_in_a_school(school):
    PolicyFactory(school=school, title="Lifts")

    with pytest.raises(IntegrityError), transaction.atomic():
        PolicyFactory(school=school, title="Lifts")


def test_current_returns_the_newest_version_of_each_policy(school):
    lifts = PolicyFactory(school=school, title="Lifts")
    gifts = PolicyFactory(school=school, title="Gifts")
    PolicyVersionFactory(policy=lifts, number=1)
    lifts_v2 = PolicyVersionFactory(policy=lifts, number=2)
    gifts_v1 = PolicyVersionFactory(policy=gifts, number=1)

    assert set(PolicyVersion.objects.current()) == {lifts_v2, gifts_v1}


def test_current_returns_the_only_version_of_a_single_version_policy(school):
    version = PolicyVersionFactory(policy=PolicyFactory(school=school))

    assert list(PolicyVersion.objects.current()) == [version]


def test_overdue_lists_versions_whose_next_review_is_before_the_day(school):
    day = dt.date(2025, 6, 1)
    late = PolicyVersionFactory(
        policy=PolicyFactory(school=school, title="Late"),
        last_reviewed=dt.date(2024, 1, 1),
        next_review=dt.date(2025, 5, 31),
    )
    PolicyVersionFactory(
        policy=PolicyFactory(school=school, title="Due today"),
        last_reviewed=dt.date(2024, 1, 1),
        next_review=day,
    )
    PolicyVersionFactory(
        policy=PolicyFactory(school=school, title="In date"),
        last_reviewed=dt.date(2024, 1, 1),
        next_review=dt.date(2026, 1, 1),
    )

    assert list(PolicyVersion.objects.overdue(on=day)) == [late]
    assert late.is_overdue(on=day)
    assert {v.policy.title for v in PolicyVersion.objects.overdue(on=dt.date(2026, 1, 2))} == {
        "Late",
        "Due today",
        "In date",
    }


def test_overdue_defaults_to_today(school):
    PolicyVersionFactory(
        policy=PolicyFactory(school=school),
        last_reviewed=_today() - dt.timedelta(days=400),
        next_review=_today() - dt.timedelta(days=1),
    )

    assert PolicyVersion.objects.overdue().count() == 1


def test_overdue_ignores_a_superseded_version(school):
    policy = PolicyFactory(school=school)
    PolicyVersionFactory(
        policy=policy,
        number=1,
        last_reviewed=dt.date(2020, 1, 1),
        next_review=dt.date(2021, 1, 1),
    )
    PolicyVersionFactory(
        policy=policy,
        number=2,
        last_reviewed=dt.date(2025, 1, 1),
        next_review=dt.date(2026, 1, 1),
    )

    assert list(PolicyVersion.objects.overdue(on=dt.date(2025, 6, 1))) == []


# --- The demo school --------------------------------------------------------------------------


@pytest.fixture
def demo(db):
    call_command("load_demo", stdout=io.StringIO())


def test_the_demo_has_five_policies_all_overdue_today(demo):
    assert Policy.objects.count() == 5
    assert PolicyVersion.objects.count() == 5
    versions = PolicyVersion.objects.select_related("policy")
    assert all(version.next_review < _today() for version in versions)
    assert PolicyVersion.objects.overdue().count() == 5


def test_each_demo_policy_backs_the_clauses_of_its_source(demo):
    for source, title, *_ in DEMO_POLICIES:
        policy = Policy.objects.get(title=title)
        expected = {cid for cid, clause in CLAUSES.items() if clause.source == source}
        assert expected, source
        assert set(policy.clauses.values_list("clause", flat=True)) == expected, title


def test_some_demo_staff_have_read_each_policy_and_some_have_not(demo):
    head = Staff.objects.get(email="head@oakfield.example")
    teacher = Staff.objects.get(email="teacher@oakfield.example")
    for version in PolicyVersion.objects.select_related("policy"):
        assert version.acknowledgements.exists(), version
        assert selectors.staff_yet_to_acknowledge(version).exists(), version
        assert version.acknowledgements.filter(staff=head).exists()
        assert not version.acknowledgements.filter(staff=teacher).exists()


def test_the_demo_policies_are_written_through_the_services(demo):
    assert AuditEvent.objects.filter(action="policy.create").count() == 5
    assert AuditEvent.objects.filter(action="policy.version_add").count() == 5
    assert AuditEvent.objects.filter(action="policy.acknowledge").count() == (
        Acknowledgement.objects.count()
    )
    assert audit_verify() == []
