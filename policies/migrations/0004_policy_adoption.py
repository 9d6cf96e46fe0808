"""Policy adoption: each policy names who signs its versions, each version records its
signatories' places and when it was adopted.

Versions that already exist were published before Safeguard recorded signatures: they count as
adopted from their publication, signed by nobody in the app, so what staff read and what the
pages cite stays as it was."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import F


def adopt_published_versions(apps, schema_editor):
    PolicyVersion = apps.get_model("policies", "PolicyVersion")
    PolicyVersion.objects.filter(adopted_at__isnull=True).update(
        adopted_at=F("created_at"), adopted_unsigned=True
    )


class Migration(migrations.Migration):
    dependencies = [
        ("policies", "0003_policy_owner_role_whistleblowing_governor"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="policy",
            name="head_signs",
            field=models.BooleanField(
                default=True, verbose_name="the headteacher signs each version"
            ),
        ),
        migrations.AddField(
            model_name="policy",
            name="chair_signs",
            field=models.BooleanField(
                default=True, verbose_name="the chair of governors signs each version"
            ),
        ),
        migrations.AddField(
            model_name="policy",
            name="assistant_head_signs",
            field=models.BooleanField(
                default=False, verbose_name="the assistant headteacher signs each version"
            ),
        ),
        migrations.AddConstraint(
            model_name="policy",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("head_signs", True),
                    ("chair_signs", True),
                    ("assistant_head_signs", True),
                    _connector="OR",
                ),
                name="policy_has_a_signatory",
            ),
        ),
        migrations.AddField(
            model_name="policyversion",
            name="adopted_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="policyversion",
            name="adopted_unsigned",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(adopt_published_versions, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="policyversion",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("adopted_unsigned", False), ("adopted_at__isnull", False), _connector="OR"
                ),
                name="policyversion_unsigned_only_when_adopted",
            ),
        ),
        migrations.CreateModel(
            name="PolicySignature",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "role",
                    models.CharField(
                        choices=[
                            ("staff", "Staff"),
                            ("line_manager", "Line manager"),
                            ("headteacher", "Headteacher"),
                            ("deputy_head", "Deputy headteacher"),
                            ("assistant_head", "Assistant headteacher"),
                            ("dsl", "Designated safeguarding lead"),
                            ("deputy_dsl", "Deputy designated safeguarding lead"),
                            ("chair_of_governors", "Chair of governors"),
                            ("governor", "Governor"),
                            ("whistleblowing_governor", "Governor for whistleblowing"),
                            ("school_admin", "School administrator"),
                        ],
                        max_length=40,
                    ),
                ),
                ("signed_at", models.DateTimeField(blank=True, null=True)),
                (
                    "signed_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "version",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="signatures",
                        to="policies.policyversion",
                    ),
                ),
            ],
            options={
                "ordering": ["version", "pk"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("version", "role"), name="policysignature_role_once"
                    ),
                    models.UniqueConstraint(
                        fields=("version", "signed_by"), name="policysignature_person_once"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("signed_at__isnull", True), ("signed_by__isnull", True)),
                            models.Q(("signed_at__isnull", False), ("signed_by__isnull", False)),
                            _connector="OR",
                        ),
                        name="policysignature_signed_with_time",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("role__in", ["headteacher", "chair_of_governors", "assistant_head"])
                        ),
                        name="policysignature_signatory_role",
                    ),
                ],
            },
        ),
    ]
