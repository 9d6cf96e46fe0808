"""contacts.privacy.subject_access.columns against the models: a subject-access export covers
every stored field of every model it exports (or says why a field is left out), and every model
that holds data about a pupil or a member of staff (or says why it is not exported). A field or
model added later fails here until columns.py places it.

The checks are functions so that they can be fed declarations that miss something, and shown
to report it."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Mapping

import pytest
from django.apps import apps
from django.db import models
from django.test.utils import isolate_apps

from contacts.people.models import ParentCarer, Pupil, Staff
from contacts.privacy.subject_access import columns
from contacts.privacy.subject_access.columns import (
    NOT_EXPORTED,
    PARENTS,
    PUPIL_TABLES,
    STAFF_TABLES,
    ExportTable,
    OwnRow,
)
from contacts.privacy.subject_access.gather import pupil_export, staff_export

ALL_TABLES = PUPIL_TABLES + STAFF_TABLES
PEOPLE = (Pupil, Staff)


def stored_fields(model: type[models.Model]) -> set[str]:
    """What the database holds for a model: its columns, and its many-to-many links."""
    meta = model._meta
    return {f.name for f in meta.concrete_fields} | {f.name for f in meta.many_to_many}


def coverage_gaps(tables: Iterable[ExportTable | OwnRow]) -> list[str]:
    """Every way the declarations fail the models, one sentence each ([] when none does)."""
    gaps: list[str] = []
    placed: dict[type[models.Model], set[str]] = defaultdict(set)
    only_partial: dict[type[models.Model], bool] = defaultdict(lambda: True)
    for table in tables:
        model, label = table.model, table.model._meta.label
        stored = stored_fields(model)
        exported, left_out = set(table.exported), set(table.left_out)
        keys = {key for key, _ in table.columns}
        for name in sorted((exported | left_out) - stored):
            gaps.append(f"{table.name}: {label}.{name} is not a stored field")
        for name in sorted(exported & left_out):
            gaps.append(f"{table.name}: {label}.{name} is both exported and left out")
        for name, column in sorted(table.exported.items()):
            if column not in keys:
                gaps.append(f"{table.name}: {label}.{name} goes to {column!r}, not a column")
        for name, reason in sorted(table.left_out.items()):
            if not reason.strip():
                gaps.append(f"{table.name}: {label}.{name} is left out without a reason")
        if not table.partial:
            only_partial[model] = False
            for name in sorted(stored - exported - left_out):
                gaps.append(f"{table.name}: {label}.{name} is neither exported nor left out")
        placed[model] |= exported | left_out
    # A table that shows only part of a model by design leaves the rest to another table.
    for model, names in placed.items():
        if only_partial[model]:
            for name in sorted(stored_fields(model) - names):
                gaps.append(f"{model._meta.label}.{name} is in no table, nor left out of one")
    return sorted(set(gaps))


def about_people(model: type[models.Model]) -> bool:
    """Whether a model points at a pupil or a member of staff (a foreign key or many-to-many)."""
    return any(
        (f.many_to_one or f.one_to_one or f.many_to_many)
        and f.concrete
        and f.related_model in PEOPLE
        for f in model._meta.get_fields()
    )


def unplaced_models(
    candidates: Iterable[type[models.Model]],
    exported: set[type[models.Model]],
    not_exported: Mapping[type[models.Model], str],
) -> list[str]:
    """Models about a pupil or member of staff in neither export nor the list of those left
    out with a reason; and entries of that list that are wrong (exported after all, about
    nobody, or with no reason)."""
    gaps = []
    for model in candidates:
        label = model._meta.label
        if model in exported and model in not_exported:
            gaps.append(f"{label} is exported and listed as not exported")
        elif model in not_exported and not not_exported[model].strip():
            gaps.append(f"{label} is listed as not exported without a reason")
        elif model in not_exported and not about_people(model):
            gaps.append(f"{label} is listed as not exported but holds nothing about a person")
        elif model not in exported and model not in not_exported and about_people(model):
            gaps.append(f"{label} holds data about a pupil or staff but is not in the export")
    return gaps


# --- The declarations as they are ----------------------------------------------------------------


def test_every_stored_field_of_every_exported_model_is_exported_or_left_out_with_a_reason():
    assert coverage_gaps(ALL_TABLES) == []


def test_every_model_about_a_pupil_or_a_member_of_staff_is_exported_or_says_why_not():
    exported = {table.model for table in ALL_TABLES}
    assert unplaced_models(apps.get_models(), exported, NOT_EXPORTED) == []
    assert {Pupil, Staff} <= exported


def test_the_person_rows_leave_out_the_secrets_and_say_why():
    assert "password" in columns.STAFF_ROW.left_out
    assert "password" not in dict(columns.STAFF_ROW.columns)
    for row in (columns.PUPIL_ROW, columns.STAFF_ROW):
        assert all(reason.strip() for reason in row.left_out.values())


@pytest.mark.django_db
def test_the_exports_hold_exactly_the_declared_tables_in_order(head, pupil, teacher):
    for data, declared in (
        (pupil_export(actor=head, pupil=pupil), PUPIL_TABLES),
        (staff_export(actor=head, staff=teacher), STAFF_TABLES),
    ):
        assert [(t.name, t.columns) for t in data.tables] == [
            (spec.name, spec.columns) for spec in declared
        ]


# --- The checks can fail -------------------------------------------------------------------------


def test_a_field_missing_from_a_table_is_reported():
    without_email = dataclasses.replace(
        PARENTS, exported={k: v for k, v in PARENTS.exported.items() if k != "email"}
    )
    assert coverage_gaps([without_email]) == [
        "parents_carers: contacts.ParentCarer.email is neither exported nor left out"
    ]


def test_a_field_left_out_without_a_reason_or_placed_twice_is_reported():
    careless = dataclasses.replace(
        PARENTS, left_out={**PARENTS.left_out, "school": " ", "email": "not needed"}
    )
    assert coverage_gaps([careless]) == [
        "parents_carers: contacts.ParentCarer.email is both exported and left out",
        "parents_carers: contacts.ParentCarer.school is left out without a reason",
    ]


def test_a_stale_field_or_a_column_that_does_not_exist_is_reported():
    stale = dataclasses.replace(
        PARENTS, exported={**PARENTS.exported, "phone": "telephone", "fax": "phone"}
    )
    assert coverage_gaps([stale]) == [
        "parents_carers: contacts.ParentCarer.fax is not a stored field",
        "parents_carers: contacts.ParentCarer.phone goes to 'telephone', not a column",
    ]


def test_a_partial_table_leaves_the_rest_to_another_table_of_the_model():
    only_names = dataclasses.replace(
        PARENTS,
        exported={"first_name": "first_name", "last_name": "last_name"},
        left_out={},
        partial="names only",
    )
    assert coverage_gaps([only_names, PARENTS]) == []
    assert "contacts.ParentCarer.email is in no table, nor left out of one" in coverage_gaps(
        [only_names]
    )


@isolate_apps("contacts")
def test_a_field_added_to_an_exported_model_fails_until_it_is_placed():
    class Guardian(models.Model):  # noqa: DJ008 (exists for this test only)
        name = models.CharField(max_length=50)

        class Meta:
            app_label = "contacts"

    table = ExportTable(
        "guardians",
        Guardian,
        (("reference", "Reference"), ("name", "Name")),
        exported={"id": "reference", "name": "name"},
    )
    assert coverage_gaps([table]) == []
    models.CharField(max_length=50, blank=True).contribute_to_class(Guardian, "nickname")
    assert coverage_gaps([table]) == [
        "guardians: contacts.Guardian.nickname is neither exported nor left out"
    ]
    placed = dataclasses.replace(table, left_out={"nickname": "never shown to anyone"})
    assert coverage_gaps([placed]) == []


@isolate_apps("contacts")
def test_a_model_about_a_pupil_in_neither_list_is_reported():
    class Locker(models.Model):  # noqa: DJ008 (exists for this test only)
        pupil = models.ForeignKey(Pupil, on_delete=models.CASCADE, related_name="+")

        class Meta:
            app_label = "contacts"

    class Shelf(models.Model):  # noqa: DJ008 (exists for this test only)
        label = models.CharField(max_length=10)

        class Meta:
            app_label = "contacts"

    assert unplaced_models([Locker, Shelf], set(), {}) == [
        "contacts.Locker holds data about a pupil or staff but is not in the export"
    ]
    assert unplaced_models([Locker], set(), {Locker: "a key number only"}) == []
    assert unplaced_models([Locker], set(), {Locker: ""}) == [
        "contacts.Locker is listed as not exported without a reason"
    ]
    assert unplaced_models([Shelf], set(), {Shelf: "stale"}) == [
        "contacts.Shelf is listed as not exported but holds nothing about a person"
    ]
    assert unplaced_models([ParentCarer], {ParentCarer}, {ParentCarer: "both"}) == [
        "contacts.ParentCarer is exported and listed as not exported"
    ]
