"""Bulk data for the benchmark: the demo's reference rows, then N incidents through COPY.

Runs inside Django (production settings pointed at the bench database). Nothing here goes through
the services: a million service calls would take hours. The rows are what the services would have
written, with these simplifications (docs/operations/scaling.md, "The benchmark"): no hand-off rows (so no OLA
clocks on the bulk rows), no threshold-fire rows for thresholds that passed before the load, and
the due times of closed incidents computed from the hour of their creation time (one business-time
sum per hour, plus the minutes past it).
"""

from __future__ import annotations

import io
import random
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from escalation import business_time as bt
from escalation.defaults import SECURITY_GROUP_SLUG
from escalation.models import Membership, SupportGroup
from escalation.policies import batch_cache, targets_for
from incidents.models import (
    Category,
    Counter,
    HoldReason,
    Incident,
    IncidentEvent,
    PriorityMatrixEntry,
    ResolutionCode,
    Service,
    SlaState,
)
from incidents.sla.clocks import percents

CALLERS = 2000
CHUNK = 20_000
# Priorities skewed to P3/P4, as on a real desk.
PRIORITY_WEIGHTS = {1: 1, 2: 5, 3: 34, 4: 45, 5: 15}
TIER_WEIGHTS = {1: 55, 2: 25, 3: 20}
CHANNEL_WEIGHTS = {"phone": 35, "email": 25, "portal": 30, "walk_in": 3, "api": 2, "monitoring": 5}
OPEN_MIX = [("new", 15), ("assigned", 35), ("in_progress", 35), ("on_hold", 15)]
WORDS = [
    "printer",
    "laptop",
    "vpn",
    "email",
    "outlook",
    "wifi",
    "network",
    "password",
    "account",
    "locked",
    "slow",
    "crash",
    "screen",
    "login",
    "error",
    "timeout",
    "invoice",
    "report",
    "share",
    "folder",
    "permission",
    "monitor",
    "dock",
    "battery",
    "phone",
    "voicemail",
    "database",
    "backup",
    "server",
    "disk",
    "memory",
    "update",
    "certificate",
    "browser",
    "intranet",
    "payroll",
]
SEARCH_TERM = "printer"

Logger = Callable[[str], None]


def _text(value: Any) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _copy(table: str, columns: list[str], rows: Iterable[list[Any]]) -> int:
    """COPY rows into ``table`` in chunks, each from an in-memory text stream."""
    count = 0
    buf = io.StringIO()
    pending = 0
    cols = ", ".join(columns)
    raw = connection.connection
    assert raw is not None

    def flush() -> None:
        buf.seek(0)
        with raw.cursor() as cur:
            if hasattr(cur, "copy_expert"):  # psycopg2
                cur.copy_expert(f"COPY {table} ({cols}) FROM STDIN", buf)
            else:  # psycopg 3, which Django uses in every environment now (issue 25 §4)
                with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                    copy.write(buf.getvalue())
        buf.seek(0)
        buf.truncate()

    for row in rows:
        buf.write("\t".join(map(_text, row)))
        buf.write("\n")
        pending += 1
        count += 1
        if pending >= CHUNK:
            flush()
            pending = 0
    if pending:
        flush()
    return count


def _weighted(rng: random.Random, weights: dict[Any, int]) -> Callable[[], Any]:
    keys, w = list(weights), list(weights.values())
    return lambda: rng.choices(keys, w)[0]


def ensure_callers(count: int = CALLERS) -> list[int]:
    """About 2,000 callers (the demo's and bench-caller-NNNN), without usable passwords."""
    User = get_user_model()
    have = set(User.objects.filter(username__startswith="bench-caller-").values_list("username", flat=True))
    new = [
        User(username=f"bench-caller-{i:04d}", first_name="Caller", last_name=f"{i:04d}", password="!")  # noqa: S106 - an unusable password
        for i in range(count)
        if f"bench-caller-{i:04d}" not in have
    ]
    User.objects.bulk_create(new, batch_size=1000)
    staff_ids = set(Membership.objects.values_list("user_id", flat=True))
    return [
        pk
        for pk in User.objects.filter(is_active=True, is_superuser=False).values_list("pk", flat=True)
        if pk not in staff_ids
    ]


