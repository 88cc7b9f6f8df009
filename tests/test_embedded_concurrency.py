"""The embedded default holds a team (SPEC §13): `make run` with 8 people at once, worker and beat running.

The stack is the real one (scripts/run.sh: SQLite file, filesystem broker, runserver, a Celery worker
with beat); the clients are threads speaking HTTP like a browser (sign-in form, CSRF, the log and
comment forms) or like an API client (token, JSON). What is checked afterwards is read straight from
the SQLite file.
"""

from __future__ import annotations

import http.cookiejar
import json
import re
import sqlite3
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.embedded import EmbeddedStack, csrf_token, embedded_stack

# serial: its 8 people must get their pace from the machine, not share it with other tests.
pytestmark = [pytest.mark.slow, pytest.mark.serial]

PASSWORD = "demo-password"
LOAD_SECONDS = 30
BROWSER_USERS = ("agent", "tech", "netops", "incidentmgr")
API_USERS = ("dba", "admin", "alice", "bob")
REQUEST_TIMEOUT_S = 60


@dataclass
class Exchange:
    user: str
    method: str
    path: str
    status: int  # 0: no HTTP answer at all
    seconds: float
    detail: str = ""


@dataclass
class Journal:
    """What every client did and what the server said, shared by the client threads."""

    exchanges: list[Exchange] = field(default_factory=list)
    created: dict[str, str] = field(default_factory=dict)  # number → title
    comments: list[tuple[str, str]] = field(default_factory=list)  # (number, body)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def failures(self) -> list[Exchange]:
        return [e for e in self.exchanges if e.status == 0 or e.status >= 500]


class Client:
    """One person: a cookie jar, and every request written to the journal."""

    def __init__(self, base: str, user: str, journal: Journal) -> None:
        self.base, self.user, self.journal = base, user, journal
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.headers: dict[str, str] = {}

    def request(
        self, method: str, path: str, *, form: dict[str, str] | None = None, payload: Any = None
    ) -> tuple[int, str, str]:
        """(status, body, final URL); redirects are followed as a browser does."""
        headers = dict(self.headers)
        data = None
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
        elif payload is not None:
            data = json.dumps(payload).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.base + path, data=data, headers=headers, method=method)  # noqa: S310
        started = time.monotonic()
        try:
            with self.opener.open(request, timeout=REQUEST_TIMEOUT_S) as response:
                status, body, url = response.status, response.read().decode(), response.geturl()
        except urllib.error.HTTPError as error:
            status, body, url = error.code, error.read().decode(errors="replace"), error.geturl()
        except OSError as error:
            status, body, url = 0, repr(error), ""
        with self.journal.lock:
            detail = body[-2000:] if status == 0 or status >= 400 else ""
            seconds = time.monotonic() - started
            self.journal.exchanges.append(Exchange(self.user, method, path, status, seconds, detail))
        return status, body, url


def _browser_person(client: Client, deadline: float, serial: Iterator[int]) -> None:
    status, page, _ = client.request("GET", "accounts/login/")
    if status != 200:
        return
    status, _, landed = client.request(
        "POST",
        "accounts/login/",
        form={"username": client.user, "password": PASSWORD, "csrfmiddlewaretoken": csrf_token(page)},
    )
    if status != 200 or "/accounts/login/" in landed:
        return
    while time.monotonic() < deadline:
        status, page, _ = client.request("GET", "incidents/new/")
        if status != 200:
            continue
        title = f"{client.user} browser {next(serial)}"
        form = {
            "csrfmiddlewaretoken": csrf_token(page),
            "caller": "alice",
            "channel": "phone",
            "impact": "2",
            "urgency": "2",
            "title": title,
            "description": "The printer on floor 2 is jammed again.",
        }
        status, page, landed = client.request("POST", "incidents/new/", form=form)
        found = re.search(r"/incidents/(INC\d+)/$", landed)
        if status != 200 or not found:
            continue
        number = found.group(1)
        with client.journal.lock:
            client.journal.created[number] = title
        body = f"work note on {number} by {client.user} ({title})"
        comment = {"csrfmiddlewaretoken": csrf_token(page), "body": body, "public": "0"}
        status, page, _ = client.request("POST", f"incidents/{number}/comment/", form=comment)
        if status == 200 and "errorlist" not in page:
            with client.journal.lock:
                client.journal.comments.append((number, body))
        client.request("GET", "incidents/?queue=all")
        status, page, _ = client.request("GET", "notifications/")
        if status == 200:
            client.request("POST", "notifications/", form={"csrfmiddlewaretoken": csrf_token(page)})


