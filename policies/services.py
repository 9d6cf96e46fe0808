"""Every write to policy documents: one transaction each, with its audit event."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max

from contacts.people.models import Staff
from policies.engine import CLAUSES
from policies.models import Acknowledgement, Policy, PolicyClause, PolicyVersion
from safeguard.audit.services import audit_record
from safeguard.core import roles
from safeguard.core.models import School
from safeguard.core.uploads import StoredFile, discard, store_upload

POLICY_FIELDS = ("title", "owner_role", "summary", "requires_acknowledgement")


def _require_editor(actor: Staff, school: School) -> None:
    if actor.school_id != school.pk or not roles.has_role(actor, roles.POLICY_EDITORS):
        raise PermissionDenied("Only the headteacher or the school administrator edit policies.")


def _check_clauses(clauses: Iterable[str]) -> list[str]:
    chosen = sorted(set(clauses))
    unknown = [c for c in chosen if c not in CLAUSES]
    if unknown:
        raise ValidationError({"clauses": f"Unknown clause: {', '.join(unknown)}."})
    return chosen


def _check_title(school: School, title: str, exclude_pk: int | None = None) -> None:
    clash = Policy.objects.filter(school=school, title__iexact=title.strip())
    if clash.exclude(pk=exclude_pk).exists():  # type: ignore[misc]  # pk=None excludes nothing
        raise ValidationError({"title": "The school already has a policy with this title."})


def _set_clauses(policy: Policy, clauses: list[str]) -> None:
    policy.clauses.exclude(clause__in=clauses).delete()
    have = set(policy.clauses.values_list("clause", flat=True))
    PolicyClause.objects.bulk_create(
        [PolicyClause(policy=policy, clause=c) for c in clauses if c not in have]
    )


def _new_version(
    *,
    actor: Staff,
    policy: Policy,
    last_reviewed: dt.date,
    next_review: dt.date,
    text: str,
    document: UploadedFile | None,
    change_note: str,
) -> tuple[PolicyVersion, StoredFile | None]:
    """Validate a version and store its PDF; the caller saves it inside its transaction."""
    stored = None
    if document is not None:
        stored = store_upload(document, allowed=("pdf",), field="document")
    version = PolicyVersion(
        policy=policy,
        number=0,  # set under the transaction
        last_reviewed=last_reviewed,
        next_review=next_review,
        text=(text or "").strip(),
        document=stored.stored_name if stored else "",
        document_name=stored.original_name if stored else "",
        change_note=change_note,
        created_by=actor,
    )
    try:
        version.full_clean(exclude=["policy", "number"])
    except ValidationError:
        discard(stored)
        raise
    return version, stored


def policy_create(
    *,
    actor: Staff,
    school: School,
    title: str,
    owner_role: str,
    summary: str,
    requires_acknowledgement: bool = True,
    clauses: Iterable[str] = (),
    last_reviewed: dt.date,
    next_review: dt.date,
    text: str = "",
    document: UploadedFile | None = None,
) -> Policy:
    _require_editor(actor, school)
    clause_ids = _check_clauses(clauses)
    _check_title(school, title)
    policy = Policy(
        school=school,
        title=title.strip(),
        owner_role=owner_role,
        summary=summary,
        requires_acknowledgement=requires_acknowledgement,
    )
    policy.full_clean(validate_unique=False, validate_constraints=False)
    version, stored = _new_version(
        actor=actor,
        policy=policy,
        last_reviewed=last_reviewed,
        next_review=next_review,
        text=text,
        document=document,
        change_note="First version",
    )
    try:
        with transaction.atomic():
            policy.save()
            _set_clauses(policy, clause_ids)
            version.policy = policy
            version.number = 1
            version.save()
            audit_record(actor=actor, school=school, action="policy.create", obj=policy)
            audit_record(actor=actor, school=school, action="policy.version_add", obj=version)
    except Exception:
        discard(stored)
        raise
    return policy


def policy_update(
    *,
    actor: Staff,
    policy: Policy,
    title: str,
    owner_role: str,
    summary: str,
    requires_acknowledgement: bool,
    clauses: Iterable[str],
) -> Policy:
    """Change what the policy is and which clauses it backs; its text changes by new version."""
    _require_editor(actor, policy.school)
    clause_ids = _check_clauses(clauses)
    _check_title(policy.school, title, exclude_pk=policy.pk)
    policy.title = title.strip()
    policy.owner_role = owner_role
    policy.summary = summary
    policy.requires_acknowledgement = requires_acknowledgement
    policy.full_clean(validate_unique=False, validate_constraints=False)
    with transaction.atomic():
        policy.save()
        _set_clauses(policy, clause_ids)
        audit_record(
            actor=actor,
            school=policy.school,
            action="policy.update",
            obj=policy,
            reason=f"clauses: {', '.join(clause_ids) or 'none'}",
        )
    return policy


def policy_version_add(
    *,
    actor: Staff,
    policy: Policy,
    last_reviewed: dt.date,
    next_review: dt.date,
    text: str = "",
    document: UploadedFile | None = None,
    change_note: str = "",
) -> PolicyVersion:
    """A reviewed or revised policy: a new version, the old ones kept. Staff must read it anew."""
    _require_editor(actor, policy.school)
    if not change_note.strip():
        raise ValidationError({"change_note": "Say briefly what changed in this version."})
    version, stored = _new_version(
        actor=actor,
        policy=policy,
        last_reviewed=last_reviewed,
        next_review=next_review,
        text=text,
        document=document,
        change_note=change_note.strip(),
    )
    try:
        with transaction.atomic():
            # Lock the policy row so two editors cannot both become "version 2".
            Policy.objects.select_for_update().filter(pk=policy.pk).first()
            latest = policy.versions.aggregate(n=Max("number"))["n"] or 0
            version.number = latest + 1
            version.save()
            audit_record(
                actor=actor,
                school=policy.school,
                action="policy.version_add",
                obj=version,
                reason=version.change_note,
            )
    except Exception:
        discard(stored)
        raise
    return version


def policy_acknowledge(*, actor: Staff, version: PolicyVersion) -> Acknowledgement:
    """The member of staff confirms they have read the current version."""
    policy = version.policy
    if actor.school_id != policy.school_id or not actor.is_active:
        raise PermissionDenied("This policy belongs to another school.")
    with transaction.atomic():
        current = policy.versions.order_by("-number").first()
        if current is None or current.pk != version.pk:
            raise ValidationError("A newer version of this policy exists: read that one.")
        if Acknowledgement.objects.filter(version=version, staff=actor).exists():
            raise ValidationError("You have already confirmed that you read this version.")
        ack = Acknowledgement.objects.create(version=version, staff=actor)
        audit_record(actor=actor, school=policy.school, action="policy.acknowledge", obj=version)
    return ack
