from django.db import migrations

from escalation import config_triggers

# The policy rules and the priority matrix are cached with the SLA configuration (escalation.config_cache).
TABLES = ("incidents_slapolicyrule", "incidents_prioritymatrixentry")


def create(apps, schema_editor):
    config_triggers.install(schema_editor, TABLES)


def drop(apps, schema_editor):
    config_triggers.uninstall(schema_editor, TABLES)


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0013_read_path_indexes"),
        ("escalation", "0007_config_version"),
    ]

    operations = [migrations.RunPython(create, drop)]
