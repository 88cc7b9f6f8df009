"""A profile of one publish task of the escalation drain (issue 25 §5), in-process: not collected by
the suite (no ``test_`` prefix); run it by name, light work:

    .venv/bin/python -m pytest tests/sla/profile_publish.py -n 0 -q -s [PROFILE_RUNS=10]

A batch of 100 SLA events (overdue P1s of one group; another batch first, to warm up), most
recipients reading English, some German and French. Prints the task's CPU time and queries with
cProfile's top functions by own and cumulative time, then its CPU without the profiler (best and median
of PROFILE_RUNS, three). PROFILE_SORT and PROFILE_TOP change what is printed; PROFILE_CALLERS names
functions whose callers to print.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.models import EventDelivery, IncidentEvent, Notification
from incidents.notifications import delivery
from incidents.records.tasks import events_publish_task
from incidents.sla.sweep import sla_sweep
from profiles.models import Profile
from tests.factories import make_user
from tests.sla.test_digest import _overdue_p1s

pytestmark = pytest.mark.django_db


def test_profile_one_publish_task_of_the_drain(monkeypatch):
    monkeypatch.setattr(delivery, "enqueue_on_commit", lambda name, arg: None)
    _overdue_p1s(40)
    for n, (language, zone) in enumerate(
        (("", ""), ("", ""), ("de", "Europe/Berlin"), ("de", "Europe/Berlin"), ("fr", "Europe/Paris")),
        start=2,
    ):
        user = make_user(f"netops{n}", groups=["network"])
        if language:
            Profile.objects.create(user=user, language=language, time_zone=zone)
    sla_sweep()
    events = list(
        IncidentEvent.objects.filter(kind__startswith="sla_").order_by("pk").values_list("pk", flat=True)
    )
    events, warm_up = events[:100], events[100:]
    events_publish_task(warm_up)  # imports, templates compiled, catalogues loaded: as in a running worker
    profiler = cProfile.Profile()
    cpu = time.process_time()
    with CaptureQueriesContext(connection) as queries:
        profiler.enable()
        events_publish_task(events)
        profiler.disable()
    cpu = time.process_time() - cpu
    notes = Notification.objects.filter(event_id__in=events).count()
    print(
        f"\n{len(events)} events, {notes} notifications, {len(queries.captured_queries)} queries, "
        f"{cpu:.3f} s CPU (with the profiler's overhead)"
    )
    # and without the profiler: the task's CPU, best of three, the batch published afresh each time
    runs = []
    for _ in range(int(os.environ.get("PROFILE_RUNS", "3"))):
        Notification.objects.filter(event_id__in=events).delete()
        EventDelivery.objects.filter(event_id__in=events).delete()
        IncidentEvent.objects.filter(pk__in=events).update(notified_at=None)
        cpu = time.process_time()
        events_publish_task(events)
        runs.append(time.process_time() - cpu)
    print(f"without the profiler: {min(runs):.3f} s CPU (best of {', '.join(f'{r:.3f}' for r in runs)})")
    print(f"median {sorted(runs)[len(runs) // 2]:.3f} s")
    stats = pstats.Stats(profiler)
    top = int(os.environ.get("PROFILE_TOP", "30"))
    for sort in os.environ.get("PROFILE_SORT", "tottime,cumulative").split(","):
        stats.sort_stats(sort).print_stats(top)
    for name in filter(None, os.environ.get("PROFILE_CALLERS", "").split(",")):
        stats.print_callers(name)
