"""The portal speaks plain words: what a caller sees instead of the process's vocabulary."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext, gettext_lazy

from escalation.choices import Level
from incidents.models import HoldReason, Incident, IncidentEvent, Status

# How much it stops your work -> urgency; who is affected -> impact. The caller never sees either word.
STOPS_WORK = [
    ("blocked", gettext_lazy("I cannot work at all")),
    ("slowed", gettext_lazy("I can work, but slower or with a workaround")),
    ("nuisance", gettext_lazy("It is a nuisance, my work goes on")),
]
AFFECTED = [
    ("me", gettext_lazy("Only me")),
    ("several", gettext_lazy("My team or several colleagues")),
    ("many", gettext_lazy("Many people, or a whole site or service")),
]
URGENCY_FOR = {"blocked": Level.HIGH, "slowed": Level.MEDIUM, "nuisance": Level.LOW}
IMPACT_FOR = {"many": Level.HIGH, "several": Level.MEDIUM, "me": Level.LOW}

STATUS_WORDS = {
    Status.NEW: gettext_lazy("Received: waiting for the service desk to pick it up"),
    Status.ASSIGNED: gettext_lazy("A team has it"),
    Status.IN_PROGRESS: gettext_lazy("Being worked on"),
    Status.ON_HOLD: gettext_lazy("Paused"),
    Status.RESOLVED: gettext_lazy("Solved: please confirm"),
    Status.CLOSED: gettext_lazy("Closed"),
    Status.CANCELLED: gettext_lazy("Cancelled"),
}
HOLD_WORDS = {
    HoldReason.AWAITING_CALLER: gettext_lazy("Waiting for your answer"),
    HoldReason.AWAITING_VENDOR: gettext_lazy("Waiting on a supplier"),
    HoldReason.AWAITING_CHANGE: gettext_lazy("Waiting on a planned change"),
}
EVENT_WORDS = {
    IncidentEvent.Kind.CREATED: gettext_lazy("Reported"),
    IncidentEvent.Kind.COMMENT: gettext_lazy("Message"),
    IncidentEvent.Kind.ATTACHMENT: gettext_lazy("File added"),
    IncidentEvent.Kind.RESOLVED: gettext_lazy("Solved"),
    IncidentEvent.Kind.REOPENED: gettext_lazy("Reopened"),
    IncidentEvent.Kind.CLOSED: gettext_lazy("Closed"),
    IncidentEvent.Kind.CANCELLED: gettext_lazy("Cancelled"),
}
OPEN = (Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS, Status.ON_HOLD, Status.RESOLVED)


def status_words(incident: Incident) -> str:
    if incident.status == Status.ON_HOLD and incident.hold_reason in HOLD_WORDS:
        return str(HOLD_WORDS[HoldReason(incident.hold_reason)])
    return str(STATUS_WORDS.get(Status(incident.status), incident.get_status_display()))


def working_on_it(incident: Incident) -> str:
    """The group, and the person only when the organisation shows names to callers."""
    group = incident.assignment_group.name
    person = incident.assigned_to
    if person is not None and settings.SERVICEDESK["PORTAL_SHOW_ASSIGNEE_NAMES"]:
        return f"{person.get_full_name() or person.get_username()} ({group})"
    return group


def event_words(event: IncidentEvent) -> str:
    return str(EVENT_WORDS.get(IncidentEvent.Kind(event.kind), event.get_kind_display()))


def actor_words(event: IncidentEvent, *, viewer_id: int | None, staff_ids: frozenset[int]) -> str:
    actor = event.actor
    if actor is None:
        return gettext("the service desk")
    if actor.pk == viewer_id:
        return gettext("you")
    if actor.pk in staff_ids and not settings.SERVICEDESK["PORTAL_SHOW_ASSIGNEE_NAMES"]:
        return gettext("the support team")
    return actor.get_full_name() or actor.get_username()
