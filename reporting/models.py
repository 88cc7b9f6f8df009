"""Reporting's own tables: monthly snapshots, circulation and reviews.

Reporting reads every app below it and writes only these.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy


class MonthlyReport(models.Model):
    """An immutable snapshot of one month's figures.

    A month may have several snapshots (every regeneration adds one); the newest is the month's report.
    ``automatic`` snapshots (beat, or the API's first request) exist at most once per month: that
    unique row is what makes the beat task run once, however many beats or retries there are.
    """

    month = models.DateField(help_text=gettext_lazy("The first day of the month."))
    data = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)
    code_version = models.CharField(max_length=80)
    automatic = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-month", "-created_at", "-id"]
        indexes = [models.Index(fields=["month", "-created_at"], name="report_month_latest")]
        constraints = [
            models.UniqueConstraint(
                fields=["month"], condition=Q(automatic=True), name="report_automatic_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} @ {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("A report snapshot is immutable: generate a new one.")
        super().save(*args, **kwargs)

    @property
    def label(self) -> str:
        return f"{self.month:%B %Y}"


class DashboardSnapshot(models.Model):
    """The dashboard's month-to-date figures (``selectors.dashboard_figures``), one row, replaced by
    ``tasks.dashboard_refresh_task`` every few minutes and by a page that found it stale: at a million
    incidents they scan the month and the open incidents, too slow for every page view."""

    CURRENT = "current"

    key = models.CharField(max_length=20, unique=True, default=CURRENT)
    computed_at = models.DateTimeField()
    data = models.JSONField(encoder=DjangoJSONEncoder)

    def __str__(self) -> str:
        return f"dashboard figures as of {self.computed_at:%Y-%m-%d %H:%M}"

    def is_fresh(self, *, month: str, now: datetime, max_age: timedelta) -> bool:
        return self.data.get("month") == month and now - max_age <= self.computed_at <= now


class Subscriber(models.Model):
    """Someone an administrator added to the circulation; managers and incident managers get it anyway."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return str(self.user)


class ReportDelivery(models.Model):
    """One subscriber's mail of one month: the unique key sends it once."""

    month = models.DateField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    report = models.ForeignKey(MonthlyReport, on_delete=models.PROTECT, related_name="deliveries")
    email = models.EmailField()
    created_at = models.DateTimeField(default=timezone.now)
    claimed_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-month", "id"]
        constraints = [models.UniqueConstraint(fields=["month", "user"], name="report_delivery_once")]
        indexes = [
            models.Index(
                fields=["created_at"], name="report_delivery_pending", condition=Q(sent_at__isnull=True)
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} → {self.email}"


class ReviewNote(models.Model):
    """A review session's notes on a month (quality management)."""

    BODY_MAX_LENGTH = 10_000

    month = models.DateField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["month", "created_at"], name="review_note_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} note by {self.author_id}"


class ReviewAction(models.Model):
    """An action agreed in a review: who does what by when."""

    TITLE_MAX_LENGTH = 200

    class Status(models.TextChoices):
        OPEN = "open", gettext_lazy("Open")
        DONE = "done", gettext_lazy("Done")
        DROPPED = "dropped", gettext_lazy("Dropped")

    month = models.DateField()
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due_date = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [models.Index(fields=["month", "due_date"], name="review_action_month")]

    def __str__(self) -> str:
        return self.title