def _api_person(client: Client, deadline: float, serial: Iterator[int]) -> None:
    status, body, _ = client.request(
        "POST", "api/v1/auth/token/", payload={"username": client.user, "password": PASSWORD}
    )
    if status != 200:
        return
    client.headers["Authorization"] = f"Token {json.loads(body)['token']}"
    while time.monotonic() < deadline:
        title = f"{client.user} api {next(serial)}"
        status, body, _ = client.request(
            "POST", "api/v1/incidents/", payload={"title": title, "description": "VPN drops every hour."}
        )
        if status != 201:
            continue
        number = json.loads(body)["number"]
        with client.journal.lock:
            client.journal.created[number] = title
        text = f"comment on {number} by {client.user} ({title})"
        status, _, _ = client.request("POST", f"api/v1/incidents/{number}/comments/", payload={"body": text})
        if status == 201:
            with client.journal.lock:
                client.journal.comments.append((number, text))
        client.request("GET", "api/v1/incidents/")
        client.request("GET", "api/v1/notifications/?unread=true")
        client.request("POST", "api/v1/notifications/read/", payload={})


def _run_threads(targets: list[tuple[Any, tuple[Any, ...]]]) -> None:
    threads = [threading.Thread(target=fn, args=args, daemon=True) for fn, args in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(LOAD_SECONDS + 2 * REQUEST_TIMEOUT_S)
    assert not any(thread.is_alive() for thread in threads), "a client is still waiting for an answer"


def _rows(database: Path, sql: str) -> list[tuple[Any, ...]]:
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def _summary(journal: Journal, stack: EmbeddedStack) -> str:
    failed = journal.failures()
    lines = [f"{len(failed)} of {len(journal.exchanges)} requests got no answer or a 5xx:"]
    lines += [f"  {e.user} {e.method} /{e.path} → {e.status}" for e in failed[:20]]
    lines += [f"first failure body:\n{failed[0].detail}" if failed else "", "log tail:"]
    lines.append(stack.log.read_text(errors="replace")[-4000:])
    return "\n".join(lines)


def _pace(journal: Journal, elapsed: float) -> str:
    """Who logged how many incidents, and the slowest answers: for a run that got little done."""
    by_user = {
        u: sum(t.startswith(u + " ") for t in journal.created.values()) for u in (*BROWSER_USERS, *API_USERS)
    }
    slowest = sorted(journal.exchanges, key=lambda e: -e.seconds)[:10]
    lines = [f"{len(journal.created)} incidents in {elapsed:.0f} s: {by_user}", "slowest answers:"]
    return "\n".join(
        lines + [f"  {e.seconds:5.1f} s {e.user} {e.method} /{e.path} → {e.status}" for e in slowest]
    )


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStack]:
    # Eight people do in 30 s what a team does in an hour: the per-user write throttle would
    # answer 429 long before the database is in trouble. The sweep runs every few seconds so
    # that beat's writes meet the clients'.
    with embedded_stack(
        tmp_path_factory.mktemp("embedded"),
        DEMO_INCIDENTS="20",
        THROTTLE_WRITES="100000/min",
        THROTTLE_TOKEN="1000/min",
        SLA_SWEEP_INTERVAL="3",
    ) as running:
        yield running


