"""Thin beat tasks; the sent-once guards live in the services they call."""

from __future__ import annotations

from celery import shared_task

from .mail import quiz_reminders_send, stale_articles_notify


@shared_task
def knowledge_stale_articles_task() -> int:
    return stale_articles_notify()


@shared_task
def knowledge_quiz_reminders_task() -> int:
    return quiz_reminders_send()
