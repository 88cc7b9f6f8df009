"""``manage.py sla_sweep``: an operator's catch-up takes the workers' path and says how far it has got."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from incidents.models import Incident, IncidentEvent, SlaThresholdFire
from tests.factories import group, make_incident, make_user
from tests.workers import wait_for


def _overdue(count: int) -> None:
    """``count`` P1s (4 h around the clock) logged 5 h ago: three resolution thresholds due each."""
    agent = make_user("agent1", groups=["service-desk"])
    netops = make_user("netops1", groups=["network"])
    alice = make_user("alice1")
    for _ in range(count):
        make_incident(
            actor=agent,
            caller=alice,
            impact=1,
            urgency=1,
            assignment_group=group("network"),
            assigned_to=netops,
            now=timezone.now() - timedelta(hours=5),
        )


def _sweep(*args: str) -> str:
    out = StringIO()
    call_command("sla_sweep", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.mark.django_db
def test_alone_it_sweeps_until_nothing_is_due_and_prints_its_progress():
    _overdue(60)
    # 60 batches of one: more than the 50 a worker's task runs before it stops.
    output = _sweep("--alone", "--batch-size", "1", "--every", "0")
    lines = output.splitlines()
    assert lines[0] == "60 incident(s) with a check due."
    progress = [line for line in lines if "still due." in line and "checked here" in line]
    assert len(progress) == 61  # sixty batches of one, and the empty one that ends the sweep
    assert "60 incident(s) checked here, 180 threshold(s) fired; 0 incident(s) still due." in progress[-1]
    assert "1 incident(s) checked here, 3 threshold(s) fired; 59 incident(s) still due." in progress[0]
    assert lines[-1].startswith("60 incident(s) checked, 180 threshold(s) fired, 0 escalated by rule, in ")
    assert lines[-1].endswith("; 0 still due.")
    assert "helper" not in output
    assert SlaThresholdFire.objects.count() == 180
    assert not Incident.objects.filter(sla_next_check_at__lte=timezone.now()).exists()
    # A second run finds nothing and fires nothing twice.
    assert _sweep("--alone").splitlines()[0] == "0 incident(s) with a check due."
    assert SlaThresholdFire.objects.count() == 180


@pytest.mark.django_db
def test_a_batch_size_below_one_is_refused():
    with pytest.raises(CommandError, match="--batch-size"):
        _sweep("--batch-size", "0")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_with_workers_it_queues_the_same_helper_sweeps_and_every_threshold_fires_once(
    celery_worker_process, settings
):
    settings.SLA_SWEEP_PARALLEL = 3
    _overdue(40)
    output = _sweep("--batch-size", "2", "--every", "0")
    assert "2 helper sweep(s) queued on the sweep queue." in output
    assert output.splitlines()[-1].endswith("; 0 still due.")

    def helpers_ran() -> bool:
        """the worker ran the two helper sweeps the command queued"""
        return celery_worker_process.log(since_start=True).count("incidents.tasks.sla_sweep_task") >= 4

    wait_for(helpers_ran, deadline_s=60)
    assert SlaThresholdFire.objects.count() == 120
    assert IncidentEvent.objects.filter(kind__startswith="sla_").count() == 120
