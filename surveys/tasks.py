"""Thin Celery tasks: they take ids, call a service and own their retries.

Services queue them by name (``core.queueing``); tasks import their services, never the reverse."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from .services import (
    MAIL_TASK,
    action_reminders_queue,
    invitations_expire,
    mails_due,
    perception_rounds_send,
    reminders_queue,
    survey_mail_send,
)

log = logging.getLogger(__name__)


@shared_task(name=MAIL_TASK, acks_late=True)
def survey_mail_task(mail_id: int) -> bool:
    """Send one survey mail. A failure keeps its backoff on the row; the housekeeping task retries it."""
    try:
        return survey_mail_send(mail_id)
    except Exception:
        log.warning("survey mail %s not sent; housekeeping retries it", mail_id, exc_info=True)
        return False


@shared_task(acks_late=True)
def surveys_perception_task() -> int:
    """Beat: perception programmes whose period has come round invite their audience."""
    return perception_rounds_send()


@shared_task(acks_late=True)
def surveys_housekeeping_task() -> int:
    """Beat: reminders before expiry, expiry, due improvement actions, and mail a lost task left behind."""
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
