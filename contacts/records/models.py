"""Records made after the fact: contact that happened, disclosures, boundary concerns and LADO
consultations. None is edited once saved: corrections are dated addenda."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from contacts.people.models import Pupil
from contacts.planned.models import Route
from policies.engine import KIND_LABELS, KINDS, PURPOSE_LABELS, PURPOSES
from safeguard.core.models import School


class RecordType(models.TextChoices):
    UNPLANNED = "unplanned", "Unplanned contact beyond a brief greeting"
    ONGOING = "ongoing", "Ongoing contact from a pupil outside agreed contact"
    CORRESPONDENCE = "correspondence", "Correspondence from a pupil or former pupil"
    GIFT = "gift", "A card or gift given or received"
    MESSAGE = "message", "A text, call or email with a pupil"
    LIFT = "lift", "A lift given in an emergency"
    PERSONAL_DETAILS = "personal_details", "Personal contact details given to a pupil"
    PHOTOGRAPHY = "photography", "Photographs or film of pupils taken"
    FAMILY = "family", "Contact with a pupil's family outside school"
    RELATIONSHIP = "relationship", "A close personal relationship with a pupil or former pupil"


# Which kinds of contact each record type may describe; the form offers only these.
RECORD_KINDS: dict[str, tuple[str, ...]] = {
    RecordType.UNPLANNED: ("meeting", "social_event", "activity"),
    RecordType.ONGOING: (
        "phone_call",
        "text_message",
        "email",
        "letter",
        "social_media",
        "meeting",
    ),
    RecordType.CORRESPONDENCE: ("letter", "email"),
    RecordType.GIFT: ("gift",),
    RecordType.MESSAGE: ("phone_call", "text_message", "email"),
    RecordType.LIFT: ("transport",),
    RecordType.PERSONAL_DETAILS: ("personal_details",),
    RecordType.PHOTOGRAPHY: ("photography",),
    RecordType.FAMILY: KINDS,
    RecordType.RELATIONSHIP: ("relationship",),
}


# Record types that say which way something went (a gift given or received, a letter).
DIRECTED = (RecordType.CORRESPONDENCE, RecordType.GIFT)
# The records that say whether the school's own phone, account or equipment was used.
SCHOOL_CHANNEL_TYPES = (RecordType.MESSAGE, RecordType.PHOTOGRAPHY)
# The badge colour of each engine verdict on a record.
# A record's verdict in colour: a breach red, contact that needed asking first amber, and
# contact simply recorded neutral (green would read as approval of what happened).
VERDICT_TONES = {"prohibited": "danger", "needs_approval": "warning", "record": "secondary"}


class Direction(models.TextChoices):
    RECEIVED = "received", "Received from the pupil"
    GIVEN = "given", "Given or sent to the pupil"


class Attached(models.Model):
    """An optional file kept outside the web roots (see safeguard.core.uploads)."""

    attachment = models.CharField(max_length=200, blank=True)
    attachment_name = models.CharField(max_length=200, blank=True)
    attachment_type = models.CharField(max_length=60, blank=True)

    class Meta:
        abstract = True


class ContactRecord(Attached):
    """Contact that has already happened, recorded promptly (000 §unplanned contact and
    §correspondence; 001 §5 and §6; 002; 003 §5; 004 §11 and §12)."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="records")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="contact_records"
    )
    record_type = models.CharField(max_length=30, choices=RecordType.choices)
    pupils = models.ManyToManyField(Pupil, related_name="contact_records")
    with_family_only = models.BooleanField(default=False)
    kind = models.CharField(max_length=30)
    purpose = models.CharField(max_length=10)
    school_channel = models.BooleanField(default=False)
    direction = models.CharField(max_length=10, choices=Direction.choices, blank=True)
    occurred_at = models.DateTimeField("when it happened")
    place = models.CharField(max_length=200, blank=True)
    details = models.TextField("what happened")
    reply = models.TextField("any reply sent", blank=True)
    # Help that lies outside school is signposted to the services that give it (000 §contact
    # with former pupils).
    signposting = models.TextField("signposting given to services outside school", blank=True)
    # Unplanned contact only: whether it was arranged beforehand (by the member of staff, the
    # pupil or the family). A chance meeting is not; contact arranged and reported afterwards
    # should have been asked about first when the engine's answer in advance (`planned_verdict`)
    # was anything but "record" (004 §12; 001 §4.2).
    arranged = models.BooleanField("arranged beforehand", default=False)
    planned_verdict = models.CharField(max_length=20, blank=True)
    # The engine's assessment (planned=False) as it was when recorded.
    verdict = models.CharField(max_length=20)
    route = models.CharField(max_length=20, choices=Route.choices, default=Route.HEADTEACHER)
    actions = models.JSONField(default=list, blank=True)
    findings = models.JSONField(default=list, blank=True)
    restricted = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at"]
        indexes = [models.Index(fields=["school", "-occurred_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=KINDS), name="record_known_kind"),
            models.CheckConstraint(condition=Q(purpose__in=PURPOSES), name="record_known_purpose"),
            models.CheckConstraint(condition=~Q(details=""), name="record_has_details"),
            models.CheckConstraint(
                condition=Q(verdict__in=["prohibited", "needs_approval", "record"]),
                name="record_known_verdict",
            ),
            # The answer in advance is kept for arranged contact, and only for it.
            models.CheckConstraint(
                condition=Q(arranged=False, planned_verdict="")
                | Q(arranged=True, planned_verdict__in=["prohibited", "needs_approval", "record"]),
                name="record_planned_verdict_if_arranged",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"REC-{self.pk:06d}" if self.pk else "REC-new"

    @property
    def audit_ref(self) -> str:
        return self.reference

    @property
    def should_have_been_asked(self) -> bool:
        """Arranged beforehand, and the policies would have needed it asked about first."""
        return self.arranged and self.planned_verdict in ("needs_approval", "prohibited")

    @property
    def is_restricted(self) -> bool:
        return self.restricted

    @property
    def is_breach(self) -> bool:
        """A record of prohibited contact: the policy was breached."""
        return self.verdict == "prohibited"

    @property
    def verdict_tone(self) -> str:
        """The badge colour of the engine's verdict: a breach red, approval needed amber."""
        return VERDICT_TONES.get(self.verdict, "success")

    @property
    def asks_school_channel(self) -> bool:
        """Messages and photographs say whether the school's own phone or equipment was used."""
        return self.record_type in SCHOOL_CHANNEL_TYPES

    def get_kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    def get_purpose_label(self) -> str:
        return PURPOSE_LABELS.get(self.purpose, self.purpose)


class DisclosureType(models.TextChoices):
    CHILD_PROTECTION = "child_protection", "Child protection disclosure"
    PERSONAL = "personal", "Other personal disclosure"


class Disclosure(models.Model):
    """What a pupil told a member of staff (001 §4.2). Written down, not investigated."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="disclosures")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="disclosures"
    )
    pupil = models.ForeignKey(Pupil, on_delete=models.PROTECT, related_name="disclosures")
    disclosure_type = models.CharField(max_length=20, choices=DisclosureType.choices)
    disclosed_at = models.DateTimeField("when it was said")
    disclosed_by = models.CharField(
        "who said it",
        max_length=120,
        default="The pupil",
        help_text="Usually the pupil; otherwise who (for example a friend of theirs).",
    )
    account = models.TextField(
        "what was said", help_text="In the child's own words where possible. Do not investigate."
    )
    circumstances = models.TextField(
        "where and how", blank=True, help_text="Where it happened and who else was there."
    )
    action_taken = models.TextField("what you did next", blank=True)
    # Retention (contacts.privacy.services): set when the disclosure reached the end of its
    # retention period and awaits a person's review; a review that keeps it sets the next date.
    retention_flagged_at = models.DateTimeField(null=True, blank=True)
    retention_review_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-disclosed_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(account=""), name="disclosure_has_account"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"DIS-{self.pk:06d}" if self.pk else "DIS-new"

    @property
    def audit_ref(self) -> str:
        return self.reference

    @property
    def is_child_protection(self) -> bool:
        return self.disclosure_type == DisclosureType.CHILD_PROTECTION


class Addendum(models.Model):
    """A dated correction or addition to a record that cannot itself be edited."""

    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    record = models.ForeignKey(
        ContactRecord, on_delete=models.CASCADE, null=True, blank=True, related_name="addenda"
    )
    disclosure = models.ForeignKey(
        Disclosure, on_delete=models.CASCADE, null=True, blank=True, related_name="addenda"
    )
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "addenda"
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(record__isnull=False, disclosure__isnull=True)
                | Q(record__isnull=True, disclosure__isnull=False),
                name="addendum_to_one_thing",
            ),
            models.CheckConstraint(condition=~Q(text=""), name="addendum_has_text"),
        ]

    def __str__(self) -> str:
        return f"Addendum {self.pk}"

    @property
    def audit_ref(self) -> str:
        parent = self.record or self.disclosure
        assert parent is not None  # an addendum belongs to a record or a disclosure
        return f"{parent.reference}-ADD-{self.pk}"
