"""What the learning app keeps (issue 24): trained models with their figures, the routing threshold,
and what agents did with each suggestion."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from incidents.models import Incident


class Field(models.TextChoices):
    CATEGORY = "category", _("Category")
    SERVICE = "service", _("Service")
    ASSIGNMENT_GROUP = "assignment_group", _("Assignment group")
    PRIORITY = "priority", _("Priority")


class SuggestionModel(models.Model):
    """One training run: the fitted model (pickled, ``learning.engine``) and how it was judged.

    At most one is active; a run whose held-out score is below the active one's is kept for the
    record, inactive, with the reason."""

    version = models.PositiveIntegerField(unique=True)
    trained_at = models.DateTimeField()
    duration_seconds = models.FloatField(default=0)
    # Incidents the kept model learned from; the held-out figures are of a model fitted on the
    # earlier months only (``metrics``: trained_on, tested_on, split_at, per field top-1/top-3/baselines).
    data_size = models.PositiveIntegerField()
    metrics = models.JSONField(default=dict)
    score = models.FloatField(default=0)
    is_active = models.BooleanField(default=False)
    decision = models.CharField(max_length=300, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    blob = models.BinaryField(editable=False)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="one_active_model"
            )
        ]

    def __str__(self) -> str:
        return f"model v{self.version}"


class LearningSettings(models.Model):
    """The one row of settings an incident manager changes (``learning.services.settings_update``)."""

    # Mail and portal incidents go to the suggested group when its confidence reaches this.
    routing_enabled = models.BooleanField(default=False)
    routing_threshold = models.FloatField(
        default=0.8, validators=[MinValueValidator(0.5), MaxValueValidator(1.0)]
    )
    updated_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name_plural = _("learning settings")

    def __str__(self) -> str:
        return "learning settings"


class SuggestionFeedback(models.Model):
    """What was chosen for one field of a new incident against what the model suggested."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="+")
    field = models.CharField(max_length=20, choices=Field.choices)
    suggested = models.IntegerField(null=True)
    confidence = models.FloatField(default=0)
    chosen = models.IntegerField(null=True)
    accepted = models.BooleanField()
    # Routed by the model itself (mail, portal): not an agent's decision, left out of the rate.
    routed = models.BooleanField(default=False)
    model_version = models.PositiveIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["incident", "field"], name="one_feedback_per_field")]
        indexes = [models.Index(fields=["created_at"], name="learning_feedback_created")]

    def __str__(self) -> str:
        return f"{self.field} of incident {self.incident_id}: {'accepted' if self.accepted else 'overridden'}"


class Spike(models.Model):
    """More than N similar new incidents within M minutes (issue 24 §2): on one service, or sharing
    the words of their titles. Reported once when found; it lasts while similar incidents keep
    arriving within the window, and a later burst after a quiet window is a new spike."""

    class Kind(models.TextChoices):
        SERVICE = "service", _("Same service")
        TEXT = "text", _("Similar text")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    service = models.ForeignKey(
        "incidents.Service", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    words = models.CharField(max_length=200, blank=True)
    incidents = models.ManyToManyField(Incident, related_name="+")
    started_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    major = models.ForeignKey(Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["last_seen_at"], name="learning_spike_last_seen")]

    def __str__(self) -> str:
        return f"spike {self.pk} ({self.kind})"

    @property
    def label(self) -> str:
        if self.kind == self.Kind.SERVICE and self.service is not None:
            return str(self.service.name)
        return self.words
