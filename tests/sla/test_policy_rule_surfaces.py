"""The SLA policy rules on the web (editor, tester, audit) and in the API; the policy and the
current tier's OLA on the incident page, in the queue and in the incident's API representation."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from escalation.models import CallerProfile, RegisterChange, SLAPolicy
from incidents.models import Service, SLAPolicyRule
from incidents.sla import rules as sla_rules
from incidents.sla.services import sla_policy_rule_create
from tests.factories import make_incident

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rules_cache():
    sla_rules.cache_clear()
    yield
    sla_rules.cache_clear()


@pytest.fixture
def vip_policy(db):
    default = SLAPolicy.objects.get(slug="default")
    return SLAPolicy.objects.create(slug="vip", name="VIP callers", calendar=default.calendar)


def web(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_incident_manager_adds_a_rule_tests_it_and_reads_the_audit(incident_manager, vip_policy, alice):
    CallerProfile.objects.create(user=alice, is_vip=True)
    client = web(incident_manager)
    assert 'href="/incidents/sla-rules/"' in client.get("/incidents/").content.decode()  # the nav link

    refused = client.post("/incidents/sla-rules/new/", {"name": "", "policy": "vip"})
    assert refused.status_code == 400 and "This field is required" in refused.content.decode()
    response = client.post(
        "/incidents/sla-rules/new/",
        {"name": "VIPs <b>first</b>", "policy": "vip", "caller_vip": "on", "is_active": "on"},
        follow=True,
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Rule “VIPs &lt;b&gt;first&lt;/b&gt;” added." in page  # a message, escaped
    assert "caller is a VIP" in page
    assert RegisterChange.objects.filter(
        model="slapolicyrule", action="created", actor=incident_manager
    ).exists()
    assert 'data-testid="rule-audit"' in page and "created “10. VIPs" in page.replace("&lt;", "<").replace(
        "&gt;", ">"
    )
    # the audit names the policy a rule points at, not its database id
    assert f"policy — → {vip_policy}" in page and f"policy — → {vip_policy.pk};" not in page

    tested = client.get(
        "/incidents/sla-rules/", {"caller": "alice1", "channel": "phone", "impact": 2, "urgency": 2}
    )
    assert "policy <strong>vip</strong>, chosen by rule" in tested.content.decode()
    ordinary = client.get(
        "/incidents/sla-rules/", {"caller": "", "channel": "phone", "impact": 1, "urgency": 1}
    )
    assert "P1: policy <strong>default</strong> (the default: no rule matches)" in ordinary.content.decode()
    unknown = client.get(
        "/incidents/sla-rules/", {"caller": "nobody", "channel": "phone", "impact": 2, "urgency": 2}
    )
    assert unknown.status_code == 200 and "There is no active user" in unknown.content.decode()

    rule = SLAPolicyRule.objects.get()
    assert (
        client.post(f"/incidents/sla-rules/{rule.pk}/", {"name": "VIPs", "policy": "vip"}).status_code == 302
    )
    assert client.post(f"/incidents/sla-rules/{rule.pk}/delete/").status_code == 302
    assert not SLAPolicyRule.objects.exists()
    assert RegisterChange.objects.filter(model="slapolicyrule").count() == 3


def test_other_staff_may_not_open_the_rule_editor(agent, vip_policy, incident_manager):
    rule = sla_policy_rule_create(actor=incident_manager, name="VIPs", policy=vip_policy, caller_vip=True)
    client = web(agent)
    assert client.get("/incidents/sla-rules/").status_code == 403
    assert client.post(f"/incidents/sla-rules/{rule.pk}/delete/").status_code == 403
    assert 'href="/incidents/sla-rules/"' not in client.get("/incidents/").content.decode()
    assert web(incident_manager).get("/incidents/sla-rules/999999/").status_code == 404


def test_the_rules_api_reads_for_staff_and_writes_for_the_incident_manager(
    agent, incident_manager, vip_policy
):
    Service.objects.create(slug="erp", name="ERP")
    body = {"name": "ERP is critical", "policy": "vip", "service": "erp", "priority": 2, "position": 5}
    assert api(agent).post("/api/v1/sla-policy-rules/", body, format="json").status_code == 403

    created = api(incident_manager).post("/api/v1/sla-policy-rules/", body, format="json")
    assert created.status_code == 201, created.content
    rule = created.json()
    assert rule | {"id": 0} == {
        "id": 0,
        "position": 5,
        "name": "ERP is critical",
        "policy": "vip",
        "service": "erp",
        "category": None,
        "subcategory": None,
        "caller_vip": False,
        "caller_department": "",
        "channel": "",
        "priority": 2,
        "is_active": True,
    }
    url = f"/api/v1/sla-policy-rules/{rule['id']}/"
    assert api(agent).get("/api/v1/sla-policy-rules/").json()["results"][0]["name"] == "ERP is critical"
    assert api(agent).get(url).json()["service"] == "erp"

    bad = api(incident_manager).put(url, {**body, "subcategory": "laptop"}, format="json")
    assert bad.status_code == 400 and "category" in bad.json()
    changed = api(incident_manager).put(url, {**body, "channel": "email"}, format="json")
    assert changed.status_code == 200 and changed.json()["channel"] == "email"
    assert api(incident_manager).delete(url).status_code == 204
    assert api(agent).get(url).status_code == 404
    assert api(agent).get("/api/v1/sla-policy-rules/abc/").status_code == 404
    assert "/api/v1/sla-policy-rules/{id}/" in api(agent).get("/api/schema/?format=json").json()["paths"]


def test_the_incident_shows_its_policy_and_its_tiers_ola(agent, alice, vip_policy, incident_manager):
    CallerProfile.objects.create(user=alice, is_vip=True)
    sla_policy_rule_create(actor=incident_manager, name="VIPs", policy=vip_policy, caller_vip=True)
    from escalation.models import OLATarget, SLATarget

    OLATarget.objects.create(policy=vip_policy, tier=1, minutes=30)
    for target in SLAPolicy.objects.get(slug="default").targets.all():
        SLATarget.objects.create(
            policy=vip_policy, priority=target.priority, response_minutes=10, resolution_minutes=60
        )
    incident = make_incident(actor=agent, caller=alice)

    assert api(agent).get(f"/api/v1/incidents/{incident.number}/").json()["sla_policy"] == "vip"
    assert api(agent).get(f"/api/v1/incidents/{incident.number}/").json()["ola_state"] == "on_track"
    page = web(agent).get(f"/incidents/{incident.number}/").content.decode()
    assert 'data-testid="sla-policy">VIP callers<' in page
    assert "OLA (tier 1)" in page and "OLA on track" in page
    queue = web(agent).get("/incidents/").content.decode()
    assert 'data-testid="ola-state">OLA on track<' in queue
