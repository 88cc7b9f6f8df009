"""Thin Celery tasks of mail intake."""

from __future__ import annotations

from celery import shared_task

from .polling import mailbox_poll


@shared_task(acks_late=True, ignore_result=True)
def mailbox_poll_task() -> dict[str, int]:
    """Beat runs this every ``INBOUND_POLL_INTERVAL`` seconds; two at once are harmless."""
    return mailbox_poll()
