"""Reads of the review page, each with the relations it shows."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from escalation.roles import is_incident_manager, is_service_desk
from incidents.selectors import incidents_visible_to

from .models import InboundMessage, Outcome

PAGE = 100


def may_review(user: Any) -> bool:
    """The service desk triages mail, as it triages every other channel; the incident manager too."""
    return is_service_desk(user) or is_incident_manager(user)


def _reviewable_by(user: Any) -> QuerySet[InboundMessage]:
    """Messages ``user`` may review: a reply to an incident they may not open (a restricted one) is
    not theirs to read; its owners were told of it (``intake.notify.review_needed``)."""
    return InboundMessage.objects.filter(
        Q(incident__isnull=True) | Q(incident__in=incidents_visible_to(user).values("pk"))
    )


def inbound_awaiting_review(*, user: Any) -> list[InboundMessage]:
    return list(
        _reviewable_by(user)
        .filter(outcome=Outcome.REVIEW)
        .select_related("incident")
        .defer("raw")
        .order_by("-received_at", "-id")[:PAGE]
    )


def inbound_set_aside(*, user: Any) -> list[InboundMessage]:
    """Messages refused or set aside, newest first, for an administrator to see why."""
    return list(
        _reviewable_by(user)
        .filter(outcome__in=[Outcome.FAILED, Outcome.REFUSED])
        .defer("raw", "text")
        .order_by("-received_at", "-id")[:PAGE]
    )


def inbound_get_for_review(*, user: Any, pk: int) -> InboundMessage:
    if not may_review(user):
        raise Http404("No such message.")
    try:
        return _reviewable_by(user).select_related("incident").get(pk=pk)
    except InboundMessage.DoesNotExist:
        raise Http404("No such message.") from None
