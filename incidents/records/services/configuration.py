"""Writes to the incident configuration (SPEC §3): the priority matrix, categories and services.

Each write is logged in the configuration audit (``escalation.models.RegisterChange``, the log
of the register and the SLA configuration) with the actor, the time and each changed field's
old and new value, in the same transaction as the change. The admin saves through these.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from escalation.services import register_delete, register_save

from ..models import Category, PriorityMatrixEntry, Service


@transaction.atomic
def priority_matrix_set(*, actor: Any, impact: int, urgency: int, priority: int) -> PriorityMatrixEntry:
    """Set one cell of the impact × urgency matrix. New incidents and impact/urgency changes use it."""
    cell = PriorityMatrixEntry.objects.select_for_update().filter(impact=impact, urgency=urgency).first()
    if cell is None:
        cell = PriorityMatrixEntry(impact=impact, urgency=urgency)
    cell.priority = priority
    return priority_matrix_save(actor=actor, entry=cell)


def priority_matrix_save(*, actor: Any, entry: PriorityMatrixEntry) -> PriorityMatrixEntry:
    saved = register_save(actor=actor, instance=entry)
    assert isinstance(saved, PriorityMatrixEntry)
    return saved


def category_save(*, actor: Any, category: Category) -> Category:
    saved = register_save(actor=actor, instance=category)
    assert isinstance(saved, Category)
    return saved


def category_delete(*, actor: Any, category: Category) -> None:
    register_delete(actor=actor, instance=category)


def service_save(*, actor: Any, service: Service) -> Service:
    saved = register_save(actor=actor, instance=service)
    assert isinstance(saved, Service)
    return saved


def service_delete(*, actor: Any, service: Service) -> None:
    register_delete(actor=actor, instance=service)
