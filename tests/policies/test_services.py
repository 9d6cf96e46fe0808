"""policies.services and policies.models: every write to policy documents, its audit event, who
may make it, what it refuses, and what the database itself refuses."""

import datetime as dt
import importlib
import io

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from contacts.notifications.models import Notification
from contacts.people.models import Staff
from demo.policies import DEMO_POLICIES
from policies import selectors, services
from policies.engine import CLAUSES
from policies.models import Acknowledgement, Policy, PolicyClause, PolicySignature, PolicyVersion
from safeguard.audit.chain import audit_verify
from safeguard.audit.models import AuditEvent
from safeguard.core.roles import Role
from tests.factories import StaffFactory
from tests.factories_policies import (
    AcknowledgementFactory,
    PolicyFactory,
    PolicyVersionFactory,
    adopt,
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


def _invalid(call, field):
    """The call raises a ValidationError naming `field` and nothing at all is written."""
    before = _rows()
    with pytest.raises(ValidationError) as caught:
        call()
    assert field in caught.value.message_dict, caught.value.message_dict
    assert _rows() == before
    return caught.value.message_dict[field]


@pytest.fixture
def policy(head, chair, school):
    """A policy whose first version the head and the chair of governors have signed."""
    policy = services.policy_create(actor=head, **_fields(school))
    adopt(policy.versions.get())
    return policy


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
    request, persona, school, uploads
):
    actor = request.getfixturevalue(persona)
    before = _rows()

    with pytest.raises(PermissionDenied):
        services.policy_create(actor=actor, **_fields(school, document=_pdf()))

    assert _rows() == before
    assert uploads.names() == []


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


def test_policy_create_stores_a_pdf_privately_under_a_random_name(head, school, uploads):
    policy = services.policy_create(
        actor=head, **_fields(school, text="", document=_pdf("Safer working 2025.pdf"))
    )

    version = policy.versions.get()
    assert version.document_name == "Safer working 2025.pdf"
    assert version.document != "Safer working 2025.pdf"
    assert "Safer" not in version.document
    assert version.document.endswith(".pdf")
    assert len(version.document) == 32 + len(".pdf")
    assert uploads.names() == [version.document]
    assert uploads.read(version.document) == PDF_BYTES


def test_two_uploads_of_the_same_name_are_stored_apart(head, school, uploads):
    first = services.policy_create(actor=head, **_fields(school, text="", document=_pdf()))
    second = services.policy_create(
        actor=head, **_fields(school, title="Lifts", text="", document=_pdf())
    )

    names = {first.versions.get().document, second.versions.get().document}
    assert len(names) == 2
    assert uploads.names() == sorted(names)


def test_policy_create_refuses_an_executable_renamed_to_pdf_and_keeps_nothing(
    head, school, uploads
):
    upload = SimpleUploadedFile("policy.pdf", EXE_BYTES, content_type="application/pdf")

    errors = _invalid(
        lambda: services.policy_create(actor=head, **_fields(school, text="", document=upload)),
        "document",
    )

    assert errors == ["Upload a PDF file; this file is not one."]
    assert uploads.names() == []


def test_policy_create_refuses_a_pdf_that_is_not_named_pdf(head, school, uploads):
    upload = _pdf("policy.exe")

    _invalid(
        lambda: services.policy_create(actor=head, **_fields(school, text="", document=upload)),
        "document",
    )
    assert uploads.names() == []


def test_policy_create_refuses_a_file_over_the_size_limit(head, school, uploads):
    upload = _pdf(content=PDF_BYTES + b"%" * 2048)

    with override_settings(UPLOAD_MAX_BYTES=1024):
        _invalid(
            lambda: services.policy_create(actor=head, **_fields(school, text="", document=upload)),
            "document",
        )

    assert uploads.names() == []


def test_a_valid_pdf_is_removed_again_when_the_version_is_refused(head, school, uploads):
    reviewed = _today() - dt.timedelta(days=5)
    fields = _fields(school, text="", document=_pdf(), last_reviewed=reviewed, next_review=reviewed)

    _invalid(lambda: services.policy_create(actor=head, **fields), "next_review")

    assert uploads.names() == []


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
    assert event.reason == (
        "clauses: transport.emergency, transport.planned_work; "
        "signed by: headteacher, chair of governors"
    )


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
    assert _events(1)[0].reason == "clauses: none; signed by: headteacher, chair of governors"


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


