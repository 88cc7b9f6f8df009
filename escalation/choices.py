"""Vocabulary shared by every layer: tiers, priorities and the staff roles."""

from django.db import models
from django.utils.translation import gettext_lazy


class Tier(models.IntegerChoices):
    SERVICE_DESK = 1, gettext_lazy("Tier 1 · service desk")
    TECHNICAL = 2, gettext_lazy("Tier 2 · technical")
    HARDWARE_SOFTWARE = 3, gettext_lazy("Tier 3 · hardware/software")


class Priority(models.IntegerChoices):
    P1 = 1, gettext_lazy("P1 critical")
    P2 = 2, gettext_lazy("P2 high")
    P3 = 3, gettext_lazy("P3 moderate")
    P4 = 4, gettext_lazy("P4 low")
    P5 = 5, gettext_lazy("P5 planning")


class Level(models.IntegerChoices):
    """Impact and urgency share the same three-step scale."""

    HIGH = 1, gettext_lazy("1 high")
    MEDIUM = 2, gettext_lazy("2 medium")
    LOW = 3, gettext_lazy("3 low")


class Role(models.TextChoices):
    """Staff roles, stored as Django groups (SPEC §1). End users have none."""

    AGENT = "Service desk agent"
    TECHNICAL = "Technical team member"
    HARDWARE_SOFTWARE = "Hardware/software team member"
    CONSULTED = "Consulted group member"
    INCIDENT_MANAGER = "Incident manager"
    MANAGER = "Manager"
    ADMINISTRATOR = "Administrator"
