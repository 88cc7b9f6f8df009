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


def summary(figures: dict[str, Any]) -> str:
    """The learning line of the bench's table: training, and top-1/top-3 per field against the baseline
    of the most frequent class, on the held-out last month (issue 24 §1)."""
    held = figures.get("held_out") or {}
    fields = "; ".join(
        f"{name} top-1 {s['top1']:.1%} (baseline {s['baseline_top1']:.1%}), top-3 {s['top3']:.1%} "
        f"(baseline {s['baseline_top3']:.1%})"
        for name, s in (held.get("fields") or {}).items()
    )
    return (
        f"suggestions: trained on {figures['data_size']:,} incidents in {figures['train_s']:.1f} s, "
        f"peak memory {figures['peak_rss_mb']:,.0f} MB, model {'kept' if figures['kept'] else 'not kept'}; "
        f"held out {held.get('tested_on', 0):,} incidents of the last month: {fields or 'none judged'}; "
        f"in-process p95 {figures['suggest_in_process_p95_ms']} ms"
    )
