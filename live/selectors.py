"""Permission-checked reads of saved views and their live counts.

A person sees their own views and those of the groups they are an active member of. A view's
count is the number of incidents its queue lists for the reader, through the visibility rule
(``incidents.selectors.incidents_visible_to`` via the queue), so restricted incidents the reader
may not open are never counted. All the counts of a page come from one query, kept briefly.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Q, QuerySet
from django.http import Http404, QueryDict
from django.utils.translation import gettext as _

from core import versions
from escalation.access import Access
from incidents.records import forms as incident_forms
from incidents.records import queues
from incidents.records.filters import filter_queue
from incidents.records.models import Incident

from .models import SavedView, queue_url

COUNTS_SECONDS = 15
# Moved by every saved view's creation or deletion (``counts.bump_views_version``).
VIEWS_VERSION_KEY = "live:views:version"
MAX_VIEWS = 50


def views_visible_to(access: Access) -> QuerySet[SavedView]:
    if not access.is_staff_member:
        return SavedView.objects.none()
    return SavedView.objects.filter(
        Q(owner_id=access.user_id) | Q(group_id__in=list(access.group_ids))
    ).select_related("group", "owner")


def view_get_for_user(*, access: Access, pk: int) -> SavedView:
    view = views_visible_to(access).filter(pk=pk).first()
    if view is None:
        raise Http404(_("There is no such view."))
    return view


@dataclass(frozen=True)
class PickLists:
    groups: list[Any]
    categories: list[Any]
    services: list[Any]


def pick_lists() -> PickLists:
    """The queue form's choices, read once for all the views of a page."""
    return PickLists(queues.active_groups(), queues.active_categories(), queues.active_services())


def view_queryset(access: Access, query: str, lists: PickLists | None = None) -> QuerySet[Incident]:
    """The incidents the queue page lists for ``query``, as ``incidents.records.views.incident_list``."""
    lists = lists or pick_lists()
    params = QueryDict(query)
    groups = lists.groups
    queue = params.get("queue") or queues.default_queue(access)
    if queue not in queues.QUEUES:
        queue = queues.default_queue(access)
    form = incident_forms.QueueFilterForm(
        params, groups=groups, categories=lists.categories, services=lists.services
    )
    qs = queues.queue_queryset(access, queue, groups=groups)
    if not form.is_valid():
        return qs.none()
    return filter_queue(qs, form.cleaned_data)


def _counts_query(access: Access, views: list[SavedView]) -> dict[int, int]:
    parts: list[str] = []
    params: list[Any] = []
    lists = pick_lists()
    for view in views:
        qs = view_queryset(access, view.query, lists).order_by().values("pk")
        if qs.query.is_empty():
            parts.append("0")
            continue
        try:
            sql, sql_params = qs.query.get_compiler(connection=connection).as_sql()
        except EmptyResultSet:  # e.g. "my groups" for someone in no group: nothing to count
            parts.append("0")
            continue
        # Django's compiled SQL with its parameters kept apart, and an integer alias: nothing of the
        # person's input enters the text.
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS v{int(view.pk)})")  # noqa: S608
        params.extend(sql_params)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    return {view.pk: int(n) for view, n in zip(views, row, strict=True)}


def count_views(access: Access, views: list[SavedView]) -> dict[int, int]:
    """How many incidents each view lists for the reader, uncached: one aggregate query."""
    return _counts_query(access, views) if views else {}


def _standing_key(prefix: str, access: Access, what: Any) -> str:
    """A cache key for what the reader's standing decides (their groups, roles) and ``what``."""
    source = repr((access.user_id, sorted(access.group_ids), sorted(access.roles), access.is_superuser, what))
    return prefix + hashlib.sha256(source.encode()).hexdigest()


def view_counts(access: Access, views: list[SavedView]) -> dict[int, int]:
    """How many incidents each view lists for the reader: one query, cached for a few seconds
    under the reader's standing and the views' queries (so a changed membership or view is new)."""
    if not views:
        return {}
    key = _standing_key("live:view-counts:", access, [(v.pk, v.query) for v in views])
    counts: dict[int, int] | None = cache.get(key)
    if counts is None:
        counts = _counts_query(access, views)
        cache.set(key, counts, COUNTS_SECONDS)
    return counts


def views_with_counts(access: Access) -> list[tuple[SavedView, int]]:
    views = list(views_visible_to(access)[:MAX_VIEWS])
    counts = view_counts(access, views)
    return [(view, counts.get(view.pk, 0)) for view in views]


@dataclass(frozen=True)
class NavView:
    """What the queue page's bar shows of a saved view (``nav_views``)."""

    pk: int
    name: str
    query: str
    shared: bool
    count: int

    @property
    def url(self) -> str:
        return queue_url(self.query)


def nav_views(access: Access) -> list[NavView]:
    """The reader's views with their counts, for the bar of every queue page: kept with the counts
    (``COUNTS_SECONDS``) under the reader's standing and the views' version, which every creation and
    deletion moves (``counts.bump_views_version``), so a page costs no query for them while they are
    kept. The views' own list (``views_with_counts``) reads the table."""
    if not access.is_staff_member:
        return []
    key = _standing_key("live:nav-views:", access, versions.read(VIEWS_VERSION_KEY))
    kept: list[NavView] | None = cache.get(key)
    if kept is None:
        kept = [
            NavView(pk=view.pk, name=view.name, query=view.query, shared=view.group_id is not None, count=n)
            for view, n in views_with_counts(access)
        ]
        cache.set(key, kept, COUNTS_SECONDS)
    return kept
