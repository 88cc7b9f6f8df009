from celery import shared_task

from . import retention


@shared_task(name="operations.tasks.retention_purge_task", acks_late=True)
def retention_purge_task() -> dict[str, int]:
    """Beat, nightly: archive then purge what is past its retention (idempotent: a rerun finds less)."""
    return retention.purge()
