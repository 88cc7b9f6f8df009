from django.db import migrations

from escalation import defaults


def create(apps, schema_editor):
    BusinessCalendar = apps.get_model("escalation", "BusinessCalendar")
    SLAPolicy = apps.get_model("escalation", "SLAPolicy")
    SLATarget = apps.get_model("escalation", "SLATarget")
    OLATarget = apps.get_model("escalation", "OLATarget")
    SupportGroup = apps.get_model("escalation", "SupportGroup")
    EscalationPoint = apps.get_model("escalation", "EscalationPoint")

    security, created = SupportGroup.objects.get_or_create(
        slug=defaults.SECURITY_GROUP_SLUG,
        defaults={k: v for k, v in defaults.SECURITY_GROUP.items() if k != "slug"}
        | {"description": "Security incidents: visible only to this group and the incident managers."},
    )
    if created:
        for level, target, percent, role in defaults.DEFAULT_ESCALATION_POINTS:
            EscalationPoint.objects.create(
                group=security, level=level, target=target, percent=percent, role=role
            )

    calendar = BusinessCalendar.objects.filter(slug=defaults.CALENDAR_24X7_SLUG).first()
    if calendar is None:
        return
    policy, created = SLAPolicy.objects.get_or_create(
        slug=defaults.MAJOR_POLICY_SLUG,
        defaults={
            "name": "Major incident",
            "calendar": calendar,
            "description": "Applied when an incident is declared major: shorter targets, around the clock.",
        },
    )
    if created:
        for priority, response, resolution in defaults.MAJOR_TARGETS:
            SLATarget.objects.create(
                policy=policy, priority=priority, response_minutes=response, resolution_minutes=resolution
            )
        for tier, minutes in defaults.MAJOR_OLA_MINUTES.items():
            OLATarget.objects.create(policy=policy, tier=tier, minutes=minutes)


class Migration(migrations.Migration):
    dependencies = [("escalation", "0005_caller_profile_ola_accept")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
