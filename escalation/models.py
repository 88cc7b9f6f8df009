from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .choices import Priority, Role, Tier


class SupportGroup(models.Model):
    """A team that owns incidents (tiers 1-3) or answers consultations (consulted groups)."""

    class Kind(models.TextChoices):
        SUPPORT = "support", gettext_lazy("Support group")
        CONSULTED = "consulted", gettext_lazy("Consulted group")

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.SUPPORT)
    tier = models.PositiveSmallIntegerField(choices=Tier.choices, null=True, blank=True)
    description = models.TextField(blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    on_call_hours = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    members: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="support_groups", blank=True
    )

    class Meta:
        ordering = ["tier", "name"]
        constraints = [
            models.CheckConstraint(
                name="supportgroup_tier_matches_kind",
                condition=(
                    models.Q(kind="support", tier__isnull=False)
                    | models.Q(kind="consulted", tier__isnull=True)
                ),
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


class ContactPerson(models.Model):
    """A named contact of a support group in the escalation register (SPEC §5)."""

    group = models.ForeignKey(SupportGroup, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=100)
    role = models.CharField(
        max_length=100, blank=True, help_text=gettext_lazy("e.g. team lead, duty manager")
    )
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    on_call_hours = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["group", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.group})"


class SlaTarget(models.TextChoices):
    RESPONSE = "response", gettext_lazy("Response")
    RESOLUTION = "resolution", gettext_lazy("Resolution")
    # A point of escalation registered for the operational level targets of the group's tier:
    # it hears of that group's OLA thresholds (time to accept, time to hand back or resolve).
    OLA = "ola", gettext_lazy("OLA")


class EscalationPoint(models.Model):
    """Hierarchical escalation: who hears of an SLA threshold of the group's incidents, level by level.

    Exactly one of ``user`` and ``role`` is set; a role means every active user of that Django group.
    """

    group = models.ForeignKey(SupportGroup, on_delete=models.CASCADE, related_name="escalation_points")
    level = models.PositiveSmallIntegerField()
    target = models.CharField(max_length=10, choices=SlaTarget.choices, default=SlaTarget.RESOLUTION)
    percent = models.PositiveSmallIntegerField(
        help_text=gettext_lazy("The threshold that triggers it, in % of the target")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="escalation_points",
    )
    role = models.CharField(max_length=40, choices=Role.choices, blank=True)

    class Meta:
        ordering = ["group", "level", "target", "percent"]
        constraints = [
            models.CheckConstraint(
                name="escalationpoint_user_xor_role",
                condition=(
                    models.Q(user__isnull=False, role="") | (models.Q(user__isnull=True) & ~models.Q(role=""))
                ),
                violation_error_message="Name either a person or a role.",
            ),
            models.CheckConstraint(
                name="escalationpoint_percent_range", condition=models.Q(percent__gte=1, percent__lte=1000)
            ),
            models.CheckConstraint(name="escalationpoint_level_positive", condition=models.Q(level__gte=1)),
        ]

    def __str__(self) -> str:
        who = self.user.get_username() if self.user_id and self.user else self.role
        return f"{self.group} level {self.level}: {who} at {self.target} {self.percent}%"


class EscalationRule(models.Model):
    """Functional escalation by rule: an open incident that has stayed with a tier (or group) for
    ``after_minutes`` business minutes moves to ``to_group``. Applied by the SLA sweep."""

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=100)
    priority = models.PositiveSmallIntegerField(
        choices=Priority.choices, null=True, blank=True, help_text=gettext_lazy("Empty: every priority.")
    )
    from_tier = models.PositiveSmallIntegerField(choices=Tier.choices, null=True, blank=True)
    from_group = models.ForeignKey(
        SupportGroup,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=gettext_lazy("Takes precedence over the tier when set."),
    )
    after_minutes = models.PositiveIntegerField()
    to_group = models.ForeignKey(SupportGroup, on_delete=models.PROTECT, related_name="+")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["after_minutes", "slug"]
        constraints = [
            models.CheckConstraint(
                name="escalationrule_has_source",
                condition=models.Q(from_tier__isnull=False) | models.Q(from_group__isnull=False),
                violation_error_message="Name the tier or the group the rule moves incidents from.",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def matches(self, *, priority: int, group_id: int, tier: int | None) -> bool:
        if not self.is_active or (self.priority is not None and self.priority != priority):
            return False
        if self.to_group_id == group_id:
            return False
        if self.from_group_id is not None:
            return self.from_group_id == group_id
        return self.from_tier == tier


class BusinessCalendar(models.Model):
    """Working hours in a time zone plus holidays; ``is_24x7`` ignores both."""

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=100)
    time_zone = models.CharField(max_length=60, default="Europe/London")
    is_24x7 = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationError(
                {"time_zone": _("“%(time_zone)s” is not a known time zone.") % {"time_zone": self.time_zone}}
            ) from None


class WorkingHours(models.Model):
    """One working period of a weekday (0 Monday). An end of 00:00 means midnight at the end of the day."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="working_hours")
    weekday = models.PositiveSmallIntegerField(
        choices=[
            (i, d)
            for i, d in enumerate(
                ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
            )
        ]
    )
    start = models.TimeField()
    end = models.TimeField()

    class Meta:
        verbose_name_plural = gettext_lazy("working hours")
        ordering = ["calendar", "weekday", "start"]
        constraints = [
            models.CheckConstraint(
                name="workinghours_end_after_start",
                condition=models.Q(end__gt=models.F("start")) | models.Q(end="00:00"),
                violation_error_message="The period must end after it starts.",
            ),
            models.CheckConstraint(name="workinghours_weekday_range", condition=models.Q(weekday__lte=6)),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"


class Holiday(models.Model):
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField()
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["calendar", "date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="holiday_unique_date")]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class SLAPolicy(models.Model):
    """Response and resolution targets per priority (SPEC §6). One policy is the default."""

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=100)
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.PROTECT, related_name="policies")
    is_default = models.BooleanField(default=False)
    description = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = gettext_lazy("SLA policy")
        verbose_name_plural = gettext_lazy("SLA policies")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=models.Q(is_default=True), name="slapolicy_one_default"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SLATarget(models.Model):
    """The targets of one priority. ``calendar`` empty: the policy's calendar."""

    policy = models.ForeignKey(SLAPolicy, on_delete=models.CASCADE, related_name="targets")
    priority = models.PositiveSmallIntegerField(choices=Priority.choices)
    response_minutes = models.PositiveIntegerField()
    resolution_minutes = models.PositiveIntegerField()
    calendar = models.ForeignKey(
        BusinessCalendar, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = gettext_lazy("SLA target")
        ordering = ["policy", "priority"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "priority"], name="slatarget_unique_priority"),
        ]

    def __str__(self) -> str:
        return f"{self.policy} P{self.priority}: {self.response_minutes}/{self.resolution_minutes} min"


