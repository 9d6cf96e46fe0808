from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from safeguard.audit.vocabulary import ACCOUNT_PREFIX, READS
from safeguard.core.models import School

if TYPE_CHECKING:
    from safeguard.audit.chain import ChainProblem


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
            # A school's trail newest first (scanned backwards), and a period of its chain: the
            # governors' report reads the period's first and last ids from the index alone.
            models.Index(fields=["school", "created_at", "id"], name="safeguard_a_period_idx"),
            # Each school's chain in order: its head, and the walk of one chain.
            models.Index(fields=["school", "id"], name="safeguard_a_chain_idx"),
            # One object's events, newest first: who has seen it reads the latest few.
            models.Index(fields=["object_type", "object_id", "id"], name="safeguard_a_object_idx"),
            # The benchmark and load checks find events by date across every school, and the
            # export checks an action filter without reading the trail.
            models.Index(fields=["created_at", "id"]),
            models.Index(fields=["school", "action"]),
            # A school's latest change (not a read nor a sign-in), the version a cached panel
            # is kept under (`last_change`): one step down this index, however many reads.
            models.Index(
                F("school"),
                F("id").desc(),
                condition=~Q(action__in=READS) & ~Q(action__startswith=ACCOUNT_PREFIX),
                name="audit_school_changes_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.object_ref}"


class AuditRechain(models.Model):
    """The moment the installation's single chain became one chain per school (migration
    0013): the old chain was verified first, and each school's new chain begins from its head,
    so what came before stays tied to what follows. Append-only like the events."""

    ran_at = models.DateTimeField()
    old_head_id = models.BigIntegerField()
    old_head_hash = models.CharField(max_length=64)
    events = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"{self.ran_at:%Y-%m-%d %H:%M} rechained {self.events} events"


class AuditCheckpoint(models.Model):
    """A school's chain head, signed with the installation's key (safeguard.audit.checkpoints),
    kept here and sent out of the system: to the chair of governors, and onto the governors'
    report as its fingerprint. Append-only like the events."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="audit_checkpoints")
    # The name it was signed with: the school may be renamed since.
    school_name = models.CharField(max_length=200)
    event_id = models.BigIntegerField()
    event_hash = models.CharField(max_length=64)
    events = models.PositiveIntegerField()
    signed_at = models.DateTimeField()
    key_id = models.CharField(max_length=16)
    signature = models.CharField(max_length=100)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["school", "-id"])]

    def __str__(self) -> str:
        return f"{self.signed_at:%Y-%m-%d %H:%M} event {self.event_id}"


class AuditCheck(models.Model):
    """One run of the hash-chain check (safeguard.audit.services.audit_check_run), kept so the audit
    trail page can say when the chain was last found intact. Not itself an audit event.

    Append-only like the events (triggers in migration 0006): a kept check is what the next one
    compares with, and what the governors' report relies on.
    """

    ran_at = models.DateTimeField(default=timezone.now)
    ran_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_checks",
        help_text="Empty when the verify_audit command ran the check.",
    )
    # The school of whoever ran it; empty for the verify_audit command (the installation's own
    # check, shown to every school). A school's audit page shows only its own and those.
    school = models.ForeignKey(
        School,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_checks",
    )
    events_checked = models.PositiveIntegerField()
    problems = models.PositiveIntegerField()
    first_problem = models.TextField(blank=True)
    # The newest event the check read, by id and hash: the next check finds the same number of
    # events up to it and the same hash at it, or names what went missing from the tail (a
    # removal the chain itself cannot show, since nothing follows the removed events).
    head_id = models.BigIntegerField(null=True, blank=True)
    head_hash = models.CharField(max_length=64, blank=True)
    # What it found in each school's events, so that a school's page counts only its own:
    # {school id: {"events": n, "problems": n, "first_problem": "..."}}.
    by_school = models.JSONField(default=dict, blank=True)
    # PostgreSQL only: {"size": CHAIN_BLOCK, "intact": {block number: fingerprint}} for the
    # blocks of event ids found intact (safeguard.audit.chain.audit_verify_period relies on them).
    blocks = models.JSONField(default=dict, blank=True)
    # On the row audit_check_run returns: every problem it found (not stored).
    found: "list[ChainProblem]"

    class Meta:
        ordering = ["-ran_at", "-id"]
        get_latest_by = ["ran_at", "id"]

    def __str__(self) -> str:
        state = "intact" if self.intact else f"{self.problems} problem(s)"
        return f"{self.ran_at:%Y-%m-%d %H:%M} {self.events_checked} events, {state}"

    @property
    def intact(self) -> bool:
        return self.problems == 0
