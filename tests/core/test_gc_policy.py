"""The web processes collect cyclic garbage before requests, not within them (``servicedesk.gc_policy``).

The policy changes the whole process's collector, so it is watched in a child process that serves
requests through Django's handler, as gunicorn's workers do after importing ``servicedesk.wsgi``; the
same script without that import is the control: there, the collector runs inside the requests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from servicedesk.gc_policy import AUTOMATIC_THRESHOLD, OLDER_THRESHOLD, YOUNG_THRESHOLD, due_generation

REPO = Path(__file__).resolve().parents[2]

SERVE = r"""
import gc, json, os, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "servicedesk.settings.test"
if sys.argv[1] == "policy":
    import servicedesk.wsgi  # what gunicorn and runserver import: Django set up, the policy installed
else:
    import django
    django.setup()
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.http import HttpResponse
from django.test import Client
from django.urls import path


class Loop:
    def __init__(self):
        self.me = self  # garbage only the collector frees


def page(request):
    rows = [{"n": i, "tags": [i, str(i)]} for i in range(20_000)]  # a page's working set, held at once
    for _ in range(1_000):
        Loop()
    return HttpResponse(str(len(rows)))


def export(request):
    rows = [[i] for i in range(300_000)]  # far more than a page: collected as it goes whatever the policy
    return HttpResponse(str(len(rows)))


urlpatterns = [path("page/", page), path("export/", export)]
settings.ROOT_URLCONF = "__main__"
settings.ALLOWED_HOSTS = ["testserver"]

state = {"in": False, "path": ""}
seen = {"page_in": 0, "page_between": 0, "export_in": 0}


def on_start(environ, **kwargs):  # connected after the policy's receiver: runs after its collection
    state["in"], state["path"] = True, environ["PATH_INFO"]


def on_finish(**kwargs):
    state["in"] = False


def watch(phase, info):
    if phase != "start":
        return
    if state["in"]:
        seen["export_in" if state["path"] == "/export/" else "page_in"] += 1
    else:
        seen["page_between"] += 1


request_started.connect(on_start)
request_finished.connect(on_finish)
client = Client()
client.get("/page/")
gc.callbacks.append(watch)
for _ in range(30):
    assert client.get("/page/").status_code == 200
loops_alive = sum(1 for o in gc.get_objects() if type(o) is Loop)
assert client.get("/export/").status_code == 200
gc.callbacks.remove(watch)
print(json.dumps({**seen, "loops_alive": loops_alive, "threshold": gc.get_threshold()[0],
                  "frozen": gc.get_freeze_count()}))
"""


def _serve(mode: str) -> dict[str, int]:
    done = subprocess.run(
        [sys.executable, "-c", SERVE, mode],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_web_process_collects_before_requests_and_never_within_an_ordinary_one():
    policy, control = _serve("policy"), _serve("control")

    # Without the policy the collector interrupts every page many times: the test can see it.
    assert control["page_in"] >= 30, control
    assert control["frozen"] == 0

    assert policy["page_in"] == 0, policy
    # The pages' cyclic garbage is still collected, before the next requests: 30,000 loops were made,
    # at most the last request's and what stays under the young threshold are alive.
    assert policy["page_between"] >= 1, policy
    assert policy["loops_alive"] <= 1_000 + YOUNG_THRESHOLD, policy
    # A request that holds far more objects than a page is collected as it goes, as before.
    assert policy["export_in"] >= 1, policy
    # What loading left alive is frozen, out of every later collection's way.
    assert policy["frozen"] > 10_000, policy
    assert policy["threshold"] == AUTOMATIC_THRESHOLD, policy


@pytest.mark.parametrize(
    ("counts", "due"),
    [
        ((0, 0, 0), None),
        ((YOUNG_THRESHOLD, 0, 0), None),
        ((YOUNG_THRESHOLD + 1, 0, 0), 0),
        ((YOUNG_THRESHOLD + 1, OLDER_THRESHOLD, 0), 0),
        ((0, OLDER_THRESHOLD + 1, 0), 1),
        ((YOUNG_THRESHOLD + 1, OLDER_THRESHOLD + 1, OLDER_THRESHOLD), 1),
        ((0, 0, OLDER_THRESHOLD + 1), 2),
    ],
)
def test_a_generation_is_due_when_pythons_own_counts_pass_their_thresholds(counts, due):
    assert due_generation(counts) == due
