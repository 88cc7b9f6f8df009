"""Mail through real Celery workers, a real Redis and a real SMTP server: crashes and outages (SPEC §7)."""

from __future__ import annotations

import os
import signal
import time
from contextlib import suppress
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from incidents.models import IncidentEvent, Notification
from incidents.notifications.delivery import message_id
from incidents.notifications.tasks import notifications_flush_task
from servicedesk import celery_app
from tests import workers
from tests.factories import make_incident, make_user
from tests.smtp import smtp_server, smtp_settings
from tests.workers import CeleryWorker, OwnRedis, app_broker, dedicated_broker_url, free_port, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
CLAIM_SECONDS = 2


def _worker(tmp_path, name: str, *, broker_url: str, smtp_port: int) -> CeleryWorker:
    return CeleryWorker(
        database_url=workers.test_database_url(),
        broker_url=broker_url,
        work_dir=tmp_path / name,
        extra_env={
            "DJANGO_SETTINGS_MODULE": "tests.smtp_worker_settings",
            "TEST_SMTP_PORT": str(smtp_port),
            "NOTIFICATION_EMAIL_CLAIM_SECONDS": str(CLAIM_SECONDS),
        },
    )


def _people():
    agent = make_user("agent-mail", groups=["service-desk"])
    caller = make_user("caller-mail", email="caller@example.org")
    return agent, caller


def test_a_worker_killed_between_send_and_mark_sends_the_same_message_at_most_twice(tmp_path):
    agent, caller = _people()
    broker = dedicated_broker_url()
    with smtp_server() as (server, port), app_broker(celery_app, broker):
        first = _worker(tmp_path, "first", broker_url=broker, smtp_port=port)
        second = _worker(tmp_path, "second", broker_url=broker, smtp_port=port)
        killed: list[int] = []

        def kill_the_sender(message) -> None:
            # The server has the message; the worker dies before it hears "250" and marks the row.
            if not killed and first.process is not None:
                killed.append(first.process.pid)
                with suppress(ProcessLookupError):
                    os.killpg(first.process.pid, signal.SIGKILL)

        server.on_data = kill_the_sender
        first.start()
        try:
            incident = make_incident(actor=agent, caller=caller)
            wait_for(lambda: bool(killed) and not first.running, deadline_s=60, every_s=1.0)
            notification = Notification.objects.get(incident=incident, recipient=caller)
            assert notification.emailed_at is None and notification.email_claimed_until is not None

            second.start()

            def emailed() -> bool:
                """a worker sent the mail again once the dead worker's claim ran out, and marked it"""
                return Notification.objects.filter(pk=notification.pk, emailed_at__isnull=False).exists()

            wait_for(emailed, deadline_s=60, every=notifications_flush_task.delay, every_s=1.0)
        except BaseException:
            first.dump_log()
            second.dump_log()
            raise
        finally:
            first.kill()
            second.stop()
            second.purge()
        copies = server.to("caller@example.org")
    assert 1 <= len(copies) <= 2
    assert len(copies) == 2  # here the first copy did reach the server before the kill
    assert {m["Message-ID"] for m in copies} == {message_id(notification)}
    notification.refresh_from_db()
    assert notification.email_attempts == 2


def test_with_the_broker_down_the_mail_leaves_once_it_is_back(tmp_path):
    agent, caller = _people()
    redis_server = OwnRedis(free_port())
    redis_server.start()
    try:
        with smtp_server() as (server, port), app_broker(celery_app, redis_server.url):
            redis_server.stop()
            started = time.monotonic()
            # Logged a minute ago, while the broker was down: nothing could be queued.
            incident = make_incident(actor=agent, caller=caller, now=timezone.now() - timedelta(minutes=1))
            assert time.monotonic() - started < 5
            event = IncidentEvent.objects.get(incident=incident)
            assert event.notified_at is None
            assert not Notification.objects.filter(incident=incident).exists()

            redis_server.start()
            worker = _worker(tmp_path, "after", broker_url=redis_server.url, smtp_port=port)
            worker.start()
            try:

                def sent() -> bool:
                    """beat's flush published the event and the mail left"""
                    return Notification.objects.filter(
                        incident=incident, recipient=caller, emailed_at__isnull=False
                    ).exists()

                wait_for(sent, deadline_s=60, every=notifications_flush_task.delay, every_s=2)
            except BaseException:
                worker.dump_log()
                raise
            finally:
                worker.stop()
            with override_settings(**smtp_settings(port)):
                assert notifications_flush_task() == 0  # one more catch-up finds nothing left to send
            copies = server.to("caller@example.org")
    finally:
        redis_server.stop()
    assert len(copies) == 1
    event.refresh_from_db()
    assert event.notified_at is not None
