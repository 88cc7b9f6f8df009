"""The portal's demo data shows every page off, and mails nothing on start."""

import pytest

from demo.portal import load_portal_demo
from incidents.models import Incident, IncidentEvent, Notification, Status, Watcher
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_alice_and_bob_have_open_and_resolved_incidents_watchers_and_unread_notifications():
    make_user("agent", groups=["service-desk"])
    make_user("tech", groups=["technical-support"])
    alice, bob = make_user("alice"), make_user("bob")

    assert load_portal_demo() == 5

    for caller in (alice, bob):
        statuses = set(
            Incident.objects.filter(caller=caller, channel="portal").values_list("status", flat=True)
        )
        assert statuses & {Status.NEW, Status.ASSIGNED} and statuses & {Status.RESOLVED, Status.CLOSED}
    assert Incident.objects.filter(caller=alice, status=Status.RESOLVED).exists()  # awaiting her answer
    assert Watcher.objects.filter(user=bob).exists() and Watcher.objects.filter(user=alice).exists()
    assert Notification.objects.filter(recipient=alice, read_at__isnull=True).count() >= 2
    assert not Notification.objects.filter(emailed_at__isnull=True).exclude(email_to="").exists()
    assert not IncidentEvent.objects.filter(notified_at__isnull=True).exists()
