"""contacts.records.services: contact records, attachments, addenda, disclosures, boundary
concerns and LADO referrals. Who may write each, what is refused, and what the database then
holds: rows, audit events, notices and the emails that mirror them."""

import datetime as dt
import re
from contextlib import contextmanager
from unittest import mock

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from contacts.concerns import services as concerns_services
from contacts.concerns.models import BoundaryConcern, LadoReferral
from contacts.notifications.models import Notification
from contacts.planned import services as planned_services
from contacts.planned.models import Route
from contacts.records import selectors
from contacts.records import services as records_services
from contacts.records.models import RECORD_KINDS, Addendum, ContactRecord, Disclosure, RecordType
from contacts.records.seals import content_seal
from policies.engine import ContactFacts, EngineSettings, assess
from safeguard.audit.models import AuditEvent
from tests.factories_records import (
    ACCOUNT,
    DESCRIPTION,
    DETAILS,
    days_ago,
    make_concern,
    make_disclosure,
    make_family_record,
    make_lado,
    make_record,
    past,
)
from tests.factories_requests import make_request

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 40

# --- helpers ------------------------------------------------------------------------------------

COUNTED = (ContactRecord, Disclosure, BoundaryConcern, LadoReferral, Addendum, AuditEvent)


def _counts() -> dict[str, int]:
    rows = {model.__name__: model.objects.count() for model in COUNTED}
    return rows | {"Notification": Notification.objects.count(), "mail": len(mail.outbox)}


@contextmanager
def _nothing_written():
    before = _counts()
    yield
    assert _counts() == before


def _refused(call, exc=PermissionDenied):
    with _nothing_written(), pytest.raises(exc) as caught:
        call()
    return caught.value


def _invalid(call, field=None) -> str:
    """A ValidationError (on `field` if given) with a readable message; nothing is written."""
    error = _refused(call, ValidationError)
    if field:
        assert field in error.message_dict, error.message_dict
        message = " ".join(error.message_dict[field])
    else:
        message = " ".join(error.messages)
    assert len(message) >= 10 and message[0].isupper() and message.endswith("."), message
    return message


def _events(obj, action=None) -> list[AuditEvent]:
    rows = AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
    if action:
        rows = rows.filter(action=action)
    return list(rows.order_by("id"))


def _notified(**filters) -> set:
    return {n.recipient for n in Notification.objects.filter(**filters).select_related("recipient")}


def _absent_today(head):
    today = timezone.localdate()
    planned_services.absence_record(actor=head, school=head.school, starts_on=today, ends_on=today)


def _expected(pupil, *, kind, purpose, family=False, school_channel=False, head=False, on=None):
    """The engine's own assessment of the same facts, as something that already happened."""
    on = on or days_ago(1)
    facts = ContactFacts(
        kind=kind,
        purpose=purpose,
        pupil_status="none" if family else "current",
        pupil_age=None if family else pupil.age_on(on),
        requester_is_head=head,
        planned=False,
        school_channel=school_channel,
    )
    return assess(facts, EngineSettings())


def _stored_findings(assessment) -> list[dict]:
    return [
        {
            "clause": f.clause,
            "verdict": f.verdict,
            "source": f.source,
            "section": f.section,
            "text": f.text,
            "actions": sorted(f.actions),
        }
        for f in assessment.findings
    ]


def _upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


# --- record_create: the engine's assessment for every record type -------------------------------

RECORD_CASES = [
    pytest.param("unplanned", "meeting", "work", {}, id="unplanned-meeting"),
    pytest.param("ongoing", "phone_call", "personal", {}, id="ongoing-phone"),
    pytest.param("correspondence", "letter", "personal", {"direction": "received"}, id="letter"),
    pytest.param("gift", "gift", "personal", {"direction": "given"}, id="gift"),
    pytest.param("message", "text_message", "personal", {}, id="message-personal"),
    pytest.param("message", "email", "work", {"school_channel": True}, id="message-school"),
    pytest.param("lift", "transport", "work", {}, id="lift"),
    pytest.param("personal_details", "personal_details", "personal", {}, id="personal-details"),
    pytest.param("photography", "photography", "work", {"school_channel": True}, id="photos"),
    pytest.param("family", "social_event", "personal", {}, id="family"),
    pytest.param("relationship", "relationship", "personal", {}, id="relationship"),
]


def test_the_cases_cover_every_record_type():
    assert {case.values[0] for case in RECORD_CASES} == set(RecordType.values)
    for record_type, kind, _purpose, _extra in (case.values for case in RECORD_CASES):
        assert kind in RECORD_KINDS[record_type]


@pytest.mark.parametrize(("record_type", "kind", "purpose", "extra"), RECORD_CASES)
def test_record_stores_the_engines_assessment(teacher, pupil, record_type, kind, purpose, extra):
    record = make_record(
        teacher, [pupil], record_type=record_type, kind=kind, purpose=purpose, **extra
    )

    stored = ContactRecord.objects.get(pk=record.pk)
    family = record_type == RecordType.FAMILY
    expected = _expected(
        pupil,
        kind=kind,
        purpose=purpose,
        family=family,
        school_channel=extra.get("school_channel", False),
    )
    assert stored.verdict == expected.verdict
    assert stored.actions == sorted(expected.actions)
    assert stored.findings == _stored_findings(expected)
    assert (stored.record_type, stored.kind, stored.purpose) == (record_type, kind, purpose)
    assert stored.with_family_only is family
    assert stored.restricted is family
    assert stored.school == teacher.school and stored.author == teacher
    assert stored.route == Route.HEADTEACHER
    assert stored.details == DETAILS
    assert list(stored.pupils.all()) == [pupil]
    assert stored.direction == extra.get("direction", "")


