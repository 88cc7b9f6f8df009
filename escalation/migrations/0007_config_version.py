import uuid

from django.db import migrations, models

from escalation import config_triggers

TABLES = (
    "escalation_businesscalendar",
    "escalation_workinghours",
    "escalation_holiday",
    "escalation_slapolicy",
    "escalation_slatarget",
    "escalation_olatarget",
    "escalation_escalationrule",
    "escalation_escalationpoint",
    "escalation_supportgroup",
)


def create(apps, schema_editor):
    apps.get_model("escalation", "ConfigVersion").objects.get_or_create(
        pk=1, defaults={"token": uuid.uuid4().hex}
    )
    config_triggers.install(schema_editor, TABLES)


def drop(apps, schema_editor):
    config_triggers.uninstall(schema_editor, TABLES)


class Migration(migrations.Migration):
    dependencies = [
        ("escalation", "0006_security_group_and_major_policy"),
    ]

    operations = [
        migrations.CreateModel(
            name="ConfigVersion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("token", models.CharField(max_length=32)),
            ],
        ),
        migrations.RunPython(create, drop),
    ]
