"""contacts.privacy.services.subject_access_export and contacts.privacy.subject_access: what a
subject-access export holds about a pupil or a member of staff, how the zip is laid out, what is
never in it, who may make one, and the audit event that records it."""

import csv
import datetime as dt
import io
import json
import zipfile

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from contacts.people.models import Pupil, Staff
from contacts.planned import services as planned_services
from contacts.privacy import services as privacy_services
from contacts.privacy.subject_access.columns import CHAIR_ONLY
from contacts.privacy.subject_access.gather import pupil_export
from contacts.privacy.subject_access.pack import write_zip
from contacts.records import services as records_services
from policies import services as policy_services
from safeguard.audit.chain import audit_verify
from safeguard.audit.models import AuditEvent
from safeguard.audit.services import audit_view
from safeguard.core import roles
from safeguard.core.storage import DatabaseStorage
from tests.factories import (
    ParentCarerFactory,
    PupilFactory,
    StaffFactory,
    StaffRelativeFactory,
)
from tests.factories_policies import PolicyVersionFactory
from tests.factories_records import make_concern, make_disclosure, make_lado, make_record
from tests.factories_requests import make_request

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"
PUPIL_TABLES = [
    "pupil",
    "parents_carers",
    "staff_relatives",
    "requests",
    "request_notes",
    "plan_sessions",
    "plan_reviews",
    "records",
    "disclosures",
    "addenda",
    "needs_attention",
    "needs_attention_chronology",
    "case_actions",
    "case_referrals",
    "boundary_concerns",
    "lado_referrals",
    "notifications",
    "legal_holds",
    "audit_events",
]
STAFF_TABLES = [
    "staff",
    "roles",
    "invitations",
    "relatives",
    "colleague_relationships",
    "requests",
    "request_notes",
    "plan_sessions",
    "plan_reviews",
    "decisions",
    "records",
    "addenda",
    "disclosures_recorded",
    "case_actions_assigned",
    "boundary_concerns",
    "lado_referrals",
    "policy_acknowledgements",
    "notifications",
    "legal_holds",
    "audit_events",
]


# --- helpers ------------------------------------------------------------------------------------


def _file_reads(files: int) -> int:
    """The queries that reading this many attached files takes: one each when the database
    holds them (its content is the file's own row), none from a folder."""
    return files if isinstance(storages["uploads"], DatabaseStorage) else 0


