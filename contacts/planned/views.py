"""Planned-contact request pages: permission, form, service call, redirect."""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Case, Count, IntegerField, Prefetch, QuerySet, When
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from contacts.people import selectors as people_selectors
from contacts.planned import assessments as planned_assessments
from contacts.planned import selectors as planned_selectors
from contacts.planned import services as planned_services
from contacts.planned import workflow
from contacts.planned.filters import MyRequestFilter, RequestFilter
from contacts.planned.forms import (
    AbsenceForm,
    AnswerForm,
    DecisionForm,
    NoteForm,
    OutcomeForm,
    PlanReviewForm,
    ReasonForm,
    RequestForm,
    ReviewForm,
    SessionForm,
)
from contacts.planned.models import EDITABLE, ContactRequest, HeadAbsence, NoteKind, Status
from contacts.planned.permissions import allowed_actions
from policies.engine import VERDICT_LABELS, Assessment
from policies.facts import assess_contact
from policies.views import VERDICT_TONES, assessment_context
from safeguard.audit.selectors import audit_history
from safeguard.audit.services import audit_download, audit_view
from safeguard.audit.vocabulary import VIEW
from safeguard.core import roles
from safeguard.core.forms import add_service_errors, posted, posted_text
from safeguard.core.http import AuthenticatedHttpRequest
from safeguard.core.reauth import recent_sign_in_required
from safeguard.core.roles import Role, role_required


def _visible(request: AuthenticatedHttpRequest, pk: int) -> ContactRequest:
    rows = planned_selectors.requests_visible_to(request.user).select_related(
        "requester", "requester__line_manager", "decided_by", "reviewed_by"
    )
    return get_object_or_404(rows, pk=pk)


def _version(request: AuthenticatedHttpRequest) -> int | None:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


# Rows per page on the lists that grow with the years (My requests, the two queues); rendering
# the rows is most of a page's time (docs/performance.md, "Benchmark").
PAGE_SIZE = 25


# "My requests", section by section: what waits on the requester first, then the rest.
MY_SECTIONS = (
    ("Waiting on you", EDITABLE, "Nothing is waiting on you."),
    ("Waiting for a decision", (Status.SUBMITTED,), "None."),
    ("Approved", (Status.APPROVED,), "None."),
    (
        "Finished",
        (Status.COMPLETED, Status.REJECTED, Status.WITHDRAWN, Status.CANCELLED),
        "None.",
    ),
)


def _page(
    request: AuthenticatedHttpRequest,
    rows: QuerySet,
    count: int | None = None,
    prefetch: Iterable[str | Prefetch] = (),
) -> Page:
    """The page asked for, found in two steps: the page's ids first (sorting thousands of ids
    rather than thousands of whole rows), then just those rows, in that order, with `prefetch`.
    `count`, when the rows were counted already, saves counting them again."""
    paginator = Paginator(rows.values_list("pk", flat=True), PAGE_SIZE)
    if count is not None:
        paginator.count = count  # a cached_property: this is the value it would compute
    page = paginator.get_page(request.GET.get("page"))
    ids = list(page.object_list)
    found = {item.pk: item for item in rows.filter(pk__in=ids).prefetch_related(*prefetch)}
    page.object_list = [found[pk] for pk in ids]
    return page


def my_requests(request: AuthenticatedHttpRequest) -> HttpResponse:
    """One list, section after section, newest first in each, PAGE_SIZE to a page: a member of
    staff asks for years, and the finished requests alone run into thousands."""
    section = Case(
        *[When(status__in=states, then=i) for i, (_, states, _) in enumerate(MY_SECTIONS)],
        output_field=IntegerField(),
    )
    search = MyRequestFilter(
        request.GET or None,
        planned_selectors.requests_visible_to(request.user).filter(requester=request.user),
        reader=request.user,
    )
    mine = _found(search).annotate(section=section)
    counts = dict(
        mine.order_by().values("section").annotate(n=Count("id")).values_list("section", "n")
    )
    page = _page(
        request,
        mine.order_by("section", "-updated_at", "-pk"),
        count=sum(counts.values()),
        prefetch=["pupils"],
    )
    rows: dict[int, list[ContactRequest]] = defaultdict(list)
    for item in page.object_list:
        rows[item.section].append(item)
    sections, before = [], 0
    for i, (label, _states, empty) in enumerate(MY_SECTIONS):
        # A search shows only the sections it found something in.
        if rows[i] or (page.number == 1 and not search.is_filtering()):
            sections.append(
                {
                    "label": label,
                    "count": counts.get(i, 0),
                    "rows": rows[i],
                    "empty": empty,
                    "waiting": i == 0,
                    "continued": page.start_index() - 1 > before,
                }
            )
        before += counts.get(i, 0)
    context = {"sections": sections, "page": page, "now": timezone.now(), "filter": search}
    return render(request, "contacts/requests/my_requests.html", context)


