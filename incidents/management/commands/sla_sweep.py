"""``manage.py sla_sweep``: an operator's catch-up, by the workers' path (issue 25 §5).

It runs the batches of ``sla_sweep`` itself, as ``sla_sweep_task`` does, until nothing due is left,
and (unless ``--alone``) queues the same helper tasks on the ``sweep`` queue as beat's sweep does
when it finds a backlog, so that the sweep workers share the catch-up. It prints how far it has
got while it runs.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from incidents.sla.sweep import SweepResult, sla_due_count, sla_sweep


class Command(BaseCommand):
    help = (
        "Fire due SLA thresholds and escalation rules now, until none is due (what beat's sweep does "
        "every SLA_SWEEP_INTERVAL seconds), with the sweep workers' help; prints its progress."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=100)
        parser.add_argument(
            "--alone",
            action="store_true",
            help="queue no helper sweeps on the sweep queue (no sweep worker runs, or the broker is down)",
        )
        parser.add_argument(
            "--every", type=float, default=2.0, help="seconds between two progress lines (default 2)"
        )
        parser.add_argument(
            "--wait",
            type=float,
            default=60.0,
            help=(
                "seconds to wait, once this sweep has nothing left to claim, for the helper sweeps "
                "to finish the incidents they hold (default 60)"
            ),
        )

    def handle(self, *args, batch_size: int, alone: bool, every: float, wait: float, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        now = timezone.now()
        due = sla_due_count(now=now)
        self.stdout.write(f"{due} incident(s) with a check due.")
        started = last = time.monotonic()

        def progress(result: SweepResult) -> None:
            nonlocal last
            if time.monotonic() - last < every:
                return
            last = time.monotonic()
            left = sla_due_count(now=now)
            self.stdout.write(
                f"{time.monotonic() - started:.0f} s: {result.incidents} incident(s) checked here, "
                f"{result.fired} threshold(s) fired; {left} incident(s) still due."
            )

        helpers = 0 if alone else max(0, settings.SLA_SWEEP_PARALLEL - 1)
        queued = False

        def start_helpers() -> None:
            from incidents.sla.tasks import sla_sweep_task

            for _ in range(helpers):
                try:
                    sla_sweep_task.apply_async(kwargs={"batch_size": batch_size, "helpers": 0})
                except Exception:  # the broker is away: this command carries on alone
                    self.stderr.write("The broker did not answer: sweeping alone.")
                    return
            nonlocal queued
            queued = True
            self.stdout.write(f"{helpers} helper sweep(s) queued on the sweep queue.")

        result = sla_sweep(
            now=now,
            batch_size=batch_size,
            max_batches=None,
            on_backlog=start_helpers if helpers else None,
            on_batch=progress,
        )
        # This sweep found nothing left to claim, but the helpers may still hold a batch each (their
        # rows are locked, so they are skipped here and still counted as due until they commit).
        # Wait for them, so that the last line tells the operator the backlog is really gone.
        deadline = time.monotonic() + wait
        while queued and sla_due_count(now=now) and time.monotonic() < deadline:
            time.sleep(0.2)
        self.stdout.write(
            f"{result.incidents} incident(s) checked, {result.fired} threshold(s) fired, "
            f"{result.escalated} escalated by rule, in {time.monotonic() - started:.1f} s; "
            f"{sla_due_count(now=now)} still due."
        )
