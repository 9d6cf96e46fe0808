"""Store every staff email in its normal form (safeguard.core.emails.normal_email), which
signing in, the lockout and single sign-on now compare exactly.

Refuses to run, changing nothing, when two accounts would share an address afterwards: which one
keeps it is for the school to decide, not a migration.
"""

from collections import defaultdict

from django.db import migrations

from safeguard.core.emails import normal_email


def normalise(apps, schema_editor):
    Staff = apps.get_model("contacts", "Staff")
    rows = list(Staff.objects.order_by("pk").values_list("pk", "email"))
    holders = defaultdict(list)
    for pk, email in rows:
        holders[normal_email(email)].append((pk, email))
    clashes = {normal: found for normal, found in holders.items() if len(found) > 1}
    if clashes:
        lines = [
            f"  {normal}: " + ", ".join(f"staff {pk} ({email})" for pk, email in found)
            for normal, found in sorted(clashes.items())
        ]
        raise RuntimeError(
            "These accounts would share one email address once addresses are normalised "
            "(Unicode NFKC, case folded). Give each a different address, then migrate again:\n"
            + "\n".join(lines)
        )
    for pk, email in rows:
        if normal_email(email) != email:
            Staff.objects.filter(pk=pk).update(email=normal_email(email))


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0008_staffrelative_acknowledgement"),
    ]

    operations = [
        migrations.RunPython(normalise, migrations.RunPython.noop, elidable=False),
    ]