def test_family_record_is_restricted_for_the_family_liaison_log(teacher, pupil):
    record = make_family_record(teacher, [pupil], kind="meeting")
    stored = ContactRecord.objects.get(pk=record.pk)
    assert stored.with_family_only and stored.restricted and stored.is_restricted
    assert "restricted_liaison_log" in stored.actions
    assert "report_to_head_immediately" in stored.actions


def test_ongoing_social_media_with_a_current_pupil_is_recorded_as_a_breach(teacher, pupil):
    record = make_record(
        teacher, [pupil], record_type="ongoing", kind="social_media", purpose="personal"
    )
    stored = ContactRecord.objects.get(pk=record.pk)
    assert stored.verdict == "prohibited" and stored.is_breach
    assert "general.breach" in [f["clause"] for f in stored.findings]


def test_head_record_goes_the_chairs_way(head, pupil):
    record = make_record(head, [pupil], record_type="lift", kind="transport")
    stored = ContactRecord.objects.get(pk=record.pk)
    assert stored.route == Route.CHAIR_OF_GOVERNORS
    assert stored.actions == sorted(_expected(pupil, kind="transport", purpose="work").actions)


def test_record_strips_text_and_keeps_the_optional_answers(teacher, pupil):
    record = make_record(
        teacher,
        [pupil],
        details=f"  {DETAILS}  ",
        place="  Town library ",
        reply=" Thanked them. ",
        occurred_at=past(3, hour=16, minute=45),
    )
    stored = ContactRecord.objects.get(pk=record.pk)
    assert (stored.details, stored.place, stored.reply) == (
        DETAILS,
        "Town library",
        "Thanked them.",
    )
    assert stored.occurred_at == past(3, hour=16, minute=45)


def test_direction_is_dropped_where_the_record_type_has_none(teacher, pupil):
    record = make_record(
        teacher, [pupil], record_type="message", kind="phone_call", direction="given"
    )
    assert ContactRecord.objects.get(pk=record.pk).direction == ""


@pytest.mark.parametrize(("record_type", "kind"), [("correspondence", "letter"), ("gift", "gift")])
def test_direction_is_required_for_correspondence_and_gifts(teacher, pupil, record_type, kind):
    message = _invalid(
        lambda: make_record(teacher, [pupil], record_type=record_type, kind=kind),
        "direction",
    )
    assert "given or received" in message


@pytest.mark.parametrize(
    ("record_type", "kind"),
    [
        ("lift", "meeting"),
        ("gift", "letter"),
        ("unplanned", "transport"),
        ("message", "social_media"),
        ("correspondence", "phone_call"),
        ("photography", "gift"),
    ],
)
def test_kind_not_offered_for_the_record_type_is_refused(teacher, pupil, record_type, kind):
    _invalid(
        lambda: make_record(
            teacher, [pupil], record_type=record_type, kind=kind, direction="received"
        ),
        "kind",
    )


def test_unknown_record_type_is_refused(teacher, pupil):
    _invalid(lambda: make_record(teacher, [pupil], record_type="rumour"), "record_type")


def test_record_of_something_in_the_future_is_refused(teacher, pupil):
    later = timezone.now() + dt.timedelta(minutes=5)
    message = _invalid(lambda: make_record(teacher, [pupil], occurred_at=later), "occurred_at")
    assert "cannot be in the future" in message


def test_record_about_a_pupil_of_another_school_is_refused(teacher, pupil, other_pupil):
    _invalid(lambda: make_record(teacher, [pupil, other_pupil]), "pupils")
    _invalid(lambda: make_record(teacher, [other_pupil]), "pupils")


def test_record_without_a_pupil_is_refused(teacher):
    _invalid(lambda: make_record(teacher, []), "pupils")


@pytest.mark.parametrize("details", ["", "   \n "])
def test_record_without_details_is_refused(teacher, pupil, details):
    _invalid(lambda: make_record(teacher, [pupil], details=details), "details")


def test_record_writes_one_audit_event_without_names_or_details(teacher, pupil):
    record = make_record(teacher, [pupil])
    (event,) = _events(record)
    assert event.action == "record.create"
    assert (event.actor, event.actor_role, event.school) == (teacher, "staff", teacher.school)
    assert event.object_ref == record.reference == f"REC-{record.pk:06d}"
    # The seal lets verify_audit notice the record changed behind the app's back; it gives
    # away nothing of what it says.
    assert event.reason == (
        "Unplanned contact beyond a brief greeting; verdict record; "
        f"content seal {content_seal(record)}"
    )
    assert AuditEvent.objects.count() == 1


# --- record_create: alerts ----------------------------------------------------------------------


def test_lift_in_an_emergency_alerts_the_head_only(teacher, pupil, head, deputy, line_manager):
    record = make_record(teacher, [pupil], record_type="lift", kind="transport")
    assert "report_to_head_immediately" in record.actions
    assert _notified() == {head}
    (notice,) = Notification.objects.all()
    assert notice.message == f"{record.reference} was recorded and needs your attention"
    assert notice.url == reverse("record_detail", args=[record.pk])


def test_ongoing_contact_alerts_the_head_even_when_the_rules_ask_only_for_a_record(
    teacher, pupil, head, line_manager
):
    record = make_record(teacher, [pupil], record_type="ongoing", kind="letter")
    assert record.verdict == "record"
    assert "report_to_head_immediately" not in record.actions
    assert _notified(message__contains="needs your attention") == {head}
    # The letter rule also asks for the line manager to be told.
    assert _notified(message__contains="member of your team") == {line_manager}


