"""Major incidents (issue 13): declaring, the communications log, related incidents, the review."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.loader import render_to_string
from django.utils import timezone

from escalation.access import access_for
from escalation.models import EscalationPoint
from incidents import services
from incidents.major.selectors import major_banners_for
from incidents.models import (
    Incident,
    IncidentEvent,
    MajorUpdate,
    Notification,
    Service,
    SlaThresholdFire,
    Status,
)
from incidents.notifications.delivery import notification_email_send
from incidents.records.outbox import event_publish
from incidents.records.services.lifecycle import incidents_autoclose
from incidents.sla import clocks as sla
from tests.factories import group, make_incident, make_user
from tests.major.conftest import client_for

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def publish(incident: Incident) -> None:
    for event in IncidentEvent.objects.filter(incident=incident, notified_at__isnull=True):
        event_publish(event.pk)


@pytest.fixture
def email_service(db):
    return Service.objects.create(name="Email", slug="email")


@pytest.fixture
def outage(agent, alice, email_service):
    return make_incident(
        actor=agent, caller=alice, title="Nobody can send mail", service=email_service, now=T0
    )


def declare(im, incident, **kwargs):
    services.major_declare(actor=im, incident=incident, reason="Company-wide", now=T0 + timedelta(minutes=5))
    return Incident.objects.get(pk=incident.pk)


def test_declaring_applies_the_major_policy_opens_the_log_and_notifies_at_once(
    agent, incident_manager, outage
):
    im2 = make_user("im2", roles=["Incident manager"])
    boss = make_user("boss", roles=["Manager"])
    on_call = make_user("oncall")
    EscalationPoint.objects.create(group=group("service-desk"), level=4, percent=100, user=on_call)
    SlaThresholdFire.objects.create(
        incident=outage, cycle=1, target="resolution", percent=75, fired_at=T0, due_at=T0
    )
    before = outage.resolution_due_at

    major = declare(incident_manager, outage)

    assert major.major_incident is True
    assert major.sla_policy_slug == "major"
    assert major.resolution_due_at < before  # P3 on the major policy: 4 hours around the clock
    assert major.resolution_due_at == T0 + timedelta(hours=4)
    assert major.major.declared_by == incident_manager
    assert ("resolution", 75) not in {
        (t.target, t.percent) for t in sla.pending_thresholds(major, sla.targets(major))
    }
    publish(major)
    told = set(
        Notification.objects.filter(kind="major_declared").values_list("recipient__username", flat=True)
    )
    assert {"im2", "boss", "oncall"} <= told
    assert incident_manager.username not in told  # the actor is not told of their own act
    assert im2.pk and boss.pk


def test_an_agent_proposes_and_the_incident_manager_accepts(agent, incident_manager, outage):
    services.major_propose(actor=agent, incident=outage, reason="Whole floor affected")
    outage.refresh_from_db()
    assert outage.major_incident is False
    publish(outage)
    assert Notification.objects.filter(kind="major_proposed", recipient=incident_manager).exists()

    page = client_for(incident_manager).get(f"/incidents/{outage.number}/").content.decode()
    assert "Accept: declare a major incident" in page
    response = client_for(incident_manager).post(
        f"/incidents/{outage.number}/major/", {"version": outage.version, "major_incident": "on"}
    )
    assert response.status_code == 302
    outage.refresh_from_db()
    assert outage.major_incident and outage.major.proposed_by == agent and outage.major.is_declared


def test_only_the_incident_manager_declares_and_posts_updates(agent, incident_manager, outage):
    with pytest.raises(PermissionDenied):
        services.major_declare(actor=agent, incident=outage)
    major = declare(incident_manager, outage)
    with pytest.raises(PermissionDenied):
        services.major_update_post(actor=agent, incident=major, body="All fine")
    response = client_for(agent).post(f"/incidents/{major.number}/major/log/", {"body": "All fine"})
    assert response.status_code == 403
    assert not MajorUpdate.objects.exists()


def test_status_updates_are_kept_and_reach_the_callers_of_children_by_mail_and_banner(
    agent, incident_manager, alice, bob, outage, email_service
):
    major = declare(incident_manager, outage)
    child = make_incident(actor=agent, caller=bob, title="Mail stuck in outbox", service=email_service)
    services.major_link_child(actor=incident_manager, incident=major, child=child)
    client = client_for(incident_manager)

    assert (
        client.post(f"/incidents/{major.number}/major/log/", {"body": "Mail relay restarted"}).status_code
        == 302
    )
    assert (
        client.post(f"/incidents/{major.number}/major/log/", {"body": "<b>Queue</b> draining"}).status_code
        == 302
    )
    assert client.post(f"/incidents/{major.number}/major/log/", {"body": "  "}).status_code == 400

    updates = list(MajorUpdate.objects.filter(major__incident=major).order_by("created_at", "id"))
    assert [u.body for u in updates] == ["Mail relay restarted", "<b>Queue</b> draining"]
    with pytest.raises(ValueError):
        updates[0].save()
    publish(major)
    sent = Notification.objects.filter(kind="major_update")
    assert set(sent.values_list("recipient__username", flat=True)) == {alice.username, bob.username}
    assert sent.filter(recipient=bob, incident=child).count() == 2  # about bob's own incident
    for n in sent:
        notification_email_send(n.pk)
    to_bob = [m for m in mail.outbox if m.to == [bob.email]]
    assert len(to_bob) == 2 and all(child.number in m.body for m in to_bob)
    assert any("<b>Queue</b> draining" in m.body for m in to_bob)

    banners = major_banners_for(access_for(alice))
    assert [(b.service, b.update) for b in banners] == [("Email", "<b>Queue</b> draining")]
    assert banners[0].url == ""  # callers get no link to the staff page
    html = render_to_string("incidents/_major_banner.html", {"banners": banners})
    assert "&lt;b&gt;Queue&lt;/b&gt; draining" in html
    home = client_for(alice).get("/portal/").content.decode()
    assert 'data-testid="major-banner"' in home and "&lt;b&gt;Queue" in home
    assert major_banners_for(access_for(alice), service_slug="vpn") == []


def test_the_banner_goes_when_the_major_incident_is_resolved(agent, incident_manager, alice, outage):
    major = declare(incident_manager, outage)
    services.major_update_post(actor=incident_manager, incident=major, body="Investigating")
    assert major_banners_for(access_for(alice))
    services.incident_resolve(
        actor=incident_manager,
        incident=major,
        expected_version=None,
        resolution_code="permanent_fix",
        resolution_notes="Relay replaced",
    )
    assert major_banners_for(access_for(alice)) == []


def test_related_incidents_are_proposed_on_the_log_and_linked_in_one_click_and_resolve_with_it(
    agent, incident_manager, bob, outage, email_service
):
    earlier = make_incident(actor=agent, caller=bob, title="Earlier", service=email_service, now=T0)
    major = declare(incident_manager, outage)
    with time_machine.travel(T0 + timedelta(minutes=20), tick=False):
        related = make_incident(actor=agent, caller=bob, title="Cannot send", service=email_service)
        elsewhere = make_incident(actor=agent, caller=bob, title="VPN down")
        client = client_for(incident_manager)
        page = client.get(f"/incidents/{major.number}/major/log/")
        candidates = {c.number for c in page.context["candidates"]}
        assert candidates == {related.number}
        assert earlier.number not in candidates and elsewhere.number not in candidates

        response = client.post(f"/incidents/{major.number}/major/link/", {"child": related.number})
        assert response.status_code == 302
        related.refresh_from_db()
        assert related.parent_id == major.pk
        assert client.get(f"/incidents/{major.number}/major/log/").context["candidates"] == []

        services.incident_resolve(
            actor=incident_manager,
            incident=major,
            expected_version=None,
            resolution_code="permanent_fix",
            resolution_notes="Relay replaced",
        )
    related.refresh_from_db()
    assert related.status == Status.RESOLVED
    assert related.resolution_notes == f"Resolved with its parent {major.number}: Relay replaced"


def _resolved_major(incident_manager, outage):
    major = declare(incident_manager, outage)
    return services.incident_resolve(
        actor=incident_manager,
        incident=major,
        expected_version=None,
        resolution_code="permanent_fix",
        resolution_notes="Relay replaced",
    )


def test_closing_is_refused_until_the_review_is_recorded(incident_manager, agent, outage):
    major = _resolved_major(incident_manager, outage)
    with pytest.raises(ValidationError, match="post-incident review"):
        services.incident_close(actor=agent, incident=major, expected_version=None)
    response = client_for(agent).post(f"/incidents/{major.number}/close/", {"version": major.version})
    assert response.status_code == 400 and "post-incident review" in response.content.decode()

    with pytest.raises(ValidationError) as refused:
        services.review_record(actor=incident_manager, incident=major, summary="s", timeline="t", actions=[])
    assert set(refused.value.message_dict) == {"root_cause", "actions"}
    with pytest.raises(PermissionDenied):
        services.review_record(
            actor=agent,
            incident=major,
            summary="s",
            timeline="t",
            root_cause="r",
            actions=[services.ActionItem("Add a second relay", agent, date(2026, 12, 15))],
        )
    services.review_record(
        actor=incident_manager,
        incident=major,
        summary="Relay disk full",
        timeline="10:00 down",
        problem_reference="PRB0042",
        actions=[services.ActionItem("Add a second relay", agent, date(2026, 12, 15))],
    )
    closed = services.incident_close(actor=agent, incident=major, expected_version=None)
    assert closed.status == Status.CLOSED


def test_the_review_page_records_checks_lines_and_prints(incident_manager, agent, outage):
    major = _resolved_major(incident_manager, outage)
    client = client_for(incident_manager)
    url = f"/incidents/{major.number}/review/"
    form = client.get(url)
    assert "Declared a major incident" in form.context["form"].initial["timeline"]
    bad = client.post(
        url, {"summary": "x", "root_cause": "y", "timeline": "z", "actions": "nobody | soon | fix"}
    )
    assert bad.status_code == 400 and "Line 1" in bad.content.decode()
    good = client.post(
        url,
        {
            "summary": "Disk full",
            "root_cause": "No alert on disk",
            "timeline": "10:00 down\n11:00 up",
            "actions": f"{agent.username} | 2026-12-15 | Alert on relay disk",
        },
    )
    assert good.status_code == 302
    page = client_for(agent).get(url).content.decode()
    assert "Alert on relay disk" in page and "2026-12-15" in page and "css/major.css" in page
    assert 'data-testid="review-form"' not in page  # staff read it; only the incident manager edits
    from django.contrib.staticfiles import finders

    assert "@media print" in Path(finders.find("css/major.css")).read_text()


def test_auto_close_waits_for_the_review_of_a_major_incident(incident_manager, outage):
    major = _resolved_major(incident_manager, outage)
    assert incidents_autoclose(now=timezone.now() + timedelta(days=30)) == 0
    assert Incident.objects.get(pk=major.pk).status == Status.RESOLVED


def test_the_major_flag_on_create_and_through_the_api_declares_or_proposes(agent, incident_manager, alice):
    declared = make_incident(actor=incident_manager, caller=alice, major_incident=True)
    assert declared.major_incident and declared.sla_policy_slug == "major"
    proposed = make_incident(actor=agent, caller=alice, major_incident=True)
    assert not proposed.major_incident and proposed.major.proposed_by == agent
    with pytest.raises(ValidationError, match="stays major"):
        services.incident_update(
            actor=incident_manager, incident=declared, expected_version=None, major_incident=False
        )
