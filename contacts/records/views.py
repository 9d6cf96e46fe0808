"""Contact records and disclosures: permission, selector lookup, form, one service call, redirect.

Neither is ever edited once saved: corrections and additions are dated addenda.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from contacts.people import selectors as people_selectors
from contacts.people.models import Staff
from contacts.planned import assessments as planned_assessments
from contacts.records import selectors as records_selectors
from contacts.records import services as records_services
from contacts.records.forms import RECORD_TYPE_GUIDE, AddendumForm, DisclosureForm, RecordForm
from contacts.records.models import ContactRecord, Disclosure, RecordType
from contacts.records.services import disclosure_alert_recipients, record_alert_groups
from policies.views import assessment_context
from safeguard.audit.services import SEEN_BY_READERS, audit_view, seen_by_panel
from safeguard.core import roles
from safeguard.core.forms import add_service_errors, posted
from safeguard.core.http import AuthenticatedHttpRequest
from safeguard.core.roles import Role
from safeguard.core.uploads import stored_path

PAGE_SIZE = 50
# A record is made after the fact, so its verdict reads as what the contact was.
RECORD_VERDICTS: dict[str, str] = {
    "prohibited": "Not allowed: a breach of policy",
    "needs_approval": "Needed approval first",
    "record": "Allowed: recorded",
}
DISCLOSURE_ADDERS = frozenset({Role.DSL, Role.HEADTEACHER, Role.DEPUTY_HEAD})


# --- Contact records -----------------------------------------------------------------------


def _record(request: AuthenticatedHttpRequest, pk: int) -> ContactRecord:
    rows = records_selectors.records_visible_to(request.user).select_related("author", "school")
    return get_object_or_404(rows, pk=pk)


def _told(people: Iterable[Staff]) -> str:
    names = ", ".join(person.full_name for person in people)
    return f"Alerted: {names}." if names else ""


def _who_was_told(record: ContactRecord) -> str:
    """Who the service alerted, named, for the confirmation message."""
    head_side, managers = record_alert_groups(record)
    parts = []
    if head_side:
        parts.append(_told(head_side))
    if managers:
        parts.append(f"Your line manager {managers[0].full_name} has been told.")
    return " ".join(parts)


def record_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    visible = records_selectors.records_visible_to(request.user)
    sees_others = visible.exclude(author=request.user).exists()
    mine_only = request.GET.get("show") == "mine" or not sees_others
    rows = visible.filter(author=request.user) if mine_only else visible
    rows = rows.select_related("author").prefetch_related("pupils").order_by("-occurred_at", "-pk")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": [
            (
                item,
                records_selectors.can_read_record(request.user, item),
                RECORD_VERDICTS[item.verdict],
            )
            for item in page.object_list
        ],
        "sees_others": sees_others,
        "mine_only": mine_only,
    }
    return render(request, "contacts/records/record_list.html", context)


def record_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    types = [(value, label, *RECORD_TYPE_GUIDE[value]) for value, label in RecordType.choices]
    return render(request, "contacts/records/record_new.html", {"types": types})


def record_new_type(request: AuthenticatedHttpRequest, record_type: str) -> HttpResponse:
    if record_type not in RecordType.values:
        raise Http404("There is no such kind of record.")
    form = RecordForm(
        posted(request),
        request.FILES if request.method == "POST" else None,
        record_type=record_type,
        pupils=people_selectors.pupils_selectable_by(request.user),
    )
    if request.method == "POST" and form.is_valid():
        try:
            record = records_services.record_create(
                actor=request.user,
                attachment=request.FILES.get("attachment"),
                **form.service_arguments(),
            )
        except ValidationError as error:
            add_service_errors(form, form.service_error(error))
        else:
            told = _who_was_told(record)
            messages.success(request, f"{record.reference} was recorded. {told}".strip())
            return redirect("record_detail", pk=record.pk)
    explanation, citation = RECORD_TYPE_GUIDE[record_type]
    context = {
        "form": form,
        "record_type": record_type,
        "type_label": RecordType(record_type).label,
        "explanation": explanation,
        "citation": citation,
        # A browser never sends a file twice: say so when the page comes back with errors.
        "file_dropped": form.is_bound and bool(request.FILES.get("attachment")),
    }
    return render(request, "contacts/records/record_form.html", context)


def _record_page(
    request: AuthenticatedHttpRequest,
    record: ContactRecord,
    addendum_form: AddendumForm | None = None,
) -> HttpResponse:
    user = request.user
    if not records_selectors.can_read_record(user, record):
        return render(request, "contacts/records/restricted.html", {"item": record})
    may_add = user.pk == record.author_id or roles.has_role(user, roles.SENIOR_LEADERS)
    context: dict[str, Any] = {
        "item": record,
        "pupils": record.pupils.all(),
        "addenda": record.addenda.select_related("author"),
        "verdict_words": RECORD_VERDICTS[record.verdict],
        "addendum_form": (addendum_form or AddendumForm()) if may_add else None,
        "lado_prompt": "consider_lado" in record.actions and roles.has_role(user, Role.HEADTEACHER),
    }
    assessment = planned_assessments.stored_assessment(record)
    if assessment is not None:
        context |= assessment_context(request, assessment)
    return render(request, "contacts/records/record_detail.html", context)


def record_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _record_page(request, _record(request, pk))


def record_attachment(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    record = _record(request, pk)
    if not records_selectors.can_read_record(request.user, record):
        raise PermissionDenied("This record is restricted.")
    if not record.attachment:
        raise Http404("This record has no attachment.")
    try:
        path = stored_path(record.attachment)
    except ValueError as error:
        raise Http404("The attachment cannot be found.") from error
    if not path.is_file():
        raise Http404("The attachment cannot be found.")
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=record.attachment_name or f"{record.reference}-attachment",
        content_type=record.attachment_type or "application/octet-stream",
    )


@require_POST
def record_addendum(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    record = _record(request, pk)
    if not records_selectors.can_read_record(request.user, record):
        raise PermissionDenied("This record is restricted.")
    form = AddendumForm(request.POST)
    if form.is_valid():
        try:
            records_services.record_addendum_add(
                actor=request.user, record=record, text=form.cleaned_data["text"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Your addendum was added to {record.reference}.")
            return redirect("record_detail", pk=record.pk)
    return _record_page(request, record, form)


# --- Disclosures ---------------------------------------------------------------------------


def _disclosure(request: AuthenticatedHttpRequest, pk: int) -> Disclosure:
    rows = records_selectors.disclosures_visible_to(request.user).select_related("author", "pupil")
    return get_object_or_404(rows, pk=pk)


def disclosure_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    rows = (
        records_selectors.disclosures_visible_to(request.user)
        .select_related("author", "pupil")
        .order_by("-disclosed_at", "-pk")
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "contacts/disclosures/disclosure_list.html", {"page": page})


def disclosure_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = DisclosureForm(
        posted(request),
        initial={"pupil": request.GET.get("pupil")},
        pupils=people_selectors.pupils_selectable_by(request.user),
    )
    if request.method == "POST" and form.is_valid():
        try:
            disclosure = records_services.disclosure_record(
                actor=request.user, **form.service_arguments()
            )
        except ValidationError as error:
            add_service_errors(form, form.service_error(error))
        else:
            told = _told(disclosure_alert_recipients(disclosure))
            messages.success(request, f"{disclosure.reference} was recorded. {told}")
            return redirect("disclosure_detail", pk=disclosure.pk)
    return render(request, "contacts/disclosures/disclosure_form.html", {"form": form})


def _disclosure_page(
    request: AuthenticatedHttpRequest,
    disclosure: Disclosure,
    addendum_form: AddendumForm | None = None,
) -> HttpResponse:
    user = request.user
    may_add = user.pk == disclosure.author_id or roles.has_role(user, DISCLOSURE_ADDERS)
    context = {
        "item": disclosure,
        "addenda": disclosure.addenda.select_related("author"),
        "addendum_form": (addendum_form or AddendumForm()) if may_add else None,
        "seen_by": seen_by_panel(disclosure) if roles.has_role(user, SEEN_BY_READERS) else None,
    }
    return render(request, "contacts/disclosures/disclosure_detail.html", context)


def disclosure_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    disclosure = _disclosure(request, pk)
    audit_view(actor=request.user, obj=disclosure, school=disclosure.school)
    return _disclosure_page(request, disclosure)


@require_POST
def disclosure_addendum(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    disclosure = _disclosure(request, pk)
    form = AddendumForm(request.POST)
    if form.is_valid():
        try:
            records_services.disclosure_addendum_add(
                actor=request.user, disclosure=disclosure, text=form.cleaned_data["text"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Your addendum was added to {disclosure.reference}.")
            return redirect("disclosure_detail", pk=disclosure.pk)
    return _disclosure_page(request, disclosure, form)
