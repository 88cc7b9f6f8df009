"""`make run` end to end: migrate, seed, serve, sign in as the demo agent, stop on Ctrl-C."""

import os
import signal
import subprocess
import time
import urllib.request

import pytest
from django.core.management import get_commands

from tests.embedded import embedded_stack, group_members, sign_in, signal_state

pytestmark = pytest.mark.slow

STOP_TIMEOUT_S = 30  # the worker's warm shutdown is slow on a loaded machine


def test_make_run_serves_the_demo_and_stops_on_ctrl_c(tmp_path):
    seed_demo_exists = "seed_demo" in get_commands()

    # given the embedded default, started from scratch
    with embedded_stack(tmp_path) as stack:
        base, process, children, log = stack.base, stack.process, stack.children, stack.log
        assert all(group_members(pgid) for pgid in children), "web and worker should both be running"
        with urllib.request.urlopen(base + "static/vendor/htmx/htmx.min.js", timeout=10) as response:  # noqa: S310
            assert response.status == 200

        # when the demo agent signs in
        if seed_demo_exists:
            landed, jar = sign_in(base, "agent", "demo-password")
            # then they reach a signed-in page, not the login form again
            assert "/accounts/login/" not in landed, log.read_text()
            assert any(cookie.name == "sessionid" for cookie in jar)

        # when Ctrl-C reaches run.sh
        state = signal_state(process.pid)
        process.send_signal(signal.SIGINT)
        try:
            process.wait(STOP_TIMEOUT_S + 5)
        except subprocess.TimeoutExpired:
            pytest.fail(f"run.sh ignored Ctrl-C (its signals before: {state})\n{log.read_text()[-3000:]}")

        # then the web server and the worker (with its pool and beat) are gone
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while any(group_members(pgid) for pgid in children) and time.monotonic() < deadline:
            time.sleep(0.2)
        leftovers = {pgid: group_members(pgid) for pgid in children if group_members(pgid)}
        assert not leftovers, f"still running after {STOP_TIMEOUT_S} s: {leftovers}\n{log.read_text()}"

    # The demo data is a hard requirement (SPEC §12): no seed_demo command is a failure, not a skip.
    assert seed_demo_exists, "manage.py seed_demo does not exist: `make run` starts without demo logins"


def test_make_run_stops_everything_when_the_web_server_dies(tmp_path):
    with embedded_stack(tmp_path) as stack:
        web, worker = stack.children
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while "Press Ctrl-C to stop" not in stack.log.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)  # run.sh has seen the server up and watches its children
        # when the web server dies on its own
        os.killpg(web, signal.SIGKILL)
        # then run.sh says so, stops the worker (with its pool and beat) and fails
        assert stack.process.wait(STOP_TIMEOUT_S) == 1
        assert "run: the web server exited; stopping" in stack.log.read_text()
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while group_members(worker) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not group_members(worker), f"the worker outlived the web server: {group_members(worker)}"
