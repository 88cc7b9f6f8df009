"""Thin Celery tasks: they take ids, call a service imported inside the function, own their retries."""

from __future__ import annotations

import logging

from celery import shared_task

log = logging.getLogger(__name__)


@shared_task(acks_late=True)
def survey_mail_task(mail_id: int) -> bool:
    """Send one survey mail. A failure keeps its backoff on the row; the housekeeping task retries it."""
    from .services import survey_mail_send

    try:
        return survey_mail_send(mail_id)
    except Exception:
        log.warning("survey mail %s not sent; housekeeping retries it", mail_id, exc_info=True)
        return False


@shared_task(acks_late=True)
def surveys_perception_task() -> int:
    """Beat: perception programmes whose period has come round invite their audience."""
    from .services import perception_rounds_send

    return perception_rounds_send()


@shared_task(acks_late=True)
def surveys_housekeeping_task() -> int:
    """Beat: reminders before expiry, expiry, due improvement actions, and mail a lost task left behind."""
    from django.utils import timezone

    from .services import (
        action_reminders_queue,
        invitations_expire,
        mails_due,
        reminders_queue,
        survey_mail_send,
    )

    invitations_expire()
    reminders_queue()
    action_reminders_queue()
    sent = 0
    for mail_id in mails_due(now=timezone.now()):
        try:
            sent += survey_mail_send(mail_id)
        except Exception:
            log.warning("survey mail %s not sent; retried later", mail_id, exc_info=True)
    return sent