def test_policy_version_add_can_replace_text_with_a_pdf(head, policy, uploads):
    version = services.policy_version_add(
        actor=head, policy=policy, **_version_fields(text="", document=_pdf("v2.pdf"))
    )

    assert version.document_name == "v2.pdf"
    assert uploads.names() == [version.document]


@pytest.mark.parametrize("persona", ["teacher", "governor", "outsider"])
def test_policy_version_add_is_refused_to_others(request, persona, policy):
    before = _rows()

    with pytest.raises(PermissionDenied):
        services.policy_version_add(
            actor=request.getfixturevalue(persona), policy=policy, **_version_fields()
        )

    assert _rows() == before


def test_a_new_version_must_be_read_again_once_adopted_by_staff_who_read_the_old_one(
    head, teacher, policy
):
    v1 = policy.versions.get()
    services.policy_acknowledge(actor=teacher, version=v1)
    assert teacher not in selectors.staff_yet_to_acknowledge(v1)
    assert list(selectors.versions_to_read(teacher)) == []

    v2 = services.policy_version_add(actor=head, policy=policy, **_version_fields())
    # Awaiting its signatures, it asks nobody to read it.
    assert list(selectors.staff_yet_to_acknowledge(v2)) == []
    assert list(selectors.versions_to_read(teacher)) == []

    v2 = adopt(v2)
    assert teacher in selectors.staff_yet_to_acknowledge(v2)
    assert list(selectors.versions_to_read(teacher)) == [v2]
    # The confirmation of version 1 is kept as history.
    assert Acknowledgement.objects.filter(version=v1, staff=teacher).exists()


def test_versions_to_read_lists_only_the_version_in_force(head, colleague, policy):
    v1 = policy.versions.get()
    v2 = services.policy_version_add(actor=head, policy=policy, **_version_fields())
    assert list(selectors.versions_to_read(colleague)) == [v1]

    v2 = adopt(v2)
    assert list(selectors.versions_to_read(colleague)) == [v2]


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
    assert version not in selectors.versions_to_read(teacher)


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
    adopt(services.policy_version_add(actor=head, policy=policy, **_version_fields()))
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


# --- Adoption: signatories sign each version ---------------------------------------------------


@pytest.fixture
def new_policy(head, school):
    """A policy just written: its first version awaits the head's and the chair's signatures."""
    return services.policy_create(actor=head, **_fields(school, title="Home visits"))


def _places(version) -> list[tuple[str, Staff | None]]:
    return [(p.role, p.signed_by) for p in version.signatures.order_by("pk")]


def test_a_new_policy_awaits_its_signatories_and_asks_nobody_to_read_it(
    head, chair, teacher, school, new_policy
):
    version = new_policy.versions.get()

    assert version.adopted_at is None and not version.adopted_unsigned
    assert _places(version) == [(Role.HEADTEACHER, None), (Role.CHAIR_OF_GOVERNORS, None)]
    assert list(PolicyVersion.objects.current()) == []
    assert list(PolicyVersion.objects.awaiting_signatures()) == [version]
    assert list(selectors.versions_to_read(teacher)) == []
    assert list(selectors.staff_yet_to_acknowledge(version)) == []
    assert selectors.acknowledgement_counts(school.pk) == []
    before = _rows()
    with pytest.raises(ValidationError) as caught:
        services.policy_acknowledge(actor=teacher, version=version)
    assert caught.value.messages == [
        "This version is not adopted yet: staff are asked to read it once its signatories have "
        "signed it."
    ]
    assert _rows() == before


