"""Confidence-gated routing of mail and portal incidents (issue 24 §1): a router of the record's one
routing registry (``incidents.records.routing``), registered at ``SUGGESTIONS`` so it is asked after the
toolkit's routing rules and before the service desk default. Below the threshold an incident manager
set, or with routing off, it says nothing. What it chose is in the timeline as the *Routing suggestion*
(the model's version and its confidence)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from escalation.defaults import SECURITY_GROUP_SLUG
from escalation.models import SupportGroup
from incidents.records import texts
from incidents.records.routing import Draft, Route

from .selectors import learning_settings, routing_choice, suggestions_for
from .services import ROUTED_CHANNELS

if TYPE_CHECKING:
    from escalation.access import Access

log = logging.getLogger(__name__)


def suggestions_for_draft(access: Access, draft: Draft) -> dict[str, Any]:
    """The suggestions for an incident just logged through the API, in the suggestion endpoint's shape."""
    return suggestions_for(
        access=access, title=draft.title, description=draft.description, channel=draft.channel
    )


def route_by_suggestion(draft: Draft) -> Route | None:
    if draft.channel not in ROUTED_CHANNELS:
        return None  # an agent logging a call chooses for themselves, with the suggestions shown
    settings_row = learning_settings()
    if not settings_row.routing_enabled:
        return None
    try:
        found = routing_choice(title=draft.title, description=draft.description, channel=draft.channel)
    except Exception:  # a broken model must never stop an incident from being logged
        log.exception("learning: the routing suggestion failed; the service desk takes the incident")
        return None
    if found is None or found.confidence < settings_row.routing_threshold:
        return None
    group = (
        SupportGroup.objects.filter(pk=found.group_id, is_active=True)
        .exclude(slug=SECURITY_GROUP_SLUG)
        .first()
    )
    if group is None:
        return None
    said = texts.message(
        "routing.suggestion", version=found.model_version, confidence=f"{found.confidence:.2f}"
    )
    return Route(group=group, rule=texts.english(said), by="routing_suggestion", said=said)
