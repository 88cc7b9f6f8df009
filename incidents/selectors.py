"""Permission-checked reads. Views and APIs get incidents only through these."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any, cast

from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import connection, connections
from django.db.models import ForeignKey, Model, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils.translation import gettext as _

from core.aggregates import TextList
from escalation import config_cache
from escalation.access import Access
from escalation.models import SupportGroup

from . import permissions
from .models import (
    Attachment,
    Category,
    Incident,
    IncidentEvent,
    IncidentRelation,
    Notification,
    Service,
    Status,
    Watcher,
)

# Joined into the incident query itself. PostgreSQL searches the join orders of a query before
# it runs it, and that search grows with every joined table (issue 14, on 150,000 incidents:
# 3 joins plan in about 1 ms, 6 in 9 ms, 9 in 30-50 ms, for 0.5 ms of execution). So a query of
# incidents joins the three tables every page shows, and the rest come in ``attach_related``:
# one small query per table, whatever the number of rows.
LIST_RELATED = ("caller", "assigned_to", "assignment_group")
# What the API shows beyond ``LIST_RELATED`` (attached in batches).
API_RELATED = ("reported_by", "category", "subcategory", "service", "parent", "duplicate_of")
# A single incident (its page, the API detail, every write): three joins to tables of one row
# each; the people (one query) and linked incidents (one, when linked) attached, categories and
# the service from the process's copy of them, so that the incident page stays within ten queries.
DETAIL_JOINED = ("assignment_group", "sla_policy", "major")
DETAIL_RELATED = (
    "service",
    "caller",
    "assigned_to",
    "reported_by",
    "updated_by",
    "category",
    "subcategory",
    "parent",
    "duplicate_of",
)


# Reference tables read whole, once per process and configuration version, by ``attach_related``;
# with what each row joins.
REFERENCE_TABLES: dict[type[Model], tuple[str, ...]] = {Category: ("parent",), Service: ()}


def _reference_rows(table: type[Model]) -> dict[Any, Model]:
    """Every row of a small reference table (categories, services), kept per process with the SLA
    configuration (``escalation.config_cache``; a write of either table gives it a new version)."""
    return config_cache.cached(
        ("rows-by-id", table._meta.label),
        lambda: table._default_manager.select_related(*REFERENCE_TABLES[table]).in_bulk(),
    )


def attach_related(rows: Sequence[Model], fields: Sequence[str]) -> None:
    """Fill the foreign keys ``fields`` of ``rows`` with one query per table they point to.

    A user who is caller of one row and reporter of another is read once, and objects already on
    the rows (joined by ``select_related``) are reused, not read again. Linked incidents are read
    with their number only (that is all a page or the API shows of them). Rows whose key is null
    get ``None``, so nothing is read lazily afterwards. Categories and services come from the
    process's copy of those tables (``_reference_rows``), without a query; the instances are
    shared between requests, so nothing may change them.
    """
    if not rows:
        return
    meta = type(rows[0])._meta
    by_table: dict[type[Model], list[ForeignKey[Any, Any]]] = {}
    for name in fields:
        field = meta.get_field(name)
        assert isinstance(field, ForeignKey) and field.related_model is not None
        by_table.setdefault(cast("type[Model]", field.related_model), []).append(field)
    for table, wanted_fields in by_table.items():
        known: dict[Any, Model] = {}
        for field in meta.get_fields():
            if isinstance(field, ForeignKey) and field.related_model is table:
                for row in rows:
                    if field.is_cached(row) and (obj := field.get_cached_value(row)) is not None:
                        known[obj.pk] = obj
        missing = {
            key
            for field in wanted_fields
            for row in rows
            if (key := getattr(row, field.attname)) is not None and key not in known
        }
        if missing and table in REFERENCE_TABLES:
            reference = _reference_rows(table)
            known.update((key, reference[key]) for key in missing if key in reference)
            missing -= reference.keys()
        if missing:
            qs = table._default_manager.all()
            if table is Incident:
                qs = qs.only("id", "number")
            known.update(qs.in_bulk(missing))
        for field in wanted_fields:
            for row in rows:
                key = getattr(row, field.attname)
                if key is None:
                    field.set_cached_value(row, None)
                elif key in known and not field.is_cached(row):
                    field.set_cached_value(row, known[key])


def incidents_visible_to(access: Access) -> QuerySet[Incident]:
    """Staff see every incident but the security ones outside their remit
    (``permissions.staff_visibility``); an end user sees those they are the caller of, reported or watch."""
    qs = Incident.objects.select_related(*LIST_RELATED)
    if not access.authenticated:
        return qs.none()
    if access.is_staff_member:
        return qs.filter(permissions.staff_visibility(access))
    me = access.user_id
    watched = Watcher.objects.filter(user=me).values("incident_id")
    return qs.filter(Q(caller=me) | Q(reported_by=me) | Q(pk__in=watched))


def incidents_own(access: Access) -> QuerySet[Incident]:
    """The incidents the person called in, reported or watches (the portal's), as they may see
    them: a colleague on the staff who watches a restricted incident does not read it by watching.

    The watched ids are read first and given as a list: with a sub-select in the OR, PostgreSQL
    scans the whole incident table (280 ms at a million incidents); with a list it combines the
    caller, reporter and primary-key indexes (3 ms).
    """
    if not access.authenticated:
        return Incident.objects.none()
    me = access.user_id
    watched = list(Watcher.objects.filter(user=me).values_list("incident_id", flat=True))
    mine = Q(caller=me) | Q(reported_by=me)
    if watched:
        mine |= Q(pk__in=watched)
    qs = Incident.objects.filter(mine)
    if access.is_staff_member:
        qs = qs.filter(permissions.staff_visibility(access))
    return qs


def incidents_for_totals() -> QuerySet[Incident]:
    """Every incident, for counting only: the aggregate rule (docs/architecture/visibility.md).

    A manager's totals and SLA figures count the incidents the manager may not open, or the
    figures would lie; but nothing read from here may name an incident (number, title, link) to
    a person: lists, drill-downs and exports start from ``incidents_visible_to``.
    """
    return Incident.objects.all()


def incidents_not_visible_count(
    access: Access,
    where: Q | Callable[[QuerySet[Incident]], QuerySet[Incident]],
    *,
    limit: int | None = None,
) -> int:
    """How many incidents matching ``where`` (a filter, or a function that narrows a queryset the
    way a page does) are left out of the person's lists, for the pages that show a total beside the
    rows ("2 restricted incidents are counted but not listed"); at most ``limit`` (read as that many
    keys rather than counted, for the live pages). 0 without a query for those who see everything.

    Only for totals the person reads anyway (the reports'): a count under a free-text search would
    tell what hidden incidents say.
    """
    if not access.is_staff_member:
        return 0
    rule = permissions.staff_hidden(access)
    if rule is None:
        return 0
    hidden = Incident.objects.filter(rule)
    hidden = (hidden.filter(where) if isinstance(where, Q) else where(hidden)).order_by()
    if limit is not None:
        return len(hidden.values_list("pk", flat=True)[:limit])
    return hidden.count()


def incident_readers(incident: Incident, user_ids: Iterable[int]) -> frozenset[int]:
    """Of ``user_ids``, who may be told about ``incident`` (notifications and mail).

    For an ordinary incident, all of them, without a query: the recipient rules name its staff,
    its followers and the contacts the escalation register names for its group, an on-call
    colleague without a role included. A restricted incident is told only to those who may open
    it (``permissions.reader_ids``: ``can_view`` for many people, one query), whatever a rule or
    the register says. These are other people than the one asking, and many: their rule is
    read in SQL for all of them at once rather than as one ``Access`` each.
    """
    ids = frozenset(user_ids)
    if not ids or not permissions.is_restricted(incident):
        return ids
    return permissions.reader_ids(incident, ids)


def with_tag_names(qs: QuerySet[Incident]) -> QuerySet[Incident]:
    """Each row's tags as ``tag_names`` ("a b", in name order; None for none), read in the rows' own
    query (a subquery per row): the toolkit's tags (issue 23 §5), reached by their relation
    ``tag_links`` as the ``?tag=`` filter reaches them, so that this layer imports nothing of the toolkit."""
    links = cast(Any, Incident._meta.get_field("tag_links").related_model)._default_manager
    names = (
        links.filter(incident=OuterRef("pk"))
        .order_by()
        .values("incident")
        .annotate(names=TextList("tag__name"))
        .values("names")
    )
    return qs.annotate(tag_names=Subquery(names))


def incident_get_for_user(
    *, access: Access, number: str, for_update: bool = False, with_tags: bool = False
) -> Incident:
    """The incident ``number`` if the person may see it; otherwise 404, never 403 (no leak).

    One incident is read by its number and checked with ``permissions.can_view``, the rule of
    ``incidents_visible_to`` for a single row, rather than filtered with that rule in SQL: the
    rule's sub-selects cost more to build and plan than the read itself, on every incident page,
    API detail and write (SPEC §13). tests/incidents/test_visibility_rules.py holds both to agreement.
    """
    if not access.authenticated:
        raise Http404(_("No incident %(number)s.") % {"number": number})
    qs = Incident.objects.select_related(*DETAIL_JOINED)
    if with_tags:  # in the same query (the API detail, for staff)
        qs = with_tag_names(qs)
    if for_update:
        qs = qs.select_for_update(of=("self",))
    try:
        incident = qs.get(number=number)
    except Incident.DoesNotExist:
        raise Http404(_("No incident %(number)s.") % {"number": number}) from None
    attach_related([incident], DETAIL_RELATED)
    if not permissions.can_view(access, incident):
        raise Http404(_("No incident %(number)s.") % {"number": number})
    return incident


def incident_id_for_user(*, access: Access, number: str) -> int:
    """The id of the incident ``number`` if the person may see it, else 404: ``incident_get_for_user``
    reading only what ``permissions.can_view`` asks (one row, two small joins), for a caller that needs
    no more than the id (the live feed, asked by every open incident page every ``LIVE_WAIT_SECONDS``)."""
    if not access.authenticated:
        raise Http404(_("No incident %(number)s.") % {"number": number})
    try:
        incident = (
            Incident.objects.select_related("assignment_group", "category")
            .only(
                "pk",
                "caller_id",
                "reported_by_id",
                "assignment_group__slug",
                "category__slug",
                "category__parent_id",
            )
            .get(number=number)
        )
    except Incident.DoesNotExist:
        raise Http404(_("No incident %(number)s.") % {"number": number}) from None
    if not permissions.can_view(access, incident):
        raise Http404(_("No incident %(number)s.") % {"number": number})
    return incident.pk


def _merged(qs: QuerySet[Incident]) -> QuerySet[Incident]:
    """The incidents of ``qs`` merged into another: cancelled by a merge, which marks its
    cancellation with ``merged_into`` (``records.services.merge``), not merely linked as duplicates."""
    return qs.filter(
        status=Status.CANCELLED,
        duplicate_of__isnull=False,
        events__kind=IncidentEvent.Kind.CANCELLED,
        events__changes__has_key="merged_into",
    )


def merged_into_for_user(*, access: Access, incident: Incident) -> Incident | None:
    """The incident where a merged one's work continues (its old links lead there), when this
    person may see it; None for any other incident, or for a reader the survivor is hidden from."""
    if incident.status != Status.CANCELLED or incident.duplicate_of_id is None:
        return None  # no query for every incident that was not cancelled as a duplicate
    if not _merged(Incident.objects.filter(pk=incident.pk)).exists():
        return None
    survivor = Incident.objects.filter(pk=incident.duplicate_of_id).values_list("number", flat=True).first()
    if survivor is None:
        return None
    try:
        return incident_get_for_user(access=access, number=survivor)
    except Http404:
        return None


def incident_children(*, access: Access, incident: Incident) -> QuerySet[Incident]:
    """The incidents linked to ``incident`` as its children, as the person may see them."""
    return incidents_visible_to(access).filter(parent=incident).order_by("created_at", "id")


# The changes the split service records with an ``IncidentRelation``, on the new incident and the original.
SPLIT_ENTRIES = frozenset({"split_from", "split_into"})


def incident_relations(
    *, access: Access, incident: Incident, timeline: Sequence[IncidentEvent] | None = None
) -> list[dict[str, Any]]:
    """The incidents related to ``incident`` (``IncidentRelation``: split off a comment, issue 23 §3)
    that the person may open, oldest first, each with its ``side``: ``"from"`` for the incident this one
    was split from, ``"into"`` for those split off it. One query (categories come from the process's
    copy); a restricted incident is left out for whoever may not read it (``permissions.can_view``).

    Given the incident's ``timeline`` as the page has read it, nothing is read when no entry of it
    names a split: the split service records the relation with an entry on each side, and the
    incident page stays within its ten queries (SPEC §13)."""
    if timeline is not None and not any(SPLIT_ENTRIES & (e.changes or {}).keys() for e in timeline):
        return []
    rows = (
        IncidentRelation.objects.filter(Q(source=incident) | Q(target=incident))
        .select_related("source__assignment_group", "target__assignment_group")
        .order_by("created_at", "id")
    )
    related = []
    for row in rows:
        side, other = ("into", row.target) if row.source_id == incident.pk else ("from", row.source)
        attach_related([other], ("category",))
        if permissions.can_view(access, other):
            related.append({"side": side, "kind": row.kind, "incident": other})
    return related


def incident_timeline(*, access: Access, incident: Incident) -> QuerySet[IncidentEvent]:
    """The activity log as this person may read it: callers see only public entries."""
    qs = incident.events.select_related("actor", "attachment").order_by("created_at", "id")
    if not permissions.can_see_internal(access):
        qs = qs.filter(public=True)
    return qs


def attachment_get_for_user(*, access: Access, pk: int) -> Attachment:
    try:
        attachment = Attachment.objects.select_related("incident").get(pk=pk)
    except Attachment.DoesNotExist:
        raise Http404(_("No such attachment.")) from None
    if not permissions.can_view(access, attachment.incident):
        raise Http404(_("No such attachment."))
    if not attachment.public and not permissions.can_see_internal(access):
        raise Http404(_("No such attachment."))
    return attachment


def incidents_search(qs: QuerySet[Incident], q: str) -> QuerySet[Incident]:
    """Full-text search over number, title and description.

    PostgreSQL uses the stored tsvector and its GIN index (migration 0002); SQLite, the
    embedded default, falls back on a plain case-insensitive match.
    """
    q = (q or "").strip().replace("\x00", "")
    if not q:
        return qs
    if q.upper().startswith("INC") and q[3:].isdigit():
        # A merged incident's old number also finds the incident it was merged into. The survivor's
        # id is read first, so that the search stays two index lookups rather than an OR on a sub-select.
        number = q.upper()
        merged = _merged(Incident.objects.filter(number=number))
        survivors = list(merged.values_list("duplicate_of_id", flat=True))
        return qs.filter(Q(number=number) | Q(pk__in=survivors)) if survivors else qs.filter(number=number)
    if connection.vendor == "postgresql":
        matching = qs.extra(where=[SEARCH_WHERE], params=[q])  # noqa: S610 (a constant, q bound)
        few = None if _one_common_word(q, qs.db) else _few_matches(q, qs.db)
        return matching if few is None else matching.filter(pk__in=few)
    return qs.filter(Q(title__icontains=q) | Q(description__icontains=q) | Q(number__icontains=q))


SEARCH_WHERE = "incidents_incident.search_tsv @@ websearch_to_tsquery('english', %s)"
# How many incidents a page of a search may test walking ``inc_created_id`` (issue 25 §6).
# Measured at 20,000 incidents (docs/operations/scaling.md): a page of a search whose words are
# common is fastest walking that index newest first and testing each row (0.3-0.5 ms; through the
# text-search index 8-16 ms, as it fetches and sorts every match), but a search whose words are
# common one by one and rare together walks the whole table that way (7 ms at 20,000, 0.35 us a
# row, linear in the table), and the planner cannot tell the two apart: it multiplies the words'
# frequencies. So the text-search index is asked first for the ids of at most
# ``table size * 50 / SEARCH_WALK`` matches (at least 50): when there are no more, the page is read
# by primary key and sorted; when there are more, a page is found within about SEARCH_WALK rows.
SEARCH_WALK = 20_000
SEARCH_PROBE = (
    "WITH bound AS (SELECT greatest(50, reltuples * 50 / %s)::int AS n FROM pg_class"  # noqa: S608
    " WHERE oid = 'incidents_incident'::regclass)"
    f" SELECT (SELECT n FROM bound), array(SELECT id FROM incidents_incident WHERE {SEARCH_WHERE}"
    " LIMIT (SELECT n + 1 FROM bound))"
)
# The probe must take the text-search index's bitmap scan: under its LIMIT the planner would rather
# scan the table (or the primary key) until enough rows match, the whole table where few do. So the
# sequential and plain index scans are switched off while it is planned, and put back as it runs
# (a statement's plan is made before it runs): two statements, no transaction of their own.
SCANS_OFF = (
    "SELECT current_setting('enable_seqscan'), current_setting('enable_indexscan'),"
    " set_config('enable_seqscan', 'off', false), set_config('enable_indexscan', 'off', false)"
)
SCANS_BACK = "set_config('enable_seqscan', %s, false), set_config('enable_indexscan', %s, false)"


# The planner's estimates of a one-word search and of the table, in one planning round trip.
ESTIMATES = (
    f"EXPLAIN (FORMAT JSON) SELECT 1 FROM incidents_incident WHERE {SEARCH_WHERE}"  # noqa: S608
    " UNION ALL SELECT 1 FROM incidents_incident"
)
# A word the planner expects in more than this share of the incidents is searched by the walk alone:
# four times the density at which the probe's bound is exceeded (50 in SEARCH_WALK), as margin.
COMMON_WORD_SHARE = 4 * 50 / SEARCH_WALK


def _one_common_word(q: str, using: str = "default") -> bool:
    """Whether ``q`` is one word that the column's statistics say is common. The probe's bitmap reads
    every match from the text-search index before its LIMIT: for a word in a sixth of a million incidents
    ("printer"), 76 ms at 1 M, where the newest-first walk finds a page in under a millisecond. For one
    word the planner's estimate comes from the word's own frequency, so it can be trusted; for several,
    it multiplies their frequencies and cannot see words that are common alone but rare together, which
    is what the probe is for."""
    if len(q.split()) != 1:
        return False
    with connections[using].cursor() as cursor:
        cursor.execute(ESTIMATES, [q])
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    matches, table = (part["Plan Rows"] for part in plan[0]["Plan"]["Plans"])
    return table > 0 and matches / table > COMMON_WORD_SHARE


def _few_matches(q: str, using: str = "default") -> list[int] | None:
    """The ids of every incident matching ``q``, found through the text-search index, or None when
    there are more than the bound above. Every incident: visibility is the caller's query's."""
    with connections[using].cursor() as cursor:
        cursor.execute(SCANS_OFF)
        seqscan, indexscan = cursor.fetchone()[:2]
        try:
            cursor.execute(
                f"SELECT *, {SCANS_BACK} FROM ({SEARCH_PROBE}) AS probe",  # noqa: S608 (constants)
                [seqscan, indexscan, SEARCH_WALK, q],
            )
            bound, ids = cursor.fetchone()[:2]
        except BaseException:
            # In a transaction the failed statement aborted it, and its rollback undoes the settings.
            if not connections[using].in_atomic_block:
                cursor.execute(f"SELECT {SCANS_BACK}", [seqscan, indexscan])
            raise
    return list(ids) if len(ids) <= bound else None


def notifications_for(*, access: Access, limit: int = 50) -> list[Any]:
    """The person's own in-app notifications, newest first."""
    if not access.authenticated:
        return []
    return list(notifications_visible_to(access).order_by("-created_at", "-id")[:limit])


def notifications_visible_to(access: Access) -> QuerySet[Any]:
    """The user's own notifications about incidents they may still see (a security incident's
    notifications vanish for whoever is no longer allowed to read it)."""
    return (
        Notification.objects.filter(recipient=access.user_id)
        .filter(Q(incident__isnull=True) | Q(incident__in=incidents_visible_to(access).values("pk")))
        .select_related("incident")
    )


def notifications_unread_count(*, user: Any) -> int:
    """One count over the partial index ``notification_unread`` (the bell, polled: no access read)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def user_lookup(*, username: str, field: str = "user") -> Any:
    try:
        return get_user_model().objects.get(username=username, is_active=True)
    except ObjectDoesNotExist:
        raise ValidationError(
            {field: _("There is no active user “%(username)s”.") % {"username": username}}
        ) from None


def group_lookup(*, slug: str, field: str = "assignment_group") -> SupportGroup:
    try:
        return SupportGroup.objects.get(slug=slug)
    except SupportGroup.DoesNotExist:
        raise ValidationError({field: _("There is no support group “%(slug)s”.") % {"slug": slug}}) from None
