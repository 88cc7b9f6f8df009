"""/metrics: who may read it, the request figures by view, and the product's health figures."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import redis
import time_machine
from django.test import Client
from django.utils import timezone

from incidents.models import Incident, IncidentEvent, Notification
from intake.models import InboundMessage, Outcome
from operations import health
from operations.models import TaskRun
from servicedesk import celery_app
from tests.factories import make_incident
from tests.workers import app_broker, dedicated_broker_url

TOKEN = "scrape-token-for-tests-0123456789"


def sample(text: str, metric: str, **labels: str) -> float | None:
    """The value of one sample in Prometheus's text format."""
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(metric):
            continue
        name, _, rest = line.partition("{") if "{" in line.split(" ")[0] else (line.split(" ")[0], "", "")
        if name != metric:
            continue
        got = dict(re.findall(r'(\w+)="([^"]*)"', rest.rpartition("}")[0])) if rest else {}
        if all(got.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


def scrape(client: Client, **headers: str):
    return client.get("/metrics", **headers)


@pytest.mark.django_db
def test_closed_unless_a_token_or_an_address_is_configured(settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = []
    assert scrape(Client()).status_code == 404


@pytest.mark.django_db
def test_the_bearer_token_opens_it_and_nothing_else_does(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_NETWORKS = []
    client = Client()
    refused = scrape(client)
    assert refused.status_code == 401 and refused["WWW-Authenticate"].startswith("Bearer")
    assert scrape(client, HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert scrape(client, HTTP_AUTHORIZATION=f"Basic {TOKEN}").status_code == 401
    answer = scrape(client, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/plain")
    assert client.post("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 405


@pytest.mark.django_db
def test_an_allowed_network_opens_it_without_a_token(settings):
    import ipaddress

    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network("10.1.0.0/16")]
    assert scrape(Client(REMOTE_ADDR="10.1.2.3")).status_code == 200
    assert scrape(Client(REMOTE_ADDR="10.2.0.1")).status_code == 401
    # behind no trusted proxy, what a client writes in X-Forwarded-For is ignored
    assert scrape(Client(REMOTE_ADDR="10.2.0.1", HTTP_X_FORWARDED_FOR="10.1.2.3")).status_code == 401


@pytest.mark.django_db
def test_requests_are_counted_and_timed_by_view_not_by_path(settings, agent):
    settings.METRICS_TOKEN = TOKEN
    client = Client()
    client.force_login(agent)
    incident = make_incident(actor=agent)
    before = scrape(client, HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    n0 = (
        sample(before, "servicedesk_http_requests_total", view="incidents:detail", method="GET", status="200")
        or 0
    )
    for _ in range(3):
        assert client.get(f"/incidents/{incident.number}/").status_code == 200
    after = scrape(client, HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    n1 = sample(after, "servicedesk_http_requests_total", view="incidents:detail", method="GET", status="200")
    assert n1 == n0 + 3
    count = sample(
        after, "servicedesk_http_request_duration_seconds_count", view="incidents:detail", method="GET"
    )
    assert count is not None and count >= 3
    assert incident.number not in after  # one series per view, never one per incident


@pytest.mark.django_db
def test_the_ages_of_waiting_work_and_the_open_incidents(settings, agent):
    settings.METRICS_TOKEN = TOKEN
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        incident = make_incident(actor=agent, impact=1, urgency=1)
        IncidentEvent.objects.filter(incident=incident).update(notified_at=None)
        Notification.objects.create(recipient=agent, subject="s", email_to="a@example.org")
        Incident.objects.filter(pk=incident.pk).update(sla_next_check_at=start)
        InboundMessage.objects.create(message_key="k1", outcome=Outcome.REVIEW)
    with time_machine.travel(start + timedelta(seconds=400), tick=False):
        figures = {(f.metric, tuple(f.labels.items())): f for f in health.figures()}
        text = scrape(Client(), HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()

    for metric in (
        "servicedesk_oldest_unpublished_event_age_seconds",
        "servicedesk_oldest_unsent_mail_age_seconds",
        "servicedesk_oldest_due_sla_check_age_seconds",
        "servicedesk_oldest_unread_inbound_message_age_seconds",
    ):
        assert sample(text, metric) == pytest.approx(400, abs=1), metric
    # 400 s is past the critical threshold of the outbox, the mail and the sweep, not of the review queue
    assert figures[("servicedesk_oldest_unsent_mail_age_seconds", ())].level == health.WARNING
    assert figures[("servicedesk_oldest_due_sla_check_age_seconds", ())].level == health.CRITICAL
    assert figures[("servicedesk_oldest_unread_inbound_message_age_seconds", ())].level == health.OK
    incident.refresh_from_db()
    assert (
        sample(
            text, "servicedesk_open_incidents", priority=f"P{incident.priority}", sla_state=incident.sla_state
        )
        == 1
    )
    assert sample(text, "servicedesk_open_incidents", priority="P5", sla_state="breached") == 0


@pytest.mark.django_db
def test_nothing_waiting_reads_zero(settings):
    figures = {f.metric: f for f in health.figures() if not f.labels}
    assert {f.value for f in figures.values()} == {0.0}
    assert {f.level for f in figures.values()} == {health.OK}


@pytest.mark.django_db
def test_the_depth_of_each_queue_is_read_from_the_broker(settings):
    url = dedicated_broker_url()
    settings.CELERY_BROKER_URL = url
    redis.Redis.from_url(url).flushdb()
    with app_broker(celery_app, url):
        for _ in range(3):
            celery_app.send_task("incidents.tasks.sla_sweep_task")
        celery_app.send_task("reporting.tasks.dashboard_refresh_task")
        celery_app.send_task("incidents.tasks.sla_sweep_task", priority=9)
        depths = health.queue_depths()
    assert depths["sweep"] == 4 and depths["reports"] == 1 and depths["notifications"] == 0
    redis.Redis.from_url(url).flushdb()


@pytest.mark.django_db
def test_an_unreachable_broker_is_unknown_not_an_error(settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    depths = health.queue_depths()
    assert set(depths.values()) == {None}
    queue = next(f for f in health.figures() if f.metric == "servicedesk_celery_queue_depth")
    assert queue.level == health.UNKNOWN


@pytest.mark.django_db
@time_machine.travel("2026-12-15 12:00:00+00:00", tick=False)
def test_each_beat_task_reports_how_late_it_is(settings):
    now = timezone.now()
    TaskRun.objects.create(task="incidents.tasks.sla_sweep_task", succeeded_at=now - timedelta(seconds=30))
    TaskRun.objects.create(
        task="incidents.tasks.notifications_flush_task", succeeded_at=now - timedelta(hours=1)
    )
    TaskRun.objects.create(task="reporting.tasks.monthly_report_task", succeeded_at=now - timedelta(days=3))
    by_task = {
        f.labels["task"]: f for f in health.figures() if f.metric == "servicedesk_beat_task_overdue_seconds"
    }
    assert set(by_task) == {e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()}
    assert by_task["incidents.tasks.sla_sweep_task"].level == health.OK
    assert by_task["incidents.tasks.notifications_flush_task"].level == health.CRITICAL  # every minute
    assert by_task["reporting.tasks.monthly_report_task"].level == health.OK  # monthly
    assert by_task["surveys.tasks.surveys_perception_task"].level == health.UNKNOWN  # never ran
