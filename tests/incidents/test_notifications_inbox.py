"""The in-app notification list (SPEC §7): in the browser and through the API."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from incidents.models import Notification
from incidents.records.outbox import event_publish
from tests.factories import PASSWORD, make_incident

pytestmark = pytest.mark.django_db


def _notify(incident) -> None:
    for event in incident.events.filter(notified_at__isnull=True):
        event_publish(event.pk)


def test_a_user_reads_their_own_notifications_and_marks_them_read(client, agent, agent2, alice):
    incident = make_incident(actor=agent, caller=alice)
    _notify(incident)
    mine = Notification.objects.get(recipient=agent2)
    assert Notification.objects.filter(recipient=alice).exists()

    client.login(username=agent2.username, password=PASSWORD)
    page = client.get(reverse("notifications"))
    assert page.status_code == 200
    assert mine.subject in page.content.decode()
    assert "We have logged your incident" not in page.content.decode()  # alice's, not agent2's

    response = client.post(reverse("notifications"), {"notification": [str(mine.pk)]}, follow=True)
    assert "1 notification marked as read." in response.content.decode()
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert Notification.objects.get(recipient=alice).read_at is None


def test_marking_another_users_notification_changes_nothing(client, agent, agent2, alice):
    incident = make_incident(actor=agent, caller=alice)
    _notify(incident)
    alices = Notification.objects.get(recipient=alice)
    client.login(username=agent2.username, password=PASSWORD)
    client.post(reverse("notifications"), {"notification": [str(alices.pk), "not-a-number"]})
    alices.refresh_from_db()
    assert alices.read_at is None


def test_the_api_marks_the_given_or_all_unread_notifications(agent, agent2, alice):
    first = make_incident(actor=agent, caller=alice)
    second = make_incident(actor=agent, caller=alice)
    _notify(first)
    _notify(second)
    api = APIClient()
    api.force_authenticate(agent2)
    one = Notification.objects.filter(recipient=agent2).order_by("id").first()

    response = api.post("/api/v1/notifications/read/", {"ids": [one.pk]}, format="json")
    assert response.status_code == 200 and response.json() == {"marked": 1}
    assert api.get("/api/v1/notifications/?unread=true").json()["results"][0]["id"] != one.pk

    response = api.post("/api/v1/notifications/read/", {}, format="json")
    assert response.json() == {"marked": 1}
    assert not Notification.objects.filter(recipient=agent2, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=alice, read_at__isnull=True).count() == 2

    assert api.post("/api/v1/notifications/read/", {"ids": ["x"]}, format="json").status_code == 400


def test_the_notifications_page_needs_a_sign_in(client):
    response = client.get(reverse("notifications"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
