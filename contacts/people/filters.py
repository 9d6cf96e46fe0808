"""Search and filters on the pupil and staff lists (django-filter), over what the directory
selectors already let the reader see: nothing here widens who sees what."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet

from contacts.people.models import Pupil, Staff, StaffType, YearGroup
from contacts.people.selectors import pupils_named, staff_named, staff_visible_to
from safeguard.core.filters import ReaderFilterSet
from safeguard.core.roles import Role

NAME_LENGTH = 100


# The name searches every list of entries shares (records, requests): part of a name typed,
# never a list of the school's people to choose from (hundreds, slow to render and to use).
def name_filter(label: str, method: str) -> django_filters.CharFilter:
    return django_filters.CharFilter(
        label=label, method=method, max_length=NAME_LENGTH, help_text="Part of a name."
    )


def naming_pupils(queryset: QuerySet, reader: Staff, value: str) -> QuerySet:
    """The entries naming a pupil of the reader's school whose name matches `value`, as a
    subquery rather than a join, so that an entry naming two such pupils is found once."""
    pupils = pupils_named(Pupil.objects.filter(school_id=reader.school_id), value)
    return queryset.filter(pk__in=queryset.model.objects.filter(pupils__in=pupils).values("pk"))


def by_staff_named(queryset: QuerySet, reader: Staff, field: str, value: str) -> QuerySet:
    """The entries whose `field` is someone the reader may see whose name matches `value`."""
    return queryset.filter(**{f"{field}__in": staff_named(staff_visible_to(reader), value)})


class PupilFilter(ReaderFilterSet):
    q = name_filter("Name", "by_name")
    status = django_filters.ChoiceFilter(
        label="On roll",
        choices=[("current", "Current"), ("former", "Former")],
        empty_label="Current and former",
        method="by_status",
    )
    year_group = django_filters.ChoiceFilter(
        label="Year group", choices=YearGroup.choices, empty_label="Any year"
    )
    vulnerable_adult = django_filters.ChoiceFilter(
        label="Vulnerable adult",
        choices=[("yes", "Only vulnerable adults")],
        empty_label="Anyone",
        method="by_vulnerable",
    )

    class Meta:
        model = Pupil
        fields: list[str] = []

    def readable(self) -> Q:
        # A directory reader reads every pupil the directory shows them.
        return Q()

    def by_name(self, queryset: QuerySet[Pupil], name: str, value: str) -> QuerySet[Pupil]:
        return pupils_named(queryset, value)

    def by_status(self, queryset: Any, name: str, value: str) -> QuerySet[Pupil]:
        return queryset.current() if value == "current" else queryset.former()

    def by_vulnerable(self, queryset: QuerySet[Pupil], name: str, value: str) -> QuerySet[Pupil]:
        return queryset.filter(vulnerable_adult=True)


# The staff list shows active staff unless one of these is chosen.
INACTIVE, EVERYONE = "inactive", "all"


class StaffFilter(ReaderFilterSet):
    q = django_filters.CharFilter(
        label="Name or email",
        method="by_name",
        max_length=NAME_LENGTH,
        help_text="Part of a name or an email address.",
    )
    role = django_filters.ChoiceFilter(
        label="Role",
        choices=[(role.value, role.label) for role in Role if role != Role.STAFF],
        empty_label="Any role",
        field_name="role_assignments__role",
        distinct=True,
    )
    staff_type = django_filters.ChoiceFilter(
        label="Works as", choices=StaffType.choices, empty_label="Anyone"
    )
    line_manager = django_filters.ModelChoiceFilter(
        label="Line manager", queryset=Staff.objects.none(), empty_label="Anyone"
    )
    active = django_filters.ChoiceFilter(
        label="Show",
        choices=[(INACTIVE, "Inactive staff"), (EVERYONE, "Everyone")],
        empty_label="Active staff",
        method="by_active",
    )

    class Meta:
        model = Staff
        fields: list[str] = []

    def __init__(self, data: Any, queryset: QuerySet[Staff], *, reader: Staff) -> None:
        super().__init__(data, queryset, reader=reader)
        # Only the people this reader may see, and only those who manage someone.
        visible = staff_visible_to(reader)
        self.filters["line_manager"].queryset = visible.filter(
            pk__in=visible.exclude(line_manager=None).values("line_manager")
        ).order_by("last_name", "first_name")

    def readable(self) -> Q:
        # Whoever the list shows, the reader may read: the selector already decided.
        return Q()

    def filter_queryset(self, queryset: QuerySet[Staff]) -> QuerySet[Staff]:
        found = super().filter_queryset(queryset)
        # Active staff unless another choice was made (django-filter skips an empty value).
        return found if self.form.cleaned_data.get("active") else found.filter(is_active=True)

    def by_name(self, queryset: QuerySet[Staff], name: str, value: str) -> QuerySet[Staff]:
        for word in value.split():
            queryset = queryset.filter(
                Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(email__icontains=word)
            )
        return queryset

    def by_active(self, queryset: QuerySet[Staff], name: str, value: str) -> QuerySet[Staff]:
        return queryset.filter(is_active=False) if value == INACTIVE else queryset
