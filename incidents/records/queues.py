"""Reads for the agent workspace: queues, their filters, sort orders and keyset pagination.

Every queue starts from ``selectors.incidents_visible_to`` (permission and ``select_related``)
and narrows it with filters the indexes of ``Incident.Meta`` serve: group + status, assignee +
status, status + priority, SLA state + status, all ordered by ``-created_at``. Pages are cut
with a keyset cursor (the sort key of the last row plus its id), never with OFFSET, so the
hundredth page costs what the first does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import csv as core_csv
from core import paging
from escalation import config_cache
from escalation.access import Access
from escalation.models import SupportGroup

from .. import selectors
from ..selectors import with_tag_names
from . import ordering
from .models import OPEN_STATUSES, Category, Incident, Service, Status

User = get_user_model()

PAGE_SIZE = 25
RECENTLY_RESOLVED = timedelta(days=14)


@dataclass(frozen=True)
class Queue:
    slug: str
    label: Any  # words a person reads, translated when shown
    description: Any


QUEUES: dict[str, Queue] = {
    q.slug: q
    for q in (
        Queue("mine", gettext_lazy("Mine"), gettext_lazy("Open incidents assigned to me")),
        Queue("groups", gettext_lazy("My groups"), gettext_lazy("Open incidents of my support groups")),
        Queue(
            "unassigned",
            gettext_lazy("Unassigned"),
            gettext_lazy("Open incidents of my groups that nobody has taken"),
        ),
        Queue("open", gettext_lazy("All open"), gettext_lazy("Every open incident (service desk follow-up)")),
        Queue(
            "on_hold",
            gettext_lazy("On hold"),
            gettext_lazy("Incidents waiting for the caller, a vendor or a change"),
        ),
        Queue(
            "resolved",
            gettext_lazy("Recently resolved"),
            gettext_lazy("Resolved in the last two weeks, waiting to be closed"),
        ),
        Queue("all", gettext_lazy("All"), gettext_lazy("Every incident, any status")),
    )
}


SORTS = ordering.QUEUE_SORTS
DEFAULT_SORT = ordering.DEFAULT_QUEUE_SORT


def default_queue(access: Access) -> str:
    """Agents start on the service desk's queue, tier 2/3 on their groups' queue, others on all open."""
    return "groups" if access.group_ids else "open"


def _owning_group_ids(access: Access, groups: list[SupportGroup]) -> list[int]:
    return [g.pk for g in groups if g.pk in access.group_ids and not g.is_consulted]


def queue_queryset(
    access: Access, queue: str, *, groups: list[SupportGroup], now: datetime | None = None
) -> QuerySet[Incident]:
    """The incidents of one queue, as the person may see them."""
    qs = selectors.incidents_visible_to(access)
    open_statuses = list(OPEN_STATUSES)
    if queue == "mine":
        return qs.filter(assigned_to=access.user_id, status__in=open_statuses)
    if queue in ("groups", "unassigned"):
        qs = qs.filter(assignment_group_id__in=_owning_group_ids(access, groups), status__in=open_statuses)
        return qs.filter(assigned_to__isnull=True) if queue == "unassigned" else qs
    if queue == "on_hold":
        return qs.filter(status=Status.ON_HOLD)
    if queue == "resolved":
        since = (now or timezone.now()) - RECENTLY_RESOLVED
        return qs.filter(status=Status.RESOLVED, resolved_at__gte=since)
    if queue == "all":
        return qs
    return qs.filter(status__in=open_statuses)


# The filters a report's figure links to the queue with (``reporting.selectors.drill_params``):
# the period of a population and the report's dimensions.
REPORT_FILTERS = frozenset(
    {
        "created_after",
        "created_before",
        "resolved_after",
        "resolved_before",
        "closed_after",
        "closed_before",
        "backlog_on",
        "first_contact",
        "reopened",
        "priority",
        "category",
        "channel",
        "group",
        "tier",
    }
)


def is_report_drill_down(access: Access, cleaned: dict[str, Any]) -> bool:
    """Whether the page lists a report's figure for someone who reads the reports: filtered by the
    report's own filters and nothing else. There the page says how many incidents the figure counts
    that the reader may not open; under any other filter (a caller, an assignee, a search) the
    count would tell what the report does not."""
    used = {name for name, value in cleaned.items() if value not in (None, "")}
    return bool(used) and used <= REPORT_FILTERS and access.is_manager


# --- keyset pagination ---------------------------------------------------------------------


# What a queue row shows (templates/incidents/incident_list.html), and so all the page reads: an
# incident has fifty columns and its related rows a dozen each, and building the instances of a
# whole row cost more than the query (SPEC §13). A template that shows another column must name it
# here, or each row reads it on its own: tests/incidents/test_read_query_counts.py would see it.
ROW_FIELDS = (
    "number",
    "title",
    "priority",
    "status",
    "hold_reason",
    "version",
    "major_incident",
    "resolution_due_at",
    "sla_state",
    "ola_due_at",
    "ola_state",
    "created_at",
    "updated_at",
    "assignment_group__name",
    "assigned_to__username",
    "caller__username",
    "caller__first_name",
    "caller__last_name",
)


def paginate(qs: QuerySet[Incident], *, sort_key: str, cursor: str | None, size: int = PAGE_SIZE) -> Page:
    """One page of the queue in the named order (``core.paging``, as the API). A cursor that is not
    ours starts again from the first page, with ``invalid_cursor`` set for the page to say so."""
    columns = (SORTS.get(sort_key) or SORTS[DEFAULT_SORT]).columns
    qs = with_tag_names(qs.only(*ROW_FIELDS))
    try:
        return Page(paging.paginate(qs, columns, cursor=cursor, size=size))
    except paging.InvalidCursor:
        return Page(paging.paginate(qs, columns, cursor=None, size=size), invalid_cursor=True)


@dataclass
class Page:
    keyset: paging.Page[Incident]
    invalid_cursor: bool = False

    @property
    def rows(self) -> list[Incident]:
        return self.keyset.rows

    @property
    def next_cursor(self) -> str | None:
        return self.keyset.next_cursor

    @property
    def previous_cursor(self) -> str | None:
        return self.keyset.previous_cursor


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
    "tags",
)


def _csv_row(incident: Incident) -> list[Any]:
    return [
        incident.number,
        incident.title,
        incident.priority,
        incident.status,
        incident.assignment_group.slug if incident.assignment_group else "",
        incident.assigned_to.get_username() if incident.assigned_to else "",
        incident.caller.get_username(),
        incident.resolution_due_at,
        incident.created_at,
        incident.tag_names or "",  # type: ignore[attr-defined]
    ]


def csv_response(qs: QuerySet[Incident], *, sort_key: str, filename: str) -> StreamingHttpResponse:
    """The whole queue, filtered and sorted as on the page, streamed as CSV (SPEC: every table
    exports)."""
    sort = SORTS.get(sort_key) or SORTS[DEFAULT_SORT]
    rows = with_tag_names(paging.order(qs, sort.columns)).iterator(chunk_size=500)
    return core_csv.csv_response(filename, CSV_COLUMNS, (_csv_row(i) for i in rows))


# --- pick-lists and look-ups -----------------------------------------------------------------


# The pick-lists change a few times a year and fill every queue page: each process keeps them with
# the SLA configuration (escalation.config_cache), whose version every write of a group, category
# or service changes (database triggers). The instances are shared: read them, never change them.


def active_groups() -> list[SupportGroup]:
    return list(
        config_cache.cached(
            "active-groups",
            lambda: list(SupportGroup.objects.filter(is_active=True).order_by("tier", "name")),
        )
    )


def active_categories() -> list[Category]:
    return list(
        config_cache.cached(
            "active-categories",
            lambda: list(
                Category.objects.filter(is_active=True).select_related("parent").order_by("parent_id", "name")
            ),
        )
    )


def active_services() -> list[Service]:
    return list(
        config_cache.cached(
            "active-services", lambda: list(Service.objects.filter(is_active=True).order_by("name"))
        )
    )


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
    raise ValidationError(
        {"caller": _("There is no active user “%(term)s”. Pick one from the list.") % {"term": term}}
    )
