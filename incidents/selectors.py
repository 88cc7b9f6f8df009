"""Permission-checked reads. Views and APIs get incidents only through these."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import connection
from django.db.models import Q, QuerySet
from django.http import Http404

from escalation.models import SupportGroup
from escalation.roles import is_staff_member

from . import permissions
from .models import Attachment, Incident, IncidentEvent

LIST_RELATED = ("caller", "assigned_to", "assignment_group", "category", "subcategory", "service")


def incidents_visible_to(user: Any) -> QuerySet[Incident]:
    """Staff see every incident; an end user sees those they are the caller of or reported."""
    qs = Incident.objects.select_related(*LIST_RELATED)
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if is_staff_member(user):
        return qs
    return qs.filter(Q(caller=user) | Q(reported_by=user))


def incident_get_for_user(*, user: Any, number: str, for_update: bool = False) -> Incident:
    """The incident ``number`` if ``user`` may see it; otherwise 404, never 403 (no leak)."""
    qs = incidents_visible_to(user).select_related(
        "reported_by", "updated_by", "parent", "duplicate_of", "sla_policy"
    )
    if for_update:
        qs = qs.select_for_update(of=("self",))
    try:
        return qs.get(number=number)
    except Incident.DoesNotExist:
        raise Http404(f"No incident {number}.") from None


def incident_timeline(*, user: Any, incident: Incident) -> QuerySet[IncidentEvent]:
    """The activity log as this user may read it: callers see only public entries."""
    qs = incident.events.select_related("actor", "attachment").order_by("created_at", "id")
    if not permissions.can_see_internal(user):
        qs = qs.filter(public=True)
    return qs


def attachment_get_for_user(*, user: Any, pk: int) -> Attachment:
    try:
        attachment = Attachment.objects.select_related("incident").get(pk=pk)
    except Attachment.DoesNotExist:
        raise Http404("No such attachment.") from None
    if not permissions.can_view(user, attachment.incident):
        raise Http404("No such attachment.")
    if not attachment.public and not permissions.can_see_internal(user):
        raise Http404("No such attachment.")
    return attachment


def incidents_search(qs: QuerySet[Incident], q: str) -> QuerySet[Incident]:
    """Full-text search over number, title and description.

    PostgreSQL uses the stored tsvector and its GIN index (migration 0002); SQLite, the
    embedded default, falls back on a plain case-insensitive match.
    """
    q = (q or "").strip().replace("\x00", "")
    if not q:
        return qs
    if q.upper().startswith("INC") and q[3:].isdigit():
        return qs.filter(number=q.upper())
    if connection.vendor == "postgresql":
        return qs.extra(
            where=["incidents_incident.search_tsv @@ websearch_to_tsquery('english', %s)"], params=[q]
        )
    return qs.filter(Q(title__icontains=q) | Q(description__icontains=q) | Q(number__icontains=q))


def notifications_for(*, user: Any, limit: int = 50) -> list[Any]:
    """The user's own in-app notifications, newest first."""
    from .models import Notification

    if not getattr(user, "is_authenticated", False):
        return []
    return list(
        Notification.objects.filter(recipient=user)
        .select_related("incident")
        .order_by("-created_at", "-id")[:limit]
    )


def user_lookup(*, username: str, field: str = "user") -> Any:
    try:
        return get_user_model().objects.get(username=username, is_active=True)
    except ObjectDoesNotExist:
        raise ValidationError({field: f"There is no active user “{username}”."}) from None


def group_lookup(*, slug: str, field: str = "assignment_group") -> SupportGroup:
    try:
        return SupportGroup.objects.get(slug=slug)
    except SupportGroup.DoesNotExist:
        raise ValidationError({field: f"There is no support group “{slug}”."}) from None