def test_prohibited_contact_alerts_the_head(teacher, pupil, head):
    record = make_record(
        teacher, [pupil], record_type="ongoing", kind="social_media", purpose="personal"
    )
    assert record.verdict == "prohibited"
    assert _notified() == {head}


def test_ordinary_unplanned_meeting_alerts_nobody(teacher, pupil, head, deputy, line_manager):
    record = make_record(teacher, [pupil])
    assert record.verdict == "record" and record.actions == ["record_on_staff_file"]
    assert not Notification.objects.exists()


def test_a_chance_meeting_stays_a_chance_meeting(teacher, pupil, head, line_manager):
    record = make_record(teacher, [pupil], purpose="personal", arranged=False)
    assert not record.arranged and record.planned_verdict == ""
    assert not record.should_have_been_asked
    assert not Notification.objects.exists()


def test_arranged_contact_reported_afterwards_should_have_been_asked_about_first(
    teacher, pupil, head, line_manager
):
    record = make_record(teacher, [pupil], purpose="personal", arranged=True)
    assert record.verdict == "record"
    # Planned personal contact with a current pupil is not allowed (Rule 3).
    assert record.planned_verdict == "prohibited"
    assert record.should_have_been_asked
    # The line manager discusses it (004 §12); what would not have been allowed reaches the head.
    assert _notified() == {line_manager, head}
    assert record.alerts.get().owner == "headteacher"


def test_arranged_contact_that_needed_approval_goes_to_the_line_manager_only(
    teacher, pupil, head, line_manager
):
    # A work meeting outside the usual setting, arranged in advance (Rule 4).
    record = make_record(teacher, [pupil], purpose="work", arranged=True)
    assert record.planned_verdict == "needs_approval"
    assert _notified() == {line_manager}
    assert not record.alerts.exists()


def test_arranged_only_counts_for_unplanned_contact(teacher, pupil, head):
    record = make_record(teacher, [pupil], record_type="lift", kind="transport", arranged=True)
    assert not record.arranged and record.planned_verdict == ""


def test_alert_reaches_the_deputy_too_while_the_head_is_absent(teacher, pupil, head, deputy):
    _absent_today(head)
    make_record(teacher, [pupil], record_type="lift", kind="transport")
    assert _notified() == {head, deputy}


def test_alert_never_goes_to_its_author(deputy, pupil, head):
    _absent_today(head)
    make_record(deputy, [pupil], record_type="lift", kind="transport")
    assert _notified() == {head}


def test_record_by_the_head_alerts_the_chair_not_the_head(head, pupil, chair, deputy):
    _absent_today(head)
    make_record(head, [pupil], record_type="personal_details", kind="personal_details")
    assert _notified() == {chair}


def test_gift_tells_the_authors_line_manager(teacher, pupil, head, line_manager):
    record = make_record(teacher, [pupil], record_type="gift", kind="gift", direction="received")
    assert "notify_line_manager" in record.actions
    assert _notified() == {line_manager}
    (notice,) = Notification.objects.all()
    assert notice.message == f"{record.reference} was recorded by a member of your team"


def test_gift_by_someone_without_a_line_manager_tells_nobody(chair, pupil, head):
    make_record(chair, [pupil], record_type="gift", kind="gift", direction="given")
    assert not Notification.objects.exists()


def test_alert_emails_name_no_pupil_and_give_no_details(
    teacher, pupil, head, line_manager, django_capture_on_commit_callbacks
):
    details = "Drove Ava home from the bus stop in the storm, Zanzibar Road."
    with django_capture_on_commit_callbacks(execute=True):
        record = make_record(
            teacher, [pupil], record_type="lift", kind="transport", details=details
        )
        gift = make_record(
            teacher,
            [pupil],
            record_type="gift",
            kind="gift",
            direction="received",
            details="A Zanzibar fridge magnet from Ava.",
        )
    assert sorted(m.to[0] for m in mail.outbox) == [head.email, line_manager.email]
    for email in mail.outbox:
        written = f"{email.subject}\n{email.body}"
        assert record.reference in written or gift.reference in written
        for secret in (pupil.first_name, pupil.last_name, "Zanzibar", "storm", "magnet"):
            assert secret not in written
    for notice in Notification.objects.all():
        assert pupil.first_name not in notice.message and "Zanzibar" not in notice.message


def test_no_email_leaves_before_the_record_commits(teacher, pupil, head):
    make_record(teacher, [pupil], record_type="lift", kind="transport")
    assert mail.outbox == []


# --- record_create: attachments -----------------------------------------------------------------


def test_pdf_attachment_is_stored_privately_under_a_random_name(teacher, pupil, uploads):
    record = make_record(teacher, [pupil], attachment=_upload("x.pdf", PDF, "application/pdf"))
    stored = ContactRecord.objects.get(pk=record.pk)
    assert re.fullmatch(r"[0-9a-f]{32}\.pdf", stored.attachment)
    assert (stored.attachment_name, stored.attachment_type) == ("x.pdf", "application/pdf")
    assert uploads.names() == [stored.attachment]
    assert uploads.read(stored.attachment) == PDF


def test_two_uploads_of_the_same_name_get_different_stored_names(teacher, pupil, uploads):
    first = make_record(teacher, [pupil], attachment=_upload("x.pdf", PDF))
    second = make_record(teacher, [pupil], attachment=_upload("x.pdf", PDF))
    assert first.attachment != second.attachment
    assert uploads.names() == sorted([first.attachment, second.attachment])


