"""A school's policy documents: versions with review dates, the engine clauses they back,
and who has read each current version."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from policies.engine import CLAUSES, Clause
from safeguard.core.models import School
from safeguard.core.roles import POLICY_SIGNATORY_ORDER, Role

# Each policy names who signs its versions: one field per role that may sign
# (roles.POLICY_SIGNATORY_ORDER), so the database can insist that somebody does.
SIGNATORY_FIELDS = {
    Role.HEADTEACHER: "head_signs",
    Role.CHAIR_OF_GOVERNORS: "chair_signs",
    Role.ASSISTANT_HEAD: "assistant_head_signs",
}


class Policy(models.Model):
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="policies")
    title = models.CharField(max_length=200)
    owner_role = models.CharField(
        "owner",
        max_length=40,
        choices=Role.choices,
        default=Role.HEADTEACHER,
        help_text="Who keeps this policy up to date.",
    )
    summary = models.TextField(help_text="What the policy asks of staff, in the school's words.")
    requires_acknowledgement = models.BooleanField(
        "staff must confirm they have read it",
        default=True,
        help_text="Every active member of staff is asked to read each new version.",
    )
    head_signs = models.BooleanField("the headteacher signs each version", default=True)
    chair_signs = models.BooleanField("the chair of governors signs each version", default=True)
    assistant_head_signs = models.BooleanField(
        "the assistant headteacher signs each version", default=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "policies"
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(fields=["school", "title"], name="policy_title_per_school"),
            # A version nobody signs could never be adopted.
            models.CheckConstraint(
                condition=Q(head_signs=True) | Q(chair_signs=True) | Q(assistant_head_signs=True),
                name="policy_has_a_signatory",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def audit_ref(self) -> str:
        return f"POLICY-{self.pk}"

    @property
    def signatory_roles(self) -> list[str]:
        """The roles that sign each new version, in the order the signatures are listed."""
        return [role for role in POLICY_SIGNATORY_ORDER if getattr(self, SIGNATORY_FIELDS[role])]


class PolicyVersionQuerySet(models.QuerySet):
    def current(self) -> PolicyVersionQuerySet:
        """The version in force of each policy: its newest adopted version. A newer version
        still awaiting signatures does not replace it until it is adopted, so staff read, and
        the pages cite, what the school has adopted (docs/policy-rules.md "Adopting a policy")."""
        newer = PolicyVersion.objects.filter(
            policy=OuterRef("policy"), number__gt=OuterRef("number"), adopted_at__isnull=False
        )
        return self.filter(adopted_at__isnull=False).exclude(Exists(newer))

    def awaiting_signatures(self) -> PolicyVersionQuerySet:
        """Versions not yet adopted that nothing has superseded: the newest of their policy."""
        newer = PolicyVersion.objects.filter(
            policy=OuterRef("policy"), number__gt=OuterRef("number")
        )
        return self.filter(adopted_at__isnull=True).exclude(Exists(newer))

    def overdue(self, on: dt.date | None = None) -> PolicyVersionQuerySet:
        return self.current().filter(next_review__lt=on or timezone.localdate())


class PolicyVersion(models.Model):
    """One version of a policy. Versions are never edited: a change is a new version."""

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    last_reviewed = models.DateField()
    next_review = models.DateField()
    text = models.TextField(
        "policy text",
        blank=True,
        help_text="Paste the policy as the school adopted it (or upload a PDF below).",
    )
    document = models.CharField(
        max_length=200, blank=True, help_text="Stored file name of the uploaded PDF."
    )
    document_name = models.CharField(max_length=200, blank=True)
    change_note = models.CharField("what changed", max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Adopted when the last of its signatories signs (PolicySignature): from then on it is in
    # force, staff are asked to read it and the pages cite it.
    adopted_at = models.DateTimeField(null=True, blank=True)
    # Published before Safeguard recorded signatures: adopted from its publication, signed by
    # nobody in the app (migration 0004 marked every version that existed then).
    adopted_unsigned = models.BooleanField(default=False)

    objects = PolicyVersionQuerySet.as_manager()

    class Meta:
        ordering = ["policy", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "number"], name="policyversion_number"),
            models.CheckConstraint(
                condition=Q(next_review__gt=F("last_reviewed")),
                name="policyversion_review_after_reviewed",
            ),
            models.CheckConstraint(
                condition=~Q(text="") | ~Q(document=""), name="policyversion_has_content"
            ),
            models.CheckConstraint(
                condition=Q(adopted_unsigned=False) | Q(adopted_at__isnull=False),
                name="policyversion_unsigned_only_when_adopted",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy.title}, version {self.number}"

    @property
    def audit_ref(self) -> str:
        return f"POLICY-{self.policy_id}-V{self.number}"

    def is_overdue(self, on: dt.date | None = None) -> bool:
        return self.next_review < (on or timezone.localdate())

    @property
    def is_adopted(self) -> bool:
        return self.adopted_at is not None

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        if self.last_reviewed and self.last_reviewed > timezone.localdate():
            errors["last_reviewed"] = "The last review cannot be in the future."
        if self.last_reviewed and self.next_review and self.next_review <= self.last_reviewed:
            errors["next_review"] = "The next review must come after the last review."
        if not (self.text or "").strip() and not self.document:
            errors["text"] = "Paste the policy text or upload it as a PDF."
        if errors:
            raise ValidationError(errors)

    def validate_constraints(self, exclude: Collection[str] | None = None) -> None:
        # The same rules are in clean(), with messages beside the fields.
        exclude = set(exclude or ()) | {"next_review", "text", "document"}
        super().validate_constraints(exclude=exclude)


class PolicyClause(models.Model):
    """An engine clause (policies.engine.CLAUSES) that this school policy stands behind."""

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="clauses")
    # Not a choices field: the catalogue lives in code and may grow without a migration.
    clause = models.CharField(max_length=80)

    class Meta:
        ordering = ["clause"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "clause"], name="policyclause_once"),
        ]

    def __str__(self) -> str:
        return self.clause

    @property
    def engine_clause(self) -> Clause | None:
        return CLAUSES.get(self.clause)


class PolicySignature(models.Model):
    """One signatory's place on a version: made for each role the policy names when the version
    is added, filled when someone holding that role signs (policies.services.
    policy_version_sign). The version is adopted once every place is filled."""

    version = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="signatures")
    role = models.CharField(max_length=40, choices=Role.choices)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["version", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["version", "role"], name="policysignature_role_once"),
            # One person signs a version once, whatever roles they hold.
            models.UniqueConstraint(
                fields=["version", "signed_by"], name="policysignature_person_once"
            ),
            models.CheckConstraint(
                condition=Q(signed_by__isnull=True, signed_at__isnull=True)
                | Q(signed_by__isnull=False, signed_at__isnull=False),
                name="policysignature_signed_with_time",
            ),
            models.CheckConstraint(
                condition=Q(role__in=[str(role) for role in POLICY_SIGNATORY_ORDER]),
                name="policysignature_signatory_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} on {self.version}"

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None


class Acknowledgement(models.Model):
    """A member of staff confirms they have read one version of a policy."""

    version = models.ForeignKey(
        PolicyVersion, on_delete=models.CASCADE, related_name="acknowledgements"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="acknowledgements"
    )
    acknowledged_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-acknowledged_at"]
        constraints = [
            models.UniqueConstraint(fields=["version", "staff"], name="acknowledgement_once"),
        ]

    def __str__(self) -> str:
        return f"{self.staff} read {self.version}"
