"""An import of history from another tool (issue 24 §4): one row per run, dry or real, kept as the audit."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy


class ImportRun(models.Model):
    """Who brought in which file, when, with which mapping, and what came of each row."""

    class Kind(models.TextChoices):
        CSV = "csv", gettext_lazy("CSV file")
        HELPDESK = "helpdesk", gettext_lazy("django-helpdesk database")

    class State(models.TextChoices):
        DRAFT = "draft", gettext_lazy("Waiting for its mapping")
        QUEUED = "queued", gettext_lazy("Queued")
        RUNNING = "running", gettext_lazy("Running")
        DONE = "done", gettext_lazy("Done")
        FAILED = "failed", gettext_lazy("Failed")

    SOURCE_MAX_LENGTH = 40

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CSV)
    # The source's name, kept on every incident it brings in: ids are unique per source.
    source = models.CharField(max_length=SOURCE_MAX_LENGTH)
    file = models.FileField(upload_to="imports/%Y/%m/", max_length=255, blank=True)
    original_name = models.CharField(max_length=255, blank=True)
    mapping = models.JSONField(default=dict, blank=True)
    dry_run = models.BooleanField(default=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)

    total_rows = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)  # already imported by an earlier run
    refused = models.PositiveIntegerField(default=0)
    # {"reasons": {reason: count}, "samples": [{"row": n, "id": ..., "reason": ...}], "would_create": {...}}
    report = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # When retention removed the uploaded file (HISTORY_UPLOAD_RETENTION_DAYS): the row, the audit, stays.
    file_removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.source} {self.original_name} ({self.get_state_display()})"

    @property
    def percent(self) -> int:
        if self.state == self.State.DONE:
            return 100
        if not self.total_rows:
            return 0
        return min(99, int(100 * self.processed / self.total_rows))

    @property
    def is_finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)


class ImportedComment(models.Model):
    """A comment brought in with history (a django-helpdesk follow-up), by the source's id: a re-import finds
    it here and creates it once. The link outlives the comment: when retention purges the activity log of
    an incident closed long ago, the row stays (``event`` empty), so importing again does not bring back
    what the retention took away."""

    source = models.CharField(max_length=ImportRun.SOURCE_MAX_LENGTH)
    external_id = models.CharField(max_length=100)
    event = models.OneToOneField(
        to="incidents.IncidentEvent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="history_comment_once_per_source")
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.external_id}"
