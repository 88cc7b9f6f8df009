"""The demo organisation that `make run` loads (SPEC §12)."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.db.models import Q
from django.utils import timezone

from demo.seed import DEMO_PASSWORD, DEMO_USERS, load_demo
from demo.surveys import FRESH_CALLER
from escalation.access import access_for
from incidents import services
from incidents.models import Handoff, Incident, IncidentEvent, SlaThresholdFire, Status
from incidents.records.outbox import event_publish
from surveys.models import Invitation
from tests.factories import make_incident

pytestmark = pytest.mark.django_db


def test_the_demo_loads_the_named_users_and_a_realistic_history_once():
    started = timezone.now()
    counts = load_demo(incidents=80, days=30)
    assert counts["incidents"] > 70

    for username, *_ in DEMO_USERS:
        assert authenticate(username=username, password=DEMO_PASSWORD) is not None, username
    from django.contrib.auth import get_user_model

    users = {u.username: u for u in get_user_model().objects.filter(username__in=[u[0] for u in DEMO_USERS])}
    access = {
        name: access_for(users[name]) for name in ("agent", "tech", "netops", "dba", "incidentmgr", "alice")
    }
    assert access["agent"].is_service_desk
    assert access["tech"].tier == 2 and access["netops"].tier == 3 and access["dba"].tier == 3
    assert access["incidentmgr"].is_incident_manager
    assert access["alice"].tier is None

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
    # and the first sweep after start has nothing to catch up. (Not "until now": the newest
    # incidents are minutes old, and one of their thresholds may fall due while the demo loads.)
    assert Incident.objects.filter(sla_state="breached").exists()
    assert not Incident.objects.filter(sla_next_check_at__lte=started).exists()
    # History's notifications are not sent when the demo starts.
    assert not IncidentEvent.objects.filter(notified_at__isnull=True).exists()

    # A spike of WiFi calls for the incident manager to open as a major incident (issue 24).
    from learning.models import Spike

    spike = Spike.objects.get()
    assert "wifi" in spike.words and spike.incidents.count() == 6

    assert load_demo(incidents=80, days=30) == {"incidents": 0}


def test_a_real_pending_event_stays_in_the_outbox_when_the_demo_loads(agent, alice):
    from tests.factories import make_incident

    real = make_incident(actor=agent, caller=alice)
    pending = IncidentEvent.objects.get(incident=real, kind="created")
    assert pending.notified_at is None

    load_demo(incidents=20, days=10)

    pending.refresh_from_db()
    assert pending.notified_at is None  # the real incident's notification is still to be sent
    assert not IncidentEvent.objects.exclude(incident=real).filter(notified_at__isnull=True).exists()


def test_the_demos_thresholds_fire_at_the_times_they_fell_due():
    load_demo(incidents=120, days=40)
    loaded_at = timezone.now()  # what fell due while the demo loaded fires too, at its due time

    fires = list(SlaThresholdFire.objects.select_related("event", "incident"))
    assert len(fires) >= 5
    for fire in fires:
        assert fire.fired_at == fire.due_at < loaded_at, fire
        assert fire.event is not None and fire.event.created_at == fire.due_at
    events = IncidentEvent.objects.filter(kind__in=["sla_threshold", "sla_escalation"])
    assert events.count() == len(fires)
    assert not events.filter(created_at__gte=loaded_at).exists()

    # A threshold fires only while the incident was open: never after it was resolved or cancelled.
    # A move at the very minute the threshold fell due came after it when its event is later.
    moves = ["resolved", "reopened", "cancelled", "closed"]
    for fire in fires:
        before = Q(created_at__lt=fire.due_at) | Q(created_at=fire.due_at, pk__lt=fire.event_id)
        last_move = (
            IncidentEvent.objects.filter(before, incident=fire.incident, kind__in=moves)
            .order_by("-created_at", "-id")
            .values_list("kind", flat=True)
            .first()
        )
        assert last_move in (None, "reopened"), (fire.incident.number, fire.due_at, last_move)
    # An incident resolved in time has no breach; the breached ones were late.
    for inc in Incident.objects.filter(status__in=[Status.RESOLVED, Status.CLOSED], reopen_count=0):
        late = inc.resolved_at > inc.resolution_due_at or (
            inc.response_due_at is not None and (inc.responded_at or inc.resolved_at) > inc.response_due_at
        )
        breach_fired = inc.sla_fires.filter(percent=100).exists()
        assert (inc.sla_state == "breached") == late, inc.number
        assert not breach_fired or late, inc.number


def test_resolving_an_incident_for_alice_after_the_demo_starts_her_survey():
    """Issue 20 §6: the history surveyed every other caller within the per-person limit; alice was
    left out of it, and the pilot programme surveys every resolution in her department."""
    # given the demo as `make run` loads it
    load_demo(incidents=80, days=60)
    users = get_user_model().objects.in_bulk(["agent", FRESH_CALLER], field_name="username")
    agent, alice = users["agent"], users[FRESH_CALLER]
    window = timezone.now() - timedelta(days=settings.SURVEY_USER_LIMIT_DAYS)
    assert not Invitation.objects.filter(user=alice, created_at__gt=window).exists()
    # when the agent logs and resolves an incident for alice, and the worker publishes its events
    incident = make_incident(actor=agent, caller=alice)
    resolved = services.incident_resolve(
        actor=agent,
        incident=incident,
        expected_version=incident.version,
        resolution_code="workaround",
        resolution_notes="Reset the VPN token.",
    )
    for event_id in IncidentEvent.objects.filter(incident=resolved, notified_at__isnull=True).values_list(
        "pk", flat=True
    ):
        event_publish(event_id)
    # then alice is invited to the survey on that incident
    assert Invitation.objects.filter(user=alice, incident=resolved).exists()
