"""The saved views' demo data: a personal view of the agent's and views the incident manager has
published to the service desk and technical support. Called once by ``demo.seed.load_demo``."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from escalation.access import access_for
from escalation.models import SupportGroup
from live.services import view_create


def load_saved_views_demo() -> None:
    users = {u.username: u for u in get_user_model().objects.filter(username__in=["agent", "incidentmgr"])}
    if len(users) < 2:
        return
    agent, manager = access_for(users["agent"]), access_for(users["incidentmgr"])
    view_create(access=agent, name="My work by priority", query="queue=mine&sort=priority")
    view_create(access=agent, name="Mail waiting", query="queue=open&channel=email&sort=oldest")
    desk = SupportGroup.objects.filter(slug="service-desk").first()
    tech = SupportGroup.objects.filter(slug="technical-support").first()
    view_create(access=manager, name="Unassigned P1", query="queue=unassigned&priority=1", group=desk)
    view_create(access=manager, name="Breached", query="queue=groups&sla_state=breached", group=tech)
