from django.db import models


class TaskRun(models.Model):
    """When each periodic task (``CELERY_BEAT_SCHEDULE``) last finished without an error.

    In the database rather than the cache so that every process sees it, the embedded default's too
    (its cache is per process); one row per task, updated once per run.
    """

    task = models.CharField(max_length=200, unique=True)
    succeeded_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.task} @ {self.succeeded_at:%Y-%m-%d %H:%M:%S}"
