"""The learning figures of ``make bench`` (issue 24): training time, memory and held-out accuracy on the
bench database, and how fast a suggestion is answered in-process (the HTTP figure is the
``learning_suggestions`` page of the sequential run)."""

from __future__ import annotations

import resource
import statistics
import time
from typing import Any

TITLES = (
    "Printer does not print",
    "VPN disconnects every few minutes",
    "Cannot send email from outlook",
    "ERP login fails after password change",
    "Wi-Fi very slow on floor 2",
    "Laptop does not boot",
)


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 2)


def train_and_measure(requests: int = 200) -> dict[str, Any]:
    from django.contrib.auth import get_user_model

    from escalation.access import access_for
    from learning import selectors, services

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.monotonic()
    model = services.model_train()
    train_s = time.monotonic() - start
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    agent = get_user_model().objects.get(username="agent")
    access = access_for(agent)
    timings: list[float] = []
    for i in range(requests + 20):
        t = time.perf_counter()
        selectors.suggestions_for(
            access=access, title=TITLES[i % len(TITLES)], description="Since this morning."
        )
        if i >= 20:  # warm-up: the first calls load the model
            timings.append((time.perf_counter() - t) * 1000)
    return {
        "train_s": round(train_s, 1),
        "data_size": model.data_size,
        "peak_rss_mb": round(max(rss_before, rss_after) / 1024, 1),
        "model_version": model.version,
        "kept": model.is_active,
        "held_out": model.metrics,
        "suggest_in_process_p50_ms": round(statistics.median(timings), 2),
        "suggest_in_process_p95_ms": _p95(timings),
    }
