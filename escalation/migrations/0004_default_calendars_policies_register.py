from datetime import date, time

from django.conf import settings
from django.db import migrations

from escalation import defaults


def create(apps, schema_editor):
    BusinessCalendar = apps.get_model("escalation", "BusinessCalendar")
    WorkingHours = apps.get_model("escalation", "WorkingHours")
    Holiday = apps.get_model("escalation", "Holiday")
    SLAPolicy = apps.get_model("escalation", "SLAPolicy")
    SLATarget = apps.get_model("escalation", "SLATarget")
    OLATarget = apps.get_model("escalation", "OLATarget")
    SupportGroup = apps.get_model("escalation", "SupportGroup")
    EscalationPoint = apps.get_model("escalation", "EscalationPoint")
    EscalationRule = apps.get_model("escalation", "EscalationRule")

    around_the_clock, _ = BusinessCalendar.objects.get_or_create(
        slug=defaults.CALENDAR_24X7_SLUG,
        defaults={"name": "24×7", "time_zone": settings.TIME_ZONE, "is_24x7": True},
    )
    office, created = BusinessCalendar.objects.get_or_create(
        slug=defaults.DEFAULT_CALENDAR_SLUG,
        defaults={"name": "Office hours (Mon-Fri 08:00-18:00)", "time_zone": settings.TIME_ZONE},
    )
    if created:
        for weekday, start, end in defaults.OFFICE_HOURS:
            WorkingHours.objects.create(
                calendar=office, weekday=weekday, start=time.fromisoformat(start), end=time.fromisoformat(end)
            )
        for day, name in defaults.DEFAULT_HOLIDAYS:
            Holiday.objects.create(calendar=office, date=date.fromisoformat(day), name=name)

    policy, created = SLAPolicy.objects.get_or_create(
        slug=defaults.DEFAULT_POLICY_SLUG,
        defaults={
            "name": "Default",
            "calendar": office,
            "is_default": True,
            "description": "SPEC §6 defaults.",
        },
    )
    if created:
        calendars = {defaults.CALENDAR_24X7_SLUG: around_the_clock}
        for priority, response, resolution, calendar in defaults.DEFAULT_TARGETS:
            SLATarget.objects.create(
                policy=policy,
                priority=priority,
                response_minutes=response,
                resolution_minutes=resolution,
                calendar=calendars.get(calendar) if calendar else None,
            )
        for tier, minutes in defaults.DEFAULT_OLA_MINUTES.items():
            OLATarget.objects.create(policy=policy, tier=tier, minutes=minutes)

    for group in SupportGroup.objects.filter(kind="support"):
        if not EscalationPoint.objects.filter(group=group).exists():
            for level, target, percent, role in defaults.DEFAULT_ESCALATION_POINTS:
                EscalationPoint.objects.create(
                    group=group, level=level, target=target, percent=percent, role=role
                )

    for rule in defaults.DEFAULT_ESCALATION_RULES:
        to_group = SupportGroup.objects.filter(slug=rule["to_group"]).first()
        if to_group is not None:
            EscalationRule.objects.get_or_create(
                slug=rule["slug"],
                defaults={**{k: v for k, v in rule.items() if k != "to_group"}, "to_group": to_group},
            )


class Migration(migrations.Migration):
    dependencies = [("escalation", "0003_calendars_policies_register")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
