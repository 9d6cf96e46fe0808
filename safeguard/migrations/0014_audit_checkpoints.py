"""Signed checkpoints of each school's audit chain (safeguard.audit.checkpoints), append-only
like the events, and the school's address for a copy of each one."""

import django.db.models.deletion
from django.db import migrations, models

SQLITE_UP = [
    """CREATE TRIGGER safeguard_auditcheckpoint_no_update BEFORE UPDATE ON safeguard_auditcheckpoint
    BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END""",
    """CREATE TRIGGER safeguard_auditcheckpoint_no_delete BEFORE DELETE ON safeguard_auditcheckpoint
    BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS safeguard_auditcheckpoint_no_update",
    "DROP TRIGGER IF EXISTS safeguard_auditcheckpoint_no_delete",
]
# The statement trigger refusing TRUNCATE (tests lift it for Django's flush).
NO_TRUNCATE = {"safeguard_auditcheckpoint": "safeguard_auditcheckpoint_no_truncate"}
# safeguard_audit_append_only() is migration 0006's.
POSTGRES_UP = [
    """CREATE TRIGGER safeguard_auditcheckpoint_append_only BEFORE UPDATE OR DELETE
    ON safeguard_auditcheckpoint FOR EACH ROW EXECUTE FUNCTION safeguard_audit_append_only()""",
    """CREATE TRIGGER safeguard_auditcheckpoint_no_truncate BEFORE TRUNCATE
    ON safeguard_auditcheckpoint FOR EACH STATEMENT EXECUTE FUNCTION safeguard_audit_append_only()""",
]
POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS safeguard_auditcheckpoint_no_truncate ON safeguard_auditcheckpoint",
    "DROP TRIGGER IF EXISTS safeguard_auditcheckpoint_append_only ON safeguard_auditcheckpoint",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("safeguard", "0013_per_school_audit_chains"),
    ]

    operations = [
        migrations.AddField(
            model_name="school",
            name="checkpoint_copy_to",
            field=models.EmailField(
                blank=True, max_length=254, verbose_name="also send audit checkpoints to"
            ),
        ),
        migrations.CreateModel(
            name="AuditCheckpoint",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("school_name", models.CharField(max_length=200)),
                ("event_id", models.BigIntegerField()),
                ("event_hash", models.CharField(max_length=64)),
                ("events", models.PositiveIntegerField()),
                ("signed_at", models.DateTimeField()),
                ("key_id", models.CharField(max_length=16)),
                ("signature", models.CharField(max_length=100)),
                (
                    "school",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="audit_checkpoints",
                        to="safeguard.school",
                    ),
                ),
            ],
            options={
                "ordering": ["-id"],
                "indexes": [
                    models.Index(fields=["school", "-id"], name="safeguard_a_school__b4792e_idx")
                ],
            },
        ),
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}),
        ),
    ]
