from django.db import migrations

from escalation import config_triggers

# Categories and services fill the queue page's pick-lists, cached per process with the SLA
# configuration (incidents.queues, escalation.config_cache): a write of either gives it a new version.
TABLES = ("incidents_category", "incidents_service")


def create(apps, schema_editor):
    config_triggers.install(schema_editor, TABLES)


def drop(apps, schema_editor):
    config_triggers.uninstall(schema_editor, TABLES)


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0014_sla_config_version_triggers"),
    ]

    operations = [migrations.RunPython(create, drop)]
