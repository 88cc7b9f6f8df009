"""The demo's learnable structure and its first suggestion model (issue 24).

Real desks' tickets are not random: the words name the fault, the fault decides the service, who
fixes it and how urgent it tends to be. The history generator (``demo.seed``) asks here so that its
incidents have that structure, with noise: each helper turns a random draw the generator made anyway
into a value, so the generator draws exactly as often as before. After the history is loaded a model
is trained from it and routing of mail and portal incidents is turned on, so the demo shows both.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from incidents.models import Channel, Incident, IncidentEvent, Service, Status
from learning import services as learning_services

log = logging.getLogger(__name__)

# The business service each kind of fault usually hits (hardware faults hit no particular one).
SERVICE_FOR = {
    "Email client": "Email",
    "Office suite": "File shares",
    "ERP client": "ERP",
    "Browser": "Intranet",
    "VPN": "VPN",
    "Wi-Fi": "Wi-Fi",
    "LAN": "File shares",
    "DNS": "Intranet",
    "Password reset": "HR portal",
    "Account locked": "ERP",
    "Permissions": "File shares",
    "Performance": "CRM",
    "Connectivity": "ERP",
    "Data correction": "CRM",
    "Desk phone": "Telephony",
    "Mobile phone": "Telephony",
    "Voicemail": "Telephony",
}
# How far the impact of a kind of fault tends to reach: 1 many people, 3 one person.
IMPACT_FOR = {
    "VPN": 1,
    "Connectivity": 1,
    "DNS": 1,
    "Performance": 2,
    "ERP client": 2,
    "Wi-Fi": 2,
    "Monitor": 3,
    "Docking station": 3,
    "Voicemail": 3,
    "Data correction": 3,
    "Password reset": 3,
    "Laptop": 3,
}
# Kinds of fault the service desk fixes at first contact, and kinds that always reach tier 3.
FIRST_CONTACT = {"Password reset", "Account locked", "Email client", "Office suite", "Browser"}
TIER3 = {"DNS", "LAN", "Connectivity", "Performance", "Desk phone", "VPN"}


def service_for(sub_name: str, drawn: Service, rows: list[Service]) -> Service:
    """Usually the kind's own service; otherwise (about one in five, and for hardware) the drawn one."""
    name = SERVICE_FOR.get(sub_name)
    if name is None or rows.index(drawn) % 5 == 0:
        return drawn
    return next((s for s in rows if s.name == name), drawn)


def impact_for(sub_name: str, drawn: tuple[int, int]) -> tuple[int, int]:
    impact, urgency = drawn
    return IMPACT_FOR.get(sub_name, impact), urgency


def path_for(sub_name: str, draw: float) -> float:
    """The story's path draw (``< 0.4`` the desk fixes it, ``> 0.7`` tier 3 does), bent by the kind."""
    if sub_name in FIRST_CONTACT:
        return draw * 0.45  # nearly always the desk
    if sub_name in TIER3:
        return 0.65 + draw * 0.35  # nearly always tier 3
    return draw


def load_spike_demo(cast_by_name: dict[str, Any]) -> None:
    """A burst of six WiFi calls in the last few minutes: the detector finds one spike, which the
    incident manager sees under Spikes (and may open as a major incident). Mail is muted in the demo."""
    from datetime import timedelta

    from django.utils import timezone

    from core import queueing
    from incidents import services as incident_services
    from incidents.notifications.models import Notification
    from learning.spikes.services import spikes_detect

    now = timezone.now()
    agent = cast_by_name["agent"]
    callers = [cast_by_name["alice"], cast_by_name["bob"]]
    titles = ["WiFi down on floor 4", "No WiFi on the fourth floor", "WiFi keeps dropping on floor 4"]
    with queueing.muted(), transaction.atomic():
        made = [
            incident_services.incident_create(
                actor=agent,
                caller=callers[i % 2],
                title=titles[i % 3],
                description="Laptops cannot join the network since a few minutes.",
                now=now - timedelta(minutes=6 - i),
            ).pk
            for i in range(6)
        ]
        # The demo's own events are not announced by mail when it starts (as the history's).
        IncidentEvent.objects.filter(incident_id__in=made, notified_at__isnull=True).update(notified_at=now)
        spikes_detect(now=now)
        # Its alert stays in the incident manager's inbox; no mail at start.
        Notification.objects.filter(kind="spike", emailed_at__isnull=True).update(emailed_at=now)


def load_learning_demo(cast_by_name: dict[str, Any]) -> None:
    """Train the first model from the history, turn routing on, and record what the agents chose
    on the incidents still open (which the model has not learned from) against its suggestions."""
    load_spike_demo(cast_by_name)
    try:
        with transaction.atomic():
            learning_services.model_train()
    except ValidationError:
        log.info("demo: too little history for a suggestion model")
        return
    learning_services.settings_update(
        actor=cast_by_name["incidentmgr"], routing_enabled=True, routing_threshold=0.8
    )
    open_calls = Incident.objects.exclude(
        status__in=[Status.RESOLVED, Status.CLOSED, Status.CANCELLED]
    ).filter(channel__in=[Channel.PHONE, Channel.WALK_IN])
    for event in IncidentEvent.objects.filter(kind=IncidentEvent.Kind.CREATED, incident__in=open_calls):
        learning_services.on_incident_created(event)
