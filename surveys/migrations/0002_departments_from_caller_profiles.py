"""One notion of a caller's department: surveys' audience filters read escalation.CallerProfile, as the SLA
policy rules do. Departments recorded here move to the profiles (a profile's own department wins)."""

from django.db import migrations


def move_departments(apps, schema_editor):
    CallerDepartment = apps.get_model("surveys", "CallerDepartment")
    CallerProfile = apps.get_model("escalation", "CallerProfile")
    for row in CallerDepartment.objects.all().iterator():
        profile, _ = CallerProfile.objects.get_or_create(user_id=row.user_id)
        if not profile.department:
            profile.department = row.name
            profile.save(update_fields=["department"])


def move_back(apps, schema_editor):
    CallerDepartment = apps.get_model("surveys", "CallerDepartment")
    CallerProfile = apps.get_model("escalation", "CallerProfile")
    for profile in CallerProfile.objects.exclude(department="").iterator():
        CallerDepartment.objects.get_or_create(user_id=profile.user_id, defaults={"name": profile.department})


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0001_initial"),
        ("escalation", "0005_caller_profile_ola_accept"),
    ]

    operations = [
        migrations.RunPython(move_departments, move_back),
        migrations.DeleteModel(name="CallerDepartment"),
    ]
