"""The demo organisation that `make run` loads (SPEC §12)."""

import pytest
from django.contrib.auth import authenticate
from django.utils import timezone

from escalation.roles import is_incident_manager, is_service_desk, user_tier
from incidents.models import Handoff, Incident, IncidentEvent, Status
from servicedesk.demo import DEMO_PASSWORD, DEMO_USERS, load_demo

pytestmark = pytest.mark.django_db


def test_the_demo_loads_the_named_users_and_a_realistic_history_once():
    counts = load_demo(incidents=80, days=30)
    assert counts["incidents"] > 70

    for username, *_ in DEMO_USERS:
        assert authenticate(username=username, password=DEMO_PASSWORD) is not None, username
    from django.contrib.auth import get_user_model

    users = {u.username: u for u in get_user_model().objects.filter(username__in=[u[0] for u in DEMO_USERS])}
    assert is_service_desk(users["agent"])
    assert user_tier(users["tech"]) == 2 and user_tier(users["netops"]) == 3 and user_tier(users["dba"]) == 3
    assert is_incident_manager(users["incidentmgr"])
    assert user_tier(users["alice"]) is None

    statuses = set(Incident.objects.values_list("status", flat=True))
    assert {Status.CLOSED, Status.RESOLVED} <= statuses
    assert statuses & {Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS, Status.ON_HOLD}
    assert Incident.objects.filter(max_tier_reached=3).exists()  # escalations across tiers
    assert Incident.objects.filter(max_tier_reached=1, status=Status.CLOSED).exists()  # first-contact fixes
    assert IncidentEvent.objects.filter(kind="held").exists()
    assert IncidentEvent.objects.filter(kind="comment", public=False).exists()
    assert Handoff.objects.filter(tier=3).exists()
    assert len(set(Incident.objects.values_list("channel", flat=True))) >= 4
    # The thresholds that history passed have fired: the SLA dashboard has breaches to show,
    # and the first sweep after start has nothing to catch up.
    assert Incident.objects.filter(sla_state="breached").exists()
    assert not Incident.objects.filter(sla_next_check_at__lte=timezone.now()).exists()
    # History's notifications are not sent when the demo starts.
    assert not IncidentEvent.objects.filter(notified_at__isnull=True).exists()

    assert load_demo(incidents=80, days=30) == {"incidents": 0}
