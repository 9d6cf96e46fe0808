"""What needs someone's attention: every disclosure, record or concern that alerts someone has
an owner, a status, an acknowledgement and a closure with a rationale. A child-protection
disclosure's alert is also the DSL's case: dated actions and referrals (KCSIE Annex C).

The disclosure, record or concern as first written is never changed: everything after it is a
dated, attributed entry here.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from contacts.concerns.models import BoundaryConcern
from contacts.planned.models import ContactRequest
from contacts.records.models import ContactRecord, Disclosure
from safeguard.core.models import School


class AlertStatus(models.TextChoices):
    NEW = "new", "New"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    IN_PROGRESS = "in_progress", "In progress"
    CLOSED = "closed", "Closed"


class Owner(models.TextChoices):
    """Whose attention it needs: a role resolved through the workflow's routing when read (the
    deputy while the head is away; the chair for the head's own)."""

    DSL = "dsl", "Designated safeguarding lead"
    HEADTEACHER = "headteacher", "Headteacher"
    CHAIR_OF_GOVERNORS = "chair_of_governors", "Chair of governors"
    WHISTLEBLOWING = "whistleblowing", "Governor for whistleblowing"


# How far an unacknowledged child-protection alert has gone up: the DSL, then the deputy DSL,
# then the headteacher.
ESCALATION_STEPS = ("the DSL", "the deputy DSL", "the headteacher")


class Alert(models.Model):
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="alerts")
    disclosure = models.ForeignKey(
        Disclosure, on_delete=models.CASCADE, null=True, blank=True, related_name="alerts"
    )
    record = models.ForeignKey(
        ContactRecord, on_delete=models.CASCADE, null=True, blank=True, related_name="alerts"
    )
    concern = models.ForeignKey(
        BoundaryConcern, on_delete=models.CASCADE, null=True, blank=True, related_name="alerts"
    )
    # Approved contact whose outcome raised a concern, or is overdue.
    request = models.ForeignKey(
        ContactRequest, on_delete=models.CASCADE, null=True, blank=True, related_name="alerts"
    )
    owner = models.CharField(max_length=30, choices=Owner.choices)
    urgent = models.BooleanField(
        default=False,
        help_text="A child-protection disclosure: acknowledged within the school's "
        "time, or escalated.",
    )
    status = models.CharField(max_length=20, choices=AlertStatus.choices, default=AlertStatus.NEW)
    raised_at = models.DateTimeField()
    acknowledge_by = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="alerts_acknowledged",
    )
    escalation_level = models.PositiveSmallIntegerField(default=0)
    escalated_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="alerts_closed",
    )
    outcome = models.CharField(max_length=200, blank=True)
    rationale = models.TextField(blank=True)

    class Meta:
        ordering = ["raised_at", "pk"]
        indexes = [models.Index(fields=["school", "status", "owner"])]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(disclosure__isnull=False, record__isnull=True, concern__isnull=True)
                    & Q(request__isnull=True)
                    | Q(disclosure__isnull=True, record__isnull=False, concern__isnull=True)
                    & Q(request__isnull=True)
                    | Q(disclosure__isnull=True, record__isnull=True, concern__isnull=False)
                    & Q(request__isnull=True)
                    | Q(disclosure__isnull=True, record__isnull=True, concern__isnull=True)
                    & Q(request__isnull=False)
                ),
                name="alert_about_exactly_one_entry",
            ),
            models.CheckConstraint(
                condition=Q(status__in=AlertStatus.values), name="alert_known_status"
            ),
            models.CheckConstraint(condition=Q(owner__in=Owner.values), name="alert_known_owner"),
            # New means nobody has acknowledged it; anything later names who did and when.
            models.CheckConstraint(
                condition=(
                    Q(status=AlertStatus.NEW, acknowledged_at__isnull=True)
                    | (
                        ~Q(status=AlertStatus.NEW)
                        & Q(acknowledged_at__isnull=False, acknowledged_by__isnull=False)
                    )
                ),
                name="alert_acknowledged_unless_new",
            ),
            # Closed, and only closed, with who closed it, when and why.
            models.CheckConstraint(
                condition=(
                    Q(status=AlertStatus.CLOSED, closed_at__isnull=False, closed_by__isnull=False)
                    & ~Q(rationale="")
                )
                | (~Q(status=AlertStatus.CLOSED) & Q(closed_at__isnull=True)),
                name="alert_closed_with_rationale",
            ),
            models.CheckConstraint(
                condition=Q(escalation_level__lte=len(ESCALATION_STEPS) - 1),
                name="alert_escalation_known_step",
            ),
            models.UniqueConstraint(
                fields=["disclosure", "owner"], name="alert_once_per_disclosure_owner"
            ),
            models.UniqueConstraint(fields=["record", "owner"], name="alert_once_per_record_owner"),
            models.UniqueConstraint(
                fields=["concern", "owner"], name="alert_once_per_concern_owner"
            ),
            models.UniqueConstraint(
                fields=["request", "owner"], name="alert_once_per_request_owner"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.subject_ref}"

    @property
    def reference(self) -> str:
        return f"ALERT-{self.pk:06d}"

    @property
    def audit_ref(self) -> str:
        return self.reference

    @property
    def subject(self) -> Disclosure | ContactRecord | BoundaryConcern | ContactRequest:
        found = self.disclosure or self.record or self.concern or self.request
        assert found is not None  # the database holds exactly one (alert_about_exactly_one_entry)
        return found

    @property
    def subject_ref(self) -> str:
        return self.subject.reference

    @property
    def kind_words(self) -> str:
        if self.disclosure_id:
            assert self.disclosure is not None
            return self.disclosure.get_disclosure_type_display()
        if self.record_id:
            return "Record of contact"
        if self.request_id:
            return "Outcome of approved contact"
        return "Boundary concern"

    @property
    def is_case(self) -> bool:
        """A child-protection disclosure's alert: the DSL's case, with actions and referrals."""
        return self.disclosure_id is not None and self.urgent

    @property
    def is_open(self) -> bool:
        return self.status != AlertStatus.CLOSED


