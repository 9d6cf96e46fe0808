"""Every write to policy documents: one transaction each, with its audit event."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from contacts.notifications.services import notify
from contacts.people.models import Staff
from policies.engine import CLAUSES
from policies.models import (
    SIGNATORY_FIELDS,
    Acknowledgement,
    Policy,
    PolicyClause,
    PolicySignature,
    PolicyVersion,
)
from policies.selectors import signing_for
from safeguard.audit.services import audit_record
from safeguard.core import roles
from safeguard.core.models import School
from safeguard.core.roles import DEFAULT_POLICY_SIGNATORIES, POLICY_SIGNATORY_ORDER, Role
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


def _check_signatories(signatories: Iterable[str]) -> list[str]:
    chosen = set(signatories)
    if not chosen:
        raise ValidationError({"signatories": "Choose who signs each version to adopt it."})
    unknown = chosen - set(POLICY_SIGNATORY_ORDER)
    if unknown:
        raise ValidationError(
            {
                "signatories": "Only the headteacher, the chair of governors and "
                "the assistant headteacher sign policies."
            }
        )
    return [role for role in POLICY_SIGNATORY_ORDER if role in chosen]


def _set_signatories(policy: Policy, signatories: list[str]) -> None:
    for role, field in SIGNATORY_FIELDS.items():
        setattr(policy, field, role in signatories)


def _signatory_words(signatories: list[str]) -> str:
    return ", ".join(Role(role).label.lower() for role in signatories)


def _open_for_signing(actor: Staff, version: PolicyVersion) -> None:
    """A place for each of the policy's signatories on a version just saved, and a notice to
    each of them that it awaits their signature (the one who added it knows)."""
    wanted = version.policy.signatory_roles
    PolicySignature.objects.bulk_create(
        [PolicySignature(version=version, role=role) for role in wanted]
    )
    signatories = (
        Staff.objects.filter(
            school_id=version.policy.school_id,
            is_active=True,
            role_assignments__role__in=wanted,
        )
        .exclude(pk=actor.pk)
        .distinct()
    )
    path = reverse("policy_detail", args=[version.policy_id]) + f"?version={version.number}"
    notify(
        recipients=signatories,
        message=f"Version {version.number} of the policy “{version.policy.title}” awaits your "
        "signature to be adopted",
        path=path,
    )


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
    signatories: Iterable[str] = DEFAULT_POLICY_SIGNATORIES,
    last_reviewed: dt.date,
    next_review: dt.date,
    text: str = "",
    document: UploadedFile | None = None,
) -> Policy:
    """A policy and its first version, which awaits its signatories before it is in force."""
    _require_editor(actor, school)
    clause_ids = _check_clauses(clauses)
    signing = _check_signatories(signatories)
    _check_title(school, title)
    policy = Policy(
        school=school,
        title=title.strip(),
        owner_role=owner_role,
        summary=summary,
        requires_acknowledgement=requires_acknowledgement,
    )
    _set_signatories(policy, signing)
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
            audit_record(
                actor=actor,
                school=school,
                action="policy.create",
                obj=policy,
                reason=f"signed by: {_signatory_words(signing)}",
            )
            audit_record(actor=actor, school=school, action="policy.version_add", obj=version)
            _open_for_signing(actor, version)
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
    signatories: Iterable[str] | None = None,
) -> Policy:
    """Change what the policy is, which clauses it backs and who signs it; its text changes by
    new version. New signatories sign the versions added from now on: a version already
    awaiting signatures keeps those it was added with, so nobody is taken off one to adopt it
    without them."""
    _require_editor(actor, policy.school)
    clause_ids = _check_clauses(clauses)
    signing = _check_signatories(policy.signatory_roles if signatories is None else signatories)
    _check_title(policy.school, title, exclude_pk=policy.pk)
    policy.title = title.strip()
    policy.owner_role = owner_role
    policy.summary = summary
    policy.requires_acknowledgement = requires_acknowledgement
    _set_signatories(policy, signing)
    policy.full_clean(validate_unique=False, validate_constraints=False)
    with transaction.atomic():
        policy.save()
        _set_clauses(policy, clause_ids)
        audit_record(
            actor=actor,
            school=policy.school,
            action="policy.update",
            obj=policy,
            reason=f"clauses: {', '.join(clause_ids) or 'none'}; "
            f"signed by: {_signatory_words(signing)}",
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
    """A reviewed or revised policy: a new version, the old ones kept. It awaits its signatories;
    once adopted it replaces the version in force and staff must read it anew."""
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
            _open_for_signing(actor, version)
    except Exception:
        discard(stored)
        raise
    return version


def policy_version_sign(*, actor: Staff, version: PolicyVersion) -> PolicyVersion:
    """A signatory signs a version, acknowledging its adoption; the last signature adopts it.

    Refused to anyone the version does not name as a signatory, to a signatory who has signed
    it already, and once it is adopted or a newer version has superseded it.
    """
    with transaction.atomic():
        # The policy's row first, as policy_version_add takes it, so no newer version appears
        # unseen; then the version and its places: two signatories signing at once each see the
        # other's signature, and exactly one of them adopts it.
        Policy.objects.select_for_update().filter(pk=version.policy_id).first()
        version = (
            PolicyVersion.objects.select_for_update(of=("self",))
            .select_related("policy__school")
            .get(pk=version.pk)
        )
        places = list(
            version.signatures.select_for_update(of=("self",)).select_related("signed_by")
        )
        superseded = version.policy.versions.filter(number__gt=version.number).exists()
        signing = signing_for(actor, version, places, superseded=superseded)
        if signing.place is None:
            if signing.forbidden:
                raise PermissionDenied(signing.refusal)
            raise ValidationError(signing.refusal)
        now = timezone.now()
        place = signing.place
        place.signed_by = actor
        place.signed_at = now
        place.save(update_fields=["signed_by", "signed_at"])
        school = version.policy.school
        audit_record(
            actor=actor,
            school=school,
            action="policy.sign",
            obj=version,
            reason=f"as {place.get_role_display().lower()}",
        )
        if all(p.is_signed for p in places):
            version.adopted_at = now
            version.save(update_fields=["adopted_at"])
            audit_record(
                actor=actor,
                school=school,
                action="policy.adopt",
                obj=version,
                reason=f"signed by: {_signatory_words([p.role for p in places])}",
            )
    return version


def policy_acknowledge(*, actor: Staff, version: PolicyVersion) -> Acknowledgement:
    """The member of staff confirms they have read the version in force (the newest adopted):
    a version still awaiting its signatures is not yet theirs to read."""
    policy = version.policy
    if actor.school_id != policy.school_id or not actor.is_active:
        raise PermissionDenied("This policy belongs to another school.")
    with transaction.atomic():
        version = PolicyVersion.objects.get(pk=version.pk)  # adopted since the page was read?
        if not version.is_adopted:
            raise ValidationError(
                "This version is not adopted yet: staff are asked to read it once its "
                "signatories have signed it."
            )
        current = PolicyVersion.objects.current().filter(policy=policy).first()
        if current is None or current.pk != version.pk:
            raise ValidationError("A newer version of this policy exists: read that one.")
        if Acknowledgement.objects.filter(version=version, staff=actor).exists():
            raise ValidationError("You have already confirmed that you read this version.")
        ack = Acknowledgement.objects.create(version=version, staff=actor)
        audit_record(actor=actor, school=policy.school, action="policy.acknowledge", obj=version)
    return ack
