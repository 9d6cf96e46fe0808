"""The contact record pages: the chooser, the form that adapts to each record type, the record
page with its assessment and addenda, attachments, restricted family records and the list.

Each test signs a persona in, reads the page as a person would (its text) and checks what the
database holds afterwards.
"""

import datetime as dt
import re

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from contacts.notifications.models import Notification
from contacts.records import services
from contacts.records.forms import RECORD_TYPE_GUIDE
from contacts.records.models import Addendum, ContactRecord, RecordType
from safeguard.audit.models import AuditEvent
from tests.factories import PupilFactory
from tests.factories_records import DETAILS, make_family_record, make_record
from tests.helpers import StoredUploads, field_error, sign_in, text

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200
TYPED = "Ava stopped me outside the sports centre and talked about her exams for ten minutes."

# Which of the optional fields each record type's form shows.
OPTIONAL = ("kind", "school_channel", "direction", "reply")
SHOWN = {
    RecordType.UNPLANNED: {"kind"},
    RecordType.ONGOING: {"kind"},
    RecordType.CORRESPONDENCE: {"kind", "direction", "reply"},
    RecordType.GIFT: {"direction"},
    RecordType.MESSAGE: {"kind", "school_channel"},
    RecordType.LIFT: set(),
    RecordType.PERSONAL_DETAILS: set(),
    RecordType.PHOTOGRAPHY: {"school_channel"},
    RecordType.FAMILY: {"kind"},
    RecordType.RELATIONSHIP: set(),
}


def _as(client, user):
    sign_in(client, user)
    return client


def _stored_files() -> set[str]:
    return set(StoredUploads().names())


def _yesterday() -> str:
    return (timezone.localdate() - dt.timedelta(days=1)).isoformat()


def _answers(pupils, **extra) -> dict:
    """The form filled in for an unplanned work meeting yesterday."""
    data = {
        "pupils": [p.pk for p in pupils],
        "kind": "meeting",
        "purpose": "work",
        "occurred_on": _yesterday(),
        "occurred_time": "16:30",
        "place": "Sports centre car park",
        "details": TYPED,
        "arranged": "no",
    }
    return data | extra


def _post(client, record_type, data):
    return client.post(reverse("record_new_type", args=[record_type]), data)


def _letter(answers_for, content=PDF, name="letter.pdf", content_type="application/pdf"):
    upload = SimpleUploadedFile(name, content, content_type=content_type)
    return answers_for | {"kind": "letter", "direction": "received", "attachment": upload}


def record_url(record) -> str:
    return reverse("record_detail", args=[record.pk])


def _new_record() -> ContactRecord:
    return ContactRecord.objects.get()


# --- the chooser and the form -------------------------------------------------------------------


def test_chooser_lists_every_record_type_with_its_policy_and_links(client, teacher):
    response = _as(client, teacher).get(reverse("record_new"))
    page = text(response)
    assert response.status_code == 200
    for record_type in RecordType:
        assert record_type.label in page
        explanation, citation = RECORD_TYPE_GUIDE[record_type]
        assert explanation in page
        assert f"Policy: {citation}" in page
        assert f'href="{reverse("record_new_type", args=[record_type])}"' in response.text
    assert "A pupil told you something worrying?" in page
    assert f'href="{reverse("disclosure_new")}"' in response.text


def test_the_relationship_record_gives_the_lado_s_number(client, teacher, school):
    school.lado_phone = "01632 960 123"
    school.save()
    page = text(_as(client, teacher).get(reverse("record_new_type", args=["relationship"])))
    assert "The LADO's number: 01632 960 123." in page
    lift = text(client.get(reverse("record_new_type", args=["lift"])))
    assert "LADO's number" not in lift


@pytest.mark.parametrize("record_type", list(RecordType))
def test_each_record_types_form_shows_only_its_own_fields(client, teacher, pupil, record_type):
    response = _as(client, teacher).get(reverse("record_new_type", args=[record_type]))
    html = response.text
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in html
    for field in ("find_pupil", "purpose", "occurred_on", "occurred_time", "place", "details"):
        assert f'name="{field}"' in html, field
    assert 'name="attachment"' in html
    for field in OPTIONAL:
        assert (f'name="{field}"' in html) == (field in SHOWN[record_type]), field
    assert "Find a pupil by name" in text(response)


