"""Lines that apps above escalation add to the register's group cards, without escalation
importing them: an app registers ``notes(group_ids=...) -> {group id: text}`` in its
``AppConfig.ready()`` (the training plans: how many members completed the escalation training)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

GroupNotes = Callable[..., dict[int, str]]

_group_notes: dict[str, GroupNotes] = {}


def register_group_notes(key: str, notes: GroupNotes) -> None:
    _group_notes[key] = notes  # by key: a second ready() replaces, never doubles


def group_notes(group_ids: Iterable[int]) -> dict[int, list[str]]:
    ids = list(group_ids)
    out: dict[int, list[str]] = defaultdict(list)
    for notes in _group_notes.values():
        for group_id, text in notes(group_ids=ids).items():
            out[group_id].append(text)
    return out
