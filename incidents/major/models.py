"""Major and security incidents (issue 13)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy

from ..records.models import Incident


class MajorIncident(models.Model):
    """The major-incident side of an incident: proposal, declaration and its communications log.

    A row with ``declared_at`` empty is a proposal by an agent, waiting for the incident manager.
    """

    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="major")
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    proposed_at = models.DateTimeField(null=True, blank=True)
    proposal_reason = models.TextField(blank=True)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    declared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["declared_at"], name="major_declared")]

    def __str__(self) -> str:
        return f"major {self.incident_id}"

    @property
    def is_declared(self) -> bool:
        return self.declared_at is not None


class MajorUpdate(models.Model):
    """One status update of the communications log: stamped, kept, never edited."""

    BODY_MAX_LENGTH = 5000

    major = models.ForeignKey(MajorIncident, on_delete=models.CASCADE, related_name="updates")
    body = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["major", "-created_at"], name="major_update_latest")]

    def __str__(self) -> str:
        return f"{self.major_id} update {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Status updates are kept as sent.")
        super().save(*args, **kwargs)


class PostIncidentReview(models.Model):
    """What closing a major incident needs: summary, cause, actions and timeline."""

    TEXT_MAX_LENGTH = 20_000

    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="review")
    summary = models.TextField()
    root_cause = models.TextField(blank=True)
    problem_reference = models.CharField(max_length=Incident.REFERENCE_MAX_LENGTH, blank=True)
    timeline = models.TextField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"review of {self.incident_id}"


class ReviewAction(models.Model):
    review = models.ForeignKey(PostIncidentReview, on_delete=models.CASCADE, related_name="actions")
    description = models.CharField(max_length=500)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due_date = models.DateField()

    class Meta:
        ordering = ["due_date", "id"]

    def __str__(self) -> str:
        return self.description


class SecurityStep(models.Model):
    """One step of the security procedure, done once per incident (its event is in the timeline)."""

    class Step(models.TextChoices):
        CONTAIN = "contain", gettext_lazy("Contain")
        PRESERVE_EVIDENCE = "preserve_evidence", gettext_lazy("Preserve evidence")
        NOTIFY = "notify", gettext_lazy("Notify")
        RECOVER = "recover", gettext_lazy("Recover")

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="security_steps")
    step = models.CharField(max_length=20, choices=Step.choices)
    note = models.TextField(blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    done_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["done_at", "id"]
        constraints = [models.UniqueConstraint(fields=["incident", "step"], name="security_step_once")]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.step}"
