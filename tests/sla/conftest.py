from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from incidents.models import IncidentEvent, Notification
from incidents.notifications.delivery import notification_email_send
from incidents.records.outbox import event_publish
from tests.factories import make_user

LONDON = ZoneInfo("Europe/London")


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def deliver() -> int:
    """Run the outbox in-process, as the worker's tasks would: publish events, send emails."""
    sent = 0
    for event_id in IncidentEvent.objects.filter(notified_at__isnull=True).values_list("pk", flat=True):
        event_publish(event_id)
    for pk in (
        Notification.objects.filter(emailed_at__isnull=True).exclude(email_to="").values_list("pk", flat=True)
    ):
        sent += notification_email_send(pk)
    return sent


@pytest.fixture
def agent(db):
    return make_user("agent1", groups=["service-desk"])


@pytest.fixture
def netops(db):
    return make_user("netops1", groups=["network"])


@pytest.fixture
def netops2(db):
    return make_user("netops2", groups=["network"])


@pytest.fixture
def incident_manager(db):
    return make_user("im1", roles=["Incident manager"])


@pytest.fixture
def manager(db):
    return make_user("mgr1", roles=["Manager"])


@pytest.fixture
def alice(db):
    return make_user("alice1")
