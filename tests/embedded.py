"""Start and drive the embedded default (`make run`) the way a newcomer does, for the slow tests."""

from __future__ import annotations

import contextlib
import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.workers import REPO_ROOT, free_port

START_TIMEOUT_S = 180


def group_members(pgid: int) -> list[int]:
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


def embedded_env(var_dir: Path, port: int, **extra: str) -> dict[str, str]:
    # Only what a newcomer's shell would have: the test settings' database, broker and mail must
    # not leak into the embedded default.
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PYTHON")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(PORT=str(port), SERVICEDESK_VAR_DIR=str(var_dir), DEMO_INCIDENTS="60")
    env.update(extra)
    return env


def wait_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
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


def csrf_token(html: str) -> str:
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert token, "the page has no CSRF token"
    return token.group(1)


def sign_in(base: str, username: str, password: str) -> tuple[str, http.cookiejar.CookieJar]:
    """Sign in through the login form as a browser does; returns the page landed on and the cookies."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(base + "accounts/login/", timeout=10) as response:
        form = response.read().decode()
    data = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": csrf_token(form), "next": "/"}
    ).encode()
    request = urllib.request.Request(base + "accounts/login/", data=data, headers={"Referer": base})  # noqa: S310
    with opener.open(request, timeout=30) as response:
        return response.geturl(), jar


@dataclass
class EmbeddedStack:
    base: str
    var_dir: Path
    log: Path
    process: subprocess.Popen
    children: list[int]  # process groups of the web server and the worker

    @property
    def database(self) -> Path:
        return self.var_dir / "db.sqlite3"


# run.sh as a person's shell starts it: Ctrl-C neither ignored nor blocked. A test process may have
# inherited either (in full xdist runs run.sh twice never ran its INT trap; a shell cannot trap a signal
# that was ignored when it started), and a child inherits both across exec.
AS_FROM_A_TERMINAL = [
    sys.executable,
    "-c",
    "import os, signal, sys\n"
    "signal.pthread_sigmask(signal.SIG_SETMASK, set())\n"
    "for s in (signal.SIGINT, signal.SIGTERM): signal.signal(s, signal.SIG_DFL)\n"
    "os.execv(sys.argv[1], sys.argv[1:])",
]


def signal_state(pid: int) -> str:
    """The blocked and ignored signal masks of a process (/proc), for a failure's message."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return "gone"
    return " ".join(line for line in lines if line.startswith(("SigBlk", "SigIgn")))


@contextlib.contextmanager
def embedded_stack(tmp_path: Path, **env: str) -> Iterator[EmbeddedStack]:
    """``scripts/run.sh`` on a free port and a fresh var dir, serving; killed on exit."""
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    var_dir = tmp_path / "var"
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*AS_FROM_A_TERMINAL, str(REPO_ROOT / "scripts" / "run.sh")],
            cwd=REPO_ROOT,
            env=embedded_env(var_dir, port, **env),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    stack = EmbeddedStack(base=base, var_dir=var_dir, log=log, process=process, children=[])
    try:
        wait_healthy(base, process, log)
        stack.children = [int((var_dir / "run" / f"{name}.pid").read_text()) for name in ("web", "worker")]
        yield stack
    finally:
        for pgid in [process.pid, *stack.children]:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
        process.wait(10)