def _pdf(name: str = "letter.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


class Unzipped:
    """The files of an export, by name, in the order the zip holds them."""

    def __init__(self, content: bytes):
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            assert archive.testzip() is None
            self.names = archive.namelist()
            self.files = {name: archive.read(name) for name in self.names}
        self.data = json.loads(self.files["data.json"])
        self.summary = self.files["summary.html"].decode("utf-8")

    def table(self, name: str) -> list[dict]:
        return self.data["tables"][name]

    def csv(self, name: str) -> list[dict[str, str]]:
        return list(csv.DictReader(io.StringIO(self.files[f"{name}.csv"].decode("utf-8-sig"))))

    def everything(self) -> str:
        return "\n".join(content.decode("utf-8", "replace") for content in self.files.values())


def _export(actor, **subject) -> Unzipped:
    return Unzipped(privacy_services.subject_access_export(actor=actor, **subject).content)


def _events() -> int:
    return AuditEvent.objects.count()


@pytest.fixture
def pupil_file(school, head, teacher, colleague, dsl, pupil):
    """A pupil with something in every table: parents, a relative on the staff, a decided
    request naming another pupil too, a note, a record with a file attached and an addendum, a
    disclosure, a confidential concern about the teacher linked to the record, a LADO referral
    about it, and the headteacher having opened the pupil's page."""
    classmate = PupilFactory(school=school, first_name="Bea", last_name="Classmate")
    parent = ParentCarerFactory(
        school=school,
        first_name="Pat",
        last_name="Current",
        email="pat@home.example",
        children=[pupil],
    )
    relative = StaffRelativeFactory(staff=colleague, pupil=pupil, relationship="niece_nephew")
    request = make_request(teacher, [pupil, classmate])
    note = planned_services.request_note_add(
        actor=teacher, contact_request=request, text="Mum will be there too."
    )
    request.refresh_from_db()
    planned_services.request_decide(
        actor=head,
        contact_request=request,
        decision="approve",
        expected_version=request.version,
        conditions="Meet in the open area only.",
    )
    record = make_record(teacher, [pupil], attachment=_pdf("thank you letter.pdf"))
    addendum = records_services.record_addendum_add(
        actor=teacher, record=record, text="Spoke to the form tutor afterwards."
    )
    disclosure = make_disclosure(teacher, pupil)
    concern = make_concern(
        colleague, teacher, confidential=True, related_record=record, description="Too close."
    )
    lado = make_lado(head, teacher, concern=concern)
    audit_view(actor=head, obj=pupil, school=school)
    return {
        "classmate": classmate,
        "parent": parent,
        "relative": relative,
        "request": request,
        "note": note,
        "record": record,
        "addendum": addendum,
        "disclosure": disclosure,
        "concern": concern,
        "lado": lado,
    }


# --- a pupil: layout ----------------------------------------------------------------------------


def test_the_zip_holds_the_summary_the_json_a_csv_per_table_and_the_files_in_order(
    head, pupil, pupil_file
):
    export = _export(head, pupil=pupil)
    record = pupil_file["record"]
    assert export.names == [
        "summary.html",
        "data.json",
        *(f"{name}.csv" for name in PUPIL_TABLES),
        f"attachments/{record.reference}-thank_you_letter.pdf",
    ]
    assert list(export.data["tables"]) == PUPIL_TABLES
    assert export.data["format"] == "safeguard-subject-access-export"
    assert export.data["subject"] == {
        "type": "pupil",
        "reference": pupil.audit_ref,
        "name": "Ava Current",
    }


def test_the_same_information_gives_the_same_zip_byte_for_byte(head, pupil, pupil_file):
    data = pupil_export(actor=head, pupil=pupil)
    first, second = write_zip(data), write_zip(data)
    try:
        assert first.read() == second.read()
    finally:
        first.close()
        second.close()


def test_the_export_is_named_by_reference_and_date_never_by_name(head, pupil):
    export = privacy_services.subject_access_export(actor=head, pupil=pupil)
    today = timezone.localdate().isoformat()
    assert export.filename == f"subject-access-{pupil.audit_ref}-{today}.zip"
    assert "Ava" not in export.filename and "Current" not in export.filename


# --- a pupil: what the JSON holds ---------------------------------------------------------------


def test_the_pupil_row_holds_every_stored_field(head, pupil):
    pupil.notes = "Walks home with an older sibling."
    pupil.save()
    (row,) = _export(head, pupil=pupil).table("pupil")
    assert row["reference"] == pupil.audit_ref
    assert (row["first_name"], row["last_name"]) == ("Ava", "Current")
    assert row["date_of_birth"] == pupil.date_of_birth.isoformat()
    assert row["admission_date"] == pupil.admission_date.isoformat()
    assert row["leaving_date"] is None
    assert row["year_group"] == "Year 8"
    assert row["notes"] == "Walks home with an older sibling."
    assert row["status"] == "Current pupil"


def test_requests_naming_the_pupil_come_with_their_decision_and_notes(
    head, teacher, pupil, pupil_file
):
    export = _export(head, pupil=pupil)
    request = pupil_file["request"]
    (row,) = export.table("requests")
    assert row["reference"] == request.reference
    assert row["status"] == "Approved"
    assert row["requester"] == teacher.full_name
    assert row["requester_reference"] == teacher.audit_ref
    assert row["reasons"] == "Mentoring session agreed with the pupil's parents."
    assert row["place"] == "Community centre"
    assert row["decided_by"] == head.full_name
    assert row["conditions"] == "Meet in the open area only."
    assert row["pupils"] == [
        f"Ava Current ({pupil.audit_ref})",
        f"Bea Classmate ({pupil_file['classmate'].audit_ref})",
    ]
    assert dt.datetime.fromisoformat(row["starts_at"]) == request.starts_at
    assert row["findings"] and {"clause", "text"} <= set(row["findings"][0])
    (note,) = export.table("request_notes")
    assert note == {
        "request": request.reference,
        "kind": "Note",
        "author": teacher.full_name,
        "text": "Mum will be there too.",
        "written_at": note["written_at"],
    }
    assert dt.datetime.fromisoformat(note["written_at"]) == pupil_file["note"].created_at.replace(
        microsecond=0
    )


def test_records_disclosures_addenda_concerns_and_lado_entries_are_included(
    head, teacher, colleague, pupil, pupil_file
):
    export = _export(head, pupil=pupil)
    record, disclosure = pupil_file["record"], pupil_file["disclosure"]
    (row,) = export.table("records")
    assert row["reference"] == record.reference
    assert row["author"] == teacher.full_name
    assert row["details"] == record.details
    assert row["record_type"] == "Unplanned contact beyond a brief greeting"
    assert row["attachment_name"] == "thank you letter.pdf"
    assert row["attachment_file"] == f"attachments/{record.reference}-thank_you_letter.pdf"
    assert dt.datetime.fromisoformat(row["occurred_at"]) == record.occurred_at
    (told,) = export.table("disclosures")
    assert (told["reference"], told["account"]) == (disclosure.reference, disclosure.account)
    assert told["disclosure_type"] == "Child protection disclosure"
    (addendum,) = export.table("addenda")
    assert (addendum["to"], addendum["text"]) == (
        record.reference,
        "Spoke to the form tutor afterwards.",
    )
    (concern,) = export.table("boundary_concerns")
    assert concern["reference"] == pupil_file["concern"].reference
    assert concern["related_record"] == record.reference
    assert (concern["raised_by"], concern["confidential"]) == (colleague.full_name, True)
    (lado,) = export.table("lado_referrals")
    assert (lado["reference"], lado["concern"]) == (
        pupil_file["lado"].reference,
        pupil_file["concern"].reference,
    )
    parents = export.table("parents_carers")
    assert [(p["first_name"], p["email"]) for p in parents] == [("Pat", "pat@home.example")]
    (relative,) = export.table("staff_relatives")
    assert (relative["staff"], relative["relationship"]) == (colleague.full_name, "Niece or nephew")


def test_notifications_and_audit_events_about_the_pupils_entries_are_included(
    head, dsl, pupil, pupil_file
):
    export = _export(head, pupil=pupil)
    links = {row["link"] for row in export.table("notifications")}
    assert f"/disclosures/{pupil_file['disclosure'].pk}/" in links
    assert {row["recipient"] for row in export.table("notifications")} >= {
        head.full_name,
        dsl.full_name,
    }
    events = export.table("audit_events")
    seen = {(e["action"], e["object_reference"]) for e in events}
    assert ("view", pupil.audit_ref) in seen
    assert ("record.create", pupil_file["record"].reference) in seen
    assert ("request.approve", pupil_file["request"].reference) in seen
    assert ("disclosure.create", pupil_file["disclosure"].reference) in seen
    viewed = next(e for e in events if e["action"] == "view")
    assert (viewed["actor"], viewed["actor_role"], viewed["action_words"]) == (
        head.full_name,
        "Headteacher",
        "Viewed",
    )
    assert not any(e["object_reference"] == pupil_file["classmate"].audit_ref for e in events)


def test_another_pupils_file_is_not_mixed_in(head, teacher, school, pupil, pupil_file):
    # A name no factory would make up, so the check cannot trip on a random staff name.
    other = PupilFactory(school=school, first_name="Zebedee", last_name="Quillfeather")
    make_record(teacher, [other], details="Met Zebedee at the bus stop.")
    make_disclosure(teacher, other, account="Zebedee said something private.")
    content = _export(head, pupil=pupil).everything()
    assert "Zebedee" not in content
    assert "Quillfeather" not in content
    assert "bus stop" not in content


# --- a pupil: the CSV files ---------------------------------------------------------------------


def test_every_csv_parses_with_the_tables_columns_and_rows(head, pupil, pupil_file):
    export = _export(head, pupil=pupil)
    for name in PUPIL_TABLES:
        rows = export.csv(name)
        assert len(rows) == len(export.table(name)), name
        header = export.files[f"{name}.csv"].decode("utf-8-sig").splitlines()[0]
        if export.table(name):
            assert header.split(",") == list(export.table(name)[0]), name
    (request,) = export.csv("requests")
    assert request["reference"] == pupil_file["request"].reference
    assert request["reasons"] == "Mentoring session agreed with the pupil's parents."
    assert request["with_family_only"] == "no"
    assert request["pupils"].startswith(f"Ava Current ({pupil.audit_ref}); Bea Classmate")
    (record,) = export.csv("records")
    assert record["details"] == pupil_file["record"].details
    assert export.csv("pupil")[0]["first_name"] == "Ava"


def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_written_as_text(head, teacher, pupil):
    make_record(teacher, [pupil], details='=HYPERLINK("http://evil.example","Click")')
    (row,) = _export(head, pupil=pupil).csv("records")
    assert row["details"] == '\'=HYPERLINK("http://evil.example","Click")'


# --- a pupil: the summary -----------------------------------------------------------------------


def test_the_summary_escapes_what_people_typed(head, teacher, school):
    hostile = PupilFactory(school=school, first_name="<script>alert(1)</script>", last_name="Ro")
    make_record(teacher, [hostile], details="<img src=x onerror=alert(2)> & more")
    summary = _export(head, pupil=hostile).summary
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Ro" in summary
    assert "&lt;img src=x onerror=alert(2)&gt; &amp; more" in summary
    assert "<script" not in summary and "<img" not in summary


def test_the_summary_is_self_contained(head, pupil, pupil_file):
    summary = _export(head, pupil=pupil).summary
    assert "<link" not in summary and "src=" not in summary and "@import" not in summary
    assert "http://" not in summary and "https://" not in summary


def test_the_summary_says_it_must_be_reviewed_for_other_peoples_information(
    head, pupil, pupil_file
):
    summary = _export(head, pupil=pupil).summary
    assert "Review before release: not for release as it stands" in summary
    concern, request = pupil_file["concern"], pupil_file["request"]
    assert f"Raised in confidence: {concern.reference}." in summary
    assert f"Other pupils are named as well in {request.reference}:" in summary
    assert pupil_file["disclosure"].reference in summary
    assert CHAIR_ONLY in summary
    assert "Mentoring session agreed with the pupil&#x27;s parents." in summary
    assert "Ava Current" in summary


def test_attached_files_are_in_the_zip_and_a_missing_one_is_named(head, teacher, pupil, uploads):
    kept = make_record(teacher, [pupil], attachment=_pdf("kept.pdf"))
    lost = make_record(teacher, [pupil], attachment=_pdf("lost.pdf"))
    uploads.remove(lost.attachment)
    export = _export(head, pupil=pupil)
    assert export.files[f"attachments/{kept.reference}-kept.pdf"] == PDF
    assert not any(lost.reference in name for name in export.names)
    assert export.data["attachments"] == [
        {
            "record": kept.reference,
            "name": "kept.pdf",
            "type": "application/pdf",
            "file": f"attachments/{kept.reference}-kept.pdf",
            "missing": False,
        },
        {
            "record": lost.reference,
            "name": "lost.pdf",
            "type": "application/pdf",
            "file": None,
            "missing": True,
        },
    ]
    assert f"missing from storage, so not in this export: {lost.reference}." in export.summary
    assert export.data["counts"]["attachments"] == 1


# --- the audit event ----------------------------------------------------------------------------


def test_the_export_is_audited_by_counts_with_no_name_or_content(head, pupil, pupil_file):
    before = _events()
    export = privacy_services.subject_access_export(actor=head, pupil=pupil)
    assert _events() == before + 1
    event = AuditEvent.objects.latest("id")
    assert (event.action, event.actor, event.actor_role) == (
        "subject_access.export",
        head,
        "headteacher",
    )
    assert (event.object_type, event.object_id, event.object_ref) == (
        "contacts.pupil",
        str(pupil.pk),
        pupil.audit_ref,
    )
    assert "records 1" in event.reason and "attachments 1" in event.reason
    assert "requests 1" in event.reason and "disclosures 1" in event.reason
    for word in ("Ava", "Current", "Mentoring", pupil_file["disclosure"].account[:20]):
        assert word not in event.reason
    assert export.counts["records"] == 1
    assert audit_verify() == []


def test_the_export_event_is_in_the_next_export(head, pupil):
    privacy_services.subject_access_export(actor=head, pupil=pupil)
    events = _export(head, pupil=pupil).table("audit_events")
    assert [e["action"] for e in events][-1] == "subject_access.export"


# --- who may export -----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["teacher", "dsl", "deputy", "assistant", "admin", "chair"])
def test_only_the_headteacher_may_export_and_nothing_is_written_when_refused(
    request, who, pupil, teacher
):
    actor = request.getfixturevalue(who)
    before = _events()
    with pytest.raises(PermissionDenied):
        privacy_services.subject_access_export(actor=actor, pupil=pupil)
    with pytest.raises(PermissionDenied):
        privacy_services.subject_access_export(actor=actor, staff=teacher)
    assert _events() == before


def test_the_headteacher_of_another_school_may_not_export(outsider, pupil, teacher):
    before = _events()
    with pytest.raises(PermissionDenied):
        privacy_services.subject_access_export(actor=outsider, pupil=pupil)
    with pytest.raises(PermissionDenied):
        privacy_services.subject_access_export(actor=outsider, staff=teacher)
    assert _events() == before


def test_the_headteacher_may_not_export_their_own_file(head):
    before = _events()
    with pytest.raises(PermissionDenied, match="chair of governors"):
        privacy_services.subject_access_export(actor=head, staff=head)
    assert _events() == before


def test_a_deactivated_headteacher_may_not_export(head, pupil):
    Staff.objects.filter(pk=head.pk).update(is_active=False)
    head.refresh_from_db()
    with pytest.raises(PermissionDenied):
        privacy_services.subject_access_export(actor=head, pupil=pupil)


@pytest.mark.parametrize("both", [True, False])
def test_exactly_one_person_is_exported(head, pupil, teacher, both):
    subject = {"pupil": pupil, "staff": teacher} if both else {}
    with pytest.raises(ValueError):
        privacy_services.subject_access_export(actor=head, **subject)


def test_the_export_reads_the_person_as_stored_not_as_passed(head, pupil):
    stale = Pupil.objects.get(pk=pupil.pk)
    Pupil.objects.filter(pk=pupil.pk).update(notes="Updated since the page was opened.")
    (row,) = _export(head, pupil=stale).table("pupil")
    assert row["notes"] == "Updated since the page was opened."


# --- what the headteacher may not see is left out -----------------------------------------------


def test_a_concern_about_the_headteacher_is_left_out_of_a_pupils_export(
    head, teacher, colleague, pupil
):
    record = make_record(teacher, [pupil])
    about_head = make_concern(
        colleague, head, related_record=record, description="The head drove the pupil home."
    )
    export = _export(head, pupil=pupil)
    assert export.table("boundary_concerns") == []
    assert about_head.reference not in export.everything()
    assert "drove the pupil home" not in export.everything()
    assert CHAIR_ONLY in export.summary


def test_a_concern_a_teacher_raised_about_the_headteacher_is_left_out_of_their_export(
    head, teacher, colleague
):
    about_head = make_concern(teacher, head, description="Worried about the head.")
    raised = make_concern(teacher, colleague, description="Worried about a colleague.")
    export = _export(head, staff=teacher)
    assert [c["reference"] for c in export.table("boundary_concerns")] == [raised.reference]
    assert about_head.reference not in export.everything()
    assert "Worried about the head." not in export.everything()


# --- a member of staff --------------------------------------------------------------------------


@pytest.fixture
def staff_file(school, head, teacher, colleague, chair, pupil):
    """The teacher's file: a relative, a request with a note, a record with a file, a disclosure
    they wrote down, a confidential concern about them and one they raised, a LADO referral, a
    policy read, and an authenticator set up."""
    relative = StaffRelativeFactory(staff=teacher, pupil=pupil, relationship="child")
    request = make_request(teacher, [pupil])
    planned_services.request_note_add(
        actor=head, contact_request=request, text="Please add the address."
    )
    record = make_record(teacher, [pupil], attachment=_pdf("card.pdf"))
    disclosure = make_disclosure(teacher, pupil)
    about = make_concern(colleague, teacher, confidential=True, description="Lift home twice.")
    raised = make_concern(teacher, colleague, description="Colleague messaged a pupil.")
    lado = make_lado(head, teacher, concern=about)
    version = PolicyVersionFactory(policy__school=school, policy__title="Safer working")
    ack = policy_services.policy_acknowledge(actor=teacher, version=version)
    device = TOTPDevice.objects.create(user=teacher, name="Authenticator app", confirmed=True)
    return {
        "relative": relative,
        "request": request,
        "record": record,
        "disclosure": disclosure,
        "about": about,
        "raised": raised,
        "lado": lado,
        "version": version,
        "ack": ack,
        "device": device,
    }


def test_a_staff_export_holds_their_row_roles_relatives_requests_and_records(
    head, teacher, line_manager, pupil, staff_file
):
    export = _export(head, staff=teacher)
    assert export.names[: 2 + len(STAFF_TABLES)] == [
        "summary.html",
        "data.json",
        *(f"{name}.csv" for name in STAFF_TABLES),
    ]
    record = staff_file["record"]
    assert export.names[-1] == f"attachments/{record.reference}-card.pdf"
    (row,) = export.table("staff")
    assert row["reference"] == teacher.audit_ref
    assert row["email"] == "teacher@test.example"
    assert row["job_title"] == "Class teacher"
    assert row["line_manager"] == line_manager.full_name
    assert row["is_active"] is True
    assert row["two_factor_enabled"] is True
    assert export.table("roles") == []
    (relative,) = export.table("relatives")
    assert (relative["pupil"], relative["relationship"]) == ("Ava Current", "Own child")
    (request,) = export.table("requests")
    assert request["reference"] == staff_file["request"].reference
    (note,) = export.table("request_notes")
    assert (note["author"], note["text"]) == (head.full_name, "Please add the address.")
    (made,) = export.table("records")
    assert (made["reference"], made["details"]) == (record.reference, record.details)
    (ack,) = export.table("policy_acknowledgements")
    assert (ack["policy"], ack["version"]) == ("Safer working", 1)


def test_a_staff_export_holds_concerns_about_them_and_by_them_and_lado(
    head, teacher, colleague, staff_file
):
    export = _export(head, staff=teacher)
    concerns = {c["reference"]: c for c in export.table("boundary_concerns")}
    about, raised = staff_file["about"], staff_file["raised"]
    assert concerns[about.reference]["relation"] == "About them"
    assert concerns[about.reference]["raised_by"] == colleague.full_name
    assert concerns[about.reference]["description"] == "Lift home twice."
    assert concerns[raised.reference]["relation"] == "Raised by them"
    (lado,) = export.table("lado_referrals")
    assert lado["reference"] == staff_file["lado"].reference
    assert lado["advice"] == staff_file["lado"].advice
    assert f"Raised in confidence: {about.reference}." in export.summary
    assert f"<h3>{about.reference}</h3>" in export.summary
    assert staff_file["lado"].reference in export.summary


def test_disclosures_a_member_of_staff_wrote_down_are_listed_without_what_was_said(
    head, teacher, staff_file
):
    export = _export(head, staff=teacher)
    disclosure = staff_file["disclosure"]
    (row,) = export.table("disclosures_recorded")
    assert row["reference"] == disclosure.reference
    assert disclosure.account not in export.everything()


def test_a_staff_export_holds_what_they_did_and_what_was_done_about_them(
    head, teacher, school, pupil, staff_file
):
    audit_view(actor=teacher, obj=pupil, school=school)
    events = _export(head, staff=teacher).table("audit_events")
    seen = {(e["action"], e["object_reference"]) for e in events}
    assert ("view", pupil.audit_ref) in seen
    assert ("record.create", staff_file["record"].reference) in seen
    assert ("request.note", staff_file["request"].reference) in seen
    assert ("concern.raise", staff_file["about"].reference) in seen
    assert ("lado.referral", staff_file["lado"].reference) in seen
    assert ("policy.acknowledge", staff_file["version"].audit_ref) in seen


def test_a_staff_export_never_holds_secrets(head, teacher, staff_file):
    export = _export(head, staff=teacher)
    teacher.refresh_from_db()
    assert teacher.password not in export.everything()
    assert "password" not in export.table("staff")[0]
    assert staff_file["device"].key not in export.everything()


def test_the_decisions_someone_made_are_in_their_export(head, chair, teacher, pupil):
    request = make_request(teacher, [pupil])
    planned_services.request_refer(
        actor=head, contact_request=request, expected_version=request.version, reason="Unsure."
    )
    request.refresh_from_db()
    planned_services.request_decide(
        actor=chair,
        contact_request=request,
        decision="reject",
        expected_version=request.version,
        reason="Not appropriate.",
    )
    (row,) = _export(head, staff=chair).table("decisions")
    assert (row["reference"], row["status"], row["decision_reason"]) == (
        request.reference,
        "Rejected",
        "Not appropriate.",
    )
    assert row["decided_as"] == "chair of governors"


def test_a_staff_export_is_audited_against_the_member_of_staff(head, teacher, staff_file):
    privacy_services.subject_access_export(actor=head, staff=teacher)
    event = AuditEvent.objects.latest("id")
    assert (event.action, event.object_type, event.object_ref) == (
        "subject_access.export",
        "contacts.staff",
        teacher.audit_ref,
    )
    assert teacher.first_name not in event.reason and teacher.last_name not in event.reason


# --- the number of queries does not grow with the file ------------------------------------------


def _queries(fn) -> int:
    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured.captured_queries)


