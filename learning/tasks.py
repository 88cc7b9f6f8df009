"""Thin tasks of the learning app."""

from __future__ import annotations

from celery import shared_task
from django.contrib.auth import get_user_model


@shared_task(acks_late=True)
def model_train_task(actor_id: int | None = None) -> int:
    """Train a model (nightly from beat, or on an administrator's request); returns its version."""
    from .services import model_train

    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    return model_train(actor=actor).version


@shared_task
def spikes_detect_task() -> int:
    """Every minute from beat: find the bursts of similar incidents; returns how many spikes are new."""
    from .spikes.services import spikes_detect

    return len(spikes_detect())
