"""The SLA clocks applied to an incident (SPEC §6).

Services call these with the incident row locked, before they save it. They only set
fields on the instance; the caller saves and records events.
"""
from __future__ import annotations

from datetime import datetime

from .models import HoldReason, Incident, SlaState, Status

SLA_FIELDS = [
    "sla_policy_slug",
    "response_due_at",
    "resolution_due_at",
    "responded_at",
    "on_hold_since",
    "sla_paused_seconds",
    "sla_state",
    "sla_next_check_at",
]


def acknowledge(incident: Incident, *, now: datetime) -> None:
    """Response is met at the first acknowledgement: assignment to a person or a first public reply."""
    if incident.responded_at is None:
        incident.responded_at = now


def pause(incident: Incident, *, now: datetime) -> None:
    if incident.hold_reason == HoldReason.AWAITING_CALLER and incident.on_hold_since is None:
        incident.on_hold_since = now


def resume(incident: Incident, *, now: datetime) -> None:
    if incident.on_hold_since is not None:
        incident.sla_paused_seconds += max(0, int((now - incident.on_hold_since).total_seconds()))
        incident.on_hold_since = None


def refresh(incident: Incident, *, now: datetime) -> None:
    """Recompute due times, state and the next time the sweep must look at the incident."""
    if incident.status in (Status.RESOLVED, Status.CLOSED, Status.CANCELLED):
        incident.sla_next_check_at = None
        if incident.sla_state != SlaState.BREACHED:
            incident.sla_state = SlaState.MET
        return
    if incident.on_hold_since is not None:
        incident.sla_state = SlaState.PAUSED
        incident.sla_next_check_at = None
        return
    if incident.sla_state in (SlaState.PAUSED, SlaState.MET):
        incident.sla_state = SlaState.ON_TRACK
