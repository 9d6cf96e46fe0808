"""View events: opening a pupil's page, a disclosure or a boundary concern leaves a "view" event in
the audit trail, and "Who has seen this" lists those views to the headteacher and the DSL (for a
concern, to its case manager only). Reading a restricted family-liaison entry, downloading an
attachment and every export leave one too, and the panel lists exports beside views.
"""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from safeguard.audit.chain import audit_verify
from safeguard.audit.models import AuditEvent
from safeguard.audit.selectors import audit_seen_by, seen_by_panel
from tests.factories import PupilFactory
from tests.factories_records import make_concern, make_disclosure, make_family_record, make_record
from tests.factories_requests import make_request
from tests.helpers import sign_in, text

SEEN = "Who has seen this"


def _open(client, user, url_name, pk):
    sign_in(client, user)
    return client.get(reverse(url_name, args=[pk]))


def _views():
    return list(AuditEvent.objects.filter(action="view").order_by("id"))


def _seen_section(response) -> str:
    """The text of the "Who has seen this" card ('' when the page has none)."""
    page = text(response)
    if SEEN not in page:
        return ""
    return page[page.index(SEEN) :]


# --- one event per page shown -------------------------------------------------------------------


def test_opening_a_pupil_page_writes_one_view_event(client, head, pupil):
    before = AuditEvent.objects.count()
    response = _open(client, head, "pupil_detail", pupil.pk)
    assert response.status_code == 200
    assert AuditEvent.objects.count() == before + 1
    (event,) = _views()
    assert (event.actor, event.actor_role, event.school) == (head, "headteacher", pupil.school)
    assert (event.object_type, event.object_id) == ("contacts.pupil", str(pupil.pk))
    assert event.object_ref == f"PUPIL-{pupil.pk}"


def test_opening_a_disclosure_writes_one_view_event(client, teacher, dsl, pupil):
    disclosure = make_disclosure(teacher, pupil)
    before = AuditEvent.objects.count()
    assert _open(client, dsl, "disclosure_detail", disclosure.pk).status_code == 200
    assert AuditEvent.objects.count() == before + 1
    (event,) = _views()
    assert (event.actor, event.actor_role) == (dsl, "dsl")
    assert (event.object_type, event.object_id) == ("contacts.disclosure", str(disclosure.pk))
    assert event.object_ref == disclosure.reference


def test_opening_a_concern_writes_one_view_event(client, teacher, colleague, head):
    concern = make_concern(teacher, colleague)
    before = AuditEvent.objects.count()
    assert _open(client, head, "concern_detail", concern.pk).status_code == 200
    assert AuditEvent.objects.count() == before + 1
    (event,) = _views()
    assert event.actor == head
    assert (event.object_type, event.object_id) == ("contacts.boundaryconcern", str(concern.pk))
    assert event.object_ref == concern.reference


def test_each_opening_is_its_own_event(client, head, dsl, pupil):
    _open(client, head, "pupil_detail", pupil.pk)
    _open(client, dsl, "pupil_detail", pupil.pk)
    _open(client, head, "pupil_detail", pupil.pk)
    assert [e.actor for e in _views()] == [head, dsl, head]


def test_a_reporter_opening_their_own_concern_is_recorded(client, teacher, colleague, head):
    concern = make_concern(teacher, colleague, confidential=True)
    assert _open(client, teacher, "concern_detail", concern.pk).status_code == 200
    assert [(e.actor, e.object_id) for e in _views()] == [(teacher, str(concern.pk))]


# --- nothing written when the page is not shown -------------------------------------------------


def test_a_pupil_page_refused_writes_no_view_event(client, teacher, outsider, pupil, other_pupil):
    before = AuditEvent.objects.count()
    assert _open(client, teacher, "pupil_detail", pupil.pk).status_code == 403
    assert _open(client, outsider, "pupil_detail", pupil.pk).status_code == 404
    assert _open(client, outsider, "pupil_detail", other_pupil.pk + 1000).status_code == 404
    assert AuditEvent.objects.count() == before
    assert _views() == []


def test_a_disclosure_refused_writes_no_view_event(client, teacher, colleague, outsider, pupil):
    disclosure = make_disclosure(teacher, pupil)
    before = AuditEvent.objects.count()
    assert _open(client, colleague, "disclosure_detail", disclosure.pk).status_code == 404
    assert _open(client, outsider, "disclosure_detail", disclosure.pk).status_code == 404
    assert _open(client, teacher, "disclosure_detail", disclosure.pk + 1000).status_code == 404
    assert AuditEvent.objects.count() == before


def test_a_concern_refused_writes_no_view_event(client, teacher, colleague, dsl, deputy, outsider):
    concern = make_concern(teacher, colleague)
    before = AuditEvent.objects.count()
    for person in (colleague, dsl, deputy, outsider):
        assert _open(client, person, "concern_detail", concern.pk).status_code == 404
    assert AuditEvent.objects.count() == before


