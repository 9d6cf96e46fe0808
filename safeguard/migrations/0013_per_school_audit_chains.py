"""One audit chain per school, so that one school's writers never wait for another's.

The events written so far formed one chain for the whole installation. Before they are rechained
the old chain is verified, and the migration refuses to run if it is broken: a rechaining must
never launder a changed or removed event into fresh hashes. Each school's events are then
chained in id order, the first of them following the old chain's head, which is kept in
`AuditRechain` (append-only like the events), so what came before stays tied to what follows.

The row triggers refusing UPDATE are lifted for the rechaining only, inside this migration's
transaction (PostgreSQL) or dropped and made again (SQLite).
"""

import importlib

from django.db import migrations, models
from django.utils import timezone

from safeguard.audit.chain import GENESIS, HASHED, _digest

APPEND_ONLY = importlib.import_module("safeguard.migrations.0002_audit_append_only")
# The hashed fields, in the digest's order.
FIELDS = HASHED
BATCH = 5000

SQLITE_UP = [
    """CREATE TRIGGER safeguard_auditrechain_no_update BEFORE UPDATE ON safeguard_auditrechain
    BEGIN SELECT RAISE(ABORT, 'the rechaining record is append-only'); END""",
    """CREATE TRIGGER safeguard_auditrechain_no_delete BEFORE DELETE ON safeguard_auditrechain
    BEGIN SELECT RAISE(ABORT, 'the rechaining record is append-only'); END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS safeguard_auditrechain_no_update",
    "DROP TRIGGER IF EXISTS safeguard_auditrechain_no_delete",
]
# The statement trigger refusing TRUNCATE (tests lift it for Django's flush).
NO_TRUNCATE = {"safeguard_auditrechain": "safeguard_auditrechain_no_truncate"}
# safeguard_audit_append_only() is migration 0006's.
POSTGRES_UP = [
    """CREATE TRIGGER safeguard_auditrechain_append_only BEFORE UPDATE OR DELETE
    ON safeguard_auditrechain FOR EACH ROW EXECUTE FUNCTION safeguard_audit_append_only()""",
    """CREATE TRIGGER safeguard_auditrechain_no_truncate BEFORE TRUNCATE ON safeguard_auditrechain
    FOR EACH STATEMENT EXECUTE FUNCTION safeguard_audit_append_only()""",
]
POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS safeguard_auditrechain_no_truncate ON safeguard_auditrechain",
    "DROP TRIGGER IF EXISTS safeguard_auditrechain_append_only ON safeguard_auditrechain",
]


class BrokenChain(RuntimeError):
    pass


def _verify_single_chain(AuditEvent, AuditCheck):
    """The old chain's head (id, hash) and length; BrokenChain at its first fault, or when it
    has lost events from its end since the last check that found it intact (as the release
    before this one would have named them: nothing follows removed newest events)."""
    expected, head_id, count = GENESIS, None, 0
    rows = AuditEvent.objects.order_by("id").values_list("id", *FIELDS, "hash")
    for row in rows.iterator(chunk_size=BATCH):
        event_id, fields, stored = row[0], row[1:13], row[13]
        if fields[-1] != expected or _digest(*fields) != stored:
            raise BrokenChain(
                f"The audit trail's chain is broken at event {event_id}, so it is not rechained "
                "into one chain per school: run `manage.py verify_audit` on the previous release "
                "to see what was changed or removed, and restore the trail from a backup."
            )
        expected, head_id, count = stored, event_id, count + 1
    last = AuditCheck.objects.filter(head_id__isnull=False, problems=0).order_by("-id").first()
    if last is not None:
        upto = AuditEvent.objects.filter(id__lte=last.head_id)
        kept = upto.filter(id=last.head_id).values_list("hash", flat=True).first()
        if kept != last.head_hash or upto.count() != last.events_checked:
            raise BrokenChain(
                f"The audit trail no longer holds what the last intact check found (up to event "
                f"{last.head_id}, {last.events_checked} events), so it is not rechained into "
                "one chain per school: run `manage.py verify_audit` on the previous release to "
                "see what is missing, and restore the trail from a backup."
            )
    return head_id, expected, count


def _triggers(schema_editor, *, on):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        verb = "ENABLE" if on else "DISABLE"
        schema_editor.execute(
            f"ALTER TABLE safeguard_auditevent {verb} TRIGGER safeguard_auditevent_append_only"
        )
    elif vendor == "sqlite":
        for sql in APPEND_ONLY.SQLITE_UP if on else APPEND_ONLY.SQLITE_DOWN:
            schema_editor.execute(sql)


def rechain(apps, schema_editor):
    AuditEvent = apps.get_model("safeguard", "AuditEvent")
    AuditCheck = apps.get_model("safeguard", "AuditCheck")
    AuditRechain = apps.get_model("safeguard", "AuditRechain")
    head_id, head_hash, count = _verify_single_chain(AuditEvent, AuditCheck)
    if head_id is None:
        return  # nothing written yet: every school's chain starts from GENESIS
    _triggers(schema_editor, on=False)
    rows = AuditEvent.objects.order_by("school_id", "id").values_list("id", *FIELDS)
    current, prev, batch = None, head_hash, []
    with schema_editor.connection.cursor() as cursor:
        for row in rows.iterator(chunk_size=BATCH):
            event_id, fields = row[0], list(row[1:13])
            if fields[0] != current:
                current, prev = fields[0], head_hash
            fields[-1] = prev
            new = _digest(*fields)
            batch.append((prev, new, event_id))
            prev = new
            if len(batch) >= BATCH:
                cursor.executemany(
                    "UPDATE safeguard_auditevent SET prev_hash = %s, hash = %s WHERE id = %s", batch
                )
                batch = []
        if batch:
            cursor.executemany(
                "UPDATE safeguard_auditevent SET prev_hash = %s, hash = %s WHERE id = %s", batch
            )
    _triggers(schema_editor, on=True)
    AuditRechain.objects.create(
        ran_at=timezone.now(), old_head_id=head_id, old_head_hash=head_hash, events=count
    )


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("safeguard", "0012_school_concern_open_days"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditRechain",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("ran_at", models.DateTimeField()),
                ("old_head_id", models.BigIntegerField()),
                ("old_head_hash", models.CharField(max_length=64)),
                ("events", models.PositiveIntegerField()),
            ],
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["school", "id"], name="safeguard_a_chain_idx"),
        ),
        # Rechaining undone would need the old hashes, which are not kept: forwards only, like
        # the trail.
        migrations.RunPython(rechain, migrations.RunPython.noop),
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}),
        ),
    ]
