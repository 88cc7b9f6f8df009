"""The request id: on the response, on every log line of the request, and into the tasks it queued."""

from __future__ import annotations

import json
import logging
import time

import pytest
from django.test import Client
from rest_framework.test import APIClient

from operations.models import TaskRun
from operations.requestid import HEADER, RequestIdFilter
from servicedesk import celery_app
from tests import workers
from tests.factories import PASSWORD, make_user
from tests.workers import CeleryWorker, app_broker, dedicated_broker_url


class Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.addFilter(RequestIdFilter())
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.mark.django_db
def test_each_response_names_its_request_and_a_proxy_id_is_kept():
    client = Client()
    first, second = client.get("/healthz")[HEADER], client.get("/healthz")[HEADER]
    assert first and second and first != second
    assert client.get("/healthz", HTTP_X_REQUEST_ID="lb-7f3a9c0d-1")[HEADER] == "lb-7f3a9c0d-1"
    # what does not look like an id (too short, spaces, a log-injecting newline) is replaced
    for bad in ("x", "two words here", "abcdefgh\nlevel=ERROR"):
        assert client.get("/healthz", HTTP_X_REQUEST_ID=bad)[HEADER] not in (bad, "")


@pytest.mark.django_db
def test_the_lines_logged_while_a_request_runs_carry_its_id():
    make_user("logger1")
    recorder = Recorder()
    axes = logging.getLogger("axes")
    axes.addHandler(recorder)
    try:
        response = Client().post("/accounts/login/", {"username": "logger1", "password": PASSWORD})
    finally:
        axes.removeHandler(recorder)
    assert response.status_code == 302
    assert recorder.records, "the sign-in logged nothing"
    assert {r.request_id for r in recorder.records} == {response[HEADER]}  # type: ignore[attr-defined]
    outside = logging.LogRecord("x", logging.INFO, __file__, 1, "m", None, None)
    RequestIdFilter().filter(outside)
    assert outside.request_id == "-"  # type: ignore[attr-defined]


def _json_lines(text: str) -> list[dict]:
    lines = []
    for line in text.splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            continue
    return lines


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_id_follows_the_request_into_its_tasks_in_json_logs(tmp_path):
    """A real worker with LOG_FORMAT=json: the task the request queued logs with the request's id, and a
    periodic task's success is recorded for the metrics."""
    agent = make_user("agent-rid", groups=["service-desk"])
    worker = CeleryWorker(
        database_url=workers.test_database_url(),
        broker_url=dedicated_broker_url(),
        work_dir=tmp_path / "celery",
        extra_env={"LOG_FORMAT": "json"},
    )
    with app_broker(celery_app, worker.broker_url):
        worker.start()
        try:
            client = APIClient()
            client.force_authenticate(agent)
            response = client.post("/api/v1/incidents/", {"title": "VPN drops every hour"}, format="json")
            assert response.status_code == 201, response.content[:300]
            rid = response[HEADER]
            celery_app.send_task("incidents.tasks.notifications_flush_task")
            deadline = time.monotonic() + 30
            mine: list[dict] = []
            while time.monotonic() < deadline:
                lines = _json_lines(worker.log())
                mine = [line for line in lines if line.get("request_id") == rid]
                recorded = TaskRun.objects.filter(task="incidents.tasks.notifications_flush_task").exists()
                if recorded and any("succeeded" in line.get("message", "") for line in mine):
                    break
                time.sleep(0.2)
            else:
                worker.dump_log()
                pytest.fail(f"no task line of the worker carried {rid}")
        finally:
            worker.stop()
    assert lines and all({"time", "level", "logger", "message", "request_id"} <= set(line) for line in lines)
    assert any(line["message"].endswith("ready.") for line in lines)  # the worker's own lines are JSON too
    # the flush was queued outside any request: its lines do not borrow the id
    assert not any("notifications_flush_task" in line["message"] for line in mine)