def test_the_forms_wording_follows_the_record_type(client, teacher):
    page = text(_as(client, teacher).get(reverse("record_new_type", args=["photography"])))
    assert "It was taken on a school camera or device" in page
    page = text(client.get(reverse("record_new_type", args=["message"])))
    assert "It used the school's own phone, email or equipment" in page
    page = text(client.get(reverse("record_new_type", args=["correspondence"])))
    assert "Any reply you sent, to be filed with it" in page
    assert "A scan or photo of the letter or card: PDF, PNG or JPEG, at most 10 MB" in page
    page = text(client.get(reverse("record_new_type", args=["family"])))
    assert "Only the headteacher, the assistant headteacher and you will read it." in page


def test_an_unknown_record_type_is_not_found(client, teacher):
    response = _as(client, teacher).get(reverse("record_new_type", args=["picnic"]))
    assert response.status_code == 404


def test_an_empty_post_shows_the_errors_and_saves_nothing(client, teacher):
    response = _post(_as(client, teacher), "unplanned", {})
    assert response.status_code == 200
    assert field_error(response, "pupils")
    assert field_error(response, "details")
    assert "Nothing has been saved yet" in text(response)
    assert ContactRecord.objects.count() == 0


# --- saving a record ----------------------------------------------------------------------------


def test_an_unplanned_meeting_is_recorded_and_shown_with_what_the_policies_say(
    client, teacher, pupil
):
    response = _post(_as(client, teacher), "unplanned", _answers([pupil]))
    record = _new_record()
    assert response.status_code == 302
    assert response.url == reverse("record_detail", args=[record.pk])
    assert (record.author, record.record_type, record.kind, record.purpose) == (
        teacher,
        "unplanned",
        "meeting",
        "work",
    )
    assert list(record.pupils.all()) == [pupil]
    assert timezone.localtime(record.occurred_at).strftime("%Y-%m-%d %H:%M") == (
        f"{_yesterday()} 16:30"
    )
    assert record.place == "Sports centre car park"
    page = text(client.get(response.url))
    assert f"{record.reference} was recorded." in page
    assert "What the policies say" in page
    assert "000 §unplanned contact" in page
    assert TYPED in page
    assert "Ava Current" in page
    assert "Sports centre car park" in page
    assert AuditEvent.objects.filter(action="record.create").count() == 1


def test_an_emergency_lift_tells_the_head_and_the_page_says_so(client, teacher, pupil, head):
    data = _answers([pupil], purpose="work", details="Drove her home: she was locked out.")
    del data["kind"]
    response = _post(_as(client, teacher), "lift", data)
    record = _new_record()
    assert record.kind == "transport"
    assert "report_to_head_immediately" in record.actions
    assert Notification.objects.filter(recipient=head, url=response.url).exists()
    page = text(client.get(response.url))
    assert f"{record.reference} was recorded. Alerted: {head.full_name}." in page


def test_a_letter_tells_the_line_manager_and_the_page_says_so(client, teacher, pupil, line_manager):
    data = _answers([pupil], kind="letter", direction="received", reply="Thanked her.")
    response = _post(_as(client, teacher), "correspondence", data)
    record = _new_record()
    assert (record.direction, record.reply) == ("received", "Thanked her.")
    # Told, but the record is not theirs to read: the notice leads to the teacher's page.
    staff_page = reverse("staff_detail", args=[teacher.pk])
    assert Notification.objects.filter(recipient=line_manager, url=staff_page).exists()
    page = text(client.get(response.url))
    assert f"Your line manager {line_manager.full_name} has been told." in page
    assert "Received from the pupil" in page
    assert "Thanked her." in page
    assert _as(client, line_manager).get(response.url).status_code == 404


def test_a_date_in_the_future_is_refused_next_to_the_date(client, teacher, pupil):
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = _post(_as(client, teacher), "unplanned", _answers([pupil], occurred_on=tomorrow))
    assert response.status_code == 200
    assert "cannot be in the future" in field_error(response, "occurred_on")
    assert ContactRecord.objects.count() == 0
    assert TYPED in response.text


def test_a_gift_must_say_which_way_it_went(client, teacher, pupil):
    data = _answers([pupil])
    del data["kind"]
    response = _post(_as(client, teacher), "gift", data)
    assert field_error(response, "direction")
    assert ContactRecord.objects.count() == 0


def test_a_pupil_of_another_school_cannot_be_chosen(client, teacher, other_pupil):
    response = _post(_as(client, teacher), "unplanned", _answers([other_pupil]))
    assert field_error(response, "pupils")
    assert ContactRecord.objects.count() == 0