def test_the_signatories_are_told_a_version_awaits_their_signature(
    head, chair, assistant, teacher, school, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        policy = services.policy_create(
            actor=head,
            **_fields(school, signatories=[Role.CHAIR_OF_GOVERNORS, Role.ASSISTANT_HEAD]),
        )

    told = Notification.objects.order_by("recipient__email")
    assert [n.recipient for n in told] == [assistant, chair]
    url = reverse("policy_detail", args=[policy.pk]) + "?version=1"
    assert {(n.message, n.url) for n in told} == {
        (
            "Version 1 of the policy “Safer working practice” awaits your signature to be adopted",
            url,
        )
    }
    assert sorted(m.to[0] for m in mailoutbox) == [assistant.email, chair.email]


def test_the_one_who_adds_a_version_is_not_told_to_sign_it(head, chair, new_policy):
    services.policy_version_add(actor=head, policy=new_policy, **_version_fields())

    assert not Notification.objects.filter(recipient=head).exists()
    assert Notification.objects.filter(recipient=chair).count() == 2  # versions 1 and 2


def test_policy_version_sign_records_the_signature_and_an_event(head, chair, new_policy):
    version = new_policy.versions.get()

    signed = services.policy_version_sign(actor=head, version=version)

    assert signed.adopted_at is None
    [(role, who), (other, nobody)] = _places(version)
    assert (role, who, other, nobody) == (Role.HEADTEACHER, head, Role.CHAIR_OF_GOVERNORS, None)
    assert version.signatures.get(role=Role.HEADTEACHER).signed_at is not None
    event = _events(1)[0]
    assert (event.action, event.actor, event.actor_role) == ("policy.sign", head, Role.HEADTEACHER)
    assert event.object_ref == f"POLICY-{new_policy.pk}-V1"
    assert event.reason == "as headteacher"
    assert list(selectors.versions_to_sign(head)) == []
    assert list(selectors.versions_to_sign(chair)) == [version]
    assert audit_verify() == []


def test_the_last_signature_adopts_the_version(head, chair, teacher, new_policy):
    version = services.policy_version_sign(actor=head, version=new_policy.versions.get())

    adopted = services.policy_version_sign(actor=chair, version=version)

    adopted.refresh_from_db()
    last = adopted.signatures.get(role=Role.CHAIR_OF_GOVERNORS)
    assert (last.signed_by, adopted.adopted_at) == (chair, last.signed_at)
    assert not adopted.adopted_unsigned
    sign, adopt_event = _events(2)
    assert (sign.action, sign.reason) == ("policy.sign", "as chair of governors")
    assert adopt_event.action == "policy.adopt"
    assert adopt_event.actor == chair
    assert adopt_event.object_ref == f"POLICY-{new_policy.pk}-V1"
    assert adopt_event.reason == "signed by: headteacher, chair of governors"
    # Now in force: staff are asked to read it.
    assert list(PolicyVersion.objects.current()) == [adopted]
    assert list(selectors.versions_to_read(teacher)) == [adopted]
    assert teacher in selectors.staff_yet_to_acknowledge(adopted)
    services.policy_acknowledge(actor=teacher, version=adopted)
    assert audit_verify() == []


def test_signing_twice_is_refused(head, chair, new_policy):
    version = services.policy_version_sign(actor=head, version=new_policy.versions.get())
    before = _rows()

    with pytest.raises(ValidationError) as caught:
        services.policy_version_sign(actor=head, version=version)

    assert caught.value.messages == ["You have already signed this version."]
    assert _rows() == before


@pytest.mark.parametrize(
    "persona", ["teacher", "deputy", "assistant", "dsl", "governor", "admin", "outsider"]
)
def test_signing_by_someone_the_version_does_not_name_is_refused(request, persona, new_policy):
    version = new_policy.versions.get()
    before = _rows()

    with pytest.raises(PermissionDenied):
        services.policy_version_sign(actor=request.getfixturevalue(persona), version=version)

    assert _rows() == before
    assert not version.signatures.filter(signed_by__isnull=False).exists()


def test_the_refusal_says_who_signs(teacher, new_policy):
    with pytest.raises(PermissionDenied) as caught:
        services.policy_version_sign(actor=teacher, version=new_policy.versions.get())
    assert str(caught.value) == "Only the headteacher and the chair of governors sign version 1."


def test_signing_by_an_inactive_signatory_is_refused(chair, new_policy):
    Staff.objects.filter(pk=chair.pk).update(is_active=False)
    chair.refresh_from_db()

    with pytest.raises(PermissionDenied):
        services.policy_version_sign(actor=chair, version=new_policy.versions.get())


def test_a_second_holder_of_a_role_already_signed_for_is_refused(head, school, new_policy):
    other_head = StaffFactory(school=school, roles=[Role.HEADTEACHER])
    version = services.policy_version_sign(actor=head, version=new_policy.versions.get())
    before = _rows()

    with pytest.raises(ValidationError) as caught:
        services.policy_version_sign(actor=other_head, version=version)

    assert caught.value.messages == [
        f"{head.full_name} has already signed this version as headteacher."
    ]
    assert _rows() == before


def test_signing_an_adopted_version_is_refused(head, chair, school, new_policy):
    other_head = StaffFactory(school=school, roles=[Role.HEADTEACHER])
    version = adopt(new_policy.versions.get())
    before = _rows()

    with pytest.raises(ValidationError) as caught:
        services.policy_version_sign(actor=other_head, version=version)

    assert caught.value.messages == ["Version 1 is already adopted."]
    assert _rows() == before


def test_signing_a_superseded_version_is_refused_and_it_is_never_adopted(head, chair, policy):
    v1 = policy.versions.get()
    v2 = services.policy_version_add(actor=head, policy=policy, **_version_fields())
    services.policy_version_sign(actor=head, version=v2)
    v3 = services.policy_version_add(
        actor=head, policy=policy, **_version_fields(change_note="Corrected before signing")
    )
    before = _rows()

    with pytest.raises(ValidationError) as caught:
        services.policy_version_sign(actor=chair, version=v2)

    assert caught.value.messages == ["A newer version exists: this one can no longer be signed."]
    assert _rows() == before
    assert list(PolicyVersion.objects.current()) == [v1]
    assert list(PolicyVersion.objects.awaiting_signatures()) == [v3]
    assert list(selectors.versions_to_sign(chair)) == [v3]


def test_a_version_signed_before_signatures_were_recorded_is_signed_by_nobody(head, school):
    version = PolicyVersionFactory(policy=PolicyFactory(school=school))

    with pytest.raises(PermissionDenied) as caught:
        services.policy_version_sign(actor=head, version=version)

    assert str(caught.value) == "Nobody signs version 1."


def test_the_assistant_head_signs_when_the_policy_names_them(head, chair, assistant, school):
    policy = services.policy_create(
        actor=head, **_fields(school, signatories=[Role.ASSISTANT_HEAD, Role.HEADTEACHER])
    )
    version = policy.versions.get()
    assert _places(version) == [(Role.HEADTEACHER, None), (Role.ASSISTANT_HEAD, None)]
    with pytest.raises(PermissionDenied):
        services.policy_version_sign(actor=chair, version=version)

    services.policy_version_sign(actor=assistant, version=version)
    adopted = services.policy_version_sign(actor=head, version=version)

    assert adopted.adopted_at is not None
    assert _events(1)[0].reason == "signed by: headteacher, assistant headteacher"


@pytest.mark.parametrize(
    ("signatories", "message"),
    [
        ([], "Choose who signs each version to adopt it."),
        (
            [Role.HEADTEACHER, Role.DSL],
            "Only the headteacher, the chair of governors and the assistant headteacher sign "
            "policies.",
        ),
    ],
    ids=["nobody", "the DSL"],
)
def test_a_policy_needs_signatories_who_may_sign(head, school, signatories, message):
    errors = _invalid(
        lambda: services.policy_create(actor=head, **_fields(school, signatories=signatories)),
        "signatories",
    )
    assert errors == [message]


def test_new_signatories_sign_the_versions_added_after_the_change(head, policy):
    awaiting = services.policy_version_add(actor=head, policy=policy, **_version_fields())

    services.policy_update(
        actor=head,
        policy=policy,
        title=policy.title,
        owner_role=policy.owner_role,
        summary=policy.summary,
        requires_acknowledgement=True,
        clauses=[],
        signatories=[Role.HEADTEACHER, Role.ASSISTANT_HEAD],
    )
    later = services.policy_version_add(actor=head, policy=policy, **_version_fields())

    policy.refresh_from_db()
    assert policy.signatory_roles == [Role.HEADTEACHER, Role.ASSISTANT_HEAD]
    assert _events(2)[0].reason == "clauses: none; signed by: headteacher, assistant headteacher"
    # The version already awaiting keeps the chair: nobody is taken off it to adopt it.
    assert [role for role, _ in _places(awaiting)] == [Role.HEADTEACHER, Role.CHAIR_OF_GOVERNORS]
    assert [role for role, _ in _places(later)] == [Role.HEADTEACHER, Role.ASSISTANT_HEAD]


def test_policy_update_without_signatories_keeps_them(head, policy):
    services.policy_update(
        actor=head,
        policy=policy,
        title=policy.title,
        owner_role=policy.owner_role,
        summary=policy.summary,
        requires_acknowledgement=True,
        clauses=[],
    )
    policy.refresh_from_db()
    assert policy.signatory_roles == [Role.HEADTEACHER, Role.CHAIR_OF_GOVERNORS]


def test_the_version_in_force_stays_while_the_next_awaits_signatures(head, teacher, policy):
    v1 = policy.versions.get()
    v2 = services.policy_version_add(actor=head, policy=policy, **_version_fields())

    assert list(PolicyVersion.objects.current()) == [v1]
    assert selectors.policies_backing(teacher, ["work_contact.approval"]) == {
        "work_contact.approval": [policy]
    }
    services.policy_acknowledge(actor=teacher, version=v1)
    with pytest.raises(ValidationError):
        services.policy_acknowledge(actor=teacher, version=v2)

    v2 = adopt(v2)
    assert list(PolicyVersion.objects.current()) == [v2]
    with pytest.raises(ValidationError) as caught:
        services.policy_acknowledge(actor=teacher, version=v1)
    assert caught.value.messages == ["A newer version of this policy exists: read that one."]


def test_a_policy_backs_no_rule_until_its_first_version_is_adopted(teacher, new_policy):
    clause = "work_contact.approval"
    assert selectors.policies_backing(teacher, [clause]) == {clause: []}

    adopt(new_policy.versions.get())

    assert selectors.policies_backing(teacher, [clause]) == {clause: [new_policy]}


def test_versions_to_sign_lists_what_each_signatory_has_still_to_sign(
    head, chair, assistant, teacher, school, policy, new_policy
):
    other = new_policy.versions.get()
    PolicyVersionFactory(policy=PolicyFactory(school=school, title="Old one"))

    assert list(selectors.versions_to_sign(chair)) == [other]
    assert list(selectors.versions_to_sign(head)) == [other]
    assert list(selectors.versions_to_sign(assistant)) == []
    assert list(selectors.versions_to_sign(teacher)) == []


def test_adoption_of_policies_gives_each_policy_s_version_in_force_and_the_one_awaiting(
    head, chair, school, other_school, policy, new_policy, django_assert_num_queries
):
    v1 = policy.versions.get()
    v2 = services.policy_version_add(actor=head, policy=policy, **_version_fields())
    services.policy_version_sign(actor=head, version=v2)
    first = new_policy.versions.get()
    archive = PolicyVersionFactory(policy=PolicyFactory(school=school, title="Archive"))
    PolicyVersionFactory(policy=PolicyFactory(school=other_school, title="Elsewhere"))

    with django_assert_num_queries(2):
        rows = selectors.adoption_of_policies(school.pk)
        signed = [
            [(p.role, p.signed_by) for p in version.signatures.all()]
            for row in rows
            for version in (row.current, row.pending)
            if version is not None
        ]

    assert [(r.title, r.current, r.pending) for r in rows] == [
        ("Archive", archive, None),
        ("Home visits", None, first),
        ("Safer working practice", v1, v2),
    ]
    assert signed == [
        [],  # adopted before signatures were recorded
        [(Role.HEADTEACHER, None), (Role.CHAIR_OF_GOVERNORS, None)],
        [(Role.HEADTEACHER, head), (Role.CHAIR_OF_GOVERNORS, chair)],
        [(Role.HEADTEACHER, head), (Role.CHAIR_OF_GOVERNORS, None)],
    ]


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


def test_database_refuses_a_policy_nobody_signs(school):
    with pytest.raises(IntegrityError), transaction.atomic():
        PolicyFactory(school=school, head_signs=False, chair_signs=False)


def test_database_refuses_a_version_adopted_unsigned_with_no_adoption(school):
    with pytest.raises(IntegrityError), transaction.atomic():
        PolicyVersionFactory(policy=PolicyFactory(school=school), adopted_at=None)


def _place(version, **fields):
    return PolicySignature.objects.create(version=version, **fields)


@pytest.mark.parametrize(
    "fields",
    [
        {"role": Role.DSL},
        {"role": Role.HEADTEACHER, "signed_at": dt.datetime(2024, 1, 1, tzinfo=dt.UTC)},
        {"role": Role.HEADTEACHER, "signed_by": "head"},
    ],
    ids=["not a signatory's role", "a time with nobody", "somebody with no time"],
)
def test_database_refuses_a_signature_out_of_shape(request, school, fields):
    version = PolicyVersionFactory(policy=PolicyFactory(school=school), awaiting=True)
    if fields.get("signed_by") == "head":
        fields = fields | {"signed_by": request.getfixturevalue("head")}

    with pytest.raises(IntegrityError), transaction.atomic():
        _place(version, **fields)


def test_database_refuses_two_places_for_one_role_or_two_signatures_by_one_person(school, head):
    version = PolicyVersionFactory(policy=PolicyFactory(school=school), awaiting=True)
    now = timezone.now()
    _place(version, role=Role.HEADTEACHER, signed_by=head, signed_at=now)
    _place(version, role=Role.CHAIR_OF_GOVERNORS)

    with pytest.raises(IntegrityError), transaction.atomic():
        _place(version, role=Role.HEADTEACHER)
    with pytest.raises(IntegrityError), transaction.atomic():
        _place(version, role=Role.ASSISTANT_HEAD, signed_by=head, signed_at=now)
    assert version.signatures.count() == 2


_adoption_migration = importlib.import_module("policies.migrations.0004_policy_adoption")


def test_the_migration_counts_every_published_version_adopted_from_its_publication(school):
    policy = PolicyFactory(school=school)
    old = PolicyVersionFactory(policy=policy, number=1, awaiting=True)
    new = PolicyVersionFactory(policy=policy, number=2, awaiting=True)
    PolicyVersion.objects.filter(pk=old.pk).update(
        created_at=dt.datetime(2020, 5, 1, tzinfo=dt.UTC)
    )

    _adoption_migration.adopt_published_versions(django_apps, None)

    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.adopted_at, old.adopted_unsigned) == (old.created_at, True)
    assert (new.adopted_at, new.adopted_unsigned) == (new.created_at, True)
    assert not PolicySignature.objects.exists()
    # What staff read stays as it was: the newest.
    assert list(PolicyVersion.objects.current()) == [new]


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