# --- "Who has seen this" ------------------------------------------------------------------------


def test_the_head_and_the_dsl_see_who_opened_a_pupil_page(client, head, dsl, admin, pupil):
    _open(client, admin, "pupil_detail", pupil.pk)
    for reader in (head, dsl):
        seen = _seen_section(_open(client, reader, "pupil_detail", pupil.pk))
        assert f"{admin.full_name} School administrator" in seen
        assert reader.full_name in seen  # their own view, just written


def test_other_directory_readers_do_not_see_who_opened_a_pupil_page(
    client, head, deputy, assistant, admin, pupil
):
    _open(client, head, "pupil_detail", pupil.pk)
    for reader in (deputy, assistant, admin):
        response = _open(client, reader, "pupil_detail", pupil.pk)
        assert response.status_code == 200
        assert _seen_section(response) == ""


def test_the_head_and_the_dsl_see_who_opened_a_disclosure(
    client, teacher, deputy, head, dsl, pupil
):
    disclosure = make_disclosure(teacher, pupil)
    _open(client, deputy, "disclosure_detail", disclosure.pk)
    for reader in (head, dsl):
        seen = _seen_section(_open(client, reader, "disclosure_detail", disclosure.pk))
        assert f"{deputy.full_name} Deputy headteacher" in seen


def test_the_deputy_and_the_author_do_not_see_who_opened_a_disclosure(
    client, teacher, deputy, head, pupil
):
    disclosure = make_disclosure(teacher, pupil)  # child protection: the deputy may read it
    _open(client, head, "disclosure_detail", disclosure.pk)
    for reader in (deputy, teacher):
        response = _open(client, reader, "disclosure_detail", disclosure.pk)
        assert response.status_code == 200
        assert _seen_section(response) == ""
        assert head.full_name not in text(response)


def test_the_case_manager_sees_who_opened_a_concern(client, teacher, colleague, head):
    concern = make_concern(teacher, colleague)
    _open(client, teacher, "concern_detail", concern.pk)
    seen = _seen_section(_open(client, head, "concern_detail", concern.pk))
    assert f"{teacher.full_name} Staff" in seen
    assert f"{head.full_name} Headteacher" in seen


def test_the_reporter_does_not_see_who_opened_their_concern(client, teacher, colleague, head):
    concern = make_concern(teacher, colleague)
    _open(client, head, "concern_detail", concern.pk)
    response = _open(client, teacher, "concern_detail", concern.pk)
    assert response.status_code == 200
    assert _seen_section(response) == ""


def test_a_concern_about_the_head_shows_its_viewers_to_the_chair_only(
    client, teacher, head, chair, dsl
):
    concern = make_concern(teacher, head)  # routed to the chair of governors
    _open(client, teacher, "concern_detail", concern.pk)
    seen = _seen_section(_open(client, chair, "concern_detail", concern.pk))
    assert teacher.full_name in seen
    assert _open(client, head, "concern_detail", concern.pk).status_code == 404
    assert _open(client, dsl, "concern_detail", concern.pk).status_code == 404


def test_who_has_seen_this_is_newest_first_with_date_and_time(client, head, dsl, admin, pupil):
    _open(client, admin, "pupil_detail", pupil.pk)
    _open(client, dsl, "pupil_detail", pupil.pk)
    response = _open(client, head, "pupil_detail", pupil.pk)
    seen = _seen_section(response)
    assert seen.index(head.full_name) < seen.index(dsl.full_name) < seen.index(admin.full_name)
    newest = AuditEvent.objects.filter(action="view").latest("id")
    assert timezone.localtime(newest.created_at).strftime("%H:%M") in seen


# --- the chain stays intact, the pages stay cheap ----------------------------------------------


def test_view_events_keep_the_chain_intact(client, head, dsl, teacher, colleague, pupil):
    disclosure = make_disclosure(teacher, pupil)
    concern = make_concern(teacher, colleague)
    _open(client, head, "pupil_detail", pupil.pk)
    _open(client, dsl, "disclosure_detail", disclosure.pk)
    _open(client, head, "concern_detail", concern.pk)
    _open(client, teacher, "concern_detail", concern.pk)
    assert len(_views()) == 4
    assert audit_verify() == []


def _queries(client, user, url_name, pk) -> int:
    sign_in(client, user)
    url = reverse(url_name, args=[pk])
    client.get(url)  # warm the session and any per-process caches
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_pages_query_count_does_not_grow_with_their_viewers(
    client, head, dsl, deputy, assistant, admin, teacher, colleague
):
    pupil = PupilFactory(school=head.school)
    disclosure = make_disclosure(teacher, pupil)
    concern = make_concern(teacher, colleague)
    pages = [
        (head, "pupil_detail", pupil.pk),
        (dsl, "disclosure_detail", disclosure.pk),
        (head, "concern_detail", concern.pk),
    ]
    few = [_queries(client, *page) for page in pages]
    for viewer in (deputy, assistant, admin, dsl, head) * 3:
        _open(client, viewer, "pupil_detail", pupil.pk)
    for viewer in (deputy, head, dsl) * 5:
        _open(client, viewer, "disclosure_detail", disclosure.pk)
    for viewer in (teacher, head) * 8:
        _open(client, viewer, "concern_detail", concern.pk)
    many = [_queries(client, *page) for page in pages]
    assert many == few