def _assessment(request: AuthenticatedHttpRequest, form: RequestForm) -> dict[str, Any]:
    """What the policies say about the answers as given (shown whatever else went wrong). A
    close relationship is not asked for a plan of involvement: the head consults the LADO."""
    try:
        assessment = assess_contact(requester=request.user, **form.assessment_arguments())
    except ValidationError:
        return {}
    if "consult_lado" in assessment.actions:
        form.without_plan()
    return assessment_context(request, assessment)


def _form_page(
    request: AuthenticatedHttpRequest,
    form: RequestForm,
    existing: ContactRequest | None,
    answer_form: AnswerForm | None = None,
    shown: dict[str, Any] | None = None,
) -> HttpResponse:
    context: dict[str, Any] = {
        "form": form,
        "existing": existing,
        "answer_form": answer_form,
        # The question being answered, beside the form that answers it.
        "question": planned_selectors.open_question(existing) if answer_form and existing else None,
    }
    return render(request, "contacts/requests/request_form.html", context | (shown or {}))


def _file(
    request: AuthenticatedHttpRequest,
    form: RequestForm,
    existing: ContactRequest | None,
    answer_form: AnswerForm | None,
) -> HttpResponse | None:
    submit = request.POST.get("action") == "submit"
    answer = ""
    if answer_form is not None and submit:
        if not answer_form.is_valid():
            return None
        answer = answer_form.cleaned_data["answer"]
    try:
        saved = planned_services.request_file(
            actor=request.user,
            contact_request=existing,
            expected_version=_version(request) if existing else None,
            submit=submit,
            answer=answer,
            **form.service_arguments(),
        )
    except ValidationError as error:
        add_service_errors(form, error)
        return None
    messages.success(
        request,
        f"{saved.reference} was sent for a decision."
        if submit
        else f"{saved.reference} was saved as a draft. It has not been sent.",
    )
    return redirect("request_detail", pk=saved.pk)


def request_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    # Opened from "Can I do this?" (Ask for approval): its answers start the form.
    carried = RequestForm.initial_from_query(request.GET) if request.method == "GET" else {}
    form = RequestForm(
        posted(request),
        pupils=people_selectors.pupils_selectable_by(request.user),
        initial=carried | {"submission_key": secrets.token_urlsafe(24)},
    )
    shown: dict[str, Any] = {"carried": bool(carried)}
    if request.method == "POST" and form.is_valid():
        shown = _assessment(request, form)
        done = None if request.POST.get("action") == "check" else _file(request, form, None, None)
        if done is not None:
            return done
    return _form_page(request, form, None, shown=shown)


def request_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    existing = _visible(request, pk)
    actions = allowed_actions(request.user, existing)
    actions.require_person("edit")
    if not actions.can_edit:
        messages.error(request, "This request can no longer be changed.")
        return redirect("request_detail", pk=pk)
    pupils = people_selectors.pupils_selectable_by(request.user)
    data = posted(request)
    form = RequestForm(data, pupils=pupils, initial=RequestForm.initial_from(existing))
    if existing.needs_lado:
        form.without_plan()
    answer_form = None
    if existing.status == Status.MORE_INFORMATION:
        # Finding a pupil checks nothing: the answer typed so far comes back unchecked.
        answered = {"answer": request.POST.get("answer", "")}
        answer_form = AnswerForm(initial=answered) if form.searching else AnswerForm(data)
    shown: dict[str, Any] = {}
    if request.method == "POST" and form.is_valid():
        shown = _assessment(request, form)
        checking = request.POST.get("action") == "check"
        done = None if checking else _file(request, form, existing, answer_form)
        if done is not None:
            return done
    return _form_page(request, form, existing, answer_form, shown)


