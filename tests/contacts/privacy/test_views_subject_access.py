"""The subject-access export pages: the headteacher's page saying what an export holds, the
download (a POST returning the zip), who may open either, and the links from the pupil and staff
pages."""

import io
import json
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from safeguard.audit.models import AuditEvent
from tests.factories_records import make_concern, make_record
from tests.factories_requests import make_request
from tests.helpers import sign_in, text

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"


@pytest.fixture
def as_user(client):
    def signed_in_as(user):
        sign_in(client, user)
        return client

    return signed_in_as


def _page(kind: str, subject) -> str:
    return reverse(f"{kind}_subject_access", args=[subject.pk])


def _download(kind: str, subject) -> str:
    return reverse(f"{kind}_subject_access_download", args=[subject.pk])


def _unzip(response) -> dict[str, bytes]:
    content = b"".join(response.streaming_content)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.fixture
def pupil_file(teacher, pupil):
    request = make_request(teacher, [pupil])
    attached = SimpleUploadedFile("card.pdf", PDF, content_type="application/pdf")
    record = make_record(teacher, [pupil], attachment=attached)
    return {"request": request, "record": record}


# --- the page -----------------------------------------------------------------------------------


def test_the_headteacher_sees_what_a_pupils_export_will_hold(as_user, head, pupil, pupil_file):
    response = as_user(head).get(_page("pupil", pupil))
    assert response.status_code == 200
    page = text(response)
    assert "Subject-access export" in page and "Ava Current" in page
    assert "For you to review: not for release as it stands" in page
    assert "requests.csv Requests for planned contact naming the pupil 1" in page
    assert "records.csv Records of contact naming the pupil 1" in page
    record = pupil_file["record"]
    assert f"attachments/{record.reference}-card.pdf" in page
    assert f'action="{_download("pupil", pupil)}"' in response.content.decode()


def test_opening_the_page_writes_nothing(as_user, head, pupil, pupil_file):
    before = AuditEvent.objects.count()
    as_user(head).get(_page("pupil", pupil))
    assert AuditEvent.objects.count() == before


def test_the_headteacher_sees_what_a_staff_export_will_hold(as_user, head, teacher, pupil_file):
    response = as_user(head).get(_page("staff", teacher))
    assert response.status_code == 200
    page = text(response)
    assert teacher.full_name in page
    assert "records.csv Records of contact they made 1" in page
    assert "Download the export (zip)" in page


def test_the_headteacher_is_told_their_own_file_is_not_exported_here(as_user, head):
    client = as_user(head)
    response = client.get(_page("staff", head))
    assert response.status_code == 200
    assert "answered by the chair of governors" in text(response)
    assert "Download the export" not in text(response)
    before = AuditEvent.objects.count()
    assert client.post(_download("staff", head)).status_code == 403
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize("who", ["teacher", "dsl", "deputy", "governor", "chair", "admin"])
def test_every_other_role_is_refused_the_page_and_the_download(
    as_user, request, who, pupil, teacher
):
    client = as_user(request.getfixturevalue(who))
    before = AuditEvent.objects.count()
    assert client.get(_page("pupil", pupil)).status_code == 403
    assert client.post(_download("pupil", pupil)).status_code == 403
    assert client.get(_page("staff", teacher)).status_code == 403
    assert client.post(_download("staff", teacher)).status_code == 403
    assert AuditEvent.objects.count() == before


def test_a_pupil_or_member_of_staff_of_another_school_is_not_found(
    as_user, head, other_pupil, outsider
):
    client = as_user(head)
    before = AuditEvent.objects.count()
    assert client.get(_page("pupil", other_pupil)).status_code == 404
    assert client.post(_download("pupil", other_pupil)).status_code == 404
    assert client.get(_page("staff", outsider)).status_code == 404
    assert client.post(_download("staff", outsider)).status_code == 404
    assert AuditEvent.objects.count() == before


def test_the_headteacher_of_another_school_cannot_reach_our_pupil(as_user, outsider, pupil):
    client = as_user(outsider)
    assert client.get(_page("pupil", pupil)).status_code == 404
    assert client.post(_download("pupil", pupil)).status_code == 404


def test_the_download_is_a_post(as_user, head, pupil):
    assert as_user(head).get(_download("pupil", pupil)).status_code == 405


# --- the download -------------------------------------------------------------------------------


def test_the_download_is_the_zip_named_by_reference_and_never_kept(
    as_user, head, pupil, pupil_file
):
    response = as_user(head).post(_download("pupil", pupil))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    day = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="subject-access-{pupil.audit_ref}-{day}.zip"'
    )
    assert "Ava" not in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    files = _unzip(response)
    record = pupil_file["record"]
    assert files[f"attachments/{record.reference}-card.pdf"] == PDF
    data = json.loads(files["data.json"])
    assert [r["reference"] for r in data["tables"]["requests"]] == [pupil_file["request"].reference]
    assert [r["reference"] for r in data["tables"]["records"]] == [record.reference]
    assert "Ava Current" in files["summary.html"].decode()


def test_the_download_is_audited_with_counts_only(as_user, head, pupil, pupil_file):
    before = AuditEvent.objects.count()
    response = as_user(head).post(_download("pupil", pupil))
    _unzip(response)
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.latest("id")
    assert (event.action, event.actor_id, event.object_ref) == (
        "subject_access.export",
        head.pk,
        pupil.audit_ref,
    )
    assert re.fullmatch(r"([a-z_]+ \d+)(, [a-z_]+ \d+)*", event.reason)
    assert "Ava" not in event.reason and "Current" not in event.reason


def test_a_staff_download_holds_the_concerns_about_them(
    as_user, head, teacher, colleague, pupil_file
):
    concern = make_concern(colleague, teacher, confidential=True)
    response = as_user(head).post(_download("staff", teacher))
    assert response.status_code == 200
    assert teacher.audit_ref in response["Content-Disposition"]
    files = _unzip(response)
    data = json.loads(files["data.json"])
    (row,) = data["tables"]["boundary_concerns"]
    assert (row["reference"], row["raised_by"], row["confidential"]) == (
        concern.reference,
        colleague.full_name,
        True,
    )
    assert f"Raised in confidence: {concern.reference}." in files["summary.html"].decode()


def test_the_audit_trail_names_the_export_in_words(as_user, head, pupil):
    client = as_user(head)
    client.post(_download("pupil", pupil))
    page = text(client.get(reverse("audit_trail")))
    assert "Subject-access export made" in page


# --- links from the pupil and staff pages -------------------------------------------------------


def test_the_pupil_page_links_to_the_export_for_the_headteacher_only(
    as_user, client, head, dsl, pupil
):
    link = f'href="{_page("pupil", pupil)}"'
    assert link in as_user(head).get(reverse("pupil_detail", args=[pupil.pk])).content.decode()
    client.logout()
    assert link not in as_user(dsl).get(reverse("pupil_detail", args=[pupil.pk])).content.decode()


def test_the_staff_page_links_to_the_export_for_the_headteacher_but_not_on_their_own(
    as_user, client, head, admin, teacher
):
    link = f'href="{_page("staff", teacher)}"'
    staff_page = reverse("staff_detail", args=[teacher.pk])
    assert link in as_user(head).get(staff_page).content.decode()
    own = as_user(head).get(reverse("staff_detail", args=[head.pk])).content.decode()
    assert _page("staff", head) not in own
    client.logout()
    assert link not in as_user(admin).get(staff_page).content.decode()
