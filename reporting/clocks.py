"""Per-incident times to respond and to resolve, as the SLA module's clocks count them.

Business time uses the incident's SLA calendar (``incidents.sla.targets``) and
``escalation.business_time.between``, exactly as ``incidents.sla.resume`` counts paused time, and
subtracts ``sla_paused_seconds`` (business seconds on hold awaiting the caller). The resolution
clock is the SLA clock of the incident's last cycle: it starts at ``sla_started_at`` (creation,
or the last reopen). The response clock starts at creation. Wall-clock times are the plain
differences (response from creation, resolution from creation).

The report aggregates these rows in SQL; this module only keeps them current, in batches of the
incidents whose stored times differ from the incident's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import F, Q, QuerySet

from escalation import business_time as bt
from incidents import sla
from incidents.models import Incident

from .models import IncidentClock

BATCH = 500


def clock_values(incident: Incident, *, cache: dict[Any, Any]) -> dict[str, Any]:
    calendar = sla.targets(incident, cache=cache).calendar
    values: dict[str, Any] = {
        "responded_at": incident.responded_at,
        "resolved_at": incident.resolved_at,
        "response_wall_s": None,
        "response_business_s": None,
        "resolve_wall_s": None,
        "resolve_business_s": None,
    }
    if incident.responded_at is not None:
        values["response_wall_s"] = max(0, int((incident.responded_at - incident.created_at).total_seconds()))
        values["response_business_s"] = int(bt.between(calendar, incident.created_at, incident.responded_at))
    if incident.resolved_at is not None:
        start = incident.sla_started_at or incident.created_at
        values["resolve_wall_s"] = max(0, int((incident.resolved_at - incident.created_at).total_seconds()))
        business = int(bt.between(calendar, start, incident.resolved_at)) - incident.sla_paused_seconds
        values["resolve_business_s"] = max(0, business)
    return values


def stale(qs: QuerySet[Incident]) -> QuerySet[Incident]:
    """The incidents of ``qs`` whose clock row is missing or out of date."""
    return qs.filter(
        Q(incidentclock__isnull=True)
        | ~Q(incidentclock__responded_at=F("responded_at"))
        | ~Q(incidentclock__resolved_at=F("resolved_at"))
        | Q(incidentclock__responded_at__isnull=True, responded_at__isnull=False)
        | Q(incidentclock__resolved_at__isnull=True, resolved_at__isnull=False)
        | Q(incidentclock__responded_at__isnull=False, responded_at__isnull=True)
        | Q(incidentclock__resolved_at__isnull=False, resolved_at__isnull=True)
    )


def clocks_refresh(*, start: datetime, end: datetime) -> int:
    """Bring the clocks of the incidents responded to or resolved in [start, end) up to date."""
    qs = Incident.objects.filter(
        Q(responded_at__gte=start, responded_at__lt=end) | Q(resolved_at__gte=start, resolved_at__lt=end)
    )
    cache: dict[Any, Any] = {}
    done = 0
    ids = list(stale(qs).values_list("pk", flat=True))
    for i in range(0, len(ids), BATCH):
        rows = []
        for incident in Incident.objects.filter(pk__in=ids[i : i + BATCH]).only(
            "pk",
            "priority",
            "sla_policy_slug",
            "created_at",
            "responded_at",
            "resolved_at",
            "sla_started_at",
            "sla_paused_seconds",
        ):
            rows.append(IncidentClock(incident_id=incident.pk, **clock_values(incident, cache=cache)))
        IncidentClock.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["incident"],
            update_fields=[
                "responded_at",
                "resolved_at",
                "response_wall_s",
                "response_business_s",
                "resolve_wall_s",
                "resolve_business_s",
            ],
        )
        done += len(rows)
    return done