@pytest.mark.parametrize(
    ("name", "content", "content_type", "suffix"),
    [
        ("photo.png", PNG, "image/png", ".png"),
        ("photo.jpg", JPEG, "image/jpeg", ".jpg"),
        ("photo.JPEG", JPEG, "image/jpeg", ".jpg"),
    ],
)
def test_images_are_accepted_by_their_magic_bytes(
    teacher, pupil, uploads, name, content, content_type, suffix
):
    record = make_record(teacher, [pupil], attachment=_upload(name, content))
    stored = ContactRecord.objects.get(pk=record.pk)
    assert stored.attachment_type == content_type
    assert stored.attachment.endswith(suffix)
    assert uploads.read(stored.attachment) == content


@pytest.mark.parametrize(
    ("name", "content"),
    [
        pytest.param("x.pdf", EXE, id="renamed-executable"),
        pytest.param("photo.png", JPEG, id="png-name-jpeg-bytes"),
        pytest.param("notes.txt", PDF, id="pdf-bytes-text-name"),
        pytest.param("x.exe", EXE, id="executable"),
        pytest.param("empty.pdf", b"", id="empty"),
    ],
)
def test_file_that_is_not_what_it_says_is_refused(teacher, pupil, uploads, name, content):
    message = _invalid(
        lambda: make_record(teacher, [pupil], attachment=_upload(name, content, "application/pdf")),
        "attachment",
    )
    assert "PDF, PNG, JPEG" in message
    assert uploads.names() == []


def test_oversize_attachment_is_refused(teacher, pupil, uploads):
    with override_settings(UPLOAD_MAX_BYTES=100):
        message = _invalid(
            lambda: make_record(teacher, [pupil], attachment=_upload("big.pdf", PDF + b"0" * 100)),
            "attachment",
        )
    assert "larger than the limit" in message
    assert uploads.names() == []


def test_attachment_at_the_size_limit_is_accepted(teacher, pupil, uploads):
    content = PDF + b"0" * (100 - len(PDF))
    with override_settings(UPLOAD_MAX_BYTES=100):
        record = make_record(teacher, [pupil], attachment=_upload("edge.pdf", content))
    assert uploads.names() == [record.attachment]


def test_invalid_record_stores_no_file(teacher, pupil, uploads):
    _invalid(
        lambda: make_record(teacher, [pupil], details="", attachment=_upload("x.pdf", PDF)),
        "details",
    )
    assert uploads.names() == []


def test_file_is_removed_when_the_record_cannot_be_saved(teacher, pupil, uploads):
    with (
        _nothing_written(),
        mock.patch("contacts.records.services.audit_record", side_effect=RuntimeError("disk full")),
        pytest.raises(RuntimeError),
    ):
        make_record(teacher, [pupil], attachment=_upload("x.pdf", PDF))
    assert uploads.names() == []


# --- record_addendum_add ------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["teacher", "head", "deputy", "assistant"])
def test_author_or_senior_leader_adds_to_a_record(persona, teacher, pupil, request):
    actor = request.getfixturevalue(persona)
    record = make_record(teacher, [pupil])
    addendum = records_services.record_addendum_add(
        actor=actor, record=record, text="  The time was 16:40, not 16:00.  "
    )
    stored = Addendum.objects.get(pk=addendum.pk)
    assert (stored.author, stored.record, stored.disclosure) == (actor, record, None)
    assert stored.text == "The time was 16:40, not 16:00."
    (event,) = _events(record, "record.addendum")
    assert event.actor == actor
    assert addendum.audit_ref == f"{record.reference}-ADD-{addendum.pk}"
    # The record itself is untouched.
    assert ContactRecord.objects.get(pk=record.pk).details == DETAILS


def test_addenda_accumulate_in_order(teacher, head, pupil):
    record = make_record(teacher, [pupil])
    records_services.record_addendum_add(actor=teacher, record=record, text="First.")
    records_services.record_addendum_add(actor=head, record=record, text="Second.")
    assert list(record.addenda.values_list("text", flat=True)) == ["First.", "Second."]
    assert len(_events(record, "record.addendum")) == 2


@pytest.mark.parametrize("persona", ["colleague", "outsider", "line_manager", "dsl", "chair"])
def test_others_cannot_add_to_a_record(persona, teacher, pupil, request):
    actor = request.getfixturevalue(persona)
    record = make_record(teacher, [pupil])
    _refused(lambda: records_services.record_addendum_add(actor=actor, record=record, text="Mine."))


@pytest.mark.parametrize("text", ["", "  \n"])
def test_empty_addendum_is_refused(teacher, pupil, text):
    record = make_record(teacher, [pupil])
    _invalid(
        lambda: records_services.record_addendum_add(actor=teacher, record=record, text=text),
        "text",
    )


def test_addendum_belongs_to_exactly_one_thing(teacher, pupil):
    record = make_record(teacher, [pupil])
    disclosure = make_disclosure(teacher, pupil)
    with pytest.raises(IntegrityError), transaction.atomic():
        Addendum.objects.create(author=teacher, record=record, disclosure=disclosure, text="Both.")
    with pytest.raises(IntegrityError), transaction.atomic():
        Addendum.objects.create(author=teacher, text="Neither.")
    assert not Addendum.objects.exists()


def test_addendum_needs_text_in_the_database(teacher, pupil):
    record = make_record(teacher, [pupil])
    with pytest.raises(IntegrityError), transaction.atomic():
        Addendum.objects.create(author=teacher, record=record, text="")


# --- disclosure_addendum_add --------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["teacher", "dsl", "head", "deputy"])
def test_author_dsl_or_head_adds_to_a_disclosure(persona, teacher, pupil, request):
    actor = request.getfixturevalue(persona)
    disclosure = make_disclosure(teacher, pupil)
    addendum = records_services.disclosure_addendum_add(
        actor=actor, disclosure=disclosure, text=" Police informed at 17:10. "
    )
    stored = Addendum.objects.get(pk=addendum.pk)
    assert (stored.author, stored.disclosure, stored.record) == (actor, disclosure, None)
    assert stored.text == "Police informed at 17:10."
    (event,) = _events(disclosure, "disclosure.addendum")
    assert event.actor == actor
    assert Disclosure.objects.get(pk=disclosure.pk).account == ACCOUNT


