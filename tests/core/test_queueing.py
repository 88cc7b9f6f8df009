"""``core.queueing``: services queue tasks by name, after the commit, and a broker outage never fails
the request (SPEC §7, issue 20 §3)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from kombu.exceptions import OperationalError

from core import queueing
from servicedesk import celery_app

REGISTERED = "incidents.tasks.notification_email_task"


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[Any, ...]]]:
    """What reached the broker: the registered task's ``apply_async`` and the app's ``send_task``."""
    calls: list[tuple[str, tuple[Any, ...]]] = []
    task = celery_app.tasks[REGISTERED]

    def apply_async(args: Any = None, kwargs: Any = None, **options: Any) -> None:
        calls.append((task.name, tuple(args or ())))

    def send_task(name: str, args: Any = None, kwargs: Any = None, **options: Any) -> None:
        calls.append((name, tuple(args or ())))

    monkeypatch.setattr(task, "apply_async", apply_async)
    monkeypatch.setattr(celery_app, "send_task", send_task)
    return calls


@pytest.mark.django_db
def test_a_task_is_queued_by_name_only_once_the_transaction_commits(
    sent: list[tuple[str, tuple[Any, ...]]], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        queueing.enqueue_on_commit(REGISTERED, 42)
        assert sent == []  # not before the commit
    assert sent == [(REGISTERED, (42,))]


@pytest.mark.django_db
def test_a_task_this_process_has_not_registered_is_sent_by_its_name(
    sent: list[tuple[str, tuple[Any, ...]]], django_capture_on_commit_callbacks: Any
) -> None:
    name = "reporting.tasks.not_imported_in_this_process_task"
    with django_capture_on_commit_callbacks(execute=True):
        queueing.enqueue_on_commit(name, 7)
    assert sent == [(name, (7,))]


@pytest.mark.django_db
def test_nothing_is_queued_inside_muted(
    sent: list[tuple[str, tuple[Any, ...]]], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True), queueing.muted():
        queueing.enqueue_on_commit(REGISTERED, 1)
    assert sent == []


@pytest.mark.django_db
def test_a_broker_outage_is_logged_and_does_not_fail_the_commit(
    monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any, caplog: pytest.LogCaptureFixture
) -> None:
    def down(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("Connection refused")

    monkeypatch.setattr(celery_app.tasks[REGISTERED], "apply_async", down)
    with (
        caplog.at_level(logging.WARNING, logger="core.queueing"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        queueing.enqueue_on_commit(REGISTERED, 3)
    assert f"broker unavailable: {REGISTERED} not queued" in caplog.text


def test_every_name_a_service_queues_is_a_registered_task() -> None:
    """The services' constants are the tasks' ``name=``; renaming one side alone would queue
    messages no worker runs."""
    from incidents.notifications import delivery
    from incidents.records import outbox
    from reporting import services as reporting_services
    from surveys import services as survey_services

    celery_app.loader.import_default_modules()  # what a worker imports at start (autodiscovery)
    names = {
        outbox.PUBLISH_TASK,
        outbox.PUBLISH_TOGETHER_TASK,
        delivery.EMAIL_TASK,
        reporting_services.DELIVERY_SEND_TASK,
        survey_services.MAIL_TASK,
    }
    assert names <= set(celery_app.tasks)


def test_the_task_names_of_beat_and_the_routes_are_registered(settings: Any) -> None:
    """Beat schedules and messages already in a broker name tasks: moving a module keeps its names."""
    celery_app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    routed = {name for name in settings.CELERY_TASK_ROUTES if "*" not in name}
    assert scheduled | routed <= set(celery_app.tasks)
