import datetime as dt

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

# A tenant ID is a GUID, in the lower-case form Entra ID puts in its tokens' `tid` claim.
TENANT_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
# A lower-case domain name of two labels or more, as Google puts it in the `hd` claim.
DOMAIN_PATTERN = r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"


# A school day's usual hours, as callables: Django's check of a fixed time default
# (fields.W161) warns whenever it runs within ten seconds of that time of day.
def usual_day_start() -> dt.time:
    return dt.time(8, 0)


def usual_day_end() -> dt.time:
    return dt.time(17, 0)


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
    # When a child-protection disclosure must be acknowledged, or go up to the next person
    # (contacts.alerts; `send_escalations`). Counted in school hours, Monday to Friday.
    acknowledge_within_minutes = models.PositiveSmallIntegerField(
        "minutes of the school day within which the DSL acknowledges a child-protection disclosure",
        default=60,
        validators=[MinValueValidator(5), MaxValueValidator(600)],
    )
    school_day_starts = models.TimeField("the school day starts at", default=usual_day_start)
    school_day_ends = models.TimeField("the school day ends at", default=usual_day_end)
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
    # Single sign-on (safeguard.accounts.sso, docs/security.md "Single sign-on"): the identity
    # provider accounts that may sign this school's staff in.
    sso_microsoft_tenant = models.CharField(
        "Microsoft Entra ID tenant ID",
        max_length=36,
        blank=True,
        help_text="The directory (tenant) ID of the school's Microsoft 365, such as "
        "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0. Empty: no Microsoft sign-in.",
    )
    sso_google_domain = models.CharField(
        "Google Workspace domain",
        max_length=253,
        blank=True,
        help_text="The school's Google Workspace domain, such as oakfield.sch.uk. Empty: no "
        "Google sign-in.",
    )
    sso_accept_provider_mfa = models.BooleanField(
        "accept the identity provider's multi-factor sign-in",
        default=False,
        help_text="When the provider says its own multi-factor sign-in was used, senior staff "
        "are not asked for Safeguard's code as well.",
    )
    password_sign_in = models.BooleanField(
        "allow sign-in with a Safeguard password",
        default=True,
        help_text="Off: staff sign in with Microsoft or Google only. The headteacher keeps a "
        "password and a second factor, in case the provider is unavailable.",
    )
    # Patterns in one adult's contact (contacts.patterns.rules.Thresholds, docs/policy-rules.md
    # "Patterns in one adult's contact"): how many entries within how many days are worth a look.
    pattern_unplanned_count = models.PositiveSmallIntegerField(
        "unplanned contacts with one pupil that make a pattern",
        default=3,
        validators=[MinValueValidator(2), MaxValueValidator(20)],
    )
    pattern_unplanned_days = models.PositiveSmallIntegerField(
        "within this many days (unplanned contact)",
        default=90,
        validators=[MinValueValidator(7), MaxValueValidator(730)],
    )
    pattern_gifts_count = models.PositiveSmallIntegerField(
        "gifts or personal messages to one pupil that make a pattern",
        default=2,
        validators=[MinValueValidator(2), MaxValueValidator(20)],
    )
    pattern_gifts_days = models.PositiveSmallIntegerField(
        "within this many days (gifts and personal messages)",
        default=90,
        validators=[MinValueValidator(7), MaxValueValidator(730)],
    )
    pattern_concerns_count = models.PositiveSmallIntegerField(
        "boundary concerns about one adult that make a pattern",
        default=2,
        validators=[MinValueValidator(2), MaxValueValidator(20)],
    )
    pattern_concerns_days = models.PositiveSmallIntegerField(
        "within this many days (boundary concerns)",
        default=365,
        validators=[MinValueValidator(30), MaxValueValidator(1825)],
    )
    # The governors' report lists a boundary concern still open after this many days among the
    # things that should never happen (safeguard/reports/selectors.py).
    concern_open_days = models.PositiveSmallIntegerField(
        "days a boundary concern may stay open",
        default=30,
        validators=[MinValueValidator(7), MaxValueValidator(365)],
    )
    # Who else receives each signed checkpoint of the school's audit chain besides the chair of
    # governors (the clerk to the governors, say): a copy kept outside Safeguard.
    checkpoint_copy_to = models.EmailField("also send audit checkpoints to", blank=True)
    # Small counts can identify a pupil (one disclosure in a small year group): the DfE's usual
    # practice is to publish counts of 1 to 4 as "fewer than 5". The school chooses.
    report_small_counts = models.BooleanField(
        'in the governors\' report, show counts of 1 to 4 as "fewer than 5"', default=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(child_age__gte=10, child_age__lte=25), name="school_child_age_range"
            ),
            # Each school's staff sign in from its own tenant or domain (single sign-on finds
            # the school by it).
            models.UniqueConstraint(
                fields=["sso_microsoft_tenant"],
                condition=~Q(sso_microsoft_tenant=""),
                name="school_sso_microsoft_tenant_unique",
            ),
            models.UniqueConstraint(
                fields=["sso_google_domain"],
                condition=~Q(sso_google_domain=""),
                name="school_sso_google_domain_unique",
            ),
            models.CheckConstraint(
                condition=Q(school_day_starts__lt=models.F("school_day_ends")),
                name="school_day_starts_before_it_ends",
            ),
            models.CheckConstraint(
                condition=Q(acknowledge_within_minutes__gte=5, acknowledge_within_minutes__lte=600),
                name="school_acknowledge_time_range",
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
            models.CheckConstraint(
                condition=Q(password_sign_in=True)
                | ~Q(sso_microsoft_tenant="")
                | ~Q(sso_google_domain=""),
                name="school_password_sign_in_off_needs_a_provider",
            ),
            models.CheckConstraint(
                condition=Q(sso_microsoft_tenant="")
                | Q(sso_microsoft_tenant__regex=TENANT_PATTERN),
                name="school_sso_microsoft_tenant_guid",
            ),
            models.CheckConstraint(
                condition=Q(sso_google_domain="") | Q(sso_google_domain__regex=DOMAIN_PATTERN),
                name="school_sso_google_domain_lower_case",
            ),
            # A pattern needs at least two entries in at least a day (the rules refuse less).
            models.CheckConstraint(
                condition=Q(
                    pattern_unplanned_count__gte=2,
                    pattern_gifts_count__gte=2,
                    pattern_concerns_count__gte=2,
                    pattern_unplanned_days__gte=1,
                    pattern_gifts_days__gte=1,
                    pattern_concerns_days__gte=1,
                ),
                name="school_pattern_thresholds_floor",
            ),
            models.CheckConstraint(
                condition=Q(concern_open_days__gte=7, concern_open_days__lte=365),
                name="school_concern_open_days_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if (
            self.school_day_starts
            and self.school_day_ends
            and self.school_day_starts >= self.school_day_ends
        ):
            raise ValidationError({"school_day_ends": "The school day must end after it starts."})

    @property
    def audit_ref(self) -> str:
        return f"SCHOOL-{self.pk}"


class StoredUpload(models.Model):
    """An uploaded file's bytes, for safeguard.core.storage.DatabaseStorage: every app server
    reads what any other wrote, with no shared folder. Never served directly: the views that
    check permission read it through the "uploads" storage."""

    name = models.CharField(max_length=255, unique=True)
    content = models.BinaryField()
    size = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name
