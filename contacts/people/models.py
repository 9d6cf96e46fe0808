"""People: staff (who sign in), pupils current and former, parents and carers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone

from safeguard.core.emails import LOOKALIKE_MESSAGE, is_lookalike, normal_email
from safeguard.core.models import School
from safeguard.core.roles import Role


def whole_years(start: dt.date, end: dt.date) -> int:
    """Completed calendar years from start to end (an age)."""
    years = end.year - start.year
    if (end.month, end.day) < (start.month, start.day):
        years -= 1
    return years


def _anniversary(start: dt.date, years: int) -> dt.date:
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February in a year without one
        return start.replace(year=start.year + years, day=28)


def years_between(start: dt.date, end: dt.date) -> float:
    """Calendar years from start to end as a float: exactly 3.0 on the third anniversary."""
    whole = whole_years(start, end)
    last = _anniversary(start, whole)
    following = _anniversary(start, whole + 1)
    return whole + (end - last).days / (following - last).days


class StaffManager(BaseUserManager["Staff"]):
    def get_by_natural_key(self, username: str | None) -> Staff:
        # Emails are stored in their normal form and compared exactly: never iexact, whose
        # folding in the database (UPPER on PostgreSQL) differs from Python's.
        return self.get(email=normal_email(username))

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> Staff:
        user = self.model(email=normal_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user


class StaffType(models.TextChoices):
    TEACHER = "teacher", "Teacher"
    SUPPORT = "support", "Support staff"
    SUPPLY = "supply", "Supply or agency"
    VOLUNTEER = "volunteer", "Volunteer"
    GOVERNOR = "governor", "Governor"
    OTHER = "other", "Other"


class Staff(AbstractBaseUser):
    """Every employee and worker of a school, governors included. Signs in with email."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="staff")
    email = models.EmailField("email address", unique=True)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    job_title = models.CharField(max_length=120, blank=True)
    date_of_birth = models.DateField(
        null=True,
        blank=True,
        help_text="Used only to work out how long allegation and boundary-concern records are "
        "kept (until normal retirement age). Without it they are kept and reported.",
    )
    staff_type = models.CharField(
        max_length=20, choices=StaffType.choices, default=StaffType.TEACHER
    )
    line_manager = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports",
    )
    is_active = models.BooleanField(
        "active", default=True, help_text="Inactive staff cannot sign in."
    )
    leaving_date = models.DateField(
        null=True,
        blank=True,
        help_text="The day they leave the school: from then on they cannot sign in (the account "
        "is deactivated that night or at once if the date has passed; what they wrote is kept).",
    )
    # Who set the leaving date: the nightly run ends the account only if they may still (the
    # person may have taken on a senior role since).
    leaving_date_set_by = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    date_joined = models.DateTimeField(default=timezone.now)

    objects = StaffManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["first_name", "last_name", "school"]

    class Meta:
        verbose_name = "member of staff"
        verbose_name_plural = "staff"
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="staff_email_unique_ci"),
            models.CheckConstraint(
                condition=~Q(line_manager=F("pk")), name="staff_not_own_line_manager"
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.first_name

    @property
    def audit_ref(self) -> str:
        return f"STAFF-{self.pk}"

    def clean(self) -> None:
        super().clean()
        self.email = normal_email(self.email)
        errors: dict[str, str] = {}
        if self.line_manager_id is not None:
            if self.pk is not None and self.line_manager_id == self.pk:
                errors["line_manager"] = "A member of staff cannot be their own line manager."
            elif self.line_manager and self.line_manager.school_id != self.school_id:
                errors["line_manager"] = "The line manager must work at the same school."
        if self.date_of_birth and self.date_of_birth > timezone.localdate():
            errors["date_of_birth"] = "The date of birth cannot be in the future."
        if self.email and is_lookalike(self.email):
            errors["email"] = LOOKALIKE_MESSAGE
        elif self.email:
            clash = Staff.objects.filter(email=self.email).exclude(pk=self.pk)
            if clash.exists():
                errors["email"] = "Another member of staff already uses this email address."
        if errors:
            raise ValidationError(errors)

    def validate_unique(self, exclude: Collection[str] | None = None) -> None:
        # The case-insensitive check is in clean(), with a plainer message.
        exclude = set(exclude or ()) | {"email"}
        super().validate_unique(exclude=exclude)

    def validate_constraints(self, exclude: Collection[str] | None = None) -> None:
        # Both constraints are checked in clean() with messages a person understands.
        exclude = set(exclude or ()) | {"email", "line_manager"}
        super().validate_constraints(exclude=exclude)


class StaffRole(models.Model):
    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(max_length=40, choices=Role.choices)

    class Meta:
        ordering = ["role"]
        constraints = [
            models.UniqueConstraint(fields=["staff", "role"], name="staffrole_once_per_person"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="staffrole_known_role"),
        ]

    def __str__(self) -> str:
        return f"{self.staff}: {self.get_role_display()}"


class YearGroup(models.IntegerChoices):
    NURSERY = -1, "Nursery"
    RECEPTION = 0, "Reception"
    Y1 = 1, "Year 1"
    Y2 = 2, "Year 2"
    Y3 = 3, "Year 3"
    Y4 = 4, "Year 4"
    Y5 = 5, "Year 5"
    Y6 = 6, "Year 6"
    Y7 = 7, "Year 7"
    Y8 = 8, "Year 8"
    Y9 = 9, "Year 9"
    Y10 = 10, "Year 10"
    Y11 = 11, "Year 11"
    Y12 = 12, "Year 12"
    Y13 = 13, "Year 13"
    Y14 = 14, "Year 14 (post-16 provision)"


class PupilQuerySet(models.QuerySet):
    def current(self, on: dt.date | None = None) -> PupilQuerySet:
        on = on or timezone.localdate()
        return self.filter(Q(leaving_date__isnull=True) | Q(leaving_date__gt=on))

    def former(self, on: dt.date | None = None) -> PupilQuerySet:
        on = on or timezone.localdate()
        return self.filter(leaving_date__lte=on)


class Pupil(models.Model):
    """A pupil on roll, or one who has left. Status and ages are derived, never stored."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="pupils")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    admission_date = models.DateField()
    leaving_date = models.DateField(
        null=True, blank=True, help_text="Leave empty while the pupil is on roll."
    )
    year_group = models.SmallIntegerField(
        choices=YearGroup.choices,
        null=True,
        blank=True,
        help_text="For a former pupil, the year group they were in when they left.",
    )
    vulnerable_adult = models.BooleanField(
        "vulnerable adult",
        default=False,
        help_text="An adult former pupil who is still vulnerable (for example through "
        "special educational needs or care).",
    )
    notes = models.TextField(blank=True)
    # The forms of direct contact from staff on school equipment the parents have agreed to
    # (004 §11), as the rules engine's kinds: "phone_call", "text_message", "email".
    agreed_contact_modes = models.JSONField(default=list, blank=True)

    objects = PupilQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(leaving_date__isnull=True) | Q(leaving_date__gte=F("admission_date")),
                name="pupil_leaves_after_admission",
            ),
            models.CheckConstraint(
                condition=Q(admission_date__gt=F("date_of_birth")),
                name="pupil_admitted_after_birth",
            ),
        ]
        indexes = [models.Index(fields=["school", "last_name", "first_name"])]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def audit_ref(self) -> str:
        return f"PUPIL-{self.pk}"

    @property
    def agreed_contact_labels(self) -> list[str]:
        labels = dict(AgreedContactMode.choices)
        return [labels.get(mode, mode) for mode in self.agreed_contact_modes]

    def is_current(self, on: dt.date | None = None) -> bool:
        on = on or timezone.localdate()
        return self.leaving_date is None or self.leaving_date > on

    def age_on(self, on: dt.date | None = None) -> int:
        return whole_years(self.date_of_birth, on or timezone.localdate())

    def years_since_leaving(self, on: dt.date | None = None) -> float | None:
        on = on or timezone.localdate()
        if self.is_current(on):
            return None
        assert self.leaving_date is not None  # not current: they have left
        return years_between(self.leaving_date, on)

    @property
    def status_label(self) -> str:
        return "Current" if self.is_current() else "Former"

    def clean(self) -> None:
        super().clean()
        today = timezone.localdate()
        errors: dict[str, str] = {}
        if self.date_of_birth and self.date_of_birth > today:
            errors["date_of_birth"] = "The date of birth cannot be in the future."
        if self.date_of_birth and self.admission_date and self.admission_date <= self.date_of_birth:
            errors["admission_date"] = "The admission date must be after the date of birth."
        if self.admission_date and self.leaving_date and self.leaving_date < self.admission_date:
            errors["leaving_date"] = "The leaving date cannot be before the admission date."
        if errors:
            raise ValidationError(errors)

    def validate_constraints(self, exclude: Collection[str] | None = None) -> None:
        # Both date constraints are checked in clean(), next to the field concerned.
        exclude = set(exclude or ()) | {"admission_date", "leaving_date"}
        super().validate_constraints(exclude=exclude)


class ParentCarer(models.Model):
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="parents")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    relationship = models.CharField(
        max_length=60, blank=True, help_text="For example mother, father, foster carer."
    )
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    children = models.ManyToManyField(Pupil, related_name="parents")

    class Meta:
        verbose_name = "parent or carer"
        verbose_name_plural = "parents and carers"
        ordering = ["last_name", "first_name"]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def audit_ref(self) -> str:
        return f"PARENT-{self.pk}"


class Relationship(models.TextChoices):
    CHILD = "child", "Own child"
    STEPCHILD = "stepchild", "Stepchild"
    GRANDCHILD = "grandchild", "Grandchild"
    SIBLING = "sibling", "Brother or sister"
    NIECE_NEPHEW = "niece_nephew", "Niece or nephew"
    OTHER = "other", "Other relative"
    # Standing connections outside the family (the school's declaration of relationships form).
    CHILDS_FRIEND = "childs_friend", "Friend of own child"
    NEIGHBOUR = "neighbour", "Neighbour"
    FAMILY_FRIEND = "family_friend", "Family friend"
    COMMUNITY = "community", "The same club, church or team"
    TUTORING = "tutoring", "Private tutoring arranged before you worked here"


# The relationships that make a pupil the member of staff's own family (the own-family
# exemption of 000 "intended contact" and 001 §3).
FAMILY_RELATIONSHIPS = frozenset(
    {
        Relationship.CHILD,
        Relationship.STEPCHILD,
        Relationship.GRANDCHILD,
        Relationship.SIBLING,
        Relationship.NIECE_NEPHEW,
        Relationship.OTHER,
    }
)


class AgreedContactMode(models.TextChoices):
    """How the school may contact a pupil directly, on school equipment, with the parents'
    agreement (004 §11): the rules engine's kinds of message."""

    PHONE_CALL = "phone_call", "Calls from a school phone"
    TEXT_MESSAGE = "text_message", "Texts from a school phone"
    EMAIL = "email", "Emails from a school account"


class DeclaredContact(models.TextChoices):
    """The kinds of contact a declaration may cover: the rules engine's kinds of contact
    (policies.engine KINDS; a test keeps them in step), in a declaration's words. Never a close
    relationship, which no declaration covers."""

    MEETING = "meeting", "Meeting in person (for example at each other's homes)"
    SOCIAL_EVENT = "social_event", "Parties and social events"
    ACTIVITY = "activity", "Clubs, matches, outings and other activities"
    TRANSPORT = "transport", "Lifts in your vehicle"
    PHONE_CALL = "phone_call", "Phone calls"
    TEXT_MESSAGE = "text_message", "Texts or instant messages"
    EMAIL = "email", "Emails"
    LETTER = "letter", "Letters or cards"
    GIFT = "gift", "Gifts (birthdays, festivals)"
    PHOTOGRAPHY = "photography", "Photos or video"
    PERSONAL_DETAILS = "personal_details", "They know your phone number or address"
    SOCIAL_MEDIA = "social_media", "Social media (own family only)"


# Social media with a pupil outside the family stays barred whatever is declared (001 §5.2).
FAMILY_ONLY_CONTACT = frozenset({DeclaredContact.SOCIAL_MEDIA})


class StaffRelative(models.Model):
    """A declared relationship between a member of staff and a pupil: the pupil is their own
    child or relative, or a standing connection (a child's friend, a neighbour, the same club),
    with the kinds of contact it involves.

    It counts only once someone other than the declarer has acknowledged it (the headteacher; the
    chair when the head is involved), or anyone could lift the rules by naming a pupil their
    niece. Acknowledged, it is a standing exemption for the kinds of contact it covers (001 §3
    individual exemptions), reviewed yearly, until the pupil leaves or it is ended.
    """

    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="relatives")
    pupil = models.ForeignKey(Pupil, on_delete=models.CASCADE, related_name="staff_relatives")
    relationship = models.CharField(max_length=20, choices=Relationship.choices)
    contact = models.TextField(
        "what contact it involves",
        blank=True,
        max_length=2000,
        help_text="For example: lifts to and from football on Saturdays; texts about pick-ups.",
    )
    # The engine's kinds of contact (policies.engine KINDS) the declaration covers once
    # acknowledged: contact of those kinds with this pupil needs a record, not an approval.
    contact_kinds = models.JSONField(default=list, blank=True)
    conditions = models.TextField(
        "conditions", blank=True, max_length=2000, help_text="Set by whoever acknowledged it."
    )
    review_due = models.DateField("next review", null=True, blank=True)
    review_reminded_on = models.DateField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    end_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Empty only for declarations made before the declarer was recorded.
    declared_by = models.ForeignKey(
        Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledged_by = models.ForeignKey(
        Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pupil__last_name", "pupil__first_name"]
        constraints = [
            # One standing declaration per member of staff and pupil; ended ones stay on file.
            models.UniqueConstraint(
                fields=["staff", "pupil"],
                condition=Q(ended_at__isnull=True),
                name="staffrelative_once",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True, ended_by__isnull=True)
                | Q(ended_at__isnull=False),
                name="staffrelative_ended_when",
            ),
            # A yearly review follows an acknowledgement, never precedes it.
            models.CheckConstraint(
                condition=Q(review_due__isnull=True) | Q(acknowledged_at__isnull=False),
                name="staffrelative_review_after_acknowledgement",
            ),
            models.CheckConstraint(
                condition=Q(acknowledged_by__isnull=True, acknowledged_at__isnull=True)
                | Q(acknowledged_by__isnull=False, acknowledged_at__isnull=False),
                name="staffrelative_acknowledged_by_whom_and_when",
            ),
            # Nobody acknowledges their own relative, nor a declaration they made themself.
            models.CheckConstraint(
                condition=Q(acknowledged_by__isnull=True) | ~Q(acknowledged_by=F("staff")),
                name="staffrelative_not_acknowledged_by_the_relative_s_staff",
            ),
            models.CheckConstraint(
                condition=Q(acknowledged_by__isnull=True)
                | Q(declared_by__isnull=True)
                | ~Q(acknowledged_by=F("declared_by")),
                name="staffrelative_not_acknowledged_by_its_declarer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pupil} ({self.get_relationship_display()} of {self.staff})"

    @property
    def is_acknowledged(self) -> bool:
        return self.acknowledged_at is not None

    @property
    def is_family(self) -> bool:
        return self.relationship in FAMILY_RELATIONSHIPS

    @property
    def is_ended(self) -> bool:
        return self.ended_at is not None

    def is_standing(self, on: dt.date) -> bool:
        """Acknowledged, not ended, and the pupil still at the school on that day."""
        return self.is_acknowledged and not self.is_ended and self.pupil.is_current(on)

    def review_is_due(self, on: dt.date | None = None) -> bool:
        on = on or timezone.localdate()
        return self.review_due is not None and not self.is_ended and self.review_due <= on

    @property
    def covers_labels(self) -> list[str]:
        """The kinds of contact it covers, in words."""
        labels = dict(DeclaredContact.choices)
        return [labels.get(kind, kind) for kind in self.contact_kinds]

    @property
    def audit_ref(self) -> str:
        return f"RELATIVE-{self.pk}"


class ColleagueKind(models.TextChoices):
    RELATIVE = "relative", "Relative"
    PARTNER = "partner", "Partner or in a relationship"
    CLOSE_FRIEND = "close_friend", "Close friend"


class ColleagueRelationship(models.Model):
    """A relationship between two members of staff (003 §3): a relative, a partner or a close
    friend. Neither manages the other, decides the other's requests or manages a concern about
    the other. It only ever adds restrictions, so it counts from the moment it is declared.

    The pair is kept in one order (`first` has the lower id), so one pair has one row."""

    first = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=ColleagueKind.choices)
    declared_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(first__lt=F("second")), name="colleague_pair_in_order"
            ),
            models.UniqueConstraint(
                fields=["first", "second"],
                condition=Q(ended_at__isnull=True),
                name="colleague_pair_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first} and {self.second} ({self.get_kind_display()})"

    @property
    def audit_ref(self) -> str:
        return f"COLLEAGUES-{self.pk}"

    def other(self, staff_id: int) -> Staff:
        return self.second if staff_id == self.first_id else self.first


class Invitation(models.Model):
    """A single-use link by which a new member of staff chooses their password. Only a hash of
    the link's token is kept, so nobody who reads the database can use a pending invitation."""

    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="invitations")
    token_hash = models.CharField(max_length=64, unique=True)
    sent_to = models.EmailField(help_text="The address the link was sent to.")
    sent_by = models.ForeignKey(
        Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # A link is used or withdrawn, never both; and one live link per person at a time.
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True) | Q(revoked_at__isnull=True),
                name="invitation_used_or_revoked",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("created_at")), name="invitation_expires_after_sent"
            ),
            models.UniqueConstraint(
                fields=["staff"],
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_open_per_staff",
            ),
        ]

    def __str__(self) -> str:
        return f"Invitation for {self.staff}"

    @property
    def audit_ref(self) -> str:
        return f"INVITATION-{self.pk}"

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"
