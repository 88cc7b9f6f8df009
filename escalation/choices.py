"""Vocabulary shared by every layer: tiers, priorities and the staff roles."""

from django.db import models


class Tier(models.IntegerChoices):
    SERVICE_DESK = 1, "Tier 1 · service desk"
    TECHNICAL = 2, "Tier 2 · technical"
    HARDWARE_SOFTWARE = 3, "Tier 3 · hardware/software"


class Priority(models.IntegerChoices):
    P1 = 1, "P1 critical"
    P2 = 2, "P2 high"
    P3 = 3, "P3 moderate"
    P4 = 4, "P4 low"
    P5 = 5, "P5 planning"


class Level(models.IntegerChoices):
    """Impact and urgency share the same three-step scale."""

    HIGH = 1, "1 high"
    MEDIUM = 2, "2 medium"
    LOW = 3, "3 low"


class Role(models.TextChoices):
    """Staff roles, stored as Django groups (SPEC §1). End users have none."""

    AGENT = "Service desk agent"
    TECHNICAL = "Technical team member"
    HARDWARE_SOFTWARE = "Hardware/software team member"
    CONSULTED = "Consulted group member"
    INCIDENT_MANAGER = "Incident manager"
    MANAGER = "Manager"
    ADMINISTRATOR = "Administrator"
