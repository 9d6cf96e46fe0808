"""Migration 0013: the installation's single chain rechained into one chain per school, only
when the old chain is intact."""

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from safeguard.audit.chain import GENESIS, _digest, audit_verify
from safeguard.audit.models import AuditEvent, AuditRechain
from safeguard.audit.services import APPENDED
from safeguard.core.bulk import insert_rows
from tests.helpers import allow_audit_tampering

MIGRATION = importlib.import_module("safeguard.migrations.0013_per_school_audit_chains")


def _single_chain(schools):
    """Events chained as before 0013: one chain through every school's events in id order."""
    prev, rows = GENESIS, []
    for n, school in enumerate(schools):
        event = AuditEvent(
            school=school,
            actor_role="system",
            action="view",
            object_type="test",
            object_id=str(n),
            object_ref=f"TEST-{n}",
            created_at=timezone.now(),
            prev_hash=prev,
        )
        event.hash = prev = _digest(*(getattr(event, name) for name in APPENDED[:-1]))
        rows.append(tuple(getattr(event, name) for name in APPENDED))
    insert_rows(AuditEvent, APPENDED, rows)
    return list(AuditEvent.objects.order_by("id"))


class _Editor:
    """What the migration's function uses of a schema editor, inside the test's transaction."""

    def __init__(self):
        self.connection = connection

    def execute(self, sql, params=None):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def test_an_intact_single_chain_becomes_one_chain_per_school_tied_to_its_old_head(
    school, other_school
):
    old = _single_chain([school, other_school, school, other_school])
    assert old[1].prev_hash == old[0].hash  # one chain through both schools
    assert audit_verify() != []  # which the per-school check does not accept

    MIGRATION.rechain(apps, _Editor())

    record = AuditRechain.objects.get()
    assert (record.old_head_id, record.old_head_hash, record.events) == (
        old[-1].pk,
        old[-1].hash,
        4,
    )
    mine = list(AuditEvent.objects.filter(school=school).order_by("id"))
    theirs = list(AuditEvent.objects.filter(school=other_school).order_by("id"))
    assert mine[0].prev_hash == theirs[0].prev_hash == old[-1].hash
    assert mine[1].prev_hash == mine[0].hash and theirs[1].prev_hash == theirs[0].hash
    assert audit_verify() == []
    # The trail is append-only again.
    with pytest.raises(Exception, match="append-only"), connection.cursor() as cursor:
        cursor.execute("UPDATE safeguard_auditevent SET reason = 'x' WHERE id = %s", [old[0].pk])


def test_a_broken_single_chain_is_not_rechained(school, other_school):
    old = _single_chain([school, other_school, school])
    allow_audit_tampering()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE safeguard_auditevent SET reason = 'x' WHERE id = %s", [old[1].pk])
    with pytest.raises(MIGRATION.BrokenChain, match=f"broken at event {old[1].pk}"):
        MIGRATION.rechain(apps, SimpleNamespace(connection=connection))
    assert not AuditRechain.objects.exists()
    assert [e.hash for e in AuditEvent.objects.order_by("id")] == [e.hash for e in old]


@pytest.mark.django_db
def test_an_empty_trail_needs_no_rechaining():
    MIGRATION.rechain(apps, SimpleNamespace(connection=connection))
    assert not AuditRechain.objects.exists()
