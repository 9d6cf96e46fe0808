"""Policy documents and the "Can I do this?" page."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from contacts.people.selectors import declarations_covering, pupils_selectable_by
from policies import selectors, services
from policies.engine import ACTION_LABELS, APPROVER_LABELS, VERDICT_LABELS, Assessment, assess
from policies.facts import contact_facts, engine_settings_for
from policies.forms import ContactQuestionForm, NewPolicyForm, PolicyForm, PolicyVersionForm
from policies.models import Policy
from safeguard.core import roles
from safeguard.core.forms import add_service_errors, posted
from safeguard.core.http import AuthenticatedHttpRequest
from safeguard.core.reauth import recent_sign_in_required
from safeguard.core.roles import role_required
from safeguard.core.uploads import open_stored

VERDICT_TONES = {"prohibited": "danger", "needs_approval": "warning", "record": "success"}
# Once a request is decided, or contact recorded after the fact, approval is no longer
# something still needed: the card says what was needed, in a neutral colour, beside the
# decision's own green or red. A record of something a pupil did (a text to a personal phone)
# must not read as approval of it.
SETTLED_LABELS = {
    "needs_approval": "Needed approval first",
    "record": "Recorded, as the policies ask",
}


def assessment_context(
    request: AuthenticatedHttpRequest,
    assessment: Assessment,
    backing: dict[str, list[Policy]] | None = None,
    *,
    settled: bool = False,
) -> dict:
    """What a page needs to show an assessment: labels, and the school's policies per clause.

    A page showing many assessments passes `backing` fetched once for all their clauses.
    `settled`: a decided request or a record made afterwards: nothing waits for approval.
    """
    if backing is None:
        backing = selectors.policies_backing(request.user, [f.clause for f in assessment.findings])
    settled = settled and assessment.verdict in SETTLED_LABELS
    return {
        "assessment": assessment,
        "verdict_label": SETTLED_LABELS[assessment.verdict]
        if settled
        else VERDICT_LABELS[assessment.verdict],
        "verdict_tone": "secondary" if settled else VERDICT_TONES[assessment.verdict],
        "approver_label": "" if settled else APPROVER_LABELS.get(assessment.approver or "", ""),
        "action_labels": sorted(ACTION_LABELS[a] for a in assessment.actions),
        # The LADO's number, and where a head unsure may turn first, beside the advice to
        # consult them (000 §introduction).
        "lado_advised": "consider_lado" in assessment.actions,
        "backing": backing,
    }


def contact_check(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Any member of staff asks what the policies say before filing anything."""
    form = ContactQuestionForm(posted(request), pupils=pupils_selectable_by(request.user))
    context: dict = {"form": form}
    if request.method == "POST" and form.is_valid():
        try:
            facts = contact_facts(requester=request.user, **form.fact_arguments())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            assessment = assess(facts, engine_settings_for(request.user.school))
            context |= assessment_context(request, assessment)
            if assessment.needs_approval and form.cleaned_data["planned"] == "yes":
                # "Ask for approval": the request form opens with these answers filled in.
                query = urlencode(form.request_answers(), doseq=True)
                context["ask_url"] = f"{reverse('request_new')}?{query}"
            if "declaration.standing" in {f.clause for f in assessment.findings}:
                answers = form.fact_arguments()
                context["declarations"] = declarations_covering(
                    request.user, [answers["pupil"]], answers["kind"], answers["on"]
                )
    return render(request, "policies/check.html", context)


def policy_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    policies = selectors.policies_visible_to(request.user)
    to_read = {v.pk for v in selectors.versions_to_read(request.user)}
    to_sign = {v.pk for v in selectors.versions_to_sign(request.user)}
    rows = []
    for policy in policies:
        # The selector's Prefetch(to_attr=) lists, which the stubs cannot see.
        current = policy.current_versions[0] if policy.current_versions else None  # type: ignore[attr-defined]
        pending = policy.pending_versions[0] if policy.pending_versions else None  # type: ignore[attr-defined]
        rows.append(
            {
                "policy": policy,
                "current": current,
                "pending": pending,
                "to_read": current is not None and current.pk in to_read,
                "to_sign": pending is not None and pending.pk in to_sign,
            }
        )
    context = {
        "rows": rows,
        "today": timezone.localdate(),
        "can_edit": roles.has_role(request.user, roles.POLICY_EDITORS),
    }
    return render(request, "policies/policy_list.html", context)


