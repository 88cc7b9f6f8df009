"""The spike detector (issue 24 §2): more than N similar new incidents in M minutes, reported once per
spike, and one click opens a major incident with them as children. Time moved with time-machine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import translation

from incidents.models import Category, Incident, IncidentEvent, Service
from incidents.notifications.delivery import notification_email_send
from incidents.notifications.models import Notification
from incidents.records import texts
from learning.models import Spike
from learning.spikes.services import spike_open_major, spikes_detect
from tests.factories import PASSWORD, make_incident, make_user

pytestmark = pytest.mark.django_db

# Two hours ago: the spikes page shows the last 30 days.
START = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=2)


@pytest.fixture(autouse=True)
def _small_spikes(settings):
    settings.SPIKE_MIN_INCIDENTS = 3
    settings.SPIKE_WINDOW_MINUTES = 10


def log(traveller, *, agent, caller, title, service=None, count=1, minutes=1):
    made = []
    for _ in range(count):
        traveller.shift(timedelta(minutes=minutes))
        made.append(make_incident(actor=agent, caller=caller, title=title, description="", service=service))
    return made


def spike_notifications():
    return Notification.objects.filter(kind="spike")


def test_a_spike_is_reported_once_while_it_lasts_and_again_after_a_quiet_window(
    agent, alice, incident_manager
):
    make_user("im2", roles=["Incident manager"], email="im2@example.org")
    with time_machine.travel(START, tick=False) as traveller:
        first = log(traveller, agent=agent, caller=alice, title="Wifi down in building C", count=3)
        assert spikes_detect() == []  # three is not more than three

        first += log(traveller, agent=agent, caller=alice, title="No wifi in building C")
        new = spikes_detect()
        assert len(new) == 1
        spike = new[0]
        assert spike.kind == Spike.Kind.TEXT and "wifi" in spike.words
        assert set(spike.incidents.values_list("pk", flat=True)) == {i.pk for i in first}
        assert spike_notifications().count() == 2  # each incident manager, once

        # the burst goes on: the same spike grows, nobody is told again
        for _ in range(6):
            more = log(traveller, agent=agent, caller=alice, title="wifi building C again", minutes=3)
            assert spikes_detect() == []
        assert spike_notifications().count() == 2
        spike.refresh_from_db()
        assert spike.incidents.count() == 10
        assert spike.incidents.filter(pk=more[0].pk).exists()

        # quiet for longer than the window, then a new burst: a new spike, reported again
        traveller.shift(timedelta(minutes=30))
        assert spikes_detect() == []
        log(traveller, agent=agent, caller=alice, title="Wifi down in building C", count=4)
        again = spikes_detect()
        assert len(again) == 1 and again[0].pk != spike.pk
        assert spike_notifications().count() == 4


def test_the_same_service_makes_a_spike_and_a_text_burst_over_it_is_the_same_spike(
    agent, alice, incident_manager
):
    erp = Service.objects.create(name="ERP", slug="erp-spike")
    with time_machine.travel(START, tick=False) as traveller:
        log(traveller, agent=agent, caller=alice, title="Cannot post invoices", service=erp, count=2)
        log(traveller, agent=agent, caller=alice, title="Orders screen frozen", service=erp, count=2)
        new = spikes_detect()

    assert [(s.kind, s.service_id) for s in new] == [(Spike.Kind.SERVICE, erp.pk)]
    assert spike_notifications().count() == 1
    assert "ERP" in spike_notifications().get().subject


def test_slow_trickles_and_restricted_incidents_make_no_spike(agent, alice, incident_manager):
    security = Category.objects.get(slug="security", parent=None)
    with time_machine.travel(START, tick=False) as traveller:
        log(traveller, agent=agent, caller=alice, title="Printer offline", count=6, minutes=4)
        for _ in range(5):
            traveller.shift(timedelta(minutes=1))
            make_incident(actor=agent, caller=alice, title="Phishing mail received", category=security)
        assert spikes_detect() == []
    assert not Spike.objects.exists()


def test_the_alert_mail_names_the_incidents(agent, alice, incident_manager):
    incident_manager.email = "im1@example.org"
    incident_manager.save()
    with time_machine.travel(START, tick=False) as traveller:
        made = log(traveller, agent=agent, caller=alice, title="Teams calls drop", count=4)
        spikes_detect()
    notification = spike_notifications().get(recipient=incident_manager)
    assert notification_email_send(notification.pk)
    sent = mail.outbox[-1]
    assert sent.to == ["im1@example.org"]
    assert all(i.number in sent.body for i in made)
    assert "/learning/spikes/" in sent.body


def test_one_click_opens_a_major_incident_with_the_spike_as_children(client, agent, alice, incident_manager):
    with time_machine.travel(START, tick=False) as traveller:
        made = log(traveller, agent=agent, caller=alice, title="Citrix session freezes", count=4)
        spike = spikes_detect()[0]

    assert client.login(username=agent.username, password=PASSWORD)
    assert client.post(reverse("learning:spike-major", args=[spike.pk])).status_code == 403
    assert client.get(reverse("learning:spikes")).status_code == 403
    client.logout()

    assert client.login(username=incident_manager.username, password=PASSWORD)
    page = client.get(reverse("learning:spikes")).content.decode()
    assert all(i.number in page for i in made)
    response = client.post(reverse("learning:spike-major", args=[spike.pk]))
    assert response.status_code == 302

    spike.refresh_from_db()
    major = spike.major
    assert major is not None and major.major_incident
    assert set(Incident.objects.filter(parent=major).values_list("pk", flat=True)) == {i.pk for i in made}
    # the declaration's reason is the system's words, read in each reader's language
    declared = major.events.get(kind=IncidentEvent.Kind.MAJOR_DECLARED)
    assert declared.body == "A spike of similar incidents."
    with translation.override("de"):
        assert texts.body_of(declared.body, declared.changes) == "Eine Häufung ähnlicher Vorfälle."
    # a second click does not open a second one
    with pytest.raises(Exception, match="already open"):
        spike_open_major(actor=incident_manager, spike=spike)
