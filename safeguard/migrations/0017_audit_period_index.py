"""A school's chain over a period from one index: (school, created_at, id) replaces
(school, -created_at), which a backward scan of the new one also serves (the trail page, newest
first). Added before the old one is dropped, so no query is left without an index."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("safeguard", "0016_cache_table"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(
                fields=["school", "created_at", "id"], name="safeguard_a_period_idx"
            ),
        ),
        migrations.RemoveIndex(
            model_name="auditevent",
            name="safeguard_a_school__893650_idx",
        ),
    ]
