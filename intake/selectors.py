"""Reads of the review page, each with the relations it shows."""

from __future__ import annotations

from django.http import Http404

from escalation.access import Access

from .models import InboundMessage, Outcome

PAGE = 100


def may_review(access: Access) -> bool:
    """The service desk triages mail, as it triages every other channel; the incident manager too."""
    return access.is_service_desk or access.is_incident_manager


def inbound_awaiting_review() -> list[InboundMessage]:
    return list(
        InboundMessage.objects.filter(outcome=Outcome.REVIEW)
        .select_related("incident")
        .defer("raw")
        .order_by("-received_at", "-id")[:PAGE]
    )


def inbound_set_aside() -> list[InboundMessage]:
    """Messages refused or set aside, newest first, for an administrator to see why."""
    return list(
        InboundMessage.objects.filter(outcome__in=[Outcome.FAILED, Outcome.REFUSED])
        .defer("raw", "text")
        .order_by("-received_at", "-id")[:PAGE]
    )


def inbound_get_for_review(*, access: Access, pk: int) -> InboundMessage:
    if not may_review(access):
        raise Http404("No such message.")
    try:
        return InboundMessage.objects.select_related("incident").get(pk=pk)
    except InboundMessage.DoesNotExist:
        raise Http404("No such message.") from None
