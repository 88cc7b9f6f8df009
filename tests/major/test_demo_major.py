"""The issue-13 demo: a past major incident with its review, an open one with a banner, security incidents."""

import pytest

from demo.major import load_major_and_security_demo
from escalation.access import access_for
from incidents.major.selectors import major_banners_for
from incidents.models import Incident, IncidentEvent, MajorUpdate, PostIncidentReview, SecurityStep, Status
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_the_demo_shows_major_and_security_incidents_off():
    users = {
        "incidentmgr": make_user("incidentmgr", roles=["Incident manager"]),
        "agent": make_user("agent", groups=["service-desk"]),
        "alice": make_user("alice"),
        "bob": make_user("bob"),
    }
    made = load_major_and_security_demo(users, password="demo-password")

    closed = Incident.objects.get(major_incident=True, status=Status.CLOSED)
    assert PostIncidentReview.objects.filter(incident=closed).exists()
    assert closed.children.count() == 2 and MajorUpdate.objects.filter(major__incident=closed).count() == 3
    assert [b.service for b in major_banners_for(access_for(users["alice"]))] == ["VPN"]
    assert Incident.objects.filter(assignment_group__slug="security").count() == 2
    assert SecurityStep.objects.count() == 2
    assert not IncidentEvent.objects.filter(incident_id__in=made, notified_at__isnull=True).exists()
