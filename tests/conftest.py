"""Test infrastructure: real Chromium for Playwright and a real Celery worker.

Domain factories live in tests/factories.py, not here.
"""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from tests.workers import CeleryWorker, app_broker, dedicated_broker_url, test_database_url

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # `playwright install` cannot download here: drive the system Chromium. Without the
    # background-networking flags its own connections are refused by the closed network.
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


def _failed(request: pytest.FixtureRequest) -> bool:
    return any(
        getattr(getattr(request.node, f"report_{when}", None), "failed", False) for when in ("setup", "call")
    )


@pytest.fixture
def celery_worker_process(request, transactional_db, tmp_path) -> Iterator[CeleryWorker]:
    """A started Celery worker (no beat) on the test database and a Redis database of this run's own.

    For ``@pytest.mark.django_db(transaction=True)`` tests: the worker is another process, so it
    only sees committed rows. Its log is printed when the test fails.
    """
    from servicedesk import celery_app

    worker = CeleryWorker(
        database_url=test_database_url(),
        broker_url=dedicated_broker_url(),
        work_dir=tmp_path / "celery",
    )
    with app_broker(celery_app, worker.broker_url):
        worker.start()
        try:
            yield worker
        finally:
            worker.stop()
            if _failed(request):
                worker.dump_log()
