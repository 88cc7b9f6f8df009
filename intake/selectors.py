"""Reads of the review page, each with the relations it shows."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from escalation.access import Access
from incidents.selectors import incidents_visible_to

from .models import InboundMessage, Outcome

PAGE = 100


def may_review(access: Access) -> bool:
    """The service desk triages mail, as it triages every other channel; the incident manager too."""
    return access.is_service_desk or access.is_incident_manager


def _reviewable_by(access: Access) -> QuerySet[InboundMessage]:
    """Messages the person may review: a reply to an incident they may not open (a restricted one) is
    not theirs to read; its owners were told of it (``intake.notify.review_needed``)."""
    return InboundMessage.objects.filter(
        Q(incident__isnull=True) | Q(incident__in=incidents_visible_to(access).values("pk"))
    )


def inbound_awaiting_review(*, access: Access) -> list[InboundMessage]:
    return list(
        _reviewable_by(access)
        .filter(outcome=Outcome.REVIEW)
        .select_related("incident")
        .defer("raw")
        .order_by("-received_at", "-id")[:PAGE]
    )


def inbound_set_aside(*, access: Access) -> list[InboundMessage]:
    """Messages refused or set aside, newest first, for an administrator to see why."""
    return list(
        _reviewable_by(access)
        .filter(outcome__in=[Outcome.FAILED, Outcome.REFUSED])
        .defer("raw", "text")
        .order_by("-received_at", "-id")[:PAGE]
    )


def inbound_get_for_review(*, access: Access, pk: int) -> InboundMessage:
    if not may_review(access):
        raise Http404(_("No such message."))
    try:
        return _reviewable_by(access).select_related("incident").get(pk=pk)
    except InboundMessage.DoesNotExist:
        raise Http404(_("No such message.")) from None