@pytest.mark.parametrize("persona", ["colleague", "line_manager", "assistant", "chair", "outsider"])
def test_others_cannot_add_to_a_disclosure(persona, teacher, pupil, request):
    actor = request.getfixturevalue(persona)
    disclosure = make_disclosure(teacher, pupil)
    _refused(
        lambda: records_services.disclosure_addendum_add(
            actor=actor, disclosure=disclosure, text="Hm."
        )
    )


def test_empty_disclosure_addendum_is_refused(teacher, pupil):
    disclosure = make_disclosure(teacher, pupil)
    _invalid(
        lambda: records_services.disclosure_addendum_add(
            actor=teacher, disclosure=disclosure, text=" "
        ),
        "text",
    )


def test_deputy_cannot_add_to_a_personal_disclosure_they_cannot_read(teacher, pupil, deputy):
    disclosure = make_disclosure(teacher, pupil, disclosure_type="personal")
    assert not selectors.disclosures_visible_to(deputy).filter(pk=disclosure.pk).exists()
    _refused(
        lambda: records_services.disclosure_addendum_add(
            actor=deputy, disclosure=disclosure, text="Hm."
        )
    )


# --- disclosure_record --------------------------------------------------------------------------


def test_child_protection_disclosure_alerts_the_dsl_and_the_head(
    teacher, pupil, dsl, head, deputy, line_manager
):
    disclosure = make_disclosure(teacher, pupil)
    stored = Disclosure.objects.get(pk=disclosure.pk)
    assert (stored.author, stored.pupil, stored.school) == (teacher, pupil, teacher.school)
    assert stored.disclosure_type == "child_protection" and stored.account == ACCOUNT
    assert stored.disclosed_by == "The pupil"
    assert _notified() == {dsl, head}
    for notice in Notification.objects.all():
        assert notice.message == (
            f"A child protection disclosure was recorded ({disclosure.reference}): open it now"
        )


def test_child_protection_disclosure_alerts_the_deputy_while_the_head_is_absent(
    teacher, pupil, dsl, head, deputy
):
    _absent_today(head)
    make_disclosure(teacher, pupil)
    assert _notified() == {dsl, head, deputy}


def test_personal_disclosure_alerts_the_head_only(teacher, pupil, dsl, head, deputy):
    disclosure = make_disclosure(teacher, pupil, disclosure_type="personal")
    assert _notified() == {head}
    (notice,) = Notification.objects.all()
    assert notice.message == f"A disclosure was recorded ({disclosure.reference}): open it now"


def test_personal_disclosure_during_an_absence_alerts_only_those_who_can_open_it(
    teacher, pupil, dsl, head, deputy
):
    _absent_today(head)
    disclosure = make_disclosure(teacher, pupil, disclosure_type="personal")
    for person in _notified():
        assert selectors.disclosures_visible_to(person).filter(pk=disclosure.pk).exists(), person
    assert deputy not in _notified()


@pytest.mark.parametrize(
    ("author", "expected"),
    [("dsl", {"head"}), ("head", {"dsl"}), ("deputy", {"dsl", "head"})],
)
def test_disclosure_never_alerts_its_author(author, expected, pupil, dsl, head, deputy, request):
    make_disclosure(request.getfixturevalue(author), pupil)
    assert _notified() == {request.getfixturevalue(name) for name in expected}


def test_disclosure_audit_gives_the_type_and_never_the_account(teacher, pupil, dsl, head):
    disclosure = make_disclosure(teacher, pupil, circumstances="In the corridor, alone.")
    (event,) = _events(disclosure)
    assert event.action == "disclosure.create"
    assert (event.actor, event.reason) == (
        teacher,
        f"Child protection disclosure; content seal {content_seal(disclosure)}",
    )
    assert event.object_ref == disclosure.reference == f"DIS-{disclosure.pk:06d}"
    personal = make_disclosure(teacher, pupil, disclosure_type="personal")
    assert _events(personal)[0].reason.startswith("Other personal disclosure; content seal ")
    written = " ".join(
        f"{e.reason} {e.object_ref} {e.from_state} {e.to_state}" for e in AuditEvent.objects.all()
    )
    for secret in ("frightening", "corridor", pupil.first_name, pupil.last_name):
        assert secret not in written


