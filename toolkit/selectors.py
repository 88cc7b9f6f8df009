"""Permission-checked reads of the toolkit: the templates and macros a person may use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from core.aggregates import TextList
from escalation.access import Access
from escalation.models import Membership
from incidents.models import Incident
from incidents.selectors import incidents_visible_to

from .models import IncidentTag, Macro, MacroRun, ResponseTemplate, Tag, TimeEntry

# Who is at work, for the staffing view (sd-sessions) and anyone else: the assigner's one definition.
from .routing import absences_between, people_on_shift


def responses_for(*, access: Access, q: str = "", language: str = "") -> QuerySet[ResponseTemplate]:
    """The person's own templates, their groups' and the shared ones; ``q`` searches title and text.
    Templates in ``language`` come first, then those written for everyone, then the others."""
    if not access.is_staff_member:
        return ResponseTemplate.objects.none()
    qs = ResponseTemplate.objects.filter(
        Q(owner_id=access.user_id)
        | Q(group_id__in=access.group_ids)
        | Q(owner__isnull=True, group__isnull=True)
    ).select_related("group", "owner")
    for word in q.split()[:5]:
        qs = qs.filter(Q(title__icontains=word) | Q(body__icontains=word))
    if language:
        qs = qs.order_by(
            Case(
                When(language=language, then=Value(0)),
                When(language="", then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            ),
            "title",
            "id",
        )
    return qs


def response_get_for_user(*, access: Access, pk: int) -> ResponseTemplate:
    return responses_for(access=access).get(pk=pk)


def macros_for(*, access: Access) -> QuerySet[Macro]:
    """The active macros a person may apply: the shared ones and their groups'."""
    if not access.is_staff_member:
        return Macro.objects.none()
    qs = Macro.objects.filter(is_active=True).select_related("assignment_group", "category", "group")
    if access.is_incident_manager:
        return qs
    return qs.filter(Q(group__isnull=True) | Q(group_id__in=access.group_ids))


def macro_runs_of(incident: Incident) -> list[MacroRun]:
    """The latest macros applied to an incident the caller has already read through the visibility rule."""
    return list(MacroRun.objects.filter(incident=incident).select_related("actor")[:20])


__all__ = [
    "absences_between",
    "macro_runs_of",
    "macros_for",
    "may_read_time_reports",
    "minutes_per_incident",
    "minutes_worked",
    "people_on_shift",
    "response_get_for_user",
    "responses_for",
    "time_by_group_for_period",
    "time_entries_of",
    "time_entries_visible_to",
    "time_report",
    "time_worked_by_group",
    "time_worked_on",
    "top_tags",
    "with_tag_names",
]


def time_worked_by_group(*, access: Access, start: datetime, end: datetime) -> dict[int, int]:
    """Minutes recorded in [start, end), by the id of the group that held the incident; for managers
    and the incident manager (the staffing view, the team lead's view)."""
    if not access.is_manager:
        return {}
    rows = (
        TimeEntry.objects.filter(worked_at__gte=start, worked_at__lt=end)
        .values("group_id")
        .annotate(minutes=Sum("minutes"))
        .values_list("group_id", "minutes")
    )
    return {group_id: minutes for group_id, minutes in rows if group_id is not None}


def minutes_worked(*, group_id: int, start: datetime, end: datetime) -> int | None:
    """Minutes the group recorded in [start, end), or None where nobody recorded any: a total, which
    counts every incident (docs/architecture/visibility.md), for the staffing view's pages."""
    total = TimeEntry.objects.filter(group_id=group_id, worked_at__gte=start, worked_at__lt=end).aggregate(
        minutes=Sum("minutes")
    )["minutes"]
    return int(total) if total is not None else None


def time_worked_on(incident: Incident) -> list[TimeEntry]:
    """The time recorded on an incident the caller has already read through the visibility rule."""
    return list(TimeEntry.objects.filter(incident=incident).select_related("user", "group")[:50])


def tags_of(incident: Incident) -> list[str]:
    """The tags of an incident the caller has already read through the visibility rule."""
    return list(
        IncidentTag.objects.filter(incident=incident)
        .order_by("tag__name")
        .values_list("tag__name", flat=True)
    )


def top_tags(incidents: QuerySet[Incident], *, limit: int = 10) -> list[dict[str, Any]]:
    """The tags most used on ``incidents`` (a queryset the reader's visibility rule has already
    narrowed, as ``reporting.selectors.month_incidents``), each with how many of them carry it, most
    first: one aggregate query. A tag only put on incidents hidden from the reader is not counted."""
    rows = (
        IncidentTag.objects.filter(incident__in=incidents.order_by().values("pk"))
        .values("tag__name")
        .annotate(incidents=Count("incident_id"))
        .order_by("-incidents", "tag__name")[:limit]
    )
    return [{"name": row["tag__name"], "incidents": row["incidents"]} for row in rows]


def tag_suggestions(*, access: Access, prefix: str = "", limit: int = 20) -> list[str]:
    """Tags in use on incidents this person may see, most used first: a tag only ever put on a
    restricted incident is never suggested to someone who may not read it."""
    if not access.is_staff_member:
        return []
    prefix = (prefix or "").strip().lower()[: Tag.MAX_LENGTH]
    links = IncidentTag.objects.filter(incident__in=incidents_visible_to(access).values("pk"))
    if prefix:
        links = links.filter(tag__name__startswith=prefix)
    rows = links.values("tag__name").annotate(uses=Count("id")).order_by("-uses", "tag__name")[:limit]
    return [row["tag__name"] for row in rows]


