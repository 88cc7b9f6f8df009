"""Sentry: never started without a DSN; with one, errors of views and tasks reach the server it names."""

from __future__ import annotations

import gzip
import http.server
import os
import subprocess
import sys
import threading
import zlib

import pytest
import sentry_sdk

from operations.errors import init_sentry
from tests.workers import REPO_ROOT


def test_without_a_dsn_sentry_is_not_started(settings):
    settings.SENTRY_DSN = ""
    assert init_sentry() is False
    assert not sentry_sdk.get_client().is_active()


SCRIPT = """
import django
django.setup()
import sentry_sdk
from django.test import Client
from django.test.utils import override_settings
from servicedesk import celery_app

assert sentry_sdk.get_client().is_active(), "a DSN is set: the client must be started"
with override_settings(ROOT_URLCONF="tests.operations.sentry_urls"):
    response = Client(raise_request_exception=False).get("/boom/")
assert response.status_code == 500, response.status_code


@celery_app.task(name="tests.sentry_boom")
def boom():
    raise ValueError("boom from a task (sentry test)")


boom.apply()
sentry_sdk.flush(10)
"""


class Collector(http.server.BaseHTTPRequestHandler):
    bodies: list[bytes] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        elif encoding == "br":
            import brotli  # type: ignore[import-not-found]

            body = brotli.decompress(body)
        Collector.bodies.append(body)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args) -> None:
        pass


@pytest.mark.slow
def test_with_a_dsn_view_and_task_errors_reach_the_server(tmp_path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Collector.bodies = []
    try:
        env = dict(os.environ)
        env.update(
            DJANGO_SETTINGS_MODULE="servicedesk.settings.test",
            SENTRY_DSN=f"http://publickey@127.0.0.1:{server.server_address[1]}/42",
            SENTRY_ENVIRONMENT="sentry-test",
            CELERY_BROKER_URL="memory://",
        )
        done = subprocess.run(
            [sys.executable, "-c", SCRIPT],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-3000:]
    finally:
        server.shutdown()
    received = b"\n".join(Collector.bodies).decode(errors="replace")
    assert "boom from a view (sentry test)" in received
    assert "boom from a task (sentry test)" in received
    assert "sentry-test" in received
