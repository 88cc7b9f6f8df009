"""Who takes a new incident when the person logging it chose no group (issue 23).

This is the ONE registry of routers. The order, first answer wins: the security category's own route
(``services.records.routed_group``), then the registered routers by their ``order`` -- the toolkit's
routing rules (``RULES``) before the learned, confidence-gated suggestion (``SUGGESTIONS``, issue 24),
registration order among equals -- then the service desk. Then, when nobody was named, the group's own
way of assigning (``assignee``), which the toolkit registers too.

A router reads the ``Draft`` and answers a ``Route`` or None; it must not write. Its answer names what
made it (``by`` and ``rule``), and ``incident_create`` records that among the created event's changes,
so every automatic change is in the timeline with what made it.

Routers are registered from a higher app's ``AppConfig.ready()``, as event subscribers are
(``hooks``): this module imports nothing of the project but the models, so that the record's services
can ask it without an import circle.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from escalation.access import Access
    from escalation.models import SupportGroup

    from .models import Category, Service


@dataclass(frozen=True)
class Draft:
    """What is known of an incident before it is saved: what a router may read."""

    title: str
    description: str
    channel: str
    caller: Any
    category: Category | None = None
    subcategory: Category | None = None
    service: Service | None = None


@dataclass(frozen=True)
class Route:
    """A router's answer: the group, and what chose it (for the timeline): ``by`` is the key of the
    created event's change ("routing_rule", "routing_suggestion"), ``rule`` its value."""

    group: SupportGroup
    rule: str
    by: str = "routing_rule"
    # ``rule`` as a stored message (``texts.message``) when the system words it: shown in the reader's
    # language
    said: dict[str, Any] | None = None


@dataclass(frozen=True)
class Pick:
    """An assigner's answer: the person, and how they were chosen (for the timeline)."""

    user: Any
    how: str
    said: dict[str, Any] | None = None  # ``how`` as a stored message, as ``Route.said``


Router = Callable[[Draft], Route | None]
Assigner = Callable[["SupportGroup", datetime], Pick | None]
# What a higher app (learning) suggests for a draft, shown to the person who logged it; never saved.
Suggester = Callable[["Access", Draft], dict[str, Any]]

# Where a router stands: lower is asked first.
RULES = 100
SUGGESTIONS = 200

_routers: dict[str, tuple[int, Router]] = {}
_assigners: dict[str, Assigner] = {}
_suggester: list[Suggester] = []


def register_router(name: str, fn: Router, *, order: int = RULES) -> None:
    """Add (or replace, by name) a router; routers are asked by ``order``, then registration order."""
    _routers.pop(name, None)
    _routers[name] = (order, fn)


def register_assigner(name: str, fn: Assigner) -> None:
    _assigners[name] = fn


def register_suggester(fn: Suggester) -> None:
    """The one source of suggestions for a new incident (issue 24: ``learning``); a second one replaces it."""
    _suggester[:] = [fn]


def suggest(access: Access, draft: Draft) -> dict[str, Any] | None:
    """What the registered suggester says for the draft, or None when no app suggests anything."""
    return _suggester[0](access, draft) if _suggester else None


def unregister(name: str) -> None:
    _routers.pop(name, None)
    _assigners.pop(name, None)


def routers() -> list[tuple[str, Router]]:
    """The registered routers, in the order they are asked."""
    ordered = sorted(_routers.items(), key=lambda item: item[1][0])  # stable: registration order among equals
    return [(name, fn) for name, (_order, fn) in ordered]


def route(draft: Draft) -> Route | None:
    for _name, router in routers():
        found = router(draft)
        if found is not None:
            return found
    return None


def assignee(group: SupportGroup, now: datetime) -> Pick | None:
    """The person the group's own rule gives a new incident to, if the group assigns automatically."""
    for assigner in _assigners.values():
        found = assigner(group, now)
        if found is not None:
            return found
    return None
