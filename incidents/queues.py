"""Reads for the agent workspace: queues, their filters, sort orders and keyset pagination.

Every queue starts from ``selectors.incidents_visible_to`` (permission and ``select_related``)
and narrows it with filters the indexes of ``Incident.Meta`` serve: group + status, assignee +
status, status + priority, SLA state + status, all ordered by ``-created_at``. Pages are cut
with a keyset cursor (the sort key of the last row plus its id), never with OFFSET, so the
hundredth page costs what the first does.
"""

from __future__ import annotations

import base64
import binascii
import csv
import itertools
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from escalation import roles
from escalation.models import SupportGroup

from . import selectors
from .models import OPEN_STATUSES, Category, Incident, Service, Status

User = get_user_model()

PAGE_SIZE = 25
RECENTLY_RESOLVED = timedelta(days=14)


@dataclass(frozen=True)
class Queue:
    slug: str
    label: str
    description: str


QUEUES: dict[str, Queue] = {
    q.slug: q
    for q in (
        Queue("mine", "Mine", "Open incidents assigned to me"),
        Queue("groups", "My groups", "Open incidents of my support groups"),
        Queue("unassigned", "Unassigned", "Open incidents of my groups that nobody has taken"),
        Queue("open", "All open", "Every open incident (service desk follow-up)"),
        Queue("on_hold", "On hold", "Incidents waiting for the caller, a vendor or a change"),
        Queue("resolved", "Recently resolved", "Resolved in the last two weeks, waiting to be closed"),
        Queue("all", "All", "Every incident, any status"),
    )
}


@dataclass(frozen=True)
class Sort:
    label: str
    # (field, descending) pairs; ``id`` always ends the key so that it is unique.
    keys: tuple[tuple[str, bool], ...]


SORTS: dict[str, Sort] = {
    "newest": Sort("Newest first", (("created_at", True), ("id", True))),
    "oldest": Sort("Oldest first", (("created_at", False), ("id", False))),
    "priority": Sort("Priority", (("priority", False), ("created_at", True), ("id", True))),
    "updated": Sort("Recently updated", (("updated_at", True), ("id", True))),
}
DEFAULT_SORT = "newest"


def default_queue(user: Any) -> str:
    """Agents start on the service desk's queue, tier 2/3 on their groups' queue, others on all open."""
    return "groups" if roles.user_support_group_ids(user) else "open"


def _owning_group_ids(user: Any, groups: list[SupportGroup]) -> list[int]:
    mine = roles.user_support_group_ids(user)
    return [g.pk for g in groups if g.pk in mine and not g.is_consulted]


def queue_queryset(
    user: Any, queue: str, *, groups: list[SupportGroup], now: datetime | None = None
) -> QuerySet[Incident]:
    """The incidents of one queue, as ``user`` may see them."""
    qs = selectors.incidents_visible_to(user)
    open_statuses = list(OPEN_STATUSES)
    if queue == "mine":
        return qs.filter(assigned_to=user, status__in=open_statuses)
    if queue in ("groups", "unassigned"):
        qs = qs.filter(assignment_group_id__in=_owning_group_ids(user, groups), status__in=open_statuses)
        return qs.filter(assigned_to__isnull=True) if queue == "unassigned" else qs
    if queue == "on_hold":
        return qs.filter(status=Status.ON_HOLD)
    if queue == "resolved":
        since = (now or timezone.now()) - RECENTLY_RESOLVED
        return qs.filter(status=Status.RESOLVED, resolved_at__gte=since)
    if queue == "all":
        return qs
    return qs.filter(status__in=open_statuses)


# --- keyset pagination ---------------------------------------------------------------------


