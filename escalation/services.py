"""Writes to the escalation register and the SLA configuration, each logged with old and new values.

The admin saves through these, so that every change of the register is in ``RegisterChange``
(SPEC §5: "every change is logged"), written in the same transaction as the change.
"""

from __future__ import annotations

from typing import Any

from django.db import models, transaction

from .models import RegisterChange


def _value(instance: models.Model, f: models.Field) -> Any:
    value = getattr(instance, f.attname)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _values(instance: models.Model) -> dict[str, Any]:
    return {f.name: _value(instance, f) for f in instance._meta.concrete_fields if not f.primary_key}


def _record(*, actor: Any, instance: models.Model, action: str, changes: dict[str, Any]) -> RegisterChange:
    return RegisterChange.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        model=instance._meta.model_name or "",
        object_id=str(instance.pk),
        object_repr=str(instance)[:200],
        changes=changes,
    )


@transaction.atomic
def register_save(*, actor: Any, instance: models.Model) -> models.Model:
    """Create or update a register/configuration row; the log holds each changed field's old and new value."""
    old = None
    if instance.pk is not None:
        previous = type(instance)._default_manager.filter(pk=instance.pk).first()
        old = _values(previous) if previous is not None else None
    instance.full_clean()
    instance.save()
    new = _values(instance)
    if old is None:
        _record(
            actor=actor,
            instance=instance,
            action=RegisterChange.Action.CREATED,
            changes={k: {"old": None, "new": v} for k, v in new.items()},
        )
    else:
        changed = {
            k: {"old": old[k], "new": v} for k, v in new.items() if old.get(k) != v and k != "updated_at"
        }
        if changed:
            _record(actor=actor, instance=instance, action=RegisterChange.Action.UPDATED, changes=changed)
    return instance


@transaction.atomic
def register_delete(*, actor: Any, instance: models.Model) -> None:
    old = _values(instance)
    _record(
        actor=actor,
        instance=instance,
        action=RegisterChange.Action.DELETED,
        changes={k: {"old": v, "new": None} for k, v in old.items()},
    )
    instance.delete()
