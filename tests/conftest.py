"""Test infrastructure: real Chromium for Playwright and a real Celery worker.

Domain factories live in tests/factories.py, not here.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from django.conf import settings
from django.core.management.base import CommandError
from django.core.signals import request_finished, request_started
from django.test import TransactionTestCase
from django.test.client import AsyncClientHandler, ClientHandler
from django.utils import translation

from live.watcher import watcher as live_watcher
from tests.factories import make_user
from tests.workers import CeleryWorker, app_broker, dedicated_broker_url, test_database_url

# pytest-playwright keeps an event loop running in the test thread, which makes Django refuse
# synchronous ORM calls in every later test; the tests themselves are synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

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


@pytest.fixture(autouse=True)
def _browser_contexts_closed_before_the_database_is_reset(request: pytest.FixtureRequest) -> Iterator[None]:
    """Close every browser context a live-server test opened before its database is reset.

    The live server lives for the whole session. A page left open after its test keeps talking to it (the
    bell polls, a redirect's sub-requests are still arriving) while the test's teardown truncates every
    table, and PostgreSQL breaks the resulting deadlock by failing one side: the flush, then the next test.
    Requesting the live server's own helper first makes this fixture's teardown run before its flush.
    """
    if "browser" not in request.fixturenames or "live_server" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("_live_server_helper")
    browser = request.getfixturevalue("browser")
    yield
    for context in list(browser.contexts):
        with contextlib.suppress(Exception):  # already closed by its own fixture, or the browser has gone
            context.close()
    # A closed page does not stop what the server is still answering for it: let that finish first.
    _requests_in_flight.drained(timeout=15.0)


class _RequestsInFlight:
    """The live server's requests still being answered, less the live feeds parked on the watcher
    (those hold no connection while they wait, and answer only after the flush).

    Kept as the threads answering them: the test client's requests (run in the test's own thread, and a
    streaming response it never reads never says it finished) are not the live server's, and a thread
    that has ended answers nothing whatever it said."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._threads: dict[int, threading.Thread] = {}

    @staticmethod
    def _ours(sender: object) -> bool:
        return not (isinstance(sender, type) and issubclass(sender, (ClientHandler, AsyncClientHandler)))

    def started(self, sender: object, **kwargs: object) -> None:
        if self._ours(sender):
            with self._condition:
                self._threads[threading.get_ident()] = threading.current_thread()

    def finished(self, sender: object, **kwargs: object) -> None:
        with self._condition:
            self._threads.pop(threading.get_ident(), None)
            self._condition.notify_all()

    def _busy(self) -> int:
        for ident, thread in list(self._threads.items()):
            if not thread.is_alive():
                del self._threads[ident]
        return len(self._threads) - live_watcher.waiting()

    def drained(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with self._condition:
            while self._busy() > 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    return  # the flush's retry (below) is the safety net
                self._condition.wait(min(left, 0.05))


_requests_in_flight = _RequestsInFlight()
request_started.connect(_requests_in_flight.started, dispatch_uid="tests-requests-in-flight-started")
request_finished.connect(_requests_in_flight.finished, dispatch_uid="tests-requests-in-flight-finished")


Teardown = Callable[[TransactionTestCase], None]


def _flush_retried_on_deadlock(flush: Teardown) -> Teardown:
    """A request still running when a live-server test's tables are truncated can deadlock with the
    TRUNCATE, and PostgreSQL may choose the flush as the victim: the next test would then find the last
    one's rows. The flush is tried again (the request it raced has gone by then)."""

    def fixture_teardown(self: TransactionTestCase) -> None:
        for attempt in range(4):
            try:
                return flush(self)
            except CommandError as error:
                if attempt == 3 or "deadlock" not in str(error.__cause__):
                    raise
                time.sleep(0.2 * (attempt + 1))  # infrastructure back-off, not a test's clock

    return fixture_teardown


TransactionTestCase._fixture_teardown = _flush_retried_on_deadlock(  # type: ignore[method-assign]
    TransactionTestCase._fixture_teardown
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--serial-phase",
        choices=("include", "exclude", "only"),
        default="include",
        help="tests marked `serial` need the machine to themselves: scripts/test.sh runs the others under "
        "pytest-xdist with `exclude`, then these alone with `only` (default: include, one process)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    mode = config.getoption("--serial-phase")
    if mode == "include":
        return
    keep, drop = [], []
    for item in items:
        serial = item.get_closest_marker("serial") is not None
        (keep if serial == (mode == "only") else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


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


_RECORD_ENV_READS = """
import importlib, json, sys
import environ

seen = set()
original = environ.Env.get_value


def recording(self, var, *args, **kwargs):
    seen.add(var)
    return original(self, var, *args, **kwargs)


environ.Env.get_value = recording
for module in sys.argv[1:]:
    importlib.import_module(module)
print(json.dumps(sorted(seen)))
"""


@pytest.fixture(scope="session")
def settings_env_vars(tmp_path_factory) -> frozenset[str]:
    """Every environment variable the settings modules read, found by importing them for real."""
    import json
    import subprocess
    import sys

    from tests.workers import REPO_ROOT

    env = {
        "PATH": os.environ.get("PATH", ""),
        "SECRET_KEY": "x" * 50,
        "ALLOWED_HOSTS": "localhost",
        "DATABASE_URL": "sqlite:////tmp/unused.sqlite3",
        "CACHE_URL": "rediscache://127.0.0.1:6379/1",  # production refuses a process-local cache
        "SERVICEDESK_VAR_DIR": str(tmp_path_factory.mktemp("var")),
    }
    modules = [f"servicedesk.settings.{name}" for name in ("production", "dev", "test")]
    out = subprocess.run(
        [sys.executable, "-c", _RECORD_ENV_READS, *modules],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # Django and Celery read these two themselves.
    return frozenset(json.loads(out)) | {"DJANGO_SETTINGS_MODULE", "CELERY_BROKER_URL"}


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup):
    """pytest-django's setup, plus: serialized contents visible to every connection object.

    Django keeps the serialized database (what ``serialized_rollback`` restores) on the
    connection object of the context that created the test database. Once Playwright runs an
    event loop, asgiref hands later tests other connection objects, which lack it, and the
    restore silently does nothing. Put it on the class so that every connection finds it.
    """
    from django.db import connections

    for conn in connections.all():
        contents = getattr(conn, "_test_serialized_contents", None)
        if contents is not None:
            type(conn)._test_serialized_contents = contents


@pytest.fixture(autouse=True)
def _sla_config_cache_fresh() -> Iterator[None]:
    """Each test reads the SLA configuration afresh (escalation.config_cache keeps it per process)."""
    from escalation import config_cache

    config_cache.cache_clear()
    config_cache.unit_end()
    yield
    config_cache.cache_clear()
    config_cache.unit_end()


# People in the default groups, for the domain, view and API tests.


@pytest.fixture
def agent(db):
    return make_user("agent1", groups=["service-desk"], first_name="Ann", last_name="Agent")


@pytest.fixture
def agent2(db):
    return make_user("agent2", groups=["service-desk"])


@pytest.fixture
def tech(db):
    return make_user("tech1", groups=["technical-support"])


@pytest.fixture
def netops(db):
    return make_user("netops1", groups=["network"])


@pytest.fixture
def access_member(db):
    return make_user("access1", groups=["access"])


@pytest.fixture
def incident_manager(db):
    return make_user("im1", roles=["Incident manager"])


@pytest.fixture
def alice(db):
    return make_user("alice1", first_name="Alice", last_name="Liddell", email="alice@example.org")


@pytest.fixture
def bob(db):
    return make_user("bob1")


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The demo, every role and the canary incidents (``tests/world.py``), built once per module.

    Built inside a transaction that is rolled back when the module ends; the module's tests
    (``db``) run in savepoints inside it, so each one's own writes are undone as usual.
    """
    from django.db import transaction

    from tests.world import build_world

    with django_db_blocker.unblock(), transaction.atomic():
        built = build_world()
        yield built
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _language_reset() -> Iterator[None]:
    """A request leaves its language active in the thread (LocaleMiddleware, the preferences, a token owner's
    language): the next test, in the same thread, starts from the organisation's."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _live_watcher_stopped() -> Iterator[None]:
    """The live feed's watcher thread (live/watcher.py) holds a connection: stopped after each test."""
    yield
    live_watcher.stop()
