"""The portal speaks plain words: what a caller sees instead of the process's vocabulary."""

from __future__ import annotations

from django.conf import settings

from escalation.choices import Level
from incidents.models import HoldReason, Incident, IncidentEvent, Status

# How much it stops your work -> urgency; who is affected -> impact. The caller never sees either word.
STOPS_WORK = [
    ("blocked", "I cannot work at all"),
    ("slowed", "I can work, but slower or with a workaround"),
    ("nuisance", "It is a nuisance, my work goes on"),
]
AFFECTED = [
    ("me", "Only me"),
    ("several", "My team or several colleagues"),
    ("many", "Many people, or a whole site or service"),
]
URGENCY_FOR = {"blocked": Level.HIGH, "slowed": Level.MEDIUM, "nuisance": Level.LOW}
IMPACT_FOR = {"many": Level.HIGH, "several": Level.MEDIUM, "me": Level.LOW}

STATUS_WORDS = {
    Status.NEW: "Received: waiting for the service desk to pick it up",
    Status.ASSIGNED: "A team has it",
    Status.IN_PROGRESS: "Being worked on",
    Status.ON_HOLD: "Paused",
    Status.RESOLVED: "Solved: please confirm",
    Status.CLOSED: "Closed",
    Status.CANCELLED: "Cancelled",
}
HOLD_WORDS = {
    HoldReason.AWAITING_CALLER: "Waiting for your answer",
    HoldReason.AWAITING_VENDOR: "Waiting on a supplier",
    HoldReason.AWAITING_CHANGE: "Waiting on a planned change",
}
EVENT_WORDS = {
    IncidentEvent.Kind.CREATED: "Reported",
    IncidentEvent.Kind.COMMENT: "Message",
    IncidentEvent.Kind.ATTACHMENT: "File added",
    IncidentEvent.Kind.RESOLVED: "Solved",
    IncidentEvent.Kind.REOPENED: "Reopened",
    IncidentEvent.Kind.CLOSED: "Closed",
    IncidentEvent.Kind.CANCELLED: "Cancelled",
}
OPEN = (Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS, Status.ON_HOLD, Status.RESOLVED)


def status_words(incident: Incident) -> str:
    if incident.status == Status.ON_HOLD and incident.hold_reason in HOLD_WORDS:
        return HOLD_WORDS[HoldReason(incident.hold_reason)]
    return STATUS_WORDS.get(Status(incident.status), incident.get_status_display())


def working_on_it(incident: Incident) -> str:
    """The group, and the person only when the organisation shows names to callers."""
    group = incident.assignment_group.name
    person = incident.assigned_to
    if person is not None and settings.SERVICEDESK["PORTAL_SHOW_ASSIGNEE_NAMES"]:
        return f"{person.get_full_name() or person.get_username()} ({group})"
    return group


def event_words(event: IncidentEvent) -> str:
    return EVENT_WORDS.get(IncidentEvent.Kind(event.kind), event.get_kind_display())


def actor_words(event: IncidentEvent, *, viewer_id: int | None, staff_ids: frozenset[int]) -> str:
    actor = event.actor
    if actor is None:
        return "the service desk"
    if actor.pk == viewer_id:
        return "you"
    if actor.pk in staff_ids and not settings.SERVICEDESK["PORTAL_SHOW_ASSIGNEE_NAMES"]:
        return "the support team"
    return actor.get_full_name() or actor.get_username()
