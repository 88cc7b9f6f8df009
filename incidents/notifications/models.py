"""The in-app inbox and the mail preferences."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy

from ..records.models import Incident, IncidentEvent


class Notification(models.Model):
    """An in-app notification, mirrored by email. The unique key makes delivery exactly-once."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    incident = models.ForeignKey(Incident, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey(
        IncidentEvent, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=40)
    # Distinguishes several notifications for one event, e.g. threshold "resolution:75".
    key = models.CharField(max_length=80, blank=True)
    subject = models.CharField(max_length=255)
    body = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    url = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    email_to = models.EmailField(blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    # The send claim (``notification_email_send``): nobody else sends until then. Set for a
    # sender's claim timeout, or for the backoff after a failed attempt.
    email_claimed_until = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_recipient"),
            models.Index(fields=["recipient"], name="notification_unread", condition=Q(read_at__isnull=True)),
            models.Index(
                fields=["created_at"],
                name="notification_email_pending",
                condition=Q(emailed_at__isnull=True) & ~Q(email_to=""),
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["event", "recipient", "kind", "key"], name="notification_once"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id}: {self.subject}"


class NotificationPreference(models.Model):
    """What mail a user has muted. In-app notifications are never muted, and neither are SLA
    escalations addressed to the user as a point of escalation (``delivery.ESSENTIAL``)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="notification_preference",
    )
    mute_comment_mail = models.BooleanField(
        gettext_lazy("Mute comment emails"),
        default=False,
        help_text=gettext_lazy("Replies and comments on incidents reach you in the app only."),
    )
    mute_assignment_mail = models.BooleanField(
        gettext_lazy("Mute assignment emails"),
        default=False,
        help_text=gettext_lazy("New work for you or your group reaches you in the app only."),
    )
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"preferences of {self.user_id}"
