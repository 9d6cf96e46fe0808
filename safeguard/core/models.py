from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q


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
