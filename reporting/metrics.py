"""The figures of a period (SPEC §8), computed with SQL aggregates: no Python loop over incidents.

``month_figures(start, end)`` returns plain JSON-ready values. Populations:

- **logged**: created in the period (cancelled ones included);
- **resolved**: resolved in the period (``resolved_at``; a reopened incident counts when it is
  resolved again); **closed**: closed or cancelled in the period (``closed_at``);
- **backlog_end**: created before the end and neither resolved nor closed by then;
- times to respond: incidents responded to in the period; times to resolve and SLA compliance,
  first-contact resolution and reopen rate: incidents resolved in the period;
- SLA compliance compares the times the SLA clocks stored on the row: response met when
  ``responded_at <= response_due_at``, resolution met when ``resolved_at <= resolution_due_at``;
- escalation rate per tier: of the incidents logged in the period that reached tier *t*, the share
  that went on to a higher tier (``max_tier_reached``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Count, F, Q, QuerySet

from escalation.choices import Priority
from escalation.models import SupportGroup
from incidents.models import Category, Channel, Handoff, Incident
from incidents.selectors import incidents_for_totals

from . import clocks, sources
from .sql import percentile_cont

DIMENSIONS = {
    "priority": "priority",
    "category": "category__slug",
    "channel": "channel",
    "group": "assignment_group__slug",
    "tier": "assignment_group__tier",
}
TOP = 5


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def populations(start: datetime, end: datetime) -> dict[str, Q]:
    return {
        "logged": Q(created_at__gte=start, created_at__lt=end),
        "resolved": Q(resolved_at__gte=start, resolved_at__lt=end),
        "closed": Q(closed_at__gte=start, closed_at__lt=end),
        "backlog_end": Q(created_at__lt=end)
        & (Q(resolved_at__isnull=True) | Q(resolved_at__gte=end))
        & (Q(closed_at__isnull=True) | Q(closed_at__gte=end)),
    }


def _touching(start: datetime, end: datetime) -> Q:
    """Every incident in one of the populations, so that one scan counts all four."""
    return Q(created_at__lt=end) & (
        Q(created_at__gte=start)
        | Q(resolved_at__gte=start)
        | Q(closed_at__gte=start)
        | Q(resolved_at__isnull=True, closed_at__isnull=True)
    )


def _labels() -> dict[str, dict[Any, str]]:
    return {
        "priority": {p.value: str(p.label) for p in Priority},
        "channel": {c.value: str(c.label) for c in Channel},
        "category": dict(Category.objects.filter(parent__isnull=True).values_list("slug", "name")),
        "group": dict(SupportGroup.objects.values_list("slug", "name")),
        "tier": {1: "Tier 1", 2: "Tier 2", 3: "Tier 3", None: "Consulted"},
    }


def _key_order(key: Any) -> tuple[bool, Any]:
    return (key is None, key)  # as PostgreSQL orders: NULL last


def counts(qs: QuerySet[Incident], start: datetime, end: datetime) -> dict[str, Any]:
    """The four populations, in all and by every dimension: one grouped scan, summed here."""
    pops = populations(start, end)
    rows = (
        qs.filter(_touching(start, end))
        .values(**{f"d_{dim}": F(field) for dim, field in DIMENSIONS.items()})
        .annotate(**{name: Count("pk", filter=q) for name, q in pops.items()})
        .order_by()
    )
    totals = dict.fromkeys(pops, 0)
    sums: dict[str, dict[Any, dict[str, int]]] = {dim: {} for dim in DIMENSIONS}
    for r in rows:
        for n in pops:
            totals[n] += r[n]
        for dim in DIMENSIONS:
            into = sums[dim].setdefault(r[f"d_{dim}"], dict.fromkeys(pops, 0))
            for n in pops:
                into[n] += r[n]
    labels = _labels()
    breakdown = {
        dim: [
            {"key": key, "label": labels[dim].get(key, key or "None"), **by_key[key]}
            for key in sorted(by_key, key=_key_order)
        ]
        for dim, by_key in sums.items()
    }
    return {**totals, "breakdown": breakdown}


def _stats(values: list[int]) -> dict[str, Any]:
    """Count, mean, median and 90th percentile as PostgreSQL's ``avg`` and ``percentile_cont`` give them."""

    def r(v: float | None) -> float | None:
        return None if v is None else round(float(v), 1)

    return {
        "count": len(values),
        "mean_s": r(sum(values) / len(values)) if values else None,
        "median_s": r(percentile_cont(values, 0.5)),
        "p90_s": r(percentile_cont(values, 0.9)),
    }


def times(start: datetime, end: datetime) -> dict[str, Any]:
    """Times to respond (incidents responded to in the period) and to resolve (resolved in it)."""
    t = clocks.times_for_period(start, end)
    return {
        "time_to_respond": _stats(t.respond_business),
        "time_to_respond_wall": _stats(t.respond_wall),
        "time_to_resolve": _stats(t.resolve_business),
        "time_to_resolve_wall": _stats(t.resolve_wall),
    }


