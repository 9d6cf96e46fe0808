"""The audit trail page, its CSV export and the chain check: for the headteacher and the chair of
governors only.

Governors-safe: events are shown by object reference (PUPIL-12, DIS-000003), never by a pupil's
name. Reasons are free text staff typed and may name a pupil, so governors do not get them.
Staff are named alike on the page and in the CSV, for the chair as for the head (a confidential
reporter withheld in both): docs/security.md says why.

One school's trail: its events, and of the chain checks only its own and the verify_audit
command's, counted in its own events.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import namedtuple
from collections.abc import Iterator
from typing import Any, cast

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_POST, require_safe

from safeguard.audit.checkpoints import (
    CheckpointError,
    SigningKeyError,
    checkpoint_parse,
    checkpoint_problems,
    checkpoint_verify_signature,
    key_id,
    public_text,
    signing_key,
    verify_keys,
)
from safeguard.audit.models import AuditEvent
from safeguard.audit.selectors import (
    SchoolCheck,
    audit_action_present,
    audit_actions_for,
    audit_events_for,
    latest_check,
    latest_checkpoint,
    object_url,
    school_check,
    trail_row,
    withheld_reporters,
)
from safeguard.audit.services import audit_check_run, audit_download
from safeguard.audit.vocabulary import AUDIT_EXPORT, action_words
from safeguard.core import roles
from safeguard.core.exports import spreadsheet_safe
from safeguard.core.forms import DATE_INPUT
from safeguard.core.http import AuthenticatedHttpRequest
from safeguard.core.reauth import recent_sign_in_required
from safeguard.core.roles import AUDIT_READERS, Role, role_required

# The school's staff: the user model, by the setting (this package imports no subject's models).
Staff = get_user_model()
PAGE_SIZE = 100
CSV_HEADER = ["when", "who", "role", "action", "object reference", "from state", "to state"]


class AuditFilterForm(forms.Form):
    person = forms.ModelChoiceField(
        label="Person", queryset=Staff.objects.none(), required=False, empty_label="Everyone"
    )
    action = forms.ChoiceField(label="Action", required=False)
    date_from = forms.DateField(label="From", required=False, widget=DATE_INPUT)
    date_to = forms.DateField(label="To", required=False, widget=DATE_INPUT)

    def __init__(self, *args: Any, user: Any, every_action: bool = True, **kwargs: Any) -> None:
        """`every_action` False (the export): the action chosen is checked against the trail on
        its own, rather than every action in it listed (a read of the whole trail)."""
        super().__init__(*args, **kwargs)
        person = cast("forms.ModelChoiceField[Any]", self.fields["person"])  # any user model
        person.queryset = Staff.objects.filter(school_id=user.school_id)
        # Django documents replacing label_from_instance on the field; the stubs see a method.
        person.label_from_instance = lambda staff: (  # type: ignore[method-assign,assignment]
            staff.full_name if staff.is_active else f"{staff.full_name} (left)"
        )
        if every_action:
            codes = audit_actions_for(user)
        else:
            chosen = str(self.data.get("action") or "") if self.is_bound else ""
            codes = [chosen] if chosen and audit_action_present(user, chosen) else []
        cast(forms.ChoiceField, self.fields["action"]).choices = [("", "Any action")] + [
            (code, action_words(code)) for code in codes
        ]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # a GET form: no token in the address
        self.helper.layout = Layout(
            Row(
                Column("person", css_class="col-md-4"),
                Column("action", css_class="col-md-4"),
                Column("date_from", css_class="col-md-2"),
                Column("date_to", css_class="col-md-2"),
            )
        )

    def clean(self) -> dict[str, Any]:
        data = cast("dict[str, Any]", super().clean())  # Django returns cleaned_data
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "The end date is before the start date.")
        return data

    def filters(self) -> dict[str, Any]:
        """The filters that are valid; a field with an error narrows nothing."""
        if self.is_bound:
            self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "person": data.get("person"),
            "action": data.get("action") or "",
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
        }


def _filter_form(
    request: AuthenticatedHttpRequest, *, every_action: bool = True
) -> AuditFilterForm:
    return AuditFilterForm(request.GET or None, user=request.user, every_action=every_action)


def _when(moment: dt.datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local.day} {local:%b %Y} at {local:%H:%M}"


def check_summary(seen: SchoolCheck | None) -> str:
    """The latest chain check the school may see, in one sentence, for the top of the page."""
    if seen is None:
        return "The chain has not been checked yet."
    check = seen.check
    # latest_check gives only the school's own checks and the command's: a name or the command.
    by = "the verify_audit command" if check.ran_by is None else check.ran_by.full_name
    when = f"on {_when(check.ran_at)} by {by}"
    if seen.intact:
        # No count: the trail hides some events from some readers (a concern about them), and a
        # count of what was checked beside a shorter list would tell them such events exist.
        return f"Intact: checked {when}."
    problems = f"{seen.problems:,} problem{'s' if seen.problems != 1 else ''}"
    return f"BROKEN: {problems} — {seen.first_problem} (checked {when})."


@role_required(AUDIT_READERS)
def audit_trail(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = _filter_form(request)
    withheld = withheld_reporters(request.user)
    rows = audit_events_for(request.user, withheld=withheld, **form.filters())
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    check = latest_check(request.user)
    seen = school_check(check, request.user.school_id) if check is not None else None
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "export_query": query.urlencode(),
        "page": page,
        # Each reference links to its object's page (which decides who may open it).
        "rows": [
            trail_row(event, withheld, pseudonymous=False)
            | {"url": object_url(event.object_type, event.object_id)}
            for event in page.object_list
        ],
        "show_reasons": roles.has_role(request.user, Role.HEADTEACHER),
        "check": seen,
        "check_summary": check_summary(seen),
        "checkpoint": latest_checkpoint(request.user.school_id),
    }
    return render(request, "audit/audit_trail.html", context)


class CheckpointForm(forms.Form):
    checkpoint = forms.CharField(
        label="A kept checkpoint",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false"}),
        help_text="Paste the whole checkpoint from the email or its attached file, braces "
        "included.",
    )

    def clean_checkpoint(self) -> Any:
        try:
            checkpoint = checkpoint_parse(self.cleaned_data["checkpoint"])
            checkpoint_verify_signature(checkpoint)
        except (CheckpointError, SigningKeyError) as error:
            raise forms.ValidationError(str(error)) from error
        return checkpoint


@role_required(AUDIT_READERS)
def audit_checkpoint_check(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Prove that the school's chain still extends a checkpoint kept outside Safeguard."""
    form = CheckpointForm(request.POST or None)
    result = None
    if request.method == "POST" and form.is_valid():
        checkpoint = form.cleaned_data["checkpoint"]
        if checkpoint.school != request.user.school_id:
            form.add_error("checkpoint", "This checkpoint is another school's, not this one's.")
        else:
            result = {"checkpoint": checkpoint, "problems": checkpoint_problems(checkpoint)}
    return render(request, "audit/checkpoint_check.html", {"form": form, "result": result})