def _grow_pupil(teacher, colleague, pupil, n):
    for i in range(n):
        record = make_record(teacher, [pupil], attachment=_pdf(f"file{i}.pdf"))
        records_services.record_addendum_add(actor=teacher, record=record, text=f"Addendum {i}.")
        make_request(teacher, [pupil])
        make_disclosure(teacher, pupil)
        make_concern(colleague, teacher, related_record=record)


def test_a_pupils_export_takes_the_same_queries_for_2_entries_as_for_10(
    head, teacher, colleague, school
):
    small = PupilFactory(school=school)
    large = PupilFactory(school=school)
    _grow_pupil(teacher, colleague, small, 2)
    _grow_pupil(teacher, colleague, large, 10)
    roles.roles_of(head)  # loaded once per request, not per export
    few = _queries(lambda: privacy_services.subject_access_export(actor=head, pupil=small))
    many = _queries(lambda: privacy_services.subject_access_export(actor=head, pupil=large))
    assert many == few + _file_reads(10 - 2)
    assert len(_export(head, pupil=large).table("records")) == 10


def test_a_staff_export_takes_the_same_queries_for_2_entries_as_for_10(
    head, school, colleague, pupil
):
    small = StaffFactory(school=school, line_manager=head)
    large = StaffFactory(school=school, line_manager=head)
    for person, n in ((small, 2), (large, 10)):
        for i in range(n):
            record = make_record(person, [pupil], attachment=_pdf(f"f{i}.pdf"))
            records_services.record_addendum_add(actor=person, record=record, text="More.")
            make_request(person, [pupil])
            make_concern(colleague, person, related_record=record)
            make_disclosure(person, pupil)
    roles.roles_of(head)
    few = _queries(lambda: privacy_services.subject_access_export(actor=head, staff=small))
    many = _queries(lambda: privacy_services.subject_access_export(actor=head, staff=large))
    assert many == few + _file_reads(10 - 2)


