"""A school's policy documents: versions with review dates, the engine clauses they back,
and who has read each current version."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from policies.engine import CLAUSES, Clause
from safeguard.core.models import School
from safeguard.core.roles import Role


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
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "policies"
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(fields=["school", "title"], name="policy_title_per_school"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def audit_ref(self) -> str:
        return f"POLICY-{self.pk}"


class PolicyVersionQuerySet(models.QuerySet):
    def current(self) -> PolicyVersionQuerySet:
        """The newest version of each policy."""
        newer = PolicyVersion.objects.filter(
            policy=models.OuterRef("policy"), number__gt=models.OuterRef("number")
        )
        return self.exclude(models.Exists(newer))

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
        ]

    def __str__(self) -> str:
        return f"{self.policy.title}, version {self.number}"

    @property
    def audit_ref(self) -> str:
        return f"POLICY-{self.policy_id}-V{self.number}"

    def is_overdue(self, on: dt.date | None = None) -> bool:
        return self.next_review < (on or timezone.localdate())

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
