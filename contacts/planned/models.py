"""Planned-contact requests: asked for in advance, decided by the headteacher (or the chair of
governors), monitored by the line manager, and kept on the staff and pupil files."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from contacts.people.models import Pupil
from policies.engine import EXEMPTION_LABELS, KIND_LABELS, KINDS, PURPOSE_LABELS, PURPOSES
from safeguard.core.models import School


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Waiting for a decision"
    MORE_INFORMATION = "more_information", "More information asked for"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


# The workflow, declared once: (from state, action) -> to state. Services consult it; nothing
# else assigns a status.
TRANSITIONS: dict[tuple[str, str], str] = {
    (Status.DRAFT, "submit"): Status.SUBMITTED,
    (Status.MORE_INFORMATION, "submit"): Status.SUBMITTED,
    (Status.SUBMITTED, "approve"): Status.APPROVED,
    (Status.SUBMITTED, "reject"): Status.REJECTED,
    (Status.SUBMITTED, "ask"): Status.MORE_INFORMATION,
    (Status.SUBMITTED, "withdraw"): Status.WITHDRAWN,
    (Status.MORE_INFORMATION, "withdraw"): Status.WITHDRAWN,
    (Status.APPROVED, "complete"): Status.COMPLETED,
    (Status.APPROVED, "cancel"): Status.CANCELLED,
    # A plan of involvement is finished when a review ends it, not by its first outcome.
    (Status.APPROVED, "end_plan"): Status.COMPLETED,
}


DECIDED = (Status.APPROVED, Status.REJECTED)

# The colour of each state's badge (Bootstrap's text-bg-*); the rest are secondary.
STATUS_TONES: dict[str, str] = {
    Status.APPROVED: "success",
    Status.COMPLETED: "success",
    Status.REJECTED: "danger",
    Status.SUBMITTED: "primary",
    Status.MORE_INFORMATION: "warning",
}


OPEN = (Status.DRAFT, Status.SUBMITTED, Status.MORE_INFORMATION)


EDITABLE = (Status.DRAFT, Status.MORE_INFORMATION)

# The states in which an agreed plan of involvement lives until a review ends it. A plan
# completed by its first outcome, before plans had sessions, lives on too: it is still reviewed.
PLAN_LIVES = (Status.APPROVED, Status.COMPLETED)


class Route(models.TextChoices):
    HEADTEACHER = "headteacher", "Headteacher"
    CHAIR_OF_GOVERNORS = "chair_of_governors", "Chair of governors"


# An outcome is due a day after the contact began: never while the contact may still be going
# on. The dashboard, the request's badge, the governors' report and the alert all use this.
OUTCOME_DUE_AFTER = dt.timedelta(days=1)


def outcome_due_before(now: dt.datetime | None = None) -> dt.datetime:
    """Contact that began before this moment is overdue if it has no outcome."""
    return (now or timezone.now()) - OUTCOME_DUE_AFTER


class ContactRequestQuerySet(models.QuerySet):
    def overdue(self, now: dt.datetime | None = None) -> ContactRequestQuerySet:
        """Approved contact that began over a day ago with no outcome recorded: for a plan of
        involvement, no session logged yet."""
        return self.filter(
            status=Status.APPROVED, starts_at__lt=outcome_due_before(now), sessions_logged=0
        )

    def plans_past_review(self, on: dt.date | None = None) -> ContactRequestQuerySet:
        """Living plans of involvement whose review date has passed with no review done."""
        return self.filter(
            status__in=PLAN_LIVES,
            plan_ended_at__isnull=True,
            plan_review_date__lt=on or timezone.localdate(),
        )


class ContactRequest(models.Model):
    """A member of staff's request to have contact with a pupil (or their family) outside the
    usual work context."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="requests")
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="contact_requests"
    )
    pupils = models.ManyToManyField(Pupil, related_name="contact_requests")
    with_family_only = models.BooleanField(
        "contact with the family only",
        default=False,
        help_text="The contact is with the pupil's parent, carer or family, not the pupil.",
    )
    kind = models.CharField(max_length=30)
    purpose = models.CharField(max_length=10)
    exemption = models.CharField(max_length=30, blank=True)
    parent_organised = models.BooleanField(default=False)
    school_channel = models.BooleanField(default=False)
    vulnerable_context = models.BooleanField(default=False)
    starts_at = models.DateTimeField("date and time")
    place = models.CharField(max_length=200)
    reasons = models.TextField()
    # A plan of involvement, required for contact with a former pupil (000 §contact with former
    # pupils): asked for with the request, agreed by its approval, then lived: sessions logged
    # under it (PlanSession), reviewed by whoever decides the request (PlanReview), which moves
    # the review date on, changes the plan or ends it.
    plan_outcomes = models.TextField("expected outcomes", blank=True)
    plan_timescales = models.TextField("timescales", blank=True)
    plan_review_date = models.DateField("plan review date", null=True, blank=True)
    plan_support = models.TextField("support or supervision for the member of staff", blank=True)
    plan_agencies = models.TextField("other agencies involved", blank=True)
    plan_signposting = models.TextField("signposting to services outside school", blank=True)
    plan_ended_at = models.DateTimeField("plan ended", null=True, blank=True)
    # Sessions logged under the plan, counted on the row the session service locks, so a list
    # of requests says "outcome overdue" without reading the sessions.
    sessions_logged = models.PositiveIntegerField(default=0)

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    # The engine's assessment when last submitted, kept as shown to the decider.
    verdict = models.CharField(max_length=20, blank=True)
    route = models.CharField(max_length=20, choices=Route.choices, blank=True)
    actions = models.JSONField(default=list, blank=True)
    findings = models.JSONField(default=list, blank=True)
    # Family liaison: read only by the headteacher, assistant head and requester (002).
    restricted = models.BooleanField(default=False)
    referred_to_chair = models.BooleanField(default=False)

    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="decided_requests",
    )
    decided_as = models.CharField(
        max_length=80, blank=True, help_text="The capacity the decision was made in."
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    conditions = models.TextField(blank=True)

    outcome = models.TextField(blank=True)
    outcome_concerns = models.TextField("anything of concern", blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reviewed_requests",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    # Bumped by every change: a form carries it, and a stale form is refused.
    version = models.PositiveIntegerField(default=1)
    # The new-request form's one-time key: the same form sent twice (the browser's Back, then
    # Send again) is refused, naming the request it already made.
    submission_key = models.CharField(max_length=40, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ContactRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["school", "status", "submitted_at"]),
            models.Index(fields=["requester", "status"]),
            # The governors' report counts a period's requests (every status but drafts) and
            # the chair's decisions.
            models.Index(fields=["school", "submitted_at"]),
            models.Index(
                fields=["school", "decided_at"],
                condition=Q(route="chair_of_governors"),
                name="request_chair_decided_idx",
            ),
            # "My requests" and the line manager's queue sort a person's (or team's) requests
            # and count them from these indexes alone, without reading the rows.
            models.Index(
                fields=["requester", "school", "status", "updated_at", "id"],
                name="request_mine_idx",
            ),
            models.Index(
                fields=["requester", "school", "reviewed_at", "starts_at", "id"],
                condition=Q(status__in=["approved", "completed"], restricted=False),
                name="request_monitoring_idx",
            ),
            # The head's dashboard: agreed contact of the last weeks ("Worth a look"), without
            # reading the school's years of requests.
            models.Index(
                fields=["school", "starts_at"],
                condition=Q(status__in=["approved", "completed"]),
                name="request_agreed_starts_idx",
            ),
            # And outcomes overdue (`overdue`), counted from the index alone.
            models.Index(
                fields=["school", "starts_at"],
                condition=Q(status="approved", sessions_logged=0),
                name="request_outcome_due_idx",
            ),
            # Its "should never happen" checks (safeguard.reports.ANOMALY_CHECKS) look for rows
            # these indexes hold; normally none, so finding none reads nothing.
            models.Index(
                fields=["school"],
                condition=Q(
                    status__in=["approved", "rejected", "completed"],
                    decided_by_id=F("requester_id"),
                ),
                name="request_self_decided_idx",
            ),
            models.Index(
                fields=["school"],
                condition=Q(status="rejected", decision_reason=""),
                name="request_no_reason_idx",
            ),
            models.Index(
                fields=["school"],
                condition=Q(status__in=["approved", "completed"], verdict="prohibited"),
                name="request_prohibited_ok_idx",
            ),
            # The dashboard's plans of involvement past review: counted and the oldest listed.
            models.Index(
                fields=["school", "plan_review_date"],
                condition=Q(
                    status__in=["approved", "completed"],
                    plan_review_date__isnull=False,
                    plan_ended_at__isnull=True,
                ),
                name="request_live_plan_review_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["requester", "submission_key"],
                condition=~Q(submission_key=""),
                name="request_submitted_once",
            ),
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="request_known_status"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=DECIDED)
                | Q(decided_by__isnull=False, decided_at__isnull=False),
                name="request_decision_has_decider",
            ),
            models.CheckConstraint(
                condition=~Q(decided_by=F("requester")), name="request_not_self_decided"
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.REJECTED) | ~Q(decision_reason=""),
                name="request_rejection_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.COMPLETED) | ~Q(outcome=""),
                name="request_completion_has_outcome",
            ),
            models.CheckConstraint(condition=~Q(reasons=""), name="request_has_reasons"),
            models.CheckConstraint(condition=Q(kind__in=KINDS), name="request_known_kind"),
            models.CheckConstraint(condition=Q(purpose__in=PURPOSES), name="request_known_purpose"),
            # Only a plan is ended, and an ended plan is finished.
            models.CheckConstraint(
                condition=Q(plan_ended_at__isnull=True)
                | Q(plan_review_date__isnull=False, status=Status.COMPLETED),
                name="request_plan_ended_is_completed",
            ),
            models.CheckConstraint(
                condition=Q(sessions_logged=0) | Q(plan_review_date__isnull=False),
                name="request_sessions_only_under_a_plan",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"REQ-{self.pk:06d}" if self.pk else "REQ-new"

    @property
    def audit_ref(self) -> str:
        return self.reference

    def get_kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    def get_purpose_label(self) -> str:
        return PURPOSE_LABELS.get(self.purpose, self.purpose)

    def get_exemption_label(self) -> str:
        return EXEMPTION_LABELS.get(self.exemption, self.exemption)

    @property
    def is_restricted(self) -> bool:
        return self.restricted

    # The states pages show differently, as flags, so templates never compare status strings.
    @property
    def is_draft(self) -> bool:
        return self.status == Status.DRAFT

    @property
    def is_decided(self) -> bool:
        return self.status in DECIDED

    @property
    def is_approved(self) -> bool:
        return self.status == Status.APPROVED

    @property
    def is_rejected(self) -> bool:
        return self.status == Status.REJECTED

    @property
    def status_tone(self) -> str:
        return STATUS_TONES.get(self.status, "secondary")

    @property
    def needs_plan(self) -> bool:
        return "plan_of_involvement" in (self.actions or [])

    @property
    def needs_lado(self) -> bool:
        """The policies ask the head to consult the LADO before deciding (a close relationship
        with a former pupil, 000 §contact with former pupils)."""
        return "consult_lado" in (self.actions or [])

    @property
    def has_plan(self) -> bool:
        """A plan of involvement was set out (its review date is required with it)."""
        return self.plan_review_date is not None

    @property
    def plan_is_live(self) -> bool:
        """An agreed plan no review has ended: sessions are logged and reviews held under it."""
        return self.has_plan and self.status in PLAN_LIVES and self.plan_ended_at is None

    @property
    def plan_ended(self) -> bool:
        return self.plan_ended_at is not None

    @property
    def has_session_concern(self) -> bool:
        """A session under the plan recorded something of concern (one query)."""
        return self.sessions_logged > 0 and self.plan_sessions.exclude(concerns="").exists()

    def is_overdue(self, now: dt.datetime | None = None) -> bool:
        return (
            self.status == Status.APPROVED
            and self.sessions_logged == 0
            and self.starts_at < outcome_due_before(now)
        )

    @property
    def outcome_due_at(self) -> dt.datetime:
        return self.starts_at + OUTCOME_DUE_AFTER

    def plan_past_review(self, on: dt.date | None = None) -> bool:
        return bool(
            self.plan_is_live
            and self.plan_review_date
            and self.plan_review_date < (on or timezone.localdate())
        )


class NoteKind(models.TextChoices):
    NOTE = "note", "Note"
    QUESTION = "question", "More information asked for"
    ANSWER = "answer", "Answer"
    MONITORING = "monitoring", "Monitoring note"


class RequestNote(models.Model):
    request = models.ForeignKey(ContactRequest, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=NoteKind.choices, default=NoteKind.NOTE)
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [models.CheckConstraint(condition=~Q(text=""), name="requestnote_has_text")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.request}"

    @property
    def audit_ref(self) -> str:
        return f"{self.request.reference}-NOTE-{self.pk}"


class PlanSession(models.Model):
    """One session of contact under an agreed plan of involvement, logged by the member of staff
    after it took place: what happened and anything of concern. Never changed once logged."""

    request = models.ForeignKey(
        ContactRequest, on_delete=models.CASCADE, related_name="plan_sessions"
    )
    number = models.PositiveIntegerField(help_text="The session's place in the plan: 1, 2, 3...")
    held_on = models.DateField("date of the session")
    what_happened = models.TextField("what happened")
    concerns = models.TextField("anything of concern", blank=True)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    logged_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["request", "number"]
        constraints = [
            models.UniqueConstraint(fields=["request", "number"], name="plansession_number_once"),
            models.CheckConstraint(condition=Q(number__gte=1), name="plansession_counts_from_1"),
            models.CheckConstraint(
                condition=~Q(what_happened=""), name="plansession_says_what_happened"
            ),
        ]

    def __str__(self) -> str:
        return self.audit_ref

    @property
    def audit_ref(self) -> str:
        return f"{self.request.reference}-SESSION-{self.number}"

    @property
    def has_concern(self) -> bool:
        return bool(self.concerns)


class PlanDecision(models.TextChoices):
    CONTINUE = "continue", "Continue as agreed"
    CHANGE = "change", "Change the plan"
    END = "end", "End the plan"


class PlanReview(models.Model):
    """A dated review of a plan of involvement, signed off by whoever decides the request: to
    continue it, change it (what changed is written down) or end it, and when to review it next.
    Never changed once made."""

    request = models.ForeignKey(
        ContactRequest, on_delete=models.CASCADE, related_name="plan_reviews"
    )
    reviewed_on = models.DateField("date of the review")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_as = models.CharField(max_length=80, help_text="The capacity it was signed off in.")
    decision = models.CharField(max_length=10, choices=PlanDecision.choices)
    note = models.TextField("notes of the review")
    # What a change changed, field by field, before and after (written by the service).
    changes = models.TextField(blank=True)
    # The review date the review answered, and the next one (none once the plan ends).
    due_on = models.DateField("review was due")
    next_review_date = models.DateField("next review", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["request", "created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decision__in=PlanDecision.values), name="planreview_known_decision"
            ),
            models.CheckConstraint(condition=~Q(note=""), name="planreview_has_note"),
            models.CheckConstraint(
                condition=Q(decision=PlanDecision.END, next_review_date__isnull=True)
                # A NULL would pass a check unnoticed: the date is asked for in so many words.
                | (
                    ~Q(decision=PlanDecision.END)
                    & Q(next_review_date__isnull=False, next_review_date__gt=F("reviewed_on"))
                ),
                name="planreview_next_date_unless_ended",
            ),
            models.CheckConstraint(
                condition=Q(decision=PlanDecision.CHANGE, changes__gt="")
                | (~Q(decision=PlanDecision.CHANGE) & Q(changes="")),
                name="planreview_change_says_what",
            ),
        ]

    def __str__(self) -> str:
        return f"Review of {self.request}"

    @property
    def is_change(self) -> bool:
        return self.decision == PlanDecision.CHANGE

    @property
    def is_end(self) -> bool:
        return self.decision == PlanDecision.END


class HeadAbsence(models.Model):
    """While the headteacher is away, the deputy decides in their place (000; 001 §4.2)."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="head_absences")
    starts_on = models.DateField()
    ends_on = models.DateField()
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="absence_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"Headteacher absent {self.starts_on} to {self.ends_on}"

    @property
    def audit_ref(self) -> str:
        return f"ABSENCE-{self.pk}"
