"""The one set of incident filters, for the API list, the queue page and its CSV export.

The API reads its query parameters straight into ``IncidentFilter``. The queue page keeps its
own form (pick-lists, date inputs, the parameter names its links use) and hands the cleaned
values over through ``from_queue_form``, so that a filter is defined, and behaves, once.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone

from escalation.choices import Priority

from . import selectors
from .models import Channel, Incident, SlaState, Status


class IncidentFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Status.choices)
    priority = django_filters.TypedChoiceFilter(choices=Priority.choices, coerce=int)
    assignment_group = django_filters.CharFilter(
        field_name="assignment_group__slug", max_length=60, label="Slug of the owning group."
    )
    assigned_to = django_filters.CharFilter(
        field_name="assigned_to__username", max_length=150, label="Username."
    )
    caller = django_filters.CharFilter(field_name="caller__username", max_length=150, label="Username.")
    sla_state = django_filters.ChoiceFilter(choices=SlaState.choices)
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    q = django_filters.CharFilter(
        method="search", max_length=Incident.SEARCH_MAX_LENGTH, label="Full-text search."
    )
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    service = django_filters.CharFilter(
        field_name="service__slug", max_length=100, label="Slug of the service."
    )
    category = django_filters.CharFilter(
        method="in_category",
        max_length=201,
        label="Slug of a category (`hardware`: its incidents, whatever the subcategory) "
        "or of a subcategory (`hardware/laptop`).",
    )

    class Meta:
        model = Incident
        fields: list[str] = []

    def search(self, queryset: QuerySet[Incident], name: str, value: str) -> QuerySet[Incident]:
        return selectors.incidents_search(queryset, value)

    def in_category(self, queryset: QuerySet[Incident], name: str, value: str) -> QuerySet[Incident]:
        parent, _, child = value.partition("/")
        if child:
            return queryset.filter(subcategory__slug=child, subcategory__parent__slug=parent)
        return queryset.filter(Q(category__slug=parent, category__parent__isnull=True))


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def from_queue_form(cleaned: dict[str, Any]) -> dict[str, str]:
    """``IncidentFilter`` data from a cleaned ``forms.QueueFilterForm``: the page's names
    (``group``, ``assignee``) and whole days (``created_before`` includes its day)."""
    names = {"group": "assignment_group", "assignee": "assigned_to"}
    data: dict[str, str] = {}
    for key, value in cleaned.items():
        if value in (None, ""):
            continue
        if key == "created_after":
            data[key] = _day_start(value).isoformat()
        elif key == "created_before":
            data[key] = _day_start(value + timedelta(days=1)).isoformat()
        else:
            data[names.get(key, key)] = str(value)
    return data


def filter_queue(qs: QuerySet[Incident], cleaned: dict[str, Any]) -> QuerySet[Incident]:
    """Narrow a queue with the page's cleaned filters. Unknown slugs and names match nothing."""
    filterset = IncidentFilter(from_queue_form(cleaned), queryset=qs)
    if not filterset.is_valid():  # the form has checked the values already
        return qs.none()
    return filterset.qs