class EntryKind(models.TextChoices):
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    NOTE = "note", "Note"
    ESCALATED = "escalated", "Escalated"
    ACTION = "action", "Action added"
    ACTION_DONE = "action_done", "Action done"
    REFERRAL = "referral", "Referral made"
    REFERRAL_RESPONSE = "referral_response", "Referral response"
    CLOSED = "closed", "Closed"
    REOPENED = "reopened", "Reopened"


class AlertEntry(models.Model):
    """One dated, attributed line of an alert's chronology; never changed."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(max_length=20, choices=EntryKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty for what the system did on its own (an escalation).",
    )
    text = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name_plural = "alert entries"
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=EntryKind.values), name="entry_known_kind"),
            models.CheckConstraint(condition=~Q(text=""), name="entry_has_text"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.alert_id}"


class CaseAction(models.Model):
    """Something to be done on a case: who, what, by when, and when it was done."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="actions")
    description = models.TextField("what is to be done")
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="case_actions"
    )
    due_on = models.DateField("by when")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(done_at__isnull=True, done_by__isnull=True)
                | Q(done_at__isnull=False, done_by__isnull=False),
                name="case_action_done_by_someone",
            ),
            models.CheckConstraint(condition=~Q(description=""), name="case_action_described"),
        ]

    def __str__(self) -> str:
        return self.description


class Agency(models.TextChoices):
    CHILDRENS_SOCIAL_CARE = "childrens_social_care", "Children's social care"
    POLICE = "police", "Police"
    EARLY_HELP = "early_help", "Early help"
    OTHER = "other", "Other"


class CaseReferral(models.Model):
    """A referral made on a case: to whom, when, their reference, who was spoken to, and what
    they answered (added when it comes)."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="referrals")
    agency = models.CharField(max_length=30, choices=Agency.choices)
    agency_other = models.CharField("which agency", max_length=200, blank=True)
    referred_on = models.DateField("date of the referral")
    reference = models.CharField("their reference", max_length=100, blank=True)
    contact = models.CharField("who you spoke to", max_length=200, blank=True)
    response = models.TextField("their response", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["referred_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(agency__in=Agency.values), name="referral_agency"),
            models.CheckConstraint(
                condition=~Q(agency=Agency.OTHER) | ~Q(agency_other=""),
                name="referral_other_agency_named",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_agency_display()} on {self.referred_on}"