class OLATarget(models.Model):
    """Operational level targets of one tier: business minutes to accept an incident handed to a
    group of the tier (empty: no accept target), and to hand it back or resolve it."""

    policy = models.ForeignKey(SLAPolicy, on_delete=models.CASCADE, related_name="ola_targets")
    tier = models.PositiveSmallIntegerField(choices=Tier.choices)
    minutes = models.PositiveIntegerField(
        help_text=gettext_lazy("Time to hand back or resolve, in business minutes")
    )
    accept_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=gettext_lazy("Time to accept (assign to a person or start work); empty: none"),
    )

    class Meta:
        verbose_name = gettext_lazy("OLA target")
        ordering = ["policy", "tier"]
        constraints = [models.UniqueConstraint(fields=["policy", "tier"], name="olatarget_unique_tier")]

    def __str__(self) -> str:
        return f"{self.policy} tier {self.tier}: {self.minutes} min"


class CallerProfile(models.Model):
    """What the SLA policy rules know of a caller: their department and whether they are a VIP."""

    DEPARTMENT_MAX_LENGTH = 100

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="caller_profile"
    )
    department = models.CharField(max_length=DEPARTMENT_MAX_LENGTH, blank=True, db_index=True)
    is_vip = models.BooleanField(gettext_lazy("VIP"), default=False)

    class Meta:
        ordering = ["user"]

    def __str__(self) -> str:
        vip = " (VIP)" if self.is_vip else ""
        return f"{self.user}{vip}{f' · {self.department}' if self.department else ''}"


class RegisterChange(models.Model):
    """The audit log of the escalation register and the SLA configuration: who changed what, old and new."""

    class Action(models.TextChoices):
        CREATED = "created", gettext_lazy("Created")
        UPDATED = "updated", gettext_lazy("Updated")
        DELETED = "deleted", gettext_lazy("Deleted")

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=8, choices=Action.choices)
    model = models.CharField(max_length=60)
    object_id = models.CharField(max_length=40)
    object_repr = models.CharField(max_length=200)
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["model", "object_id"], name="registerchange_object")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.model} {self.object_repr}"


class ConfigVersion(models.Model):
    """One row whose token every change of the SLA configuration rewrites (``escalation.config_cache``).

    A fresh random token, not a counter: a change rolled back restores the old token with the old
    configuration, so a token always names one committed state, in every process.
    """

    token = models.CharField(max_length=32)

    def __str__(self) -> str:
        return self.token