def encode_cursor(incident: Incident, sort: Sort) -> str:
    values = []
    for field, _desc in sort.keys:
        value = getattr(incident, field)
        values.append(value.isoformat() if isinstance(value, datetime) else value)
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: Sort) -> list[Any] | None:
    """The sort key a cursor holds, or None for a cursor that is not ours (start again)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(values, list) or len(values) != len(sort.keys):
        return None
    out: list[Any] = []
    for (field, _desc), value in zip(sort.keys, values, strict=True):
        if field.endswith("_at"):
            moment = parse_datetime(value) if isinstance(value, str) else None
            if moment is None:
                return None
            out.append(moment)
        elif isinstance(value, int) and not isinstance(value, bool):
            out.append(value)
        else:
            return None
    return out


def _after(sort: Sort, values: list[Any]) -> Q:
    """Rows strictly after ``values`` in the sort order: (a > x) or (a = x and b > y) or …"""
    condition = Q()
    equal = Q()
    for (field, desc), value in zip(sort.keys, values, strict=True):
        step = Q(**{f"{field}__{'lt' if desc else 'gt'}": value})
        condition |= equal & step
        equal &= Q(**{field: value})
    return condition


@dataclass
class Page:
    rows: list[Incident]
    next_cursor: str | None


def paginate(qs: QuerySet[Incident], *, sort_key: str, cursor: str | None, size: int = PAGE_SIZE) -> Page:
    sort = SORTS.get(sort_key) or SORTS[DEFAULT_SORT]
    qs = qs.order_by(*(f"-{f}" if desc else f for f, desc in sort.keys))
    values = decode_cursor(cursor, sort) if cursor else None
    if values is not None:
        qs = qs.filter(_after(sort, values))
    rows = list(qs[: size + 1])
    next_cursor = encode_cursor(rows[size - 1], sort) if len(rows) > size else None
    return Page(rows=rows[:size], next_cursor=next_cursor)


# --- CSV export ------------------------------------------------------------------------------

CSV_COLUMNS = (
    "number",
    "title",
    "priority",
    "status",
    "assignment_group",
    "assigned_to",
    "caller",
    "resolution_due_at",
    "created_at",
)


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cell(value: Any) -> str:
    """A cell a spreadsheet shows as text: a leading = + - @ would start a formula."""
    text = "" if value is None else value.isoformat() if isinstance(value, datetime) else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_row(incident: Incident) -> list[str]:
    return [
        _cell(v)
        for v in (
            incident.number,
            incident.title,
            incident.priority,
            incident.status,
            incident.assignment_group.slug if incident.assignment_group else "",
            incident.assigned_to.get_username() if incident.assigned_to else "",
            incident.caller.get_username(),
            incident.resolution_due_at,
            incident.created_at,
        )
    ]


def csv_response(qs: QuerySet[Incident], *, sort_key: str, filename: str) -> StreamingHttpResponse:
    """The whole queue, filtered and sorted as on the page, streamed as CSV (SPEC: every table
    exports)."""
    sort = SORTS.get(sort_key) or SORTS[DEFAULT_SORT]
    rows = qs.order_by(*(f"-{f}" if desc else f for f, desc in sort.keys)).iterator(chunk_size=500)
    writer = csv.writer(_Echo())
    lines = itertools.chain([writer.writerow(CSV_COLUMNS)], (writer.writerow(_csv_row(i)) for i in rows))
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- pick-lists and look-ups -----------------------------------------------------------------


def active_groups() -> list[SupportGroup]:
    return list(SupportGroup.objects.filter(is_active=True).order_by("tier", "name"))


def active_categories() -> list[Category]:
    return list(
        Category.objects.filter(is_active=True).select_related("parent").order_by("parent_id", "name")
    )


def active_services() -> list[Service]:
    return list(Service.objects.filter(is_active=True).order_by("name"))


def group_members(group_id: int) -> list[Any]:
    return list(User.objects.filter(memberships__group_id=group_id, is_active=True).order_by("username"))


def users_matching(term: str, *, limit: int = 10) -> list[Any]:
    """People to log an incident for: active users by username, name or e-mail."""
    term = (term or "").strip()
    if len(term) < 2:
        return []
    qs = User.objects.filter(is_active=True).filter(
        Q(username__icontains=term)
        | Q(first_name__icontains=term)
        | Q(last_name__icontains=term)
        | Q(email__icontains=term)
    )
    return list(qs.order_by("username")[:limit])


def caller_lookup(term: str) -> Any:
    """The caller named in the log form: a username, or an e-mail address that only one user has."""
    term = (term or "").strip()
    by_name = User.objects.filter(is_active=True, username=term).first()
    if by_name is not None:
        return by_name
    by_email = list(User.objects.filter(is_active=True, email__iexact=term)[:2])
    if len(by_email) == 1:
        return by_email[0]
    raise ValidationError({"caller": f"There is no active user “{term}”. Pick one from the list."})
