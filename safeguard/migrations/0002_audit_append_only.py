"""The database itself refuses to change or remove an audit event, on SQLite and PostgreSQL."""

from django.db import migrations

SQLITE_UP = [
    """CREATE TRIGGER safeguard_auditevent_no_update BEFORE UPDATE ON safeguard_auditevent
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
    """CREATE TRIGGER safeguard_auditevent_no_delete BEFORE DELETE ON safeguard_auditevent
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS safeguard_auditevent_no_update",
    "DROP TRIGGER IF EXISTS safeguard_auditevent_no_delete",
]
POSTGRES_UP = [
    """CREATE OR REPLACE FUNCTION safeguard_auditevent_append_only() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION 'audit events are append-only'; END; $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER safeguard_auditevent_append_only BEFORE UPDATE OR DELETE
    ON safeguard_auditevent FOR EACH ROW EXECUTE FUNCTION safeguard_auditevent_append_only()""",
]
POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS safeguard_auditevent_append_only ON safeguard_auditevent",
    "DROP FUNCTION IF EXISTS safeguard_auditevent_append_only()",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("safeguard", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}),
        )
    ]
