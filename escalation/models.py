from django.conf import settings
from django.db import models

from .choices import Tier


class SupportGroup(models.Model):
    """A team that owns incidents (tiers 1-3) or answers consultations (consulted groups)."""

    class Kind(models.TextChoices):
        SUPPORT = "support", "Support group"
        CONSULTED = "consulted", "Consulted group"

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.SUPPORT)
    tier = models.PositiveSmallIntegerField(choices=Tier.choices, null=True, blank=True)
    description = models.TextField(blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    on_call_hours = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="support_groups", blank=True
    )

    class Meta:
        ordering = ["tier", "name"]
        constraints = [
            models.CheckConstraint(
                name="supportgroup_tier_matches_kind",
                condition=(models.Q(kind="support", tier__isnull=False) | models.Q(kind="consulted", tier__isnull=True)),
                violation_error_message="A support group has a tier; a consulted group has none.",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_consulted(self) -> bool:
        return self.kind == self.Kind.CONSULTED


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    group = models.ForeignKey(SupportGroup, on_delete=models.CASCADE, related_name="memberships")
    is_lead = models.BooleanField(default=False)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "group"], name="membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} in {self.group}"
