"""The beat task is registered, and a real Celery worker runs it once against a Maildir."""

from __future__ import annotations

import mailbox

import pytest
from django.conf import settings

from incidents.models import Incident
from intake.tasks import mailbox_poll_task
from servicedesk import celery_app
from tests import workers
from tests.factories import make_user
from tests.intake.conftest import corpus
from tests.workers import CeleryWorker, app_broker, dedicated_broker_url, wait_for


def test_beat_polls_the_mailbox_every_minute_by_default():
    entry = settings.CELERY_BEAT_SCHEDULE["mailbox-poll"]
    assert entry["task"] == mailbox_poll_task.name == "intake.tasks.mailbox_poll_task"
    assert entry["schedule"] == 60.0
    assert mailbox_poll_task.name in celery_app.tasks


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_takes_a_dropped_message_in(tmp_path):
    make_user("alice1", email="alice@example.org")
    maildir = tmp_path / "inbox"
    mailbox.Maildir(str(maildir), create=True).add(corpus("multipart_alternative.eml"))
    worker = CeleryWorker(
        database_url=workers.test_database_url(),
        broker_url=dedicated_broker_url(),
        work_dir=tmp_path / "celery",
        extra_env={"INBOUND_MAILDIR": str(maildir)},
    )
    with app_broker(celery_app, worker.broker_url):
        worker.start()
        try:
            mailbox_poll_task.delay()

            def taken_in() -> bool:
                """the worker opened the incident of the dropped message"""
                return Incident.objects.filter(channel="email", title="Monitor flickers on my desk").exists()

            wait_for(taken_in, deadline_s=30)
        except BaseException:
            worker.dump_log()
            raise
        finally:
            worker.stop()
    assert not list((maildir / "new").iterdir())