def request_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _request_page(request, _visible(request, pk))


def request_print(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The request's page made for paper: its facts, decision, plan, what the policies say and
    notes, without the menu or any button; each printing is a view event in the trail."""
    return _request_page(request, _visible(request, pk), printing=True)


def _request_page(
    request: AuthenticatedHttpRequest, item: ContactRequest, *, printing: bool = False
) -> HttpResponse:
    actions = allowed_actions(request.user, item)
    if not actions.can_read:
        return render(request, "contacts/requests/restricted.html", {"item": item})
    if printing:
        audit_download(
            actor=request.user,
            school=request.user.school,
            action=VIEW,
            obj=item,
            reason="Print view",
        )
    elif item.is_restricted:
        # Who read a family-liaison entry is kept, as for any confidential page.
        audit_view(actor=request.user, obj=item, school=request.user.school)
    version = {"version": item.version}
    notes = list(item.notes.select_related("author"))
    asked = item.status == Status.MORE_INFORMATION
    context: dict[str, Any] = {
        "item": item,
        "pupils": item.pupils.all(),
        "notes": notes,
        "history": audit_history(item),
        "actions": actions,
        "now": timezone.now(),
        # The question waiting for an answer: the latest asked (notes come oldest first).
        "question": next((n for n in reversed(notes) if n.kind == NoteKind.QUESTION), None)
        if asked
        else None,
        "lado_prompt": "consider_lado" in (item.actions or [])
        and roles.has_role(request.user, roles.LADO_RECORDERS),
        # The LADO's advice on it, for those who record and read LADO matters; never for the
        # member of staff it is about.
        "lado_records": item.lado_referrals.exclude(subject_id=request.user.pk).order_by(
            "contacted_at"
        )
        if roles.has_role(request.user, roles.LADO_RECORDERS)
        else (),
        "may_record_lado": roles.has_role(request.user, roles.LADO_RECORDERS)
        and not actions.is_requester,
        "sessions": item.plan_sessions.select_related("logged_by") if item.has_plan else (),
        "reviews": item.plan_reviews.select_related("reviewed_by") if item.has_plan else (),
    }
    assessment = planned_assessments.stored_assessment(item)
    if assessment is not None:
        context |= assessment_context(request, assessment, settled=item.is_decided)
    offered = {
        "decision_form": (actions.can_decide or actions.can_ask)
        and DecisionForm(initial=version, only_ask=not actions.can_decide),
        "refer_form": actions.can_refer and ReasonForm(initial=version),
        "withdraw_form": actions.can_withdraw and ReasonForm(initial=version),
        "outcome_form": actions.can_complete and OutcomeForm(initial=version),
        "cancel_form": actions.can_cancel and ReasonForm(initial=version),
        "note_form": actions.can_note and NoteForm(),
        "review_form": actions.can_review and ReviewForm(),
    }
    if printing:
        # Paper carries what was decided, not what may still be done.
        context |= {"printing": True, "base_template": "print_base.html"}
        context["lado_prompt"] = context["may_record_lado"] = False
    else:
        context |= {name: form for name, form in offered.items() if form}
        if not context.get("decision_form"):
            # Once this one is settled, the decider goes on to the next without the queue.
            context["next_waiting"] = planned_selectors.next_waiting(request.user, besides=item)
    return render(request, "contacts/requests/request_detail.html", context)


def _act(
    request: AuthenticatedHttpRequest,
    item: ContactRequest,
    service: Callable[..., object],
    success: str,
    answers: Callable[[], dict[str, Any]],
) -> HttpResponse:
    """Run one transition service on the request for a POSTed action, as the signed-in person.
    The answers are read inside, so a refused answer (a NUL in a reason, say) comes back as a
    message on the request page like any other refusal."""
    try:
        service(actor=request.user, contact_request=item, **answers())
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, success)
    return redirect("request_detail", pk=item.pk)


def _posted(request: AuthenticatedHttpRequest, name: str) -> Callable[[], dict[str, Any]]:
    return lambda: {name: posted_text(request, name)}


def _reason_and_version(request: AuthenticatedHttpRequest) -> Callable[[], dict[str, Any]]:
    return lambda: {"reason": posted_text(request, "reason"), "expected_version": _version(request)}


@require_POST
@recent_sign_in_required(then="request_detail")
def request_decide(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = _visible(request, pk)
    if not allowed_actions(request.user, item).decides_as and item.status == Status.SUBMITTED:
        raise PermissionDenied("You cannot decide this request.")
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose whether to approve, reject or ask for more information.")
        return redirect("request_detail", pk=pk)
    data = form.cleaned_data
    words = {"approve": "approved", "reject": "rejected", "ask": "sent back to the requester"}
    decided = f"{item.reference} was {words[data['decision']]}."
    fields = ("decision", "reason", "conditions")
    answers = {name: data[name] for name in fields} | {"expected_version": data["version"]}
    return _act(request, item, planned_services.request_decide, decided, lambda: answers)


@require_POST
@recent_sign_in_required(then="request_detail")
def request_refer(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = _visible(request, pk)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    referred = f"{item.reference} was referred to the chair of governors."
    answers = {"reason": reason, "expected_version": _version(request)}
    return _act(request, item, planned_services.request_refer, referred, lambda: answers)


@require_POST
def request_withdraw(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = _visible(request, pk)
    withdrawn = f"{item.reference} was withdrawn."
    service = planned_services.request_withdraw
    return _act(request, item, service, withdrawn, _reason_and_version(request))


@require_POST
def request_complete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = _visible(request, pk)
    form = OutcomeForm(request.POST)
    data = form.cleaned_data if form.is_valid() else {"outcome": "", "concerns": ""}
    answers = {
        "outcome": data["outcome"],
        "concerns": data["concerns"],
        "expected_version": _version(request),
    }
    service = planned_services.request_complete
    return _act(request, item, service, "The outcome was recorded.", lambda: answers)


@require_POST
def request_cancel(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = _visible(request, pk)
    cancelled = f"{item.reference} was cancelled."
    service = planned_services.request_cancel
    return _act(request, item, service, cancelled, _reason_and_version(request))


@require_POST
def request_note(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = _visible(request, pk)
    service = planned_services.request_note_add
    return _act(
        request,
        item,
        service,
        "The note was added.",
        lambda: {"text": posted_text(request, "text")},
    )


@require_POST
def request_review(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = _visible(request, pk)
    reviewed = f"{item.reference} was marked reviewed."
    service = planned_services.request_review
    return _act(request, item, service, reviewed, _posted(request, "note"))


def _plan_page(
    request: AuthenticatedHttpRequest, pk: int, action: str
) -> tuple[ContactRequest, HttpResponse | None]:
    """The request, and where to send someone who may not act on its plan now: 403 for the
    wrong person, back to the request page (saying why) for its state."""
    item = _visible(request, pk)
    actions = allowed_actions(request.user, item)
    actions.require_person(action)
    refusal = actions.refusals[action].state
    if refusal:
        messages.error(request, refusal)
        return item, redirect("request_detail", pk=pk)
    return item, None


def request_session(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The requester logs a session under the agreed plan of involvement."""
    item, away = _plan_page(request, pk, "log_session")
    if away is not None:
        return away
    form = SessionForm(posted(request), initial={"held_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            session = planned_services.plan_session_log(
                actor=request.user, contact_request=item, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Session {session.number} of the plan was logged.")
            return redirect("request_detail", pk=pk)
    context = {"item": item, "form": form, "sessions": item.plan_sessions.all()}
    return render(request, "contacts/requests/session_form.html", context)


@recent_sign_in_required(then="request_plan_review")
def request_plan_review(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Whoever decides the request reviews its plan: continue, change or end it."""
    item, away = _plan_page(request, pk, "review_plan")
    if away is not None:
        return away
    form = PlanReviewForm(posted(request), initial=PlanReviewForm.initial_from(item))
    if request.method == "POST" and form.is_valid():
        try:
            review = planned_services.plan_review_record(
                actor=request.user, contact_request=item, **form.service_arguments()
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, f"The review was recorded: {review.get_decision_display().lower()}."
            )
            return redirect("request_detail", pk=pk)
    context = {
        "item": item,
        "form": form,
        "sessions": item.plan_sessions.select_related("logged_by"),
        "reviews": item.plan_reviews.select_related("reviewed_by"),
    }
    return render(request, "contacts/requests/plan_review_form.html", context)


def _searched(
    request: AuthenticatedHttpRequest, rows: QuerySet[ContactRequest]
) -> tuple[QuerySet[ContactRequest], RequestFilter]:
    """A queue narrowed by its search (pupil, member of staff, kind, dates), and the search for
    the page's form. A search with a mistake in it finds nothing; the mistake is shown beside
    its field."""
    search = RequestFilter(request.GET or None, rows, reader=request.user)
    return _found(search), search


def _found(search: RequestFilter) -> QuerySet[ContactRequest]:
    """What a list's search found: everything when nothing was asked; nothing when the search
    has a mistake in it (shown beside its field)."""
    if not search.is_bound:
        return search.queryset
    return search.qs if search.is_valid() else search.queryset.none()


# The decision queue's line of reasons: enough to tell one request from another at a glance.
QUEUE_REASONS_LENGTH = 140


def _first_line(text: str, length: int = QUEUE_REASONS_LENGTH) -> str:
    line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return line if len(line) <= length else line[: length - 1].rstrip() + "…"


@role_required(roles.DECIDERS)
def decision_queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Waiting requests as a compact table: who, which pupils, what, when, where, the first
    line of the reasons and the verdict; the full assessment is on each request's page."""
    rows, search = _searched(
        request, planned_selectors.decision_queue_for(request.user).exclude(verdict="")
    )
    # A request's pupils go with it: whoever may decide it reads them (`can_read_request`
    # below masks a restricted one), even a chair, who opens no pupil's own page.
    page = _page(request, rows, prefetch=["pupils"])
    items = []
    for item in page.object_list:
        # The queue leaves out requests without a verdict, so each has an assessment.
        assessment = cast("Assessment", planned_assessments.stored_assessment(item))
        readable = planned_selectors.can_read_request(request.user, item)
        items.append(
            (
                item,
                {
                    "readable": readable,
                    "reasons": _first_line(item.reasons) if readable else "",
                    "verdict_label": VERDICT_LABELS[assessment.verdict],
                    "verdict_tone": VERDICT_TONES[assessment.verdict],
                    "lado": bool({"consult_lado", "consider_lado"} & set(assessment.actions)),
                },
            )
        )
    context = {
        "items": items,
        "page": page,
        "filter": search,
        "acting": roles.has_role(request.user, roles.HEAD_STAND_INS)
        and not roles.has_role(request.user, Role.HEADTEACHER)
        and workflow.head_absent(request.user.school_id),
    }
    return render(request, "contacts/requests/decision_queue.html", context)


def monitoring_queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not (roles.has_role(request.user, Role.LINE_MANAGER) or request.user.reports.exists()):
        raise PermissionDenied("The monitoring queue is for line managers.")
    rows, search = _searched(request, planned_selectors.monitoring_queue_for(request.user))
    # The queue holds no restricted entry (monitoring_queue_for): its pupils are readable.
    page = _page(request, rows, prefetch=["pupils"])
    context = {
        "rows": page.object_list,
        "page": page,
        "filter": search,
        "now": timezone.now(),
        "today": timezone.localdate(),
    }
    return render(request, "contacts/requests/monitoring_queue.html", context)


@role_required(roles.ABSENCE_RECORDERS)
def absences(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = AbsenceForm(posted(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            planned_services.absence_record(
                actor=request.user,
                school=request.user.school,
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                note=data["note"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "The absence was recorded: the deputy decides meanwhile.")
            return redirect("absences")
    today = timezone.localdate()
    rows = HeadAbsence.objects.filter(school_id=request.user.school_id, ends_on__gte=today)
    context = {
        "form": form,
        "rows": rows,
        "absent_now": workflow.head_absent(request.user.school_id),
    }
    return render(request, "contacts/requests/absences.html", context)


@require_POST
@role_required(roles.ABSENCE_RECORDERS)
def absence_end(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    absence = get_object_or_404(HeadAbsence, pk=pk, school_id=request.user.school_id)
    planned_services.absence_end(actor=request.user, absence=absence)
    messages.success(request, "The absence was ended: the headteacher decides again.")
    return redirect("absences")