# --- time reports ------------------------------------------------------------------------------


def may_read_time_reports(access: Access) -> bool:
    """Managers and incident managers read every group's time; a group's lead reads their groups'."""
    return access.is_manager or access.is_group_lead


def time_entries_visible_to(access: Access) -> QuerySet[TimeEntry]:
    """The time entries a person may count: on incidents they may see (``incidents_visible_to``),
    and, for a team lead who is no manager, only those recorded for the groups they lead."""
    if not may_read_time_reports(access):
        return TimeEntry.objects.none()
    qs = TimeEntry.objects.filter(incident__in=incidents_visible_to(access).values("pk"))
    if not access.is_manager:
        led = Membership.objects.filter(user_id=access.user_id or 0, is_lead=True, group__is_active=True)
        qs = qs.filter(group_id__in=led.values("group_id"))
    return qs


@dataclass(frozen=True)
class TimeReport:
    """Minutes in [start, end) by group, person, category and month: one aggregate query each."""

    start: datetime
    end: datetime
    by_group: list[dict[str, Any]]
    by_person: list[dict[str, Any]]
    by_category: list[dict[str, Any]]
    by_month: list[dict[str, Any]]

    @property
    def total_minutes(self) -> int:
        return sum(row["minutes"] for row in self.by_group)

    @property
    def entries(self) -> int:
        return sum(row["entries"] for row in self.by_group)

    def tables(self) -> list[tuple[str, list[dict[str, Any]]]]:
        return [
            ("group", self.by_group),
            ("person", self.by_person),
            ("category", self.by_category),
            ("month", self.by_month),
        ]


def _minutes_by(qs: QuerySet[TimeEntry], **keys: Any) -> list[dict[str, Any]]:
    rows = list(qs.values(**keys).annotate(minutes=Sum("minutes"), entries=Count("id")).order_by("-minutes"))
    for row in rows:
        row["hours"] = round(row["minutes"] / 60, 1)
    return rows


def time_report(
    *, access: Access, start: datetime, end: datetime, group: str = "", tag: str = ""
) -> TimeReport:
    """The time report a team lead or manager reads (issue 23 §4), over incidents they may see;
    ``group`` (a slug) and ``tag`` narrow it. A person with no right to it gets an empty report."""
    qs = time_entries_visible_to(access).filter(worked_at__gte=start, worked_at__lt=end)
    if group:
        qs = qs.filter(group__slug=group)
    if tag:
        qs = qs.filter(incident__tag_links__tag__name=tag.strip().lower()[: Tag.MAX_LENGTH])
    by_group = _minutes_by(qs, key=F("group__slug"), label=F("group__name"))
    by_person = _minutes_by(
        qs, key=F("user__username"), first_name=F("user__first_name"), last_name=F("user__last_name")
    )
    for row in by_person:
        row["label"] = f"{row.pop('first_name')} {row.pop('last_name')}".strip() or row["key"]
    by_category = _minutes_by(qs, key=F("incident__category__slug"), label=F("incident__category__name"))
    zone = timezone.get_default_timezone()
    by_month = list(
        qs.annotate(month=TruncMonth("worked_at", tzinfo=zone))
        .values("month")
        .annotate(minutes=Sum("minutes"), entries=Count("id"))
        .order_by("month")
    )
    for row in by_month:
        row["key"] = row["label"] = row.pop("month").strftime("%Y-%m")
        row["hours"] = round(row["minutes"] / 60, 1)
    return TimeReport(start, end, by_group, by_person, by_category, by_month)


def time_by_group_for_period(start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Minutes recorded in [start, end) by group, counting every incident: a total for the monthly
    report (the aggregate rule of docs/architecture/visibility.md), which names no incident."""
    return _minutes_by(
        TimeEntry.objects.filter(worked_at__gte=start, worked_at__lt=end),
        key=F("group__slug"),
        label=F("group__name"),
    )


def minutes_per_incident(incidents: QuerySet[Incident]) -> QuerySet[Incident]:
    """``incidents`` with ``minutes_worked`` (all time recorded on each, 0 for none) as a subquery,
    so that a list or export reads it in its own query, whatever its length."""
    total = (
        TimeEntry.objects.filter(incident=OuterRef("pk"))
        .order_by()
        .values("incident")
        .annotate(total=Sum("minutes"))
        .values("total")
    )
    return incidents.annotate(minutes_worked=Coalesce(Subquery(total), 0))


def time_entries_of(*, access: Access, incident: Incident) -> QuerySet[TimeEntry]:
    """Every time entry of an incident the person has read through ``incident_get_for_user``: staff
    only (a caller does not read the time spent on their incident)."""
    if not access.is_staff_member:
        return TimeEntry.objects.none()
    return TimeEntry.objects.filter(incident=incident).select_related("incident", "user", "group")


def with_tag_names(incidents: QuerySet[Incident]) -> QuerySet[Incident]:
    """``incidents`` with ``tag_names`` (their tags, space-separated; "" for none) as a subquery, for
    an export or a list that reads it in its own query."""
    names = (
        IncidentTag.objects.filter(incident=OuterRef("pk"))
        .order_by()
        .values("incident")
        .annotate(names=TextList("tag__name"))
        .values("names")
    )
    return incidents.annotate(tag_names=Coalesce(Subquery(names), Value("")))
