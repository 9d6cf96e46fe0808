"""Subject-access exports: a page per person saying what the export holds, and the download.

For the headteacher only (403 for everyone else), the person fetched through the selectors (404
out of reach). The download is a POST: making an export is audited.
"""

from __future__ import annotations

from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_POST

from contacts import selectors, services
from contacts.models import Pupil, Staff
from contacts.subject_access import CHAIR_ONLY, pupil_export, refusal, staff_export
from safeguard.reauth import recent_sign_in_required
from safeguard.roles import Role, role_required


def _page(request: HttpRequest, subject: Pupil | Staff, kind: str) -> HttpResponse:
    refused = refusal(request.user, subject)
    data = None
    if not refused:
        gather = pupil_export if kind == "pupil" else staff_export
        data = gather(actor=request.user, **{kind: subject})
    context = {
        "subject": subject,
        "kind": kind,
        "data": data,
        "refused": refused,
        "chair_only": CHAIR_ONLY,
        "back": reverse(f"{kind}_detail", args=[subject.pk]),
        "download": reverse(f"{kind}_subject_access_download", args=[subject.pk]),
    }
    return render(request, "contacts/subject_access/export_page.html", context)


def _download(export: services.SubjectAccessExport) -> HttpResponse:
    response = FileResponse(
        export.file, as_attachment=True, filename=export.filename, content_type="application/zip"
    )
    # Special category data: no browser or proxy keeps a copy.
    add_never_cache_headers(response)
    return response


@role_required(Role.HEADTEACHER)
def pupil_subject_access(request: HttpRequest, pk: int) -> HttpResponse:
    pupil = get_object_or_404(selectors.pupils_visible_to(request.user), pk=pk)
    return _page(request, pupil, "pupil")


@require_POST
@role_required(Role.HEADTEACHER)
@recent_sign_in_required(then="pupil_subject_access")
def pupil_subject_access_download(request: HttpRequest, pk: int) -> HttpResponse:
    pupil = get_object_or_404(selectors.pupils_visible_to(request.user), pk=pk)
    return _download(services.subject_access_export(actor=request.user, pupil=pupil))


@role_required(Role.HEADTEACHER)
def staff_subject_access(request: HttpRequest, pk: int) -> HttpResponse:
    staff = get_object_or_404(selectors.staff_visible_to(request.user), pk=pk)
    return _page(request, staff, "staff")


@require_POST
@role_required(Role.HEADTEACHER)
@recent_sign_in_required(then="staff_subject_access")
def staff_subject_access_download(request: HttpRequest, pk: int) -> HttpResponse:
    staff = get_object_or_404(selectors.staff_visible_to(request.user), pk=pk)
    return _download(services.subject_access_export(actor=request.user, staff=staff))