def test_disclosure_emails_name_no_pupil_and_quote_nothing(
    teacher, pupil, dsl, head, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        disclosure = make_disclosure(teacher, pupil)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([dsl.email, head.email])
    for email in mail.outbox:
        written = f"{email.subject}\n{email.body}"
        assert disclosure.reference in written
        for secret in ("frightening", pupil.first_name, pupil.last_name):
            assert secret not in written


def test_disclosure_text_is_stripped_and_who_said_it_defaults(teacher, pupil):
    disclosure = make_disclosure(
        teacher,
        pupil,
        account=f"  {ACCOUNT}\n",
        disclosed_by="   ",
        circumstances=" Form room. ",
        action_taken=" Told the DSL in person. ",
    )
    stored = Disclosure.objects.get(pk=disclosure.pk)
    assert stored.account == ACCOUNT and stored.disclosed_by == "The pupil"
    assert (stored.circumstances, stored.action_taken) == ("Form room.", "Told the DSL in person.")


def test_disclosure_in_the_future_is_refused(teacher, pupil, dsl, head):
    later = timezone.now() + dt.timedelta(hours=1)
    message = _invalid(lambda: make_disclosure(teacher, pupil, disclosed_at=later), "disclosed_at")
    assert "cannot be in the future" in message


@pytest.mark.parametrize("account", ["", "  \n"])
def test_disclosure_without_an_account_is_refused(teacher, pupil, dsl, head, account):
    _invalid(lambda: make_disclosure(teacher, pupil, account=account), "account")


def test_disclosure_about_a_pupil_of_another_school_is_refused(teacher, other_pupil, dsl, head):
    _invalid(lambda: make_disclosure(teacher, other_pupil), "pupil")


def test_disclosure_of_an_unknown_type_is_refused(teacher, pupil):
    _invalid(lambda: make_disclosure(teacher, pupil, disclosure_type="gossip"), "disclosure_type")


# --- concern_raise ------------------------------------------------------------------------------


def test_concern_about_a_colleague_goes_to_the_head(colleague, teacher, head, deputy, chair):
    concern = make_concern(colleague, teacher)
    stored = BoundaryConcern.objects.get(pk=concern.pk)
    assert stored.route == Route.HEADTEACHER
    assert (stored.reporter, stored.subject, stored.school) == (colleague, teacher, head.school)
    assert stored.description == DESCRIPTION and stored.is_open and not stored.is_self_referral
    assert _notified() == {head}
    (notice,) = Notification.objects.all()
    assert notice.message == f"A boundary concern was raised ({concern.reference})"
    (event,) = _events(concern)
    assert (event.action, event.actor, event.reason) == ("concern.raise", colleague, "")


def test_concern_about_the_head_goes_to_the_chair_not_the_head(teacher, head, chair, deputy):
    concern = make_concern(teacher, head)
    assert BoundaryConcern.objects.get(pk=concern.pk).route == Route.CHAIR_OF_GOVERNORS
    assert _notified() == {chair}


def test_self_referral_is_allowed_and_marked(teacher, head):
    concern = make_concern(teacher, teacher)
    stored = BoundaryConcern.objects.get(pk=concern.pk)
    assert stored.is_self_referral and stored.route == Route.HEADTEACHER
    assert _events(concern)[0].reason == "self-referral"
    assert _notified() == {head}


def test_heads_self_referral_goes_to_the_chair(head, chair):
    concern = make_concern(head, head)
    assert concern.route == Route.CHAIR_OF_GOVERNORS and concern.is_self_referral
    assert _notified() == {chair}


def test_concern_about_the_acting_deputy_goes_to_the_head_alone(teacher, head, deputy):
    _absent_today(head)
    concern = make_concern(teacher, deputy)
    assert _notified() == {head}
    assert list(concerns_services.case_managers(concern)) == [head]


def test_confidential_flag_is_stored(colleague, teacher, head):
    concern = make_concern(colleague, teacher, confidential=True)
    assert BoundaryConcern.objects.get(pk=concern.pk).confidential is True
    assert BoundaryConcern.objects.get(pk=make_concern(colleague, teacher).pk).confidential is False


def test_concern_links_a_record_and_a_request_of_the_school(colleague, teacher, pupil, head):
    record = make_record(teacher, [pupil])
    asked = make_request(teacher, [pupil])
    concern = make_concern(colleague, teacher, related_record=record, related_request=asked)
    stored = BoundaryConcern.objects.get(pk=concern.pk)
    assert (stored.related_record, stored.related_request) == (record, asked)


def test_concern_about_someone_at_another_school_is_refused(teacher, outsider):
    _invalid(lambda: make_concern(teacher, outsider), "subject")


def test_concern_dated_in_the_future_is_refused(colleague, teacher):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    message = _invalid(
        lambda: make_concern(colleague, teacher, occurred_on=tomorrow), "occurred_on"
    )
    assert "cannot be in the future" in message


def test_concern_dated_today_is_accepted(colleague, teacher, head):
    concern = make_concern(colleague, teacher, occurred_on=timezone.localdate())
    assert concern.occurred_on == timezone.localdate()


@pytest.mark.parametrize("description", ["", "   "])
def test_concern_without_a_description_is_refused(colleague, teacher, description):
    _invalid(lambda: make_concern(colleague, teacher, description=description), "description")


def test_concern_linked_to_another_schools_record_is_refused(
    colleague, teacher, outsider, other_pupil
):
    theirs = make_record(outsider, [other_pupil])
    _refused(lambda: make_concern(colleague, teacher, related_record=theirs))


def test_concern_linked_to_another_schools_request_is_refused(
    colleague, teacher, outsider, other_pupil
):
    theirs = make_request(outsider, [other_pupil])
    _refused(lambda: make_concern(colleague, teacher, related_request=theirs))


# --- concern_respond ----------------------------------------------------------------------------

STAMP = r"\d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}"


def _reload(concern) -> BoundaryConcern:
    return BoundaryConcern.objects.get(pk=concern.pk)


def test_head_responds_and_the_response_is_stamped(colleague, teacher, head):
    concern = make_concern(colleague, teacher)
    concerns_services.concern_respond(
        actor=head, concern=concern, response=" Spoke to them today. "
    )
    stored = _reload(concern)
    assert re.fullmatch(
        rf"{STAMP}, {re.escape(head.full_name)}: Spoke to them today\.", stored.response
    )
    assert stored.is_open and stored.outcome == "" and stored.closed_by is None
    (event,) = _events(concern, "concern.respond")
    assert (event.actor, event.from_state, event.to_state, event.reason) == (
        head,
        "open",
        "open",
        "",
    )


def test_responses_accumulate_with_date_stamps(colleague, teacher, head):
    concern = make_concern(colleague, teacher)
    concerns_services.concern_respond(actor=head, concern=concern, response="First conversation.")
    concerns_services.concern_respond(
        actor=head, concern=concern, response="Advice given.", outcome="advice"
    )
    entries = _reload(concern).response.split("\n\n")
    assert len(entries) == 2
    assert re.fullmatch(rf"{STAMP}, .+: First conversation\.", entries[0])
    assert re.fullmatch(rf"{STAMP}, .+: Advice given\.", entries[1])
    assert _reload(concern).outcome == "advice" and _reload(concern).is_open
    assert [e.reason for e in _events(concern, "concern.respond")] == ["", "Advice given"]


def test_head_closes_a_concern_with_an_outcome(colleague, teacher, head):
    concern = make_concern(colleague, teacher)
    concerns_services.concern_respond(
        actor=head,
        concern=concern,
        response="No boundary was crossed.",
        outcome="no_further_action",
        close=True,
    )
    stored = _reload(concern)
    assert not stored.is_open and stored.closed_by == head and stored.closed_at is not None
    assert stored.outcome == "no_further_action"
    (event,) = _events(concern, "concern.close")
    assert (event.actor, event.from_state, event.to_state, event.reason) == (
        head,
        "open",
        "closed",
        "No further action",
    )


def test_closing_needs_an_outcome(colleague, teacher, head):
    concern = make_concern(colleague, teacher)
    message = _invalid(
        lambda: concerns_services.concern_respond(
            actor=head, concern=concern, response="Done.", close=True
        ),
        "outcome",
    )
    assert "outcome" in message
    assert _reload(concern).is_open and _reload(concern).response == ""


def test_unknown_outcome_is_refused(colleague, teacher, head):
    concern = make_concern(colleague, teacher)
    _invalid(
        lambda: concerns_services.concern_respond(
            actor=head, concern=concern, response="Done.", outcome="shrug"
        ),
        "outcome",
    )


def test_empty_response_is_refused(colleague, teacher, head):
    concern = make_concern(colleague, teacher)
    _invalid(
        lambda: concerns_services.concern_respond(actor=head, concern=concern, response=" "),
        "response",
    )


def test_closed_concern_takes_no_more_responses(colleague, teacher, head):
    concern = make_concern(colleague, teacher)
    concerns_services.concern_respond(
        actor=head, concern=concern, response="Closed.", outcome="advice", close=True
    )
    message = _invalid(
        lambda: concerns_services.concern_respond(
            actor=head, concern=concern, response="One more thing."
        )
    )
    assert "closed" in message
    assert "One more thing" not in _reload(concern).response


@pytest.mark.parametrize(
    "persona", ["colleague", "teacher", "deputy", "assistant", "dsl", "chair", "outsider"]
)
def test_only_the_case_manager_responds(persona, colleague, teacher, head, request):
    actor = request.getfixturevalue(persona)
    concern = make_concern(colleague, teacher)
    assert not concerns_services.is_case_manager(actor, concern)
    _refused(
        lambda: concerns_services.concern_respond(actor=actor, concern=concern, response="Mine.")
    )


def test_chair_manages_a_concern_about_the_head(teacher, head, chair):
    concern = make_concern(teacher, head)
    assert concerns_services.is_case_manager(chair, concern)
    assert not concerns_services.is_case_manager(head, concern)
    _refused(
        lambda: concerns_services.concern_respond(actor=head, concern=concern, response="Not me.")
    )
    concerns_services.concern_respond(
        actor=chair, concern=concern, response="Spoke to the head.", outcome="advice", close=True
    )
    assert _reload(concern).closed_by == chair


def test_acting_deputy_manages_concerns_while_the_head_is_absent(colleague, teacher, head, deputy):
    concern = make_concern(colleague, teacher)
    _refused(
        lambda: concerns_services.concern_respond(actor=deputy, concern=concern, response="Early.")
    )
    _absent_today(head)
    concerns_services.concern_respond(
        actor=deputy, concern=concern, response="Acting for the head."
    )
    assert "Acting for the head." in _reload(concern).response


def test_deputy_never_manages_a_concern_about_themself(teacher, head, deputy):
    concern = make_concern(teacher, deputy)
    _absent_today(head)
    assert not concerns_services.is_case_manager(deputy, concern)
    _refused(
        lambda: concerns_services.concern_respond(actor=deputy, concern=concern, response="Fine.")
    )
    concerns_services.concern_respond(actor=head, concern=concern, response="I will handle it.")


def test_closed_concern_must_have_an_outcome_in_the_database(colleague, teacher, head):
    concern = make_concern(colleague, teacher)
    with pytest.raises(IntegrityError), transaction.atomic():
        BoundaryConcern.objects.filter(pk=concern.pk).update(closed_at=timezone.now())
    assert _reload(concern).is_open


# --- LADO ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["head", "chair", "dsl"])
def test_head_chair_or_dsl_records_lado_contact(persona, teacher, request):
    actor = request.getfixturevalue(persona)
    referral = make_lado(actor, teacher, spoke_to="  Sam Duty, LADO ", advice=" Keep notes. ")
    stored = LadoReferral.objects.get(pk=referral.pk)
    assert (stored.recorded_by, stored.subject, stored.school) == (actor, teacher, teacher.school)
    assert (stored.spoke_to, stored.advice) == ("Sam Duty, LADO", "Keep notes.")
    assert stored.contacted_at == past(2, hour=11)
    assert (stored.outcome, stored.outcome_on) == ("", None)
    (event,) = _events(referral)
    assert (event.action, event.actor) == ("lado.referral", actor)
    assert event.reason == f"about {teacher.audit_ref}"
    assert event.object_ref == f"LADO-{referral.pk:06d}"


def test_consultation_is_audited_as_one(head, teacher):
    referral = make_lado(head, teacher, referral_type="consultation")
    assert _events(referral)[0].action == "lado.consultation"


def test_lado_contact_links_a_concern(colleague, teacher, head):
    concern = make_concern(colleague, teacher)
    referral = make_lado(head, teacher, concern=concern)
    assert LadoReferral.objects.get(pk=referral.pk).concern == concern


@pytest.mark.parametrize(
    "persona", ["teacher", "line_manager", "deputy", "assistant", "governor", "admin"]
)
def test_others_cannot_record_lado_contact(persona, colleague, request):
    actor = request.getfixturevalue(persona)
    _refused(lambda: make_lado(actor, colleague))


def test_another_schools_head_cannot_record_lado_contact_about_our_staff(outsider, teacher):
    _refused(lambda: make_lado(outsider, teacher))


@pytest.mark.parametrize("persona", ["head", "chair", "dsl"])
def test_nobody_records_lado_contact_about_themself(persona, request):
    actor = request.getfixturevalue(persona)
    _refused(lambda: make_lado(actor, actor))


def test_lado_call_in_the_future_is_refused(head, teacher):
    later = timezone.now() + dt.timedelta(hours=2)
    message = _invalid(lambda: make_lado(head, teacher, contacted_at=later), "contacted_at")
    assert "cannot be in the future" in message


def test_lado_contact_needs_its_answers(head, teacher):
    error = _refused(
        lambda: make_lado(head, teacher, referral_type="chat", spoke_to=" ", advice=""),
        ValidationError,
    )
    assert set(error.message_dict) == {"referral_type", "spoke_to", "advice"}


def test_lado_outcome_is_recorded_once(head, teacher):
    referral = make_lado(head, teacher, contacted_at=past(5))
    concerns_services.lado_outcome_record(
        actor=head, referral=referral, outcome="unsubstantiated", outcome_on=days_ago(1)
    )
    stored = LadoReferral.objects.get(pk=referral.pk)
    assert (stored.outcome, stored.outcome_on) == ("unsubstantiated", days_ago(1))
    (event,) = _events(referral, "lado.outcome")
    assert (event.actor, event.reason) == (head, "Unsubstantiated")
    message = _invalid(
        lambda: concerns_services.lado_outcome_record(
            actor=head, referral=stored, outcome="substantiated", outcome_on=days_ago(0)
        )
    )
    assert "already recorded" in message
    assert LadoReferral.objects.get(pk=referral.pk).outcome == "unsubstantiated"


def test_lado_outcome_on_the_day_of_the_call_is_accepted(dsl, teacher):
    referral = make_lado(dsl, teacher, contacted_at=past(3, hour=23, minute=30))
    concerns_services.lado_outcome_record(
        actor=dsl, referral=referral, outcome="unfounded", outcome_on=days_ago(3)
    )
    assert LadoReferral.objects.get(pk=referral.pk).outcome_on == days_ago(3)


def test_consultation_has_no_outcome(head, teacher):
    referral = make_lado(head, teacher, referral_type="consultation")
    message = _invalid(
        lambda: concerns_services.lado_outcome_record(
            actor=head, referral=referral, outcome="unfounded", outcome_on=days_ago(0)
        )
    )
    assert "consultation has no outcome" in message


def test_lado_outcome_before_the_call_is_refused(head, teacher):
    referral = make_lado(head, teacher, contacted_at=past(3))
    message = _invalid(
        lambda: concerns_services.lado_outcome_record(
            actor=head, referral=referral, outcome="unfounded", outcome_on=days_ago(4)
        ),
        "outcome_on",
    )
    assert "cannot come before the referral" in message


def test_lado_outcome_in_the_future_is_refused(head, teacher):
    referral = make_lado(head, teacher)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    message = _invalid(
        lambda: concerns_services.lado_outcome_record(
            actor=head, referral=referral, outcome="unfounded", outcome_on=tomorrow
        ),
        "outcome_on",
    )
    assert "cannot be in the future" in message


def test_unknown_lado_outcome_is_refused(head, teacher):
    referral = make_lado(head, teacher)
    _invalid(
        lambda: concerns_services.lado_outcome_record(
            actor=head, referral=referral, outcome="maybe", outcome_on=days_ago(0)
        ),
        "outcome",
    )


@pytest.mark.parametrize("persona", ["teacher", "deputy", "governor", "outsider"])
def test_others_cannot_record_a_lado_outcome(persona, head, colleague, request):
    referral = make_lado(head, colleague)
    actor = request.getfixturevalue(persona)
    _refused(
        lambda: concerns_services.lado_outcome_record(
            actor=actor, referral=referral, outcome="false", outcome_on=days_ago(0)
        )
    )


def test_subject_cannot_record_the_outcome_of_a_referral_about_themself(head, dsl):
    referral = make_lado(head, dsl)
    _refused(
        lambda: concerns_services.lado_outcome_record(
            actor=dsl, referral=referral, outcome="false", outcome_on=days_ago(0)
        )
    )


def test_lado_outcome_and_its_date_go_together_in_the_database(head, teacher):
    referral = make_lado(head, teacher)
    rows = LadoReferral.objects.filter(pk=referral.pk)
    with pytest.raises(IntegrityError), transaction.atomic():
        rows.update(outcome="substantiated")
    with pytest.raises(IntegrityError), transaction.atomic():
        rows.update(outcome_on=days_ago(0))
    assert rows.values_list("outcome", "outcome_on").get() == ("", None)


def test_the_reporter_is_never_alerted_about_their_own_concern(head, teacher, deputy):
    make_concern(head, teacher)
    assert head not in _notified()
