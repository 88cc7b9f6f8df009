from django.db import migrations

from escalation.choices import Role
from escalation.defaults import DEFAULT_GROUPS


def create(apps, schema_editor):
    SupportGroup = apps.get_model("escalation", "SupportGroup")
    Group = apps.get_model("auth", "Group")
    for g in DEFAULT_GROUPS:
        SupportGroup.objects.get_or_create(slug=g["slug"], defaults={k: v for k, v in g.items() if k != "slug"})
    for role in Role:
        Group.objects.get_or_create(name=role.value)


class Migration(migrations.Migration):
    dependencies = [("escalation", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
