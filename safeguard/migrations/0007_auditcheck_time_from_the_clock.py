"""A kept chain check's time is the database's clock, not what the inserting client says.

The app's own database role may add checks (it runs them), and a check dated far in the future
would otherwise pass for the latest on the audit page for years. PostgreSQL only: on SQLite
there is no separate role for the app, so nobody inserts a row who could not rewrite it too.
"""

from django.db import migrations

UP = [
    """CREATE OR REPLACE FUNCTION safeguard_auditcheck_clock() RETURNS trigger AS $$
    BEGIN NEW.ran_at := clock_timestamp(); RETURN NEW; END; $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER safeguard_auditcheck_clock BEFORE INSERT ON safeguard_auditcheck
    FOR EACH ROW EXECUTE FUNCTION safeguard_auditcheck_clock()""",
]
DOWN = [
    "DROP TRIGGER IF EXISTS safeguard_auditcheck_clock ON safeguard_auditcheck",
    "DROP FUNCTION IF EXISTS safeguard_auditcheck_clock()",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql, None)

    return run


class Migration(migrations.Migration):
    dependencies = [("safeguard", "0006_audit_truncate_and_checks_append_only")]

    operations = [migrations.RunPython(_run(UP), _run(DOWN))]
