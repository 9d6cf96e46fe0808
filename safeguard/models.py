from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone


class School(models.Model):
    """A school. Every person and record belongs to exactly one."""

    name = models.CharField(max_length=200)
    address = models.TextField(blank=True)
    lado_phone = models.CharField(
        "LADO telephone number",
        max_length=40,
        blank=True,
        help_text="The local authority designated officer's number, shown wherever a "
        "referral may be needed.",
    )
    # Policy settings read by the rules engine (policies.engine.EngineSettings).
    child_age = models.PositiveSmallIntegerField(
        "age below which a former pupil counts as a child",
        default=18,
        validators=[MinValueValidator(10), MaxValueValidator(25)],
    )
    restricted_window_years = models.PositiveSmallIntegerField(
        "years after leaving in which contact with a child or vulnerable ex-pupil is restricted",
        default=3,
        validators=[MinValueValidator(0), MaxValueValidator(25)],
    )
    exemption_needs_approval = models.BooleanField(
        "planned contact under an exemption still needs approval", default=True
    )
    response_days = models.PositiveSmallIntegerField(
        "school days a request may wait before the headteacher is reminded",
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
    )
    require_two_factor_for_all = models.BooleanField(
        "require two-factor sign-in of every member of staff",
        default=False,
        help_text="Senior leaders, the DSL, the chair of governors and the administrator must "
        "always use it; this extends the rule to everyone.",
    )
    # Retention schedule read by `apply_retention` (docs/retention.md gives the sources).
    retention_disclosure_until_age = models.PositiveSmallIntegerField(
        "keep child-protection disclosures until the pupil is this old",
        default=25,
        validators=[MinValueValidator(18), MaxValueValidator(100)],
    )
    retention_staff_retirement_age = models.PositiveSmallIntegerField(
        "normal retirement age of staff",
        default=67,
        validators=[MinValueValidator(55), MaxValueValidator(75)],
    )
    retention_allegation_min_years = models.PositiveSmallIntegerField(
        "keep allegations and boundary concerns at least this many years",
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    retention_contact_years_after_leaving = models.PositiveSmallIntegerField(
        "keep other contact records this many years after the pupil leaves",
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(child_age__gte=10, child_age__lte=25), name="school_child_age_range"
            ),
            models.CheckConstraint(
                condition=Q(restricted_window_years__lte=25), name="school_window_range"
            ),
            models.CheckConstraint(
                condition=Q(response_days__gte=1, response_days__lte=20),
                name="school_response_days_range",
            ),
            models.CheckConstraint(
                condition=Q(retention_disclosure_until_age__gte=18),
                name="school_retention_disclosure_age_floor",
            ),
            models.CheckConstraint(
                condition=Q(
                    retention_allegation_min_years__gte=1,
                    retention_contact_years_after_leaving__gte=1,
                ),
                name="school_retention_years_floor",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_ref(self) -> str:
        return f"SCHOOL-{self.pk}"


class AuditEvent(models.Model):
    """One thing somebody did, append-only and hash-chained (see safeguard.audit).

    The database refuses UPDATE and DELETE on this table (triggers in the migration).
    """

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="audit_events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_events",
        help_text="Empty for actions the system takes on its own (reminders, retention).",
    )
    actor_role = models.CharField(max_length=40, blank=True)
    action = models.CharField(max_length=60)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=40)
    # A reference safe to show to governors: never a pupil's name.
    object_ref = models.CharField(max_length=80)
    from_state = models.CharField(max_length=40, blank=True)
    to_state = models.CharField(max_length=40, blank=True)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["school", "-created_at"]),
            models.Index(fields=["object_type", "object_id"]),
            # The governors' report finds a period's events by date across every school (the
            # chain is one), and the export checks an action filter without reading the trail.
            models.Index(fields=["created_at", "id"]),
            models.Index(fields=["school", "action"]),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.object_ref}"


class AuditCheck(models.Model):
    """One run of the hash-chain check (safeguard.audit.audit_check_run), kept so the audit
    trail page can say when the chain was last found intact. Not itself an audit event."""

    ran_at = models.DateTimeField(default=timezone.now)
    ran_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_checks",
        help_text="Empty when the verify_audit command ran the check.",
    )
    events_checked = models.PositiveIntegerField()
    problems = models.PositiveIntegerField()
    first_problem = models.TextField(blank=True)
    # PostgreSQL only: {"size": CHAIN_BLOCK, "intact": {block number: fingerprint}} for the
    # blocks of event ids found intact (safeguard.audit.audit_verify_period relies on them).
    blocks = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-ran_at", "-id"]
        get_latest_by = ["ran_at", "id"]

    def __str__(self) -> str:
        state = "intact" if self.intact else f"{self.problems} problem(s)"
        return f"{self.ran_at:%Y-%m-%d %H:%M} {self.events_checked} events, {state}"

    @property
    def intact(self) -> bool:
        return self.problems == 0