@login_not_required
@require_safe
def audit_public_key(request: HttpRequest) -> HttpResponse:
    """The public halves of the keys that sign audit checkpoints: open to anyone, so a
    governor, an auditor or the LADO can check a checkpoint without signing in."""
    try:
        current = signing_key().public_key()
    except SigningKeyError:
        current = None
    try:
        known = verify_keys()
    except SigningKeyError:
        known = {}
    keys = [
        {
            "id": kid,
            "text": public_text(public),
            "current": current is not None and kid == key_id(current),
        }
        for kid, public in known.items()
    ]
    keys.sort(key=lambda k: not k["current"])
    return render(request, "audit/public_key.html", {"keys": keys})


class _Echo:
    """A file-like object whose write() hands back the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


# What the export reads of each event: plain rows, not model instances (a month of a large
# school's trail is some ten thousand).
_Exported = namedtuple(
    "_Exported",
    "pk created_at actor_id actor_role action object_type object_id object_ref "
    "from_state to_state reason",
)
# Lines handed to the response at a time.
CSV_BATCH = 500


class _Names(dict):
    """Staff names by id: the school's, read once; anyone else looked up when first met."""

    def __missing__(self, pk: int) -> str:
        self[pk] = Staff.objects.get(pk=pk).full_name
        return self[pk]


def _csv_lines(
    events: QuerySet[AuditEvent],
    withheld: dict[tuple[str, str], int],
    *,
    governor: bool,
    school_id: int,
) -> Iterator[str]:
    writer = csv.writer(_Echo())
    header = CSV_HEADER if governor else [*CSV_HEADER, "reason"]
    yield writer.writerow(header)
    names = _Names()
    school = Staff.objects.filter(school_id=school_id).only("first_name", "last_name")
    names.update((staff.pk, staff.full_name) for staff in school)
    batch = []
    for values in events.values_list(*_Exported._fields).iterator(chunk_size=2000):
        row = trail_row(_Exported(*values), withheld, pseudonymous=False, names=names)
        line = [
            row["when"].isoformat(timespec="seconds"),
            row["who"],
            row["role"],
            row["action"],
            row["ref"],
            row["from_state"],
            row["to_state"],
        ]
        if not governor:
            line.append(row["reason"])
        batch.append(writer.writerow([spreadsheet_safe(value) for value in line]))
        if len(batch) == CSV_BATCH:
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)


@role_required(AUDIT_READERS)
@recent_sign_in_required
def audit_export(request: AuthenticatedHttpRequest) -> HttpResponse | StreamingHttpResponse:
    form = _filter_form(request, every_action=False)
    if form.is_bound and not form.is_valid():
        problems = "; ".join(
            f"{form.fields[name].label if name in form.fields else 'Filters'}: "
            f"{' '.join(map(str, errors))}"  # strings: ErrorList yields each message as text
            for name, errors in form.errors.items()
        )
        return HttpResponse(
            f"The filters could not be used ({problems}). Correct them on the audit trail page.",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    withheld = withheld_reporters(request.user)
    # The headteacher gets reasons; the chair names as on the page, without reasons
    # (docs/security.md, "The audit trail and its database owner").
    governor = not roles.has_role(request.user, Role.HEADTEACHER)
    # Taking the trail out is itself in the trail; the export holds the trail as it was asked for.
    exported = audit_download(
        actor=request.user,
        school=request.user.school,
        action=AUDIT_EXPORT,
        object_ref="Audit trail",
        reason=f"Filters: {request.GET.urlencode()}" if request.GET else "",
    )
    events = audit_events_for(request.user, withheld=withheld, **form.filters()).filter(
        id__lt=exported.pk
    )
    response = StreamingHttpResponse(
        _csv_lines(events, withheld, governor=governor, school_id=request.user.school_id),
        content_type="text/csv; charset=utf-8",
    )
    school = slugify(request.user.school.name) or f"school-{request.user.school_id}"
    filename = f"audit-trail-{school}-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_POST
@role_required(AUDIT_READERS)
def audit_check(request: AuthenticatedHttpRequest) -> HttpResponse:
    check = audit_check_run(actor=request.user)
    seen = school_check(check, request.user.school_id)
    if seen.intact:
        messages.success(request, "The chain is intact.")
    else:
        messages.error(request, f"The chain is broken: {seen.first_problem}.")
    return redirect("audit_trail")
