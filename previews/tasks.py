"""The thin task of the previews: render an attachment's thumbnail and viewer pages after commit."""

from __future__ import annotations

from celery import shared_task

from incidents.models import Attachment

from .services import RENDER_TASK, preview_render


@shared_task(name=RENDER_TASK, acks_late=True, soft_time_limit=120, time_limit=150)
def preview_render_task(attachment_id: int) -> int:
    """Idempotent: what is stored is kept. A broken file is recorded as having no preview, not retried;
    an attachment deleted meanwhile is nothing to do. The pages render on demand if this never runs."""
    attachment = Attachment.objects.filter(pk=attachment_id).first()
    if attachment is None:
        return 0
    return preview_render(attachment)
