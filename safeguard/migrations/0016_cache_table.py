"""The table of the default cache (settings CACHES: a DatabaseCache shared by every app
server). Made here rather than by a separate createcachetable step, so that `migrate` alone
readies a database; its name is fixed, whatever CACHE_URL chooses."""

from django.core.management import call_command
from django.db import migrations

TABLE = "safeguard_cache"


def create(apps, schema_editor):
    call_command("createcachetable", TABLE, database=schema_editor.connection.alias, verbosity=0)


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(TABLE)}")


class Migration(migrations.Migration):
    dependencies = [("safeguard", "0015_stored_upload")]

    operations = [migrations.RunPython(create, drop)]