def sla(qs: QuerySet[Incident], start: datetime, end: datetime) -> dict[str, Any]:
    resolved = qs.filter(resolved_at__gte=start, resolved_at__lt=end)
    aggregates = {
        "response_total": Count("pk", filter=Q(response_due_at__isnull=False, responded_at__isnull=False)),
        "response_met": Count("pk", filter=Q(responded_at__lte=F("response_due_at"))),
        "resolution_total": Count("pk", filter=Q(resolution_due_at__isnull=False)),
        "resolution_met": Count("pk", filter=Q(resolved_at__lte=F("resolution_due_at"))),
        "resolved": Count("pk"),
        "first_contact": Count("pk", filter=Q(max_tier_reached=1)),
        "reopened": Count("pk", filter=Q(reopen_count__gt=0)),
    }
    totals = resolved.aggregate(**aggregates)
    by_priority = []
    for row in resolved.values("priority").annotate(**aggregates).order_by("priority"):
        by_priority.append(
            {
                "priority": row["priority"],
                "label": str(Priority(row["priority"]).label),
                "resolved": row["resolved"],
                "response_met": row["response_met"],
                "response_total": row["response_total"],
                "response_rate": _rate(row["response_met"], row["response_total"]),
                "resolution_met": row["resolution_met"],
                "resolution_total": row["resolution_total"],
                "resolution_rate": _rate(row["resolution_met"], row["resolution_total"]),
            }
        )
    return {
        "sla_response_compliance": _rate(totals["response_met"], totals["response_total"]),
        "sla_resolution_compliance": _rate(totals["resolution_met"], totals["resolution_total"]),
        "sla_by_priority": by_priority,
        "first_contact_resolved": totals["first_contact"],
        "first_contact_resolution_rate": _rate(totals["first_contact"], totals["resolved"]),
        "reopened": totals["reopened"],
        "reopen_rate": _rate(totals["reopened"], totals["resolved"]),
    }


def escalation(qs: QuerySet[Incident], start: datetime, end: datetime) -> dict[str, Any]:
    logged = qs.filter(created_at__gte=start, created_at__lt=end)
    totals = logged.aggregate(
        t1=Count("pk"),
        t2=Count("pk", filter=Q(max_tier_reached__gte=2)),
        t3=Count("pk", filter=Q(max_tier_reached__gte=3)),
    )
    rates = [
        {
            "tier": 1,
            "reached": totals["t1"],
            "escalated": totals["t2"],
            "rate": _rate(totals["t2"], totals["t1"]),
        },
        {
            "tier": 2,
            "reached": totals["t2"],
            "escalated": totals["t3"],
            "rate": _rate(totals["t3"], totals["t2"]),
        },
    ]
    return {"escalation_rate": rates, "escalation_flow": escalation_flow(start, end)}


def escalation_flow(start: datetime, end: datetime) -> list[dict[str, int]]:
    """Hand-offs between tiers in the period: each hand-off against the one before it (LAG)."""
    table = connection.ops.quote_name(Handoff._meta.db_table)
    sql = f"""
        SELECT prev_tier, tier, COUNT(*) FROM (
            SELECT tier, started_at,
                   LAG(tier) OVER (PARTITION BY incident_id ORDER BY started_at, id) AS prev_tier
            FROM {table}
            WHERE incident_id IN (SELECT incident_id FROM {table} WHERE started_at >= %s AND started_at < %s)
        ) AS moves
        WHERE prev_tier IS NOT NULL AND prev_tier <> tier AND started_at >= %s AND started_at < %s
        GROUP BY prev_tier, tier ORDER BY prev_tier, tier
    """  # noqa: S608 - the table name is ours, the values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [start, end, start, end])
        return [{"from_tier": a, "to_tier": b, "count": n} for a, b, n in cursor.fetchall()]


def top(qs: QuerySet[Incident], start: datetime, end: datetime) -> dict[str, Any]:
    logged = qs.filter(created_at__gte=start, created_at__lt=end)
    out = {}
    for name, slug, label in (
        ("top_categories", "category__slug", "category__name"),
        ("top_services", "service__slug", "service__name"),
    ):
        rows = (
            logged.filter(**{f"{slug}__isnull": False})
            .values(key=F(slug), label=F(label))
            .annotate(logged=Count("pk"))
            .order_by("-logged", "key")[:TOP]
        )
        out[name] = list(rows)
    return out


def month_figures(start: datetime, end: datetime) -> dict[str, Any]:
    qs = incidents_for_totals()
    figures: dict[str, Any] = {}
    figures.update(counts(qs, start, end))
    figures.update(times(start, end))
    figures.update(sla(qs, start, end))
    figures.update(escalation(qs, start, end))
    figures.update(top(qs, start, end))
    figures["ola_compliance"] = sources.ola_compliance(start, end)
    figures["satisfaction"] = sources.satisfaction(start, end)
    figures["knowledge"] = sources.knowledge(start, end)
    figures["time_worked"] = sources.time_worked(start, end)
    return figures
