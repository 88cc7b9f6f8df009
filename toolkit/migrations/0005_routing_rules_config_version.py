"""Routing rules are configuration: a write to them gives the configuration a new version, so that
every process reads them again (escalation.config_cache), whatever statement made it."""

from django.db import migrations

from escalation import config_triggers

TABLES = ("toolkit_routingrule",)


def forwards(apps, schema_editor):
    config_triggers.install(schema_editor, TABLES)


def backwards(apps, schema_editor):
    config_triggers.uninstall(schema_editor, TABLES)


class Migration(migrations.Migration):
    dependencies = [
        ("toolkit", "0004_tags"),
        ("escalation", "__first__"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
