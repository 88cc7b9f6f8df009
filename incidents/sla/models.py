"""The service-level records: who owned the incident when (OLA), the thresholds fired once, the
policy rules."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy

from escalation.choices import Priority
from escalation.models import SLAPolicy, SupportGroup

from ..records.models import Category, Channel, Incident, IncidentEvent, Service


class Handoff(models.Model):
    """A period during which one group owned the incident: time per tier and OLA come from these."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="handoffs")
    group = models.ForeignKey(SupportGroup, on_delete=models.PROTECT, related_name="+")
    tier = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True)
    # Set for a hand-off made by an escalation rule rather than by a person.
    by_rule = models.CharField(max_length=60, blank=True)
    # The tier's operational level (SPEC §6, OLA), kept per hand-off for the reports: when the group
    # accepted it (assigned a person or started work), when acceptance and hand-back were due (moved
    # on by the time on hold awaiting the caller, ``paused_seconds`` business seconds).
    accepted_at = models.DateTimeField(null=True, blank=True)
    accept_due_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    paused_seconds = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["started_at", "id"]
        indexes = [models.Index(fields=["incident", "started_at"], name="handoff_incident_started")]
        constraints = [
            models.UniqueConstraint(
                fields=["incident"],
                condition=Q(ended_at__isnull=True),
                name="handoff_one_current_per_incident",
            )
        ]

    def __str__(self) -> str:
        return f"{self.incident_id} with {self.group_id} from {self.started_at}"


class SlaThresholdFire(models.Model):
    """One SLA threshold passed, recorded once: the unique key is what makes it fire once and only once."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="sla_fires")
    cycle = models.PositiveSmallIntegerField()
    target = models.CharField(max_length=10)  # response or resolution
    percent = models.PositiveSmallIntegerField()
    level = models.PositiveSmallIntegerField(default=0)  # escalation level reached, 0 if none
    # The owning group when it fired: its points of escalation and members are notified.
    group = models.ForeignKey(SupportGroup, null=True, on_delete=models.SET_NULL, related_name="+")
    fired_at = models.DateTimeField()
    due_at = models.DateTimeField()
    event = models.OneToOneField(IncidentEvent, null=True, on_delete=models.SET_NULL, related_name="sla_fire")

    class Meta:
        ordering = ["fired_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "cycle", "target", "percent"], name="sla_fire_once"),
        ]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.target} {self.percent}% (cycle {self.cycle})"


class OlaThresholdFire(models.Model):
    """One OLA threshold of one hand-off passed, recorded once (the sibling of ``SlaThresholdFire``).

    ``target`` is ``accept`` (time to accept) or ``handback`` (time to hand back or resolve).
    """

    ACCEPT, HANDBACK = "accept", "handback"

    handoff = models.ForeignKey(Handoff, on_delete=models.CASCADE, related_name="ola_fires")
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="ola_fires")
    target = models.CharField(max_length=10)
    percent = models.PositiveSmallIntegerField()
    group = models.ForeignKey(SupportGroup, null=True, on_delete=models.SET_NULL, related_name="+")
    tier = models.PositiveSmallIntegerField()
    fired_at = models.DateTimeField()
    due_at = models.DateTimeField()
    event = models.OneToOneField(IncidentEvent, null=True, on_delete=models.SET_NULL, related_name="ola_fire")

    class Meta:
        ordering = ["fired_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["handoff", "target", "percent"], name="ola_fire_once"),
        ]

    def __str__(self) -> str:
        return f"{self.incident_id} tier {self.tier} {self.target} {self.percent}%"


class SLAPolicyRule(models.Model):
    """One ordered rule choosing an incident's SLA policy (``incidents.sla.rules``).

    Every condition set must hold; an empty condition holds for every incident. The rules are read
    by ``position`` (then id): the first that matches wins, and the default policy is the fallback.
    """

    NAME_MAX_LENGTH = 100

    name = models.CharField(max_length=NAME_MAX_LENGTH)
    position = models.PositiveIntegerField(default=0)
    policy = models.ForeignKey(SLAPolicy, on_delete=models.CASCADE, related_name="rules")
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=gettext_lazy("Matches the incident's category or subcategory."),
    )
    caller_vip = models.BooleanField(gettext_lazy("caller is a VIP"), default=False)
    caller_department = models.CharField(max_length=100, blank=True)
    channel = models.CharField(max_length=12, choices=Channel.choices, blank=True)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, null=True, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = gettext_lazy("SLA policy rule")
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["position", "id"], name="slapolicyrule_order")]

    def __str__(self) -> str:
        return f"{self.position}. {self.name} → {self.policy_id}"
