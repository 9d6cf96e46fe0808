"""Records made after the fact: contact that happened, disclosures, boundary concerns and LADO
consultations. None is edited once saved: corrections are dated addenda."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from contacts.planned.models import ContactRequest, Route
from contacts.records.models import ContactRecord
from safeguard.core.models import School


class Outcome(models.TextChoices):
    ADVICE = "advice", "Advice given"
    COLLEAGUES = "colleagues", "Colleagues involved"
    NO_FURTHER_ACTION = "no_further_action", "No further action"
    HR = "hr", "Referred to HR"
    DISCIPLINARY = "disciplinary", "Disciplinary procedure"
    LADO = "lado", "Referred to the LADO"


class BoundaryConcern(models.Model):
    """A concern that a professional boundary has been, or may be, blurred or crossed (003 §6).

    The case manager is the headteacher, or the chair of governors when the concern is about the
    headteacher. The person it is about never sees it.
    """

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="concerns")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="concerns_raised"
    )
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="concerns_about"
    )
    route = models.CharField(max_length=20, choices=Route.choices)
    occurred_on = models.DateField("when it happened")
    description = models.TextField("what happened, or what worries you")
    confidential = models.BooleanField(
        "keep my name from anyone but the case manager",
        default=False,
        help_text="Confidential reporting (003 §6): only the headteacher (or the chair, for a "
        "concern about the headteacher) will know who raised it.",
    )
    # Routing beyond the case manager (003 §3, §6; docs/policy-rules.md "What goes to whom").
    harm_to_pupils = models.BooleanField(
        "about a relationship that could harm a pupil",
        default=False,
        help_text="The DSL is told at once and reads it (003 §3).",
    )
    told_line_manager = models.BooleanField("the reporter's line manager was told", default=False)
    whistleblowing = models.BooleanField(
        "sent only to the governor for whistleblowing",
        default=False,
        help_text="The confidential route (003 §6): nobody in school management sees it.",
    )
    related_record = models.ForeignKey(
        ContactRecord, on_delete=models.SET_NULL, null=True, blank=True, related_name="concerns"
    )
    related_request = models.ForeignKey(
        ContactRequest, on_delete=models.SET_NULL, null=True, blank=True, related_name="concerns"
    )
    response = models.TextField("case manager's response", blank=True)
    outcome = models.CharField(max_length=30, choices=Outcome.choices, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | ~Q(outcome=""),
                name="concern_closed_with_outcome",
            ),
            models.CheckConstraint(condition=~Q(description=""), name="concern_has_description"),
            # The whistleblowing route is confidential and bypasses management: no line manager.
            models.CheckConstraint(
                condition=Q(whistleblowing=False)
                | Q(confidential=True, told_line_manager=False, harm_to_pupils=False),
                name="concern_whistleblowing_stays_with_the_governor",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"CON-{self.pk:06d}" if self.pk else "CON-new"

    @property
    def case_manager_words(self) -> str:
        """Who manages it, in words, for the reporter."""
        if self.whistleblowing:
            return "the governor for whistleblowing"
        if self.route == Route.CHAIR_OF_GOVERNORS:
            return "the chair of governors"
        return "the headteacher"

    @property
    def audit_ref(self) -> str:
        return self.reference

    @property
    def is_self_referral(self) -> bool:
        return self.reporter_id == self.subject_id

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class LadoType(models.TextChoices):
    CONSULTATION = "consultation", "Consultation (advice sought)"
    REFERRAL = "referral", "Referral"


class LadoOutcome(models.TextChoices):
    SUBSTANTIATED = "substantiated", "Substantiated"
    UNSUBSTANTIATED = "unsubstantiated", "Unsubstantiated"
    FALSE = "false", "False"
    MALICIOUS = "malicious", "Malicious"
    UNFOUNDED = "unfounded", "Unfounded"


class LadoReferral(models.Model):
    """A consultation with, or referral to, the local authority designated officer."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="lado_referrals")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="lado_referrals",
        help_text="The member of staff whose suitability is in question.",
    )
    concern = models.ForeignKey(
        BoundaryConcern, on_delete=models.SET_NULL, null=True, blank=True, related_name="lado"
    )
    # The request the LADO was asked about: a close relationship with a former pupil is not
    # decided until a consultation about it is recorded (000 §contact with former pupils).
    related_request = models.ForeignKey(
        ContactRequest,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="lado_referrals",
    )
    referral_type = models.CharField(max_length=20, choices=LadoType.choices)
    contacted_at = models.DateTimeField("date and time of the call")
    spoke_to = models.CharField("who was spoken to", max_length=120)
    advice = models.TextField("advice given")
    outcome = models.CharField(max_length=20, choices=LadoOutcome.choices, blank=True)
    outcome_on = models.DateField("date of the outcome", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-contacted_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome="", outcome_on__isnull=True)
                | (~Q(outcome="") & Q(outcome_on__isnull=False)),
                name="lado_outcome_with_date",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"LADO-{self.pk:06d}" if self.pk else "LADO-new"

    @property
    def is_referral(self) -> bool:
        """A referral has an outcome to wait for; a consultation (advice sought) has none."""
        return self.referral_type == LadoType.REFERRAL

    @property
    def audit_ref(self) -> str:
        return self.reference