def test_a_legal_hold_on_the_pupil_is_part_of_their_file(head, pupil):
    privacy_services.legal_hold_place(actor=head, pupil=pupil, reason="Claim against the school")
    rows = _export(head, pupil=pupil).table("legal_holds")
    assert [(r["reason"], r["placed_by"], r["lifted_at"]) for r in rows] == [
        ("Claim against the school", head.full_name, None)
    ]


def test_a_legal_hold_on_the_staff_member_is_part_of_their_file(head, teacher, pupil):
    hold = privacy_services.legal_hold_place(actor=head, staff=teacher, reason="Tribunal")
    privacy_services.legal_hold_lift(actor=head, hold=hold, reason="Settled")
    export = _export(head, staff=teacher)
    assert [(r["reason"], r["lift_reason"]) for r in export.table("legal_holds")] == [
        ("Tribunal", "Settled")
    ]
    assert _export(head, pupil=pupil).table("legal_holds") == []


def test_a_staff_export_lists_their_invitations_without_the_link(head, admin, school):
    from contacts.people.services import invitation_send
    from tests.factories import StaffFactory

    newcomer = StaffFactory(school=school, email="newcomer@test.example")
    newcomer.set_unusable_password()
    newcomer.save()
    link = invitation_send(actor=admin, staff=newcomer)
    export = _export(head, staff=newcomer)
    (row,) = export.table("invitations")
    assert row["sent_to"] == "newcomer@test.example"
    assert row["sent_by"] == admin.full_name
    token = link.rstrip("/").rsplit("/", 1)[-1]
    assert token not in export.everything()


