"""The staffing pages: every support group's load against its people, and one group's week."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from escalation.access import access_of

from . import selectors

MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def as_of_month(value: str) -> datetime | None:
    """``?month=YYYY-MM`` (the monthly report's page): the load as it stood at the month's end."""
    if not value:
        return None
    match = MONTH.match(value)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise Http404(_("Give the month as YYYY-MM."))
    year, month = int(match.group(1)), int(match.group(2))
    after = date(year + month // 12, month % 12 + 1, 1)
    moment = timezone.make_aware(datetime.combine(after, time.min))
    if moment > timezone.now():
        raise Http404(_("That month has not started yet."))
    return moment


def _check(request: HttpRequest) -> None:
    if not selectors.can_view_staffing(access_of(request)):
        raise PermissionDenied(_("Staffing is for managers, incident managers and administrators."))


@login_required
def staffing_overview(request: HttpRequest) -> HttpResponse:
    _check(request)
    month = request.GET.get("month", "")
    as_of = as_of_month(month)
    return render(
        request,
        "staffing/overview.html",
        {
            "loads": selectors.overview(access=access_of(request), as_of=as_of),
            "month": month,
            "per_person": selectors.ARRIVALS_PER_PERSON_HOUR,
        },
    )


@login_required
def staffing_group(request: HttpRequest, slug: str) -> HttpResponse:
    _check(request)
    group = selectors.staffing_group_get(access=access_of(request), slug=slug)
    if group is None:
        raise Http404(_("No such support group."))
    month = request.GET.get("month", "")
    load = selectors.group_load(group, as_of=as_of_month(month))
    context: dict[str, Any] = {
        "load": load,
        "month": month,
        "days": selectors.weekday_names(),
        "per_person": selectors.ARRIVALS_PER_PERSON_HOUR,
    }
    return render(request, "staffing/group.html", context)
