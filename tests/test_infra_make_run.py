"""`make run` end to end: migrate, seed, serve, sign in as the demo agent, stop on Ctrl-C."""

import contextlib
import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.core.management import get_commands

from tests.workers import REPO_ROOT

pytestmark = pytest.mark.slow

START_TIMEOUT_S = 180
STOP_TIMEOUT_S = 15


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes in a process group."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


def _embedded_env(tmp_path: Path, port: int) -> dict[str, str]:
    # Only what a newcomer's shell would have: the test settings' database, broker and mail must
    # not leak into the embedded default.
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PYTHON")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(PORT=str(port), SERVICEDESK_VAR_DIR=str(tmp_path / "var"), DEMO_INCIDENTS="60")
    return env


def _wait_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"run.sh exited with {process.returncode} before serving:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url + "healthz", timeout=2) as response:  # noqa: S310 (http on loopback)
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    pytest.fail(f"no answer on {url}healthz within {START_TIMEOUT_S} s:\n{log.read_text()}")


def _sign_in(base: str, username: str, password: str) -> tuple[str, http.cookiejar.CookieJar]:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(base + "accounts/login/", timeout=10) as response:
        form = response.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
    assert token, "the login page has no CSRF token"
    data = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": token.group(1), "next": "/"}
    ).encode()
    request = urllib.request.Request(base + "accounts/login/", data=data, headers={"Referer": base})  # noqa: S310
    with opener.open(request, timeout=30) as response:
        return response.geturl(), jar


def test_make_run_serves_the_demo_and_stops_on_ctrl_c(tmp_path):
    port = _free_port()
    base = f"http://127.0.0.1:{port}/"
    log = tmp_path / "run.log"
    run_dir = tmp_path / "var" / "run"
    seed_demo_exists = "seed_demo" in get_commands()

    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(REPO_ROOT / "scripts" / "run.sh")],
            cwd=REPO_ROOT,
            env=_embedded_env(tmp_path, port),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    children: list[int] = []
    try:
        # given the embedded default, started from scratch
        _wait_healthy(base, process, log)
        children = [int((run_dir / f"{name}.pid").read_text()) for name in ("web", "worker")]
        assert all(_group_members(pgid) for pgid in children), "web and worker should both be running"
        with urllib.request.urlopen(base + "static/vendor/htmx/htmx.min.js", timeout=10) as response:  # noqa: S310
            assert response.status == 200

        # when the demo agent signs in
        if seed_demo_exists:
            landed, jar = _sign_in(base, "agent", "demo-password")
            # then they reach a signed-in page, not the login form again
            assert "/accounts/login/" not in landed, log.read_text()
            assert any(cookie.name == "sessionid" for cookie in jar)

        # when Ctrl-C reaches run.sh
        process.send_signal(signal.SIGINT)
        process.wait(STOP_TIMEOUT_S + 5)

        # then the web server and the worker (with its pool and beat) are gone
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while any(_group_members(pgid) for pgid in children) and time.monotonic() < deadline:
            time.sleep(0.2)
        leftovers = {pgid: _group_members(pgid) for pgid in children if _group_members(pgid)}
        assert not leftovers, f"still running after {STOP_TIMEOUT_S} s: {leftovers}\n{log.read_text()}"
    finally:
        for pgid in [process.pid, *children]:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
        process.wait(10)

    # The demo data is a hard requirement (SPEC §12): no seed_demo command is a failure, not a skip.
    assert seed_demo_exists, "manage.py seed_demo does not exist: `make run` starts without demo logins"