def test_a_pupils_export_shows_how_their_disclosure_was_acted_on(head, dsl, teacher, pupil):
    from django.utils import timezone

    from contacts.alerts import services as alert_services
    from tests.factories_records import make_disclosure

    case = make_disclosure(teacher, pupil).alerts.get()
    case = alert_services.alert_acknowledge(actor=dsl, alert=case)
    alert_services.case_referral_add(
        actor=dsl, alert=case, agency="police", referred_on=timezone.localdate(), reference="P/9"
    )
    alert_services.alert_close(actor=dsl, alert=case, outcome="Police", rationale="Referred on.")
    export = _export(head, pupil=pupil)
    (alert,) = export.table("needs_attention")
    assert (alert["status"], alert["acknowledged_by"], alert["rationale"]) == (
        "Closed",
        dsl.full_name,
        "Referred on.",
    )
    (referral,) = export.table("case_referrals")
    assert referral["agency"] == "Police" and referral["reference"] == "P/9"
    kinds = [row["kind"] for row in export.table("needs_attention_chronology")]
    assert kinds == ["Acknowledged", "Referral made", "Closed"]


# --- plans of involvement and the LADO's advice on a request -------------------------------------


def test_a_plans_sessions_and_reviews_are_in_the_pupils_and_the_staff_exports(
    school, head, teacher, line_manager
):
    from contacts.planned import services as planned_services
    from tests.factories_requests import PLAN, make_former_pupil, make_plan

    former = make_former_pupil(school)
    plan = make_plan(teacher, [former], approve_as=head)
    planned_services.plan_session_log(
        actor=teacher,
        contact_request=plan,
        held_on=timezone.localdate(),
        what_happened="Went through the application.",
        concerns="Asked to meet at a pub.",
    )
    planned_services.plan_review_record(
        actor=head,
        contact_request=plan,
        expected_version=None,
        reviewed_on=timezone.localdate(),
        decision="end",
        note="Outcomes met.",
    )
    for export in (_export(head, pupil=former), _export(head, staff=teacher)):
        (request,) = export.table("requests")
        assert request["plan_support"] == PLAN["plan_support"]
        assert request["plan_signposting"] == PLAN["plan_signposting"]
        assert request["sessions_logged"] == 1
        assert request["plan_ended_at"]
        (session,) = export.table("plan_sessions")
        assert session["request"] == plan.reference
        assert (session["number"], session["what_happened"], session["concerns"]) == (
            1,
            "Went through the application.",
            "Asked to meet at a pub.",
        )
        assert session["logged_by"] == teacher.full_name
        (review,) = export.table("plan_reviews")
        assert (review["decision"], review["note"], review["reviewed_by"]) == (
            "End the plan",
            "Outcomes met.",
            head.full_name,
        )
        assert export.csv("plan_sessions")[0]["what_happened"] == "Went through the application."


def test_the_lado_advice_on_a_request_is_in_the_pupils_export(school, head, teacher):
    from contacts.concerns import services as concern_services
    from tests.factories_requests import make_former_pupil, make_request

    former = make_former_pupil(school)
    item = make_request(
        teacher, [former], kind="relationship", purpose="personal", reasons="We met again."
    )
    referral = concern_services.lado_record(
        actor=head,
        subject=teacher,
        referral_type="consultation",
        contacted_at=timezone.now() - dt.timedelta(minutes=5),
        spoke_to="Duty LADO",
        advice="Keep the school informed.",
        contact_request=item,
    )
    (row,) = _export(head, pupil=former).table("lado_referrals")
    assert (row["reference"], row["related_request"]) == (referral.reference, item.reference)
