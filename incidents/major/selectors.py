"""Reads of the major-incident and security sides of an incident (issue 13)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse

from escalation.access import Access

from .. import permissions
from ..records.models import OPEN_STATUSES, Incident
from .models import MajorIncident, MajorUpdate, PostIncidentReview, SecurityStep


@dataclass(frozen=True)
class MajorBanner:
    """What the portal shows of an open major incident: the service and the latest status update."""

    number: str
    service: str
    service_slug: str
    title: str
    update: str
    updated_at: datetime
    url: str  # the staff page for staff, "" for everyone else


def major_banners_for(access: Access, *, service_slug: str = "") -> list[MajorBanner]:
    """Banners of the open, declared major incidents that have a status update, newest first.

    Security incidents never make a banner. ``service_slug`` narrows them to one affected service.
    """
    if not access.authenticated:
        return []
    latest = MajorUpdate.objects.filter(major__incident=OuterRef("pk")).order_by("-created_at", "-id")
    qs = (
        Incident.objects.filter(major__declared_at__isnull=False, status__in=OPEN_STATUSES)
        .exclude(permissions.RESTRICTED)
        .annotate(
            update_body=Subquery(latest.values("body")[:1]),
            update_at=Subquery(latest.values("created_at")[:1]),
        )
        .filter(update_at__isnull=False)
        .select_related("service")
        .order_by("-update_at")
    )
    if service_slug:
        qs = qs.filter(service__slug=service_slug)
    staff = access.is_staff_member
    return [
        MajorBanner(
            number=i.number,
            service=i.service.name if i.service else "",
            service_slug=i.service.slug if i.service else "",
            title=i.title,
            update=i.update_body,
            updated_at=i.update_at,
            url=reverse("incidents:detail", kwargs={"number": i.number}) if staff else "",
        )
        for i in qs[:10]
    ]


def _joined_major(incident: Incident) -> MajorIncident | None:
    """The incident's major record, joined by ``incident_get_for_user``; None when it has none."""
    try:
        return incident.major
    except MajorIncident.DoesNotExist:
        return None


def major_log_for(*, incident: Incident) -> dict[str, Any]:
    """The major-incident side of an incident page: proposal or declaration, updates, review."""
    major = _joined_major(incident)
    updates = list(major.updates.select_related("author")) if major and major.is_declared else []
    review = (
        PostIncidentReview.objects.filter(incident=incident).select_related("recorded_by").first()
        if major and major.is_declared
        else None
    )
    return {"major": major, "major_updates": updates, "review": review}


def security_checklist(incident: Incident) -> list[tuple[str, str, Any]]:
    """Every step of the security procedure in order, with its record if done."""
    done = {s.step: s for s in incident.security_steps.select_related("done_by")}
    return [(value, str(label), done.get(value)) for value, label in SecurityStep.Step.choices]


def major_panel_for(*, incident: Incident) -> dict[str, Any]:
    """The incident page's major-incident panel: one query when the incident has a proposal or a
    declaration, none otherwise (``incident.major`` is joined by ``incident_get_for_user``).

    The panel shows who declared or proposed, how many status updates there are and the latest,
    and whether the review is recorded: read together, not as the log page reads them (the whole
    log, the review, and each person on first use), which took a declared major incident's page
    past SPEC §13's ten queries once it was linked to another incident.
    """
    major = _joined_major(incident)
    if major is None:
        return {"major": None}
    updates = MajorUpdate.objects.filter(major=OuterRef("pk")).order_by()
    row = (
        MajorIncident.objects.filter(pk=major.pk)
        .select_related("declared_by", "proposed_by")
        .annotate(
            update_count=Coalesce(
                Subquery(updates.values("major").annotate(n=Count("pk")).values("n")),
                Value(0),
                output_field=IntegerField(),
            ),
            latest_update=Subquery(updates.order_by("-created_at", "-id").values("body")[:1]),
            reviewed=Exists(PostIncidentReview.objects.filter(incident_id=OuterRef("incident_id"))),
        )
        .first()
    )
    return {"major": row}


def incident_page_extras(*, access: Access, incident: Incident) -> dict[str, Any]:
    """What the incident page shows of the major-incident and security sides (issue 13)."""
    context = major_panel_for(incident=incident)
    context["is_incident_manager"] = access.is_incident_manager
    if permissions.is_restricted(incident):
        context["security_checklist"] = security_checklist(incident)
        context["security_can_work"] = permissions.can_work(access, incident)
    return context
