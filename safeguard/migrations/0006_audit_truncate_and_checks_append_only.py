"""The audit trail against its own database owner.

TRUNCATE removes rows without firing the row triggers of migration 0002, so PostgreSQL refuses it
on both audit tables with statement triggers. SQLite has no TRUNCATE: its "truncate
optimisation" is skipped for a table with a DELETE trigger, so a bare `DELETE FROM` fires the
row triggers and is refused like any other delete.

The kept chain checks become append-only like the events: the next check compares with the last
one (what it counted up to which event, and that event's hash), and the governors' report relies
on it. The fields added here hold what that comparison needs, and each school's own counts.

A migration that rebuilds either table on SQLite (Django does for some column changes) drops its
triggers: it must create them again.
"""

import django.db.models.deletion
from django.db import migrations, models

SQLITE_UP = [
    """CREATE TRIGGER safeguard_auditcheck_no_update BEFORE UPDATE ON safeguard_auditcheck
    BEGIN SELECT RAISE(ABORT, 'audit checks are append-only'); END""",
    """CREATE TRIGGER safeguard_auditcheck_no_delete BEFORE DELETE ON safeguard_auditcheck
    BEGIN SELECT RAISE(ABORT, 'audit checks are append-only'); END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS safeguard_auditcheck_no_update",
    "DROP TRIGGER IF EXISTS safeguard_auditcheck_no_delete",
]
# The statement triggers refusing TRUNCATE, by table (tests lift them for Django's flush).
NO_TRUNCATE = {
    "safeguard_auditevent": "safeguard_auditevent_no_truncate",
    "safeguard_auditcheck": "safeguard_auditcheck_no_truncate",
}
POSTGRES_UP = [
    """CREATE OR REPLACE FUNCTION safeguard_audit_append_only() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION '% is append-only (%)', TG_TABLE_NAME, TG_OP; END; $$
    LANGUAGE plpgsql""",
    """CREATE TRIGGER safeguard_auditcheck_append_only BEFORE UPDATE OR DELETE
    ON safeguard_auditcheck FOR EACH ROW EXECUTE FUNCTION safeguard_audit_append_only()""",
    *(
        f"""CREATE TRIGGER {trigger} BEFORE TRUNCATE ON {table}
        FOR EACH STATEMENT EXECUTE FUNCTION safeguard_audit_append_only()"""
        for table, trigger in NO_TRUNCATE.items()
    ),
]
POSTGRES_DOWN = [
    *(f"DROP TRIGGER IF EXISTS {trigger} ON {table}" for table, trigger in NO_TRUNCATE.items()),
    "DROP TRIGGER IF EXISTS safeguard_auditcheck_append_only ON safeguard_auditcheck",
    "DROP FUNCTION IF EXISTS safeguard_audit_append_only()",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            # No parameters: the driver then leaves the message's % placeholders alone.
            schema_editor.execute(sql, None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("safeguard", "0005_audit_check_blocks_and_period_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditcheck",
            name="by_school",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="auditcheck",
            name="head_hash",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="auditcheck",
            name="head_id",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="auditcheck",
            name="school",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="audit_checks",
                to="safeguard.school",
            ),
        ),
        # After the fields: adding a column with a default rebuilds the table on SQLite.
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}),
        ),
    ]