def policy_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    policy = get_object_or_404(selectors.policies_visible_to(request.user), pk=pk)
    found = selectors.versions_of(request.user, policy)
    if not found.versions:
        raise Http404
    number = request.GET.get("version")
    # The version in force unless another is asked for; the first one while it awaits signing.
    shown = next(
        (v for v in found.versions if str(v.number) == number),
        found.current or found.versions[0],
    )
    current = found.current
    signing = selectors.signing_for(
        request.user, shown, list(shown.signatures.all()), superseded=found.superseded(shown)
    )
    can_edit = roles.has_role(request.user, roles.POLICY_EDITORS)
    context = {
        "policy": policy,
        "shown": shown,
        "shown_state": found.state(shown),
        "current": current,
        "pending": found.pending,
        "versions": [(v, found.state(v)) for v in found.versions],
        "clauses": [link.engine_clause for link in policy.clauses.all() if link.engine_clause],
        "acknowledged": selectors.acknowledgement_of(request.user, current) if current else None,
        "can_sign": signing.place is not None,
        "can_edit": can_edit,
        "not_read": selectors.staff_yet_to_acknowledge(current) if can_edit and current else None,
        "today": timezone.localdate(),
    }
    return render(request, "policies/policy_detail.html", context)


@role_required(roles.POLICY_EDITORS)
def policy_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = NewPolicyForm(posted(request), request.FILES if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            policy = services.policy_create(
                actor=request.user, school=request.user.school, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, f"“{policy.title}” was added: it is adopted once its signatories sign it."
            )
            return redirect("policy_detail", pk=policy.pk)
    return render(request, "policies/policy_form.html", {"form": form, "title": "Add a policy"})


@role_required(roles.POLICY_EDITORS)
def policy_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    policy = get_object_or_404(selectors.policies_visible_to(request.user), pk=pk)
    initial = {
        "title": policy.title,
        "owner_role": policy.owner_role,
        "summary": policy.summary,
        "requires_acknowledgement": policy.requires_acknowledgement,
        "signatories": policy.signatory_roles,
        "clauses": list(policy.clauses.values_list("clause", flat=True)),
    }
    form = PolicyForm(posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.policy_update(actor=request.user, policy=policy, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "The policy was updated.")
            return redirect("policy_detail", pk=policy.pk)
    title = f"Edit “{policy.title}”"
    return render(request, "policies/policy_form.html", {"form": form, "title": title})


@role_required(roles.POLICY_EDITORS)
def policy_version_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    policy = get_object_or_404(selectors.policies_visible_to(request.user), pk=pk)
    form = PolicyVersionForm(posted(request), request.FILES if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            version = services.policy_version_add(
                actor=request.user, policy=policy, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                f"Version {version.number} was added: it replaces the version in force once its "
                "signatories sign it.",
            )
            url = reverse("policy_detail", args=[policy.pk])
            return redirect(f"{url}?version={version.number}")
    title = f"New version of “{policy.title}”"
    return render(request, "policies/policy_form.html", {"form": form, "title": title})


@require_POST
def policy_acknowledge(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    version = get_object_or_404(selectors.policy_versions_visible_to(request.user), pk=pk)
    try:
        services.policy_acknowledge(actor=request.user, version=version)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Thank you: your confirmation is recorded.")
    return redirect("policy_detail", pk=version.policy_id)


@require_POST
@role_required(roles.POLICY_SIGNATORIES)
@recent_sign_in_required(then="policy_list", then_with_arguments=False)
def policy_sign(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A signatory signs a version: their acknowledgement of its adoption."""
    version = get_object_or_404(selectors.policy_versions_visible_to(request.user), pk=pk)
    try:
        version = services.policy_version_sign(actor=request.user, version=version)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if version.is_adopted:
            messages.success(
                request, f"You signed version {version.number}: it is now adopted and in force."
            )
        else:
            messages.success(
                request,
                f"You signed version {version.number}: it is adopted once its other "
                "signatories sign it.",
            )
    url = reverse("policy_detail", args=[version.policy_id])
    return redirect(f"{url}?version={version.number}")


def policy_document(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    version = get_object_or_404(selectors.policy_versions_visible_to(request.user), pk=pk)
    if not version.document:
        raise Http404
    try:
        stored = open_stored(version.document)
    except (ValueError, FileNotFoundError) as error:
        raise Http404 from error
    return FileResponse(
        stored,
        as_attachment=True,
        filename=version.document_name or f"policy-{version.policy_id}-v{version.number}.pdf",
        content_type="application/pdf",
    )
