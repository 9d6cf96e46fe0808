"""A pupil's file lists the references of every entry about them (contacts.files.selectors): the
pupil's requests and records through the pupils tables, each with its school, the columns the
reader's selector asks about and its date. These indexes answer that from the indexes alone.
Without them PostgreSQL reads each row from the table, puts the cost of the one query for all
three kinds above its threshold for a parallel plan, and starting two workers takes longer than
the query (about 8 ms against 2 ms at large scale; docs/performance.md).

PostgreSQL only: SQLite has no parallel plans, nor indexes with included columns. Django keeps
no state for them (the pupils tables are Django's own), like the audit trail's triggers."""

from django.db import migrations

UP = [
    "CREATE INDEX IF NOT EXISTS contacts_request_pupils_file_idx "
    "ON contacts_contactrequest_pupils (pupil_id, contactrequest_id)",
    "CREATE INDEX IF NOT EXISTS contacts_record_pupils_file_idx "
    "ON contacts_contactrecord_pupils (pupil_id, contactrecord_id)",
    "CREATE INDEX IF NOT EXISTS contacts_request_file_idx ON contacts_contactrequest (id) "
    "INCLUDE (school_id, status, requester_id, starts_at)",
    "CREATE INDEX IF NOT EXISTS contacts_record_file_idx ON contacts_contactrecord (id) "
    "INCLUDE (school_id, occurred_at)",
]
DOWN = [
    "DROP INDEX IF EXISTS contacts_request_pupils_file_idx",
    "DROP INDEX IF EXISTS contacts_record_pupils_file_idx",
    "DROP INDEX IF EXISTS contacts_request_file_idx",
    "DROP INDEX IF EXISTS contacts_record_file_idx",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql, None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0022_outcome_due_index"),
    ]

    operations = [migrations.RunPython(_run(UP), _run(DOWN))]