def test_the_demo_has_five_policies_one_a_month_past_its_review(demo):
    assert Policy.objects.count() == 5
    in_force = PolicyVersion.objects.current()
    assert in_force.count() == 5
    [overdue] = PolicyVersion.objects.overdue()
    assert overdue.policy.title == "Safer working practice: communication and social contact"
    assert 25 <= (_today() - overdue.next_review).days <= 35
    for version in in_force.exclude(pk=overdue.pk):
        assert version.last_reviewed < _today() < version.next_review


def test_each_demo_policy_is_adopted_by_the_signatories_its_source_names(demo):
    for version in PolicyVersion.objects.current().select_related("policy"):
        places = list(version.signatures.values_list("role", "signed_by__email"))
        if version.policy.title == "Home/school liaison":  # 002: head and assistant head
            assert places == [
                (Role.HEADTEACHER, "head@oakfield.example"),
                (Role.ASSISTANT_HEAD, "assistant@oakfield.example"),
            ]
        else:
            assert places == [
                (Role.HEADTEACHER, "head@oakfield.example"),
                (Role.CHAIR_OF_GOVERNORS, "chair@oakfield.example"),
            ]
        assert version.adopted_at is not None and not version.adopted_unsigned


def test_a_demo_policy_reviewed_again_awaits_the_chair_s_signature(demo):
    chair = Staff.objects.get(email="chair@oakfield.example")
    [pending] = PolicyVersion.objects.awaiting_signatures()
    assert (pending.policy.title, pending.number) == ("Professional relations", 2)
    assert list(pending.signatures.values_list("role", "signed_by__email")) == [
        (Role.HEADTEACHER, "head@oakfield.example"),
        (Role.CHAIR_OF_GOVERNORS, None),
    ]
    assert list(selectors.versions_to_sign(chair)) == [pending]


