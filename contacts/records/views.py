"""Contact records and disclosures: permission, selector lookup, form, one service call, redirect.

Neither is ever edited once saved: corrections and additions are dated addenda.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from contacts.people import selectors as people_selectors
from contacts.records import selectors as records_selectors
from contacts.records import services as records_services
from contacts.records.filters import RecordFilter
from contacts.records.forms import RECORD_TYPE_GUIDE, AddendumForm, DisclosureForm, RecordForm
from contacts.records.models import ContactRecord, Disclosure, RecordType
from contacts.records.services import disclosure_alert_recipients, record_alert_groups
from policies.views import assessment_context
from safeguard.audit.selectors import seen_by_panel
from safeguard.audit.services import audit_download, audit_view
from safeguard.audit.vocabulary import ATTACHMENT_DOWNLOAD, VIEW
from safeguard.core import roles
from safeguard.core.forms import add_service_errors, posted
from safeguard.core.http import AuthenticatedHttpRequest
from safeguard.core.roles import SEEN_BY_READERS, Role
from safeguard.core.uploads import open_stored

if TYPE_CHECKING:
    from contacts.people.models import Staff

PAGE_SIZE = 50
# A record is made after the fact, so its verdict reads as what the contact was.
RECORD_VERDICTS: dict[str, str] = {
    "prohibited": "Not allowed: a breach of policy",
    "needs_approval": "Needed approval first",
    "record": "Recorded, as the policies ask",
}


# What the answer would have been, had arranged contact been asked about in advance.
PLANNED_VERDICTS: dict[str, str] = {
    "prohibited": "not allowed",
    "needs_approval": "needs approval first",
}


# --- Contact records -----------------------------------------------------------------------


def _record_or_404(request: AuthenticatedHttpRequest, pk: int) -> ContactRecord:
    rows = records_selectors.records_visible_to(request.user).select_related("author", "school")
    return get_object_or_404(rows, pk=pk)


def _alerted_sentence(people: Iterable[Staff]) -> str:
    names = ", ".join(person.full_name for person in people)
    return f"Alerted: {names}." if names else ""


def _who_was_alerted(record: ContactRecord) -> str:
    """Who the service alerted, named, for the confirmation message."""
    head_side, managers = record_alert_groups(record)
    parts = []
    if head_side:
        parts.append(_alerted_sentence(head_side))
    if managers:
        parts.append(f"Your line manager {managers[0].full_name} has been told.")
    return " ".join(parts)


def record_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    visible = records_selectors.records_visible_to(request.user)
    sees_others = visible.exclude(author=request.user).exists()
    mine_only = request.GET.get("show") == "mine" or not sees_others
    rows = visible.filter(author=request.user) if mine_only else visible
    found = RecordFilter(request.GET or None, rows, reader=request.user)
    if found.is_bound:
        # A search with a mistake in it finds nothing: the mistake is shown beside its field.
        rows = found.qs if found.is_valid() else rows.none()
    rows = rows.select_related("author").prefetch_related("pupils").order_by("-occurred_at", "-pk")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filter": found,
        # The search (and "only yours") carried to the next and previous pages.
        "query": query.urlencode(),
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
            told = _who_was_alerted(record)
            messages.success(request, f"{record.reference} was recorded. {told}".strip())
            return redirect("record_detail", pk=record.pk)
    explanation, citation = RECORD_TYPE_GUIDE[record_type]
    context = {
        "form": form,
        "record_type": record_type,
        "type_label": RecordType(record_type).label,
        "explanation": explanation,
        "citation": citation,
        # The LADO's number beside the type of record that mentions the LADO (000).
        "lado_phone": request.user.school.lado_phone if "LADO" in explanation else "",
        # A browser never sends a file twice: say so when the page comes back with errors.
        "file_dropped": form.is_bound and bool(request.FILES.get("attachment")),
    }
    return render(request, "contacts/records/record_form.html", context)


def _addenda_context(item: ContactRecord | Disclosure, form: AddendumForm | None) -> dict:
    """The addenda of a record or disclosure, and the form to add one (None: not allowed)."""
    return {
        "item": item,
        "addenda": item.addenda.select_related("author"),
        "addendum_form": form,
    }


def _addendum_added(
    request: AuthenticatedHttpRequest,
    item: ContactRecord | Disclosure,
    add: Callable[..., object],
    show_page: Callable[[AuthenticatedHttpRequest, Any, AddendumForm], HttpResponse],
    page_name: str,
) -> HttpResponse:
    """Add the posted addendum with `add(actor, text)` and go back to the item's page (the URL
    named `page_name`), or show the page again with the form's errors."""
    form = AddendumForm(request.POST)
    if form.is_valid():
        try:
            add(actor=request.user, text=form.cleaned_data["text"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Your addendum was added to {item.reference}.")
            return redirect(page_name, pk=item.pk)
    return show_page(request, item, form)


def _record_page(
    request: AuthenticatedHttpRequest,
    record: ContactRecord,
    addendum_form: AddendumForm | None = None,
    *,
    printing: bool = False,
) -> HttpResponse:
    user = request.user
    if not records_selectors.can_read_record(user, record):
        return render(request, "contacts/records/restricted.html", {"item": record})
    if printing:
        audit_download(
            actor=user, school=record.school, action=VIEW, obj=record, reason="Print view"
        )
    elif record.restricted:
        # Who read a family-liaison entry is kept, as for any confidential page.
        audit_view(actor=user, obj=record, school=record.school)
    # Paper carries the record and its addenda, not a form to add one.
    may_add = not printing and (
        user.pk == record.author_id or roles.has_role(user, roles.SENIOR_LEADERS)
    )
    context: dict[str, Any] = {
        **_addenda_context(record, (addendum_form or AddendumForm()) if may_add else None),
        "pupils": record.pupils.all(),
        "verdict_words": RECORD_VERDICTS[record.verdict],
        "asked_first": PLANNED_VERDICTS.get(record.planned_verdict, "")
        if record.should_have_been_asked
        else "",
        "lado_prompt": bool({"consider_lado", "consult_lado"} & set(record.actions))
        and roles.has_role(user, Role.HEADTEACHER),
        # A close relationship with a former pupil: the head contacts the LADO, not "considers".
        "lado_must": "consult_lado" in record.actions,
    }
    assessment = records_selectors.record_assessment(record)
    if assessment is not None:
        context |= assessment_context(request, assessment, settled=True)
    if printing:
        context |= {"printing": True, "base_template": "print_base.html", "lado_prompt": False}
    return render(request, "contacts/records/record_detail.html", context)


def record_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _record_page(request, _record_or_404(request, pk))


def record_print(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The record made for paper; each printing is a view event in the trail."""
    return _record_page(request, _record_or_404(request, pk), printing=True)


def record_attachment(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    record = _record_or_404(request, pk)
    if not records_selectors.can_read_record(request.user, record):
        raise PermissionDenied("This record is restricted.")
    if not record.attachment:
        raise Http404("This record has no attachment.")
    try:
        stored = open_stored(record.attachment)
    except (ValueError, FileNotFoundError) as error:
        raise Http404("The attachment cannot be found.") from error
    audit_download(actor=request.user, school=record.school, action=ATTACHMENT_DOWNLOAD, obj=record)
    return FileResponse(
        stored,
        as_attachment=True,
        filename=record.attachment_name or f"{record.reference}-attachment",
        content_type=record.attachment_type or "application/octet-stream",
    )


@require_POST
def record_addendum(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    record = _record_or_404(request, pk)
    if not records_selectors.can_read_record(request.user, record):
        raise PermissionDenied("This record is restricted.")
    add = partial(records_services.record_addendum_add, record=record)
    return _addendum_added(request, record, add, _record_page, "record_detail")


# --- Disclosures ---------------------------------------------------------------------------


def _disclosure_or_404(request: AuthenticatedHttpRequest, pk: int) -> Disclosure:
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
            told = _alerted_sentence(disclosure_alert_recipients(disclosure))
            messages.success(request, f"{disclosure.reference} was recorded. {told}")
            return redirect("disclosure_detail", pk=disclosure.pk)
    return render(request, "contacts/disclosures/disclosure_form.html", {"form": form})


def _disclosure_page(
    request: AuthenticatedHttpRequest,
    disclosure: Disclosure,
    addendum_form: AddendumForm | None = None,
) -> HttpResponse:
    user = request.user
    may_add = user.pk == disclosure.author_id or roles.has_role(user, roles.DISCLOSURE_ADDERS)
    context = {
        **_addenda_context(disclosure, (addendum_form or AddendumForm()) if may_add else None),
        "seen_by": seen_by_panel(disclosure) if roles.has_role(user, SEEN_BY_READERS) else None,
    }
    return render(request, "contacts/disclosures/disclosure_detail.html", context)


def disclosure_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    disclosure = _disclosure_or_404(request, pk)
    audit_view(actor=request.user, obj=disclosure, school=disclosure.school)
    return _disclosure_page(request, disclosure)


@require_POST
def disclosure_addendum(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    disclosure = _disclosure_or_404(request, pk)
    add = partial(records_services.disclosure_addendum_add, disclosure=disclosure)
    return _addendum_added(request, disclosure, add, _disclosure_page, "disclosure_detail")