def test_a_pupil_id_too_big_for_any_database_is_an_invalid_choice(client, teacher, pupil):
    response = _post(_as(client, teacher), "unplanned", _answers([pupil]) | {"pupils": [2**70]})
    assert "is not a valid value" in field_error(response, "pupils")
    assert ContactRecord.objects.count() == 0


# --- attachments ----------------------------------------------------------------------------


def test_a_scanned_letter_is_kept_and_downloads_only_for_those_who_may_read_it(
    client, teacher, pupil, head, colleague
):
    response = _post(_as(client, teacher), "correspondence", _letter(_answers([pupil])))
    record = _new_record()
    assert (record.attachment_name, record.attachment_type) == ("letter.pdf", "application/pdf")
    url = reverse("record_attachment", args=[record.pk])
    assert url in client.get(response.url).text
    for reader in (teacher, head):
        download = _as(client, reader).get(url)
        assert download.status_code == 200
        assert download["Content-Disposition"].startswith("attachment")
        assert 'filename="letter.pdf"' in download["Content-Disposition"]
        assert download["Content-Type"] == "application/pdf"
        assert b"".join(download.streaming_content) == PDF
    assert _as(client, colleague).get(url).status_code == 404


def test_a_file_uploaded_through_one_server_downloads_from_another(
    client, teacher, head, pupil, settings, uploads
):
    """Two app servers share only the database: the upload is written by one process's storage
    and read by a fresh one, as a second server would."""
    content = PDF + b"%" + bytes(range(256)) * 40
    _post(_as(client, teacher), "correspondence", _letter(_answers([pupil]), content=content))
    record = _new_record()
    assert uploads.names() == [record.attachment]
    # A new storage instance, as another server process makes from the same settings.
    first = storages["uploads"]
    settings.STORAGES = {**settings.STORAGES}
    assert storages["uploads"] is not first

    download = _as(Client(), head).get(reverse("record_attachment", args=[record.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == content
    assert AuditEvent.objects.filter(action="attachment.download", actor=head).count() == 1


def test_a_record_without_an_attachment_has_no_download(client, teacher, pupil):
    record = make_record(teacher, [pupil])
    response = _as(client, teacher).get(reverse("record_attachment", args=[record.pk]))
    assert response.status_code == 404


def test_an_executable_named_as_a_pdf_is_refused_and_nothing_else_is_lost(client, teacher, pupil):
    before = _stored_files()
    data = _letter(_answers([pupil]), content=EXE)
    response = _post(_as(client, teacher), "correspondence", data)
    assert response.status_code == 200
    assert "Upload a PDF, PNG, JPEG file" in field_error(response, "attachment")
    assert ContactRecord.objects.count() == 0
    assert AuditEvent.objects.filter(action="record.create").count() == 0
    assert _stored_files() == before
    # Everything else typed is still there, ready to save again.
    assert TYPED in response.text
    assert 'value="Sports centre car park"' in response.text
    assert re.search(r'value="received"[^>]*checked', response.text)
    assert "choose the attachment again" in text(response)


@override_settings(UPLOAD_MAX_BYTES=100)
def test_an_oversized_file_is_refused(client, teacher, pupil):
    data = _letter(_answers([pupil]), content=PDF + b"0" * 200)
    response = _post(_as(client, teacher), "correspondence", data)
    assert "larger than the limit" in field_error(response, "attachment")
    assert ContactRecord.objects.count() == 0
    assert TYPED in response.text


# --- reading records ----------------------------------------------------------------------------


def test_a_family_record_is_restricted_to_the_head_assistant_and_author(
    client, teacher, pupil, deputy, head, assistant
):
    record = make_family_record(teacher, [pupil], details="Met her mother at the pub quiz.")
    assert record.restricted
    url = reverse("record_detail", args=[record.pk])
    page = text(_as(client, deputy).get(url))
    assert "Restricted" in page
    assert record.reference in page
    assert "Met her mother" not in page
    assert "Only the headteacher, the assistant headteacher and the author read it" in page
    listing = text(client.get(reverse("record_list")))
    assert record.reference in listing and "Restricted" in listing
    assert "Met her mother" not in listing and pupil.full_name not in listing
    for reader in (head, assistant, teacher):
        page = text(_as(client, reader).get(url))
        assert "Met her mother at the pub quiz." in page
        assert f"The family of {pupil.full_name}" in page


def test_a_restricted_records_attachment_and_addenda_are_closed_to_those_who_cannot_read_it(
    client, teacher, pupil, line_manager, deputy, head
):
    upload = SimpleUploadedFile("note.pdf", PDF, content_type="application/pdf")
    record = make_family_record(teacher, [pupil], attachment=upload)
    download = reverse("record_attachment", args=[record.pk])
    add = reverse("record_addendum", args=[record.pk])
    assert _as(client, deputy).get(download).status_code == 403
    assert client.post(add, {"text": "Seen."}).status_code == 403
    # The line manager does not see the team's records at all.
    assert _as(client, line_manager).get(download).status_code == 404
    assert client.post(add, {"text": "Seen."}).status_code == 404
    assert Addendum.objects.count() == 0
    assert _as(client, head).get(download).status_code == 200


def test_a_colleague_cannot_open_anothers_record(client, teacher, pupil, colleague):
    record = make_record(teacher, [pupil])
    response = _as(client, colleague).get(reverse("record_detail", args=[record.pk]))
    assert response.status_code == 404
    assert record.reference not in text(client.get(reverse("record_list")))


def test_the_record_page_has_no_edit_link_and_shows_the_addenda(client, teacher, pupil, head):
    record = make_record(teacher, [pupil])
    services.record_addendum_add(actor=head, record=record, text="Spoke to the teacher about it.")
    response = _as(client, teacher).get(reverse("record_detail", args=[record.pk]))
    page = text(response)
    assert "/edit" not in response.text
    assert "Edit" not in page
    assert "Records cannot be changed once saved; add an addendum to correct or add to it." in page
    assert "Spoke to the teacher about it." in page
    assert f"by {head.full_name}" in page
    assert DETAILS in page


def test_the_author_adds_a_dated_addendum(client, teacher, pupil):
    record = make_record(teacher, [pupil])
    url = reverse("record_addendum", args=[record.pk])
    response = _as(client, teacher).post(url, {"text": "The pupil's name was Ava, not Eva."})
    assert response.status_code == 302
    addendum = Addendum.objects.get(record=record)
    assert addendum.author == teacher
    page = text(client.get(response.url))
    assert "Your addendum was added" in page
    assert "The pupil's name was Ava, not Eva." in page
    assert f"Added {timezone.localtime(addendum.created_at):%-d %b %Y}" in page


def test_an_empty_addendum_is_refused_next_to_its_field(client, teacher, pupil):
    record = make_record(teacher, [pupil])
    response = _as(client, teacher).post(reverse("record_addendum", args=[record.pk]), {})
    assert response.status_code == 200
    assert "Write the addendum." in field_error(response, "text")
    assert Addendum.objects.count() == 0


def test_others_cannot_add_to_a_record(client, teacher, pupil, colleague, line_manager):
    record = make_record(teacher, [pupil])
    url = reverse("record_addendum", args=[record.pk])
    assert _as(client, colleague).post(url, {"text": "Not mine to add."}).status_code == 404
    # The line manager monitors approved contact, not the team's records.
    assert _as(client, line_manager).get(record_url(record)).status_code == 404
    assert client.post(url, {"text": "Not mine to add."}).status_code == 404
    assert Addendum.objects.count() == 0


def test_social_media_with_a_current_pupil_shows_the_breach_and_the_concern_link(
    client, teacher, pupil, head
):
    data = _answers([pupil], kind="social_media", purpose="personal")
    response = _post(_as(client, teacher), "ongoing", data)
    record = _new_record()
    assert record.verdict == "prohibited"
    assert Notification.objects.filter(recipient=head, url=response.url).exists()
    page = client.get(response.url)
    assert "This contact breached the school's policy." in text(page)
    assert "Not allowed" in text(page)
    assert f'href="{reverse("concern_new")}?record={record.pk}"' in page.text


def test_the_head_is_prompted_to_consider_the_lado_when_the_policies_say_so(
    client, teacher, pupil, head, deputy, school
):
    record = make_record(teacher, [pupil])
    # No record type offered today leads the engine to name this action, so the stored
    # assessment is given it here to show the prompt.
    ContactRecord.objects.filter(pk=record.pk).update(actions=["consider_lado"])
    response = _as(client, head).get(record_url(record))
    assert f"Consider consulting the LADO (telephone {school.lado_phone})" in text(response)
    assert f'href="{reverse("lado_new")}?record={record.pk}"' in response.text
    for other in (teacher, deputy):
        assert "Consider consulting the LADO (telephone" not in text(
            _as(client, other).get(record_url(record))
        )


def test_a_plain_record_shows_no_breach(client, teacher, pupil):
    record = make_record(teacher, [pupil])
    page = text(_as(client, teacher).get(record_url(record)))
    assert "breached" not in page
    # Said as what was done, never as approval of what happened.
    assert "Recorded, as the policies ask" in page
    assert "Allowed" not in page


# --- the list ---------------------------------------------------------------------------------


def test_the_list_shows_own_records_newest_first_with_verdicts_in_words(client, teacher, pupil):
    older = make_record(teacher, [pupil], occurred_at=timezone.now() - dt.timedelta(days=3))
    newer = make_record(teacher, [pupil], occurred_at=timezone.now() - dt.timedelta(days=1))
    response = _as(client, teacher).get(reverse("record_list"))
    page = text(response)
    assert page.index(newer.reference) < page.index(older.reference)
    assert "Unplanned contact beyond a brief greeting" in page
    assert "Recorded, as the policies ask" in page
    assert pupil.full_name in page
    assert f'href="{reverse("record_new")}"' in response.text
    assert f'href="{reverse("disclosure_new")}"' in response.text


def test_the_head_sees_everyones_records_and_can_show_only_their_own(client, teacher, pupil, head):
    theirs = make_record(teacher, [pupil])
    page = text(_as(client, head).get(reverse("record_list")))
    assert theirs.reference in page and teacher.full_name in page
    page = text(client.get(reverse("record_list") + "?show=mine"))
    assert theirs.reference not in page


def test_the_list_is_paginated(client, teacher, pupil):
    for _ in range(51):
        make_record(teacher, [pupil])
    page = text(_as(client, teacher).get(reverse("record_list")))
    assert "Page 1 of 2" in page
    assert page.count("REC-") == 50
    assert text(client.get(reverse("record_list") + "?page=2")).count("REC-") == 1


# --- methods ----------------------------------------------------------------------------------


def test_post_only_addresses_refuse_get(client, teacher, pupil):
    record = make_record(teacher, [pupil])
    response = _as(client, teacher).get(reverse("record_addendum", args=[record.pk]))
    assert response.status_code == 405


def test_a_relationship_record_prompts_the_head_to_ask_the_lado(client, teacher, head):
    adult = PupilFactory(
        school=teacher.school,
        date_of_birth=timezone.localdate() - dt.timedelta(days=25 * 366),
        admission_date=timezone.localdate() - dt.timedelta(days=14 * 366),
        leaving_date=timezone.localdate() - dt.timedelta(days=6 * 366),
    )
    data = _answers([adult], purpose="personal", details="We have started seeing each other.")
    del data["kind"]
    response = _post(_as(client, teacher), "relationship", data)
    record = _new_record()
    assert record.kind == "relationship"
    assert "consult_lado" in record.actions
    page = text(_as(client, head).get(response.url))
    assert "Ask the LADO for advice" in page
    assert head.school.lado_phone in page


def test_arranged_contact_recorded_afterwards_says_it_should_have_been_asked_first(
    client, teacher, pupil, line_manager
):
    response = _post(
        _as(client, teacher), "unplanned", _answers([pupil], purpose="personal", arranged="yes")
    )
    assert response.status_code == 302
    page = text(client.get(response.url))
    assert "This should have been asked about first." in page
    assert "the answer would have been: not allowed" in page


def test_whether_it_was_arranged_must_be_answered(client, teacher, pupil):
    answers = _answers([pupil])
    del answers["arranged"]
    response = _post(_as(client, teacher), "unplanned", answers)
    assert response.status_code == 200
    assert field_error(response, "arranged")


def test_signposting_to_services_outside_school_is_recorded_and_shown(client, teacher):
    adult = PupilFactory(
        school=teacher.school,
        date_of_birth=timezone.localdate() - dt.timedelta(days=22 * 366),
        admission_date=timezone.localdate() - dt.timedelta(days=12 * 366),
        leaving_date=timezone.localdate() - dt.timedelta(days=4 * 366),
    )
    data = _answers(
        [adult],
        kind="email",
        direction="received",
        details="She wrote asking for help with housing.",
        signposting="  The council's housing advice line.  ",
    )
    del data["arranged"]
    response = _post(_as(client, teacher), "correspondence", data)
    record = _new_record()
    assert record.signposting == "The council's housing advice line."
    page = text(client.get(response.url))
    assert "Signposting The council's housing advice line." in page


def test_a_record_without_signposting_says_none_was_given(client, teacher, pupil):
    response = _post(_as(client, teacher), "unplanned", _answers([pupil]))
    assert "Signposting None given" in text(client.get(response.url))
