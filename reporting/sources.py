"""Figures that other apps provide. Each returns None until its app is wired in ("not yet available").

The lead wires them after the merge with one line each, for example::

    from surveys.selectors import satisfaction_for_period
"""

from __future__ import annotations

from datetime import datetime
from typing import Any


def satisfaction(start: datetime, end: datetime) -> dict[str, Any] | None:
    """``{"mean": float | None, "responses": int}`` from ``surveys.selectors.satisfaction_for_period``."""
    return None


def knowledge(start: datetime, end: datetime) -> dict[str, Any] | None:
    """``{"resolved_with_article": int, "self_solved": int}`` from
    ``knowledge.selectors.article_counts_for_period``."""
    return None


def ola_compliance(start: datetime, end: datetime) -> list[dict[str, Any]] | None:
    """Per tier ``[{"tier": 1, "met": int, "total": int, "rate": float | None}]`` once OLA thresholds
    fire (``SlaThresholdFire`` rows with ``target="ola"``, the service-levels work)."""
    return None