def load_incidents(
    n: int, *, seed: int = 14, now: datetime | None = None, log: Logger = print
) -> dict[str, Any]:
    """Append ``n`` incidents (numbers after the counter's, which is moved past them) and their events."""
    now = now or timezone.now()
    rng = random.Random(seed)
    callers = ensure_callers()
    groups = [
        g
        for g in SupportGroup.objects.filter(kind="support", is_active=True).exclude(slug=SECURITY_GROUP_SLUG)
        if g.tier
    ]
    members: dict[int, list[int]] = {}
    for m in Membership.objects.filter(group__in=groups):
        members.setdefault(m.group_id, []).append(m.user_id)
    groups = [g for g in groups if members.get(g.pk)]
    by_tier: dict[int, list[SupportGroup]] = {}
    for g in groups:
        by_tier.setdefault(int(g.tier or 1), []).append(g)
    tiers = {t: w for t, w in TIER_WEIGHTS.items() if t in by_tier}
    desk = by_tier[min(by_tier)]
    desk_staff = [u for g in desk for u in members[g.pk]]
    subs = list(Category.objects.filter(parent__isnull=False, is_active=True).select_related("parent"))
    subs = [c for c in subs if c.parent is not None and c.parent.slug != "security"]
    services = list(Service.objects.filter(is_active=True).values_list("pk", flat=True))
    cells: dict[int, list[tuple[int, int]]] = {}
    for cell in PriorityMatrixEntry.objects.all():
        cells.setdefault(cell.priority, []).append((cell.impact, cell.urgency))
    pick_priority = _weighted(rng, {p: w for p, w in PRIORITY_WEIGHTS.items() if p in cells})
    pick_tier = _weighted(rng, tiers)
    pick_channel = _weighted(rng, CHANNEL_WEIGHTS)
    open_states, open_w = zip(*OPEN_MIX, strict=True)
    cache = batch_cache()
    targets = {p: targets_for(priority=p, cache=cache) for p in cells}
    pcts = percents()
    codes = list(ResolutionCode.values)
    bucket_due: dict[tuple[int, str, datetime], datetime] = {}

    def due(priority: int, which: str, start: datetime, exact: bool) -> datetime:
        t = targets[priority]
        minutes = t.response_minutes if which == "response" else t.resolution_minutes
        if exact:
            return bt.add(t.calendar, start, minutes * 60)
        floor = start - timedelta(minutes=start.minute, seconds=start.second, microseconds=start.microsecond)
        key = (priority, which, floor)
        if key not in bucket_due:
            bucket_due[key] = bt.add(t.calendar, floor, minutes * 60)
        return bucket_due[key] + (start - floor)

    # 12 months of history; the last complete month holds a tenth of it (the "100,000-incident month").
    local_now = timezone.localtime(now)
    month_start = local_now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    prev_start = (month_start - timedelta(days=1)).replace(day=1)
    history_start = now - timedelta(days=365)
    in_prev = n // 10
    span_before = (prev_start - history_start).total_seconds()
    span_after = (now - month_start).total_seconds() - 600
    prev_span = (month_start - prev_start).total_seconds()
    rest = n - in_prev
    before_n = int(rest * span_before / (span_before + span_after))
    times: list[datetime] = []
    for i in range(before_n):
        times.append(history_start + timedelta(seconds=span_before * (i + rng.random()) / max(before_n, 1)))
    for i in range(in_prev):
        times.append(prev_start + timedelta(seconds=prev_span * (i + rng.random()) / max(in_prev, 1)))
    after_n = n - before_n - in_prev
    for i in range(after_n):
        times.append(month_start + timedelta(seconds=span_after * (i + rng.random()) / max(after_n, 1)))

    with connection.cursor() as cur:
        cur.execute("SELECT coalesce(max(id), 0) FROM incidents_incident")
        first_id = cur.fetchone()[0] + 1
    Counter.objects.get_or_create(name="incident", defaults={"value": Incident.objects.count()})
    first_number = Counter.objects.get(name="incident").value + 1

    fields = list(Incident._meta.concrete_fields)
    columns = [f.column for f in fields]
    defaults: dict[str, Any] = {
        f.attname: (None if f.attname in ("id",) else f.get_default()) for f in fields
    }
    events: list[list[Any]] = []
    stats: dict[str, Any] = {"open": 0, "prev_month": in_prev}
    event_cols = [
        "incident_id",
        "kind",
        "actor_id",
        "created_at",
        "public",
        "changes",
        "body",
        "version",
        "notified_at",
    ]

    def incident_rows() -> Iterable[list[Any]]:
        for i, created in enumerate(times):
            pk = first_id + i
            priority = pick_priority()
            impact, urgency = rng.choice(cells[priority])
            tier = pick_tier()
            group = rng.choice(by_tier[tier])
            sub = rng.choice(subs)
            age = (now - created).total_seconds() / 86400
            p_open = 0.8 if age < 3 else 0.5 if age < 14 else 0.15 if age < 90 else 0.06
            is_open = rng.random() < p_open
            status = rng.choices(open_states, open_w)[0] if is_open else "closed"
            if not is_open and rng.random() < 0.03:
                status = "cancelled"
            agent = rng.choice(desk_staff)
            assignee = None if status == "new" else rng.choice(members[group.pk])
            channel = pick_channel()
            caller = rng.choice(callers)
            t = targets[priority]
            row = dict(defaults)
            title = f"{sub.name}: {rng.choice(WORDS)} {rng.choice(WORDS)} problem"
            words = " ".join(rng.choice(WORDS) for _ in range(12))
            row.update(
                id=pk,
                number=f"INC{first_number + i:07d}",
                title=title,
                description=f"Caller reports {words}.",
                caller_id=caller,
                reported_by_id=caller if channel == "portal" else agent,
                channel=channel,
                category_id=sub.parent_id,
                subcategory_id=sub.pk,
                service_id=rng.choice(services) if services and rng.random() < 0.7 else None,
                impact=impact,
                urgency=urgency,
                priority=priority,
                status=status,
                assignment_group_id=group.pk,
                assigned_to_id=assignee,
                max_tier_reached=tier,
                sla_policy_id=t.policy_id,
                sla_policy_slug=t.policy_slug,
                sla_started_at=created,
                created_at=created,
                updated_by_id=assignee or agent,
            )
            row["response_due_at"] = due(priority, "response", created, is_open)
            row["resolution_due_at"] = due(priority, "resolution", created, is_open)
            responded = None if status == "new" else created + timedelta(minutes=rng.randint(2, 240))
            if is_open and responded and responded > now:
                responded = now - timedelta(seconds=1)
            row["responded_at"] = responded
            evs: list[tuple[str, Any, Any, bool]] = [("created", created, agent, True)]
            if assignee:
                evs.append(("assigned", responded, agent, False))
            last: Any = responded or created
            if is_open:
                stats["open"] += 1
                if status == "on_hold":
                    reason = rng.choice([HoldReason.AWAITING_CALLER, HoldReason.AWAITING_VENDOR])
                    row["hold_reason"] = reason
                    if reason == HoldReason.AWAITING_CALLER:
                        row["on_hold_since"] = last
                        row["sla_state"] = SlaState.PAUSED
                    evs.append(("held", last, assignee, True))
                if row.get("on_hold_since") is None:
                    moments = []
                    for name, minutes in (
                        ("response", t.response_minutes),
                        ("resolution", t.resolution_minutes),
                    ):
                        if name == "response" and responded:
                            continue
                        for pct in pcts:
                            moments.append((bt.add(t.calendar, created, minutes * 60 * pct / 100), pct))
                    passed = [p for at, p in moments if at <= now]
                    row["sla_state"] = (
                        SlaState.BREACHED
                        if 100 in passed
                        else SlaState.WARNING
                        if passed
                        else SlaState.ON_TRACK
                    )
                    row["sla_next_check_at"] = min((at for at, _ in moments if at > now), default=None)
            else:
                hours = rng.lognormvariate(1.5, 1.2)
                resolved = max(last, created + timedelta(hours=hours))
                resolved = min(resolved, now - timedelta(minutes=5))
                if status == "cancelled":
                    row["closed_at"] = resolved
                    evs.append(("cancelled", resolved, agent, True))
                else:
                    row["resolved_at"] = resolved
                    row["resolution_code"] = rng.choice(codes)
                    row["resolution_notes"] = "Fixed and confirmed with the caller."
                    row["closed_at"] = min(resolved + timedelta(days=3), now - timedelta(minutes=1))
                    evs.append(("resolved", resolved, assignee or agent, True))
                    if rng.random() < 0.5:
                        evs.append(("closed", row["closed_at"], None, True))
                late = resolved > row["resolution_due_at"] or (responded or resolved) > row["response_due_at"]
                row["sla_state"] = SlaState.BREACHED if late else SlaState.MET
                row["ola_state"] = SlaState.MET
                last = row["closed_at"]
            if len(evs) < 2 or rng.random() < 0.4:
                evs.append(("comment", last, agent, True))
            row["version"] = len(evs)
            row["updated_at"] = max(e[1] for e in evs)
            for v, (kind, at, actor, public) in enumerate(evs, start=1):
                body = "Looking into it." if kind == "comment" else ""
                events.append([pk, kind, actor, at, public, "{}", body, v, at])
            yield [row[f.attname] for f in fields]

    tables = ["incidents_incident", IncidentEvent._meta.db_table]
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("SET LOCAL maintenance_work_mem = '256MB'")
            cur.execute("SET LOCAL synchronous_commit = off")
            # Building an index once over every row is far cheaper than maintaining it row by row (the
            # full-text GIN index above all): drop the indexes that back no constraint, put them back
            # after the COPY. Inside the transaction, a failed load puts them back too.
            cur.execute(
                "SELECT indexname, indexdef FROM pg_indexes i WHERE tablename = ANY(%s) "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
                [tables],
            )
            indexes = cur.fetchall()
            for name, _ in indexes:
                cur.execute(f'DROP INDEX "{name}"')
        done = 0
        batch = 50_000
        rows = incident_rows()
        while done < n:
            chunk = []
            for row in rows:
                chunk.append(row)
                if len(chunk) >= batch:
                    break
            if not chunk:
                break
            _copy("incidents_incident", columns, chunk)
            _copy(IncidentEvent._meta.db_table, event_cols, events)
            done += len(chunk)
            stats["events"] = stats.get("events", 0) + len(events)
            events.clear()
            log(f"  {done:,} / {n:,} incidents")
        start = time.monotonic()
        with connection.cursor() as cur:
            # The foreign keys are deferred: check them now, as an index cannot be built over pending checks.
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for _, definition in indexes:
                cur.execute(definition)
        log(f"  {len(indexes)} indexes rebuilt in {time.monotonic() - start:.0f} s")
        Counter.objects.filter(name="incident").update(value=first_number + n - 1)
        with connection.cursor() as cur:
            cur.execute(
                "SELECT setval(pg_get_serial_sequence('incidents_incident', 'id'), "
                "(SELECT max(id) FROM incidents_incident))"
            )
    # VACUUM as well as ANALYZE, as an operator does after a bulk load: otherwise autovacuum's pass
    # over the millions of inserted rows (visibility map, freezing) runs during the measurements, on
    # the same two cores (page p95 2-3 ms higher in the first minutes after a load).
    with connection.cursor() as cur:
        for table in tables:
            cur.execute(f"VACUUM (ANALYZE) {table}")
    stats["prev_month_label"] = f"{prev_start:%Y-%m}"
    return stats