def test_a_burst_of_16_parallel_creates_all_succeed(stack):
    # given API tokens for four staff members
    journal = Journal()
    clients = []
    for user in ("agent", "tech", "dba", "incidentmgr"):
        client = Client(stack.base, user, journal)
        status, body, _ = client.request(
            "POST", "api/v1/auth/token/", payload={"username": user, "password": PASSWORD}
        )
        assert status == 200, body
        client.headers["Authorization"] = f"Token {json.loads(body)['token']}"
        clients.append(client)
    start = threading.Barrier(16)
    numbers: list[str] = []

    def create(client: Client, i: int) -> None:
        start.wait()
        status, body, _ = client.request("POST", "api/v1/incidents/", payload={"title": f"burst {i}"})
        if status == 201:
            with journal.lock:
                numbers.append(json.loads(body)["number"])

    # when 16 creates arrive at once
    _run_threads([(create, (clients[i % 4], i)) for i in range(16)])

    # then each one is logged, with its own number
    statuses = sorted(e.status for e in journal.exchanges if e.path == "api/v1/incidents/")
    assert statuses == [201] * 16, _summary(journal, stack)
    assert len(set(numbers)) == 16
    stored = {row[0] for row in _rows(stack.database, "SELECT number FROM incidents_incident")}
    assert set(numbers) <= stored


def test_8_people_for_30_s_get_no_server_error_and_lose_no_write(stack):
    journal = Journal()
    serial = iter(range(1_000_000))  # next() on a range iterator is atomic under the GIL
    deadline = time.monotonic() + LOAD_SECONDS

    # when four people work in the browser and four through the API for 30 s, worker and beat running
    people = [(_browser_person, (Client(stack.base, u, journal), deadline, serial)) for u in BROWSER_USERS]
    people += [(_api_person, (Client(stack.base, u, journal), deadline, serial)) for u in API_USERS]
    started = time.monotonic()
    _run_threads(people)
    elapsed = time.monotonic() - started

    # then no request failed on the server's side
    assert not journal.failures(), _summary(journal, stack)
    assert {e.status for e in journal.exchanges} <= {200, 201}, sorted(
        {(e.user, e.method, e.path, e.status) for e in journal.exchanges if e.status >= 400}
    )
    # and everyone got real work done: signed in, logged and commented, in every role
    creators = [title.split()[0] for title in journal.created.values()]
    assert set(creators) == {*BROWSER_USERS, *API_USERS}, _summary(journal, stack)
    assert min(creators.count(user) for user in set(creators)) >= 2, _pace(journal, elapsed)

    # and every incident and comment acknowledged is stored
    stored = dict(_rows(stack.database, "SELECT number, title FROM incidents_incident"))
    missing = {n: t for n, t in journal.created.items() if stored.get(n) != t}
    assert not missing, missing
    bodies = {row[0] for row in _rows(stack.database, "SELECT body FROM incidents_incidentevent")}
    assert not [c for c in journal.comments if c[1] not in bodies]
    assert len(journal.comments) >= len(journal.created) - 8

    # and numbers, demo history and burst included, are unique and run without a gap
    values = sorted(int(n.removeprefix("INC")) for n in stored)
    assert values == list(range(1, len(stored) + 1))
    assert _rows(stack.database, "SELECT value FROM incidents_counter WHERE name = 'incident'") == [
        (len(stored),)
    ]

    # and the worker keeps up: the outbox drains and no task met a locked database
    drain_deadline = time.monotonic() + 30
    pending_sql = "SELECT count(*) FROM incidents_incidentevent WHERE notified_at IS NULL"
    while _rows(stack.database, pending_sql) != [(0,)] and time.monotonic() < drain_deadline:
        time.sleep(0.5)
    assert _rows(stack.database, pending_sql) == [(0,)], stack.log.read_text(errors="replace")[-4000:]
    assert _rows(stack.database, "SELECT count(*) FROM incidents_notification")[0][0] > 0
    assert "database is locked" not in stack.log.read_text(errors="replace")

    # and the mail links lead to the address the product is served on (SITE_URL follows PORT)
    mail = "".join(path.read_text(errors="replace") for path in (stack.var_dir / "mail").iterdir())
    assert f"{stack.base}incidents/INC" in mail
    assert "127.0.0.1:8000" not in mail
