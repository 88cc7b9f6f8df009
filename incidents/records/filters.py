"""The one set of incident filters, for the API list, the queue page and its CSV export.

The API reads its query parameters straight into ``IncidentFilter``. The queue page keeps its
own form (pick-lists, date inputs, the parameter names its links use) and hands the cleaned
values over through ``from_queue_form``, so that a filter is defined, and behaves, once.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any, cast

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy

from escalation.access import access_of
from escalation.choices import Priority

from .. import selectors
from .models import Category, Channel, Incident, Service, SlaState, Status


class IncidentFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Status.choices)
    priority = django_filters.TypedChoiceFilter(choices=Priority.choices, coerce=int)
    assignment_group = django_filters.CharFilter(
        field_name="assignment_group__slug", max_length=60, label=gettext_lazy("Slug of the owning group.")
    )
    assigned_to = django_filters.CharFilter(
        field_name="assigned_to__username", max_length=150, label=gettext_lazy("Username.")
    )
    caller = django_filters.CharFilter(
        field_name="caller__username", max_length=150, label=gettext_lazy("Username.")
    )
    sla_state = django_filters.ChoiceFilter(choices=SlaState.choices)
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    q = django_filters.CharFilter(
        method="search", max_length=Incident.SEARCH_MAX_LENGTH, label=gettext_lazy("Full-text search.")
    )
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    service = django_filters.CharFilter(
        method="of_service", max_length=100, label=gettext_lazy("Slug of the service.")
    )
    category = django_filters.CharFilter(
        method="in_category",
        max_length=201,
        label=gettext_lazy(
            "Slug of a category (`hardware`: its incidents, whatever the subcategory) "
            "or of a subcategory (`hardware/laptop`)."
        ),
    )

    # Reporting's drill-downs: exactly the incidents behind a figure of a month.
    resolved_after = django_filters.IsoDateTimeFilter(field_name="resolved_at", lookup_expr="gte")
    resolved_before = django_filters.IsoDateTimeFilter(field_name="resolved_at", lookup_expr="lt")
    closed_after = django_filters.IsoDateTimeFilter(field_name="closed_at", lookup_expr="gte")
    closed_before = django_filters.IsoDateTimeFilter(field_name="closed_at", lookup_expr="lt")
    backlog_at = django_filters.IsoDateTimeFilter(
        method="in_backlog_at",
        label=gettext_lazy("Created before this moment and neither resolved nor closed by then."),
    )
    tier = django_filters.TypedChoiceFilter(
        field_name="assignment_group__tier", choices=[(1, "1"), (2, "2"), (3, "3")], coerce=int
    )
    first_contact = django_filters.BooleanFilter(
        method="is_first_contact", label=gettext_lazy("Resolved or closed without leaving tier 1.")
    )
    reopened = django_filters.BooleanFilter(
        method="was_reopened", label=gettext_lazy("Reopened at least once.")
    )
    tag = django_filters.CharFilter(method="tagged", max_length=40, label=gettext_lazy("A tag, any case."))

    class Meta:
        model = Incident
        fields: list[str] = []

    @classmethod
    def of(cls, names: Iterable[str]) -> type[IncidentFilter]:
        """The filter set of only the filters among ``names``: each filter left out would filter nothing
        (all skip an absent value), and building the whole set deep-copies every filter and makes a form
        field of each for every request, a fifth of an API search's time (issue 25 §6)."""
        return _narrowed(frozenset(names).intersection(cls.base_filters))

    def in_backlog_at(self, queryset: QuerySet[Incident], name: str, value: datetime) -> QuerySet[Incident]:
        return queryset.filter(
            Q(created_at__lt=value),
            Q(resolved_at__isnull=True) | Q(resolved_at__gte=value),
            Q(closed_at__isnull=True) | Q(closed_at__gte=value),
        )

    def is_first_contact(self, queryset: QuerySet[Incident], name: str, value: bool) -> QuerySet[Incident]:
        fcr = Q(status__in=[Status.RESOLVED, Status.CLOSED], max_tier_reached=1, resolved_at__isnull=False)
        return queryset.filter(fcr) if value else queryset.exclude(fcr)

    def was_reopened(self, queryset: QuerySet[Incident], name: str, value: bool) -> QuerySet[Incident]:
        return queryset.filter(reopen_count__gt=0) if value else queryset.filter(reopen_count=0)

    def tagged(self, queryset: QuerySet[Incident], name: str, value: str) -> QuerySet[Incident]:
        # The tags are the toolkit's (``toolkit.models.IncidentTag``, related name ``tag_links``):
        # read through the relation, not imported, as the layers have the toolkit above incidents.
        # Tags are the staff's: a caller's ``?tag=`` on the API matches nothing rather than tell
        # which of their incidents carry a tag (the queue page, staff's only, has no request here).
        if self.request is not None and not access_of(self.request).is_staff_member:
            return queryset.none()
        return queryset.filter(tag_links__tag__name=" ".join(value.split()).lower().replace(" ", "-"))

    def search(self, queryset: QuerySet[Incident], name: str, value: str) -> QuerySet[Incident]:
        return selectors.incidents_search(queryset, value)

    # Slugs are matched in sub-selects on the small tables rather than through joins: every join
    # makes the planner's search of join orders longer (see ``selectors.LIST_RELATED``).
    def of_service(self, queryset: QuerySet[Incident], name: str, value: str) -> QuerySet[Incident]:
        return queryset.filter(service__in=Service.objects.filter(slug=value).values("pk"))

    def in_category(self, queryset: QuerySet[Incident], name: str, value: str) -> QuerySet[Incident]:
        parent, _, child = value.partition("/")
        if child:
            sub = Category.objects.filter(slug=child, parent__slug=parent)
            return queryset.filter(subcategory__in=sub.values("pk"))
        top = Category.objects.filter(slug=parent, parent__isnull=True)
        return queryset.filter(category__in=top.values("pk"))


@functools.lru_cache(maxsize=128)
def _narrowed(names: frozenset[str]) -> type[IncidentFilter]:
    narrowed = cast(type[IncidentFilter], type("IncidentFilter", (IncidentFilter,), {"__module__": __name__}))
    narrowed.base_filters = {k: f for k, f in IncidentFilter.base_filters.items() if k in names}
    return narrowed


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
        if key in ("created_after", "resolved_after", "closed_after"):
            data[key] = _day_start(value).isoformat()
        elif key in ("created_before", "resolved_before", "closed_before"):
            data[key] = _day_start(value + timedelta(days=1)).isoformat()
        elif key == "backlog_on":  # open at the end of that day
            data["backlog_at"] = _day_start(value + timedelta(days=1)).isoformat()
        elif key in ("first_contact", "reopened"):
            data[key] = "true" if value == "yes" else "false"
        else:
            data[names.get(key, key)] = str(value)
    return data


def filter_queue(qs: QuerySet[Incident], cleaned: dict[str, Any]) -> QuerySet[Incident]:
    """Narrow a queue with the page's cleaned filters. Unknown slugs and names match nothing."""
    data = from_queue_form(cleaned)
    if not data:  # the usual queue page: no filter, and no filter set to build
        return qs
    if list(data) == ["q"]:  # the search box alone, as IncidentFilter.search applies it
        return selectors.incidents_search(qs, data["q"])
    filterset = IncidentFilter.of(data)(data, queryset=qs)
    if not filterset.is_valid():  # the form has checked the values already
        return qs.none()
    return filterset.qs