def test_each_demo_policy_backs_the_clauses_of_its_source(demo):
    for source, title, *_ in DEMO_POLICIES:
        policy = Policy.objects.get(title=title)
        expected = {cid for cid, clause in CLAUSES.items() if clause.source == source}
        assert expected, source
        assert set(policy.clauses.values_list("clause", flat=True)) == expected, title


def test_some_demo_staff_have_read_each_policy_and_some_have_not(demo):
    head = Staff.objects.get(email="head@oakfield.example")
    teacher = Staff.objects.get(email="teacher@oakfield.example")
    for version in PolicyVersion.objects.current().select_related("policy"):
        assert version.acknowledgements.exists(), version
        assert selectors.staff_yet_to_acknowledge(version).exists(), version
        assert version.acknowledgements.filter(staff=head).exists()
        assert not version.acknowledgements.filter(staff=teacher).exists()


def test_the_demo_policies_are_written_through_the_services(demo):
    assert AuditEvent.objects.filter(action="policy.create").count() == 5
    assert AuditEvent.objects.filter(action="policy.version_add").count() == 6
    assert AuditEvent.objects.filter(action="policy.sign").count() == 11
    assert AuditEvent.objects.filter(action="policy.adopt").count() == 5
    assert AuditEvent.objects.filter(action="policy.acknowledge").count() == (
        Acknowledgement.objects.count()
    )
    assert audit_verify() == []