def test_seen_by_lists_the_latest_views_and_says_when_there_are_more(client, head, dsl, pupil):
    from safeguard.audit.selectors import SEEN_BY_SHOWN

    for _ in range(SEEN_BY_SHOWN - 1):
        _open(client, dsl, "pupil_detail", pupil.pk)
    seen = _seen_section(_open(client, head, "pupil_detail", pupil.pk))
    assert seen.count(dsl.full_name) == SEEN_BY_SHOWN - 1
    assert "Only the latest" not in seen
    seen = _seen_section(_open(client, head, "pupil_detail", pupil.pk))
    assert seen.count(head.full_name) == 2
    assert seen.count(dsl.full_name) == SEEN_BY_SHOWN - 2
    assert f"Only the latest {SEEN_BY_SHOWN} views are listed" in seen


def test_seen_by_reads_only_what_it_shows(client, head, pupil):
    _open(client, head, "pupil_detail", pupil.pk)
    with CaptureQueriesContext(connection) as captured:
        seen_by_panel(pupil)
    (sql,) = [q["sql"] for q in captured]
    assert "password" not in sql and "reason" not in sql


def test_seen_by_lists_only_views_of_that_object(client, head, pupil):
    other = PupilFactory(school=pupil.school, first_name="Other")
    _open(client, head, "pupil_detail", other.pk)
    assert list(audit_seen_by(pupil)) == []
    _open(client, head, "pupil_detail", pupil.pk)
    _open(client, head, "pupil_detail", pupil.pk)
    seen = list(audit_seen_by(pupil))
    assert [e.actor for e in seen] == [head, head]
    assert seen[0].id > seen[1].id


# --- restricted entries, downloads and exports (finding 8) ---------------------------------------


def _events(action):
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def test_reading_a_restricted_family_entry_writes_a_view_event(client, head, teacher, pupil):
    entry = make_request(teacher, [pupil], with_family_only=True)
    record = make_family_record(teacher, [pupil])
    assert _open(client, head, "request_detail", entry.pk).status_code == 200
    assert _open(client, head, "record_detail", record.pk).status_code == 200
    assert [(e.actor, e.object_ref) for e in _views()] == [
        (head, entry.reference),
        (head, record.reference),
    ]


def test_a_restricted_entry_shown_only_as_restricted_writes_no_view_event(
    client, deputy, teacher, pupil
):
    record = make_family_record(teacher, [pupil], details="Met her mother at the pub quiz.")
    response = _open(client, deputy, "record_detail", record.pk)
    assert "Met her mother" not in text(response)
    assert _views() == []


def test_downloading_an_attachment_writes_a_view_event(client, head, teacher, pupil):
    pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"
    upload = SimpleUploadedFile("letter.pdf", pdf, content_type="application/pdf")
    record = make_record(teacher, [pupil], attachment=upload)
    response = _open(client, head, "record_attachment", record.pk)
    assert response.status_code == 200
    (event,) = _events("attachment.download")
    assert (event.actor, event.object_ref) == (head, record.reference)
    # Refused downloads leave nothing.
    _open(client, head, "record_attachment", record.pk + 1000)
    assert len(_events("attachment.download")) == 1


def test_every_export_writes_a_view_event(client, head, pupil):
    sign_in(client, head)
    client.get(reverse("governors_report_download"))
    client.get(reverse("governors_report_csv", kwargs={"table": "concerns"}))
    client.get(reverse("audit_export"))
    client.post(reverse("pupil_subject_access_download", args=[pupil.pk]))
    exported = [
        (e.action, e.actor, e.object_ref)
        for e in AuditEvent.objects.exclude(action="view").order_by("id")
    ]
    assert exported == [
        ("report.export", head, "Governors' report"),
        ("report.export", head, "Governors' report"),
        ("audit.export", head, "Audit trail"),
        ("subject_access.export", head, pupil.audit_ref),
    ]
    report_events = _events("report.export")
    assert "the table concerns" in report_events[1].reason


def test_who_has_seen_this_lists_exports_as_well_as_views(client, head, dsl, pupil):
    sign_in(client, head)
    client.post(reverse("pupil_subject_access_download", args=[pupil.pk]))
    seen = _seen_section(_open(client, dsl, "pupil_detail", pupil.pk))
    assert "Subject-access export made" in seen
    assert "Viewed" in seen
