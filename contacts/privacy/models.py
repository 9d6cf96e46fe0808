"""Legal holds: a pupil or a member of staff whose records the retention schedule must not
delete while a claim, an investigation or an inquiry is open (see docs/retention.md)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from contacts.people.models import Pupil, Staff
from safeguard.core.models import School


class LegalHoldQuerySet(models.QuerySet):
    def active(self) -> LegalHoldQuerySet:
        return self.filter(lifted_at__isnull=True)


class LegalHold(models.Model):
    """Keeps everything about one pupil, or one member of staff, until it is lifted."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="legal_holds")
    pupil = models.ForeignKey(
        Pupil, on_delete=models.PROTECT, null=True, blank=True, related_name="legal_holds"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="legal_holds",
        verbose_name="member of staff",
    )
    reason = models.TextField(
        help_text="Why the records must be kept: the claim, investigation or inquiry."
    )
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    placed_at = models.DateTimeField(default=timezone.now)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    lift_reason = models.TextField(blank=True)

    objects = LegalHoldQuerySet.as_manager()

    class Meta:
        ordering = ["-placed_at", "-id"]
        indexes = [models.Index(fields=["school", "lifted_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(pupil__isnull=False, staff__isnull=True)
                | Q(pupil__isnull=True, staff__isnull=False),
                name="legalhold_on_one_person",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="legalhold_has_reason"),
            models.CheckConstraint(
                condition=Q(lifted_at__isnull=True, lifted_by__isnull=True, lift_reason="")
                | (Q(lifted_at__isnull=False, lifted_by__isnull=False) & ~Q(lift_reason="")),
                name="legalhold_lifted_with_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.audit_ref

    @property
    def audit_ref(self) -> str:
        return f"HOLD-{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.lifted_at is None

    @property
    def person(self) -> Pupil | Staff:
        # A hold names exactly one of them (a check constraint).
        return self.pupil if self.pupil_id else self.staff  # type: ignore[return-value]

    @property
    def person_ref(self) -> str:
        """The person held, as the audit trail names them (never by name)."""
        return self.person.audit_ref
