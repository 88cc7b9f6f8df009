"""The managers' pages: the live dashboard, the monthly archive, a month's report with its review."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from escalation.access import Access, access_of
from knowledge import selfhelp as knowledge_selfhelp
from learning import selectors as learning_selectors
from staffing.selectors import overview_for_dashboard as staffing_overview
from toolkit.selectors import minutes_per_incident, top_tags, with_tag_names
from toolkit.services import tag_name

from . import charts, exports, extensions, pdf, selectors, services
from .forms import ReviewActionForm, ReviewNoteForm, ReviewStatusForm
from .models import ReviewAction
from .periods import BadMonth, Month
from .presentation import key_figures


def reports_required(view: Any) -> Any:
    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if not selectors.can_view_reports(access_of(request)):
            raise PermissionDenied(gettext("Reports are for managers, incident managers and administrators."))
        return view(request, *args, **kwargs)

    return wrapped


def _month(value: str) -> Month:
    try:
        month = Month.parse(value)
    except BadMonth as error:
        raise Http404(str(error)) from error
    return month


def _percent(value: Any) -> Any:
    return None if value is None else round(value * 100, 1)


# --- dashboard ----------------------------------------------------------------------------------


def _dashboard(access: Access) -> dict[str, Any]:
    data = selectors.dashboard(access=access)
    if data["computed"]:
        services.dashboard_snapshot_store(figures=data["figures"], computed_at=data["as_of"])
    return data


@reports_required
@require_GET
@transaction.non_atomic_requests
def dashboard(request: HttpRequest) -> HttpResponse:
    data = _dashboard(access_of(request))
    mtd = data["mtd"]
    month = data["month"]
    chart_data = {
        "trend": {
            "labels": [r["label"] for r in data["trend"]],
            "logged": [r["logged"] for r in data["trend"]],
            "resolved": [r["resolved"] for r in data["trend"]],
            "compliance": [_percent(r["sla_resolution_compliance"]) for r in data["trend"]],
        },
        "sla_priority": {
            "labels": [r["label"] for r in mtd["sla_by_priority"]],
            "response": [_percent(r["response_rate"]) for r in mtd["sla_by_priority"]],
            "resolution": [_percent(r["resolution_rate"]) for r in mtd["sla_by_priority"]],
        },
        "backlog_tier": {
            "labels": [r["label"] for r in mtd["breakdown"]["tier"] if r["backlog_end"]],
            "values": [r["backlog_end"] for r in mtd["breakdown"]["tier"] if r["backlog_end"]],
        },
    }
    return render(
        request,
        "reporting/dashboard.html",
        {
            **data,
            "figures": key_figures(mtd, None),
            "chart_data": chart_data,
            # staffing against the load, per support group (issue 26)
            "staffing": staffing_overview(access=access_of(request)),
            "suggestion_acceptance": learning_selectors.acceptance(since=timezone.now() - timedelta(days=30)),
            "deflection": knowledge_selfhelp.deflection(since=timezone.now() - timedelta(days=365)),
            "drill": {
                "logged": selectors.drill_url(month, "logged"),
                "resolved": selectors.drill_url(month, "resolved"),
                "backlog": "/incidents/?queue=open",
            },
        },
    )


DASHBOARD_TABLES = (
    "trend",
    "sla_by_priority",
    "sla_by_group",
    "backlog",
    "breached",
    "at_risk",
    "escalation_flow",
)


@reports_required
@require_GET
@transaction.non_atomic_requests
def dashboard_export(request: HttpRequest, table: str) -> StreamingHttpResponse:
    if table not in DASHBOARD_TABLES:
        raise Http404(gettext("There is no such table."))
    data = _dashboard(access_of(request))
    header: list[str]
    rows: Any
    if table == "trend":
        header = ["month", "logged", "resolved", "sla_resolution_compliance", "first_contact_resolution_rate"]
        rows = ([r[h] for h in header] for r in data["trend"])
    elif table == "sla_by_priority":
        header = ["label", "resolved", "response_met", "response_rate", "resolution_met", "resolution_rate"]
        rows = ([r[h] for h in header] for r in data["mtd"]["sla_by_priority"])
    elif table == "sla_by_group":
        header = ["name", "resolved", "met", "total", "rate"]
        rows = ([r[h] for h in header] for r in data["by_group"])
    elif table == "backlog":
        header = ["tier", "name", "total", *(a[0] for a in selectors.AGEING)]
        rows = ([r[h] for h in header] for r in data["backlog"])
    elif table == "escalation_flow":
        header = ["from_tier", "to_tier", "count"]
        rows = ([r[h] for h in header] for r in data["mtd"]["escalation_flow"])
    else:
        header = ["number", "title", "priority", "group", "sla_state", "resolution_due_at"]
        rows = (
            [i.number, i.title, i.priority, i.assignment_group.name, i.sla_state, i.resolution_due_at]
            for i in data[table]
        )
    return exports.csv_response(f"dashboard-{table}.csv", header, rows)


# --- archive -------------------------------------------------------------------------------------


@reports_required
@require_GET
def archive(request: HttpRequest) -> HttpResponse:
    return render(request, "reporting/archive.html", {"reports": selectors.latest_reports()})


def _comparison(data: dict[str, Any], other: dict[str, Any] | None) -> list[Any]:
    return key_figures(data, other)


@reports_required
@require_GET
def month_detail(request: HttpRequest, month: str) -> HttpResponse:
    return _month_page(request, _month(month))


def _tag_of(request: HttpRequest) -> tuple[str, str]:
    """The month page's and its incident CSV's ``?tag=``, as tags are stored (``VPN outage`` is
    ``vpn-outage``), and the message for one that cannot be a tag; ("", "") without one."""
    raw = request.GET.get("tag", "")
    if not raw.strip():
        return "", ""
    try:
        return tag_name(raw), ""
    except ValidationError as error:
        return "", " ".join(error.messages)


def _tag_section(access: Access, m: Month, tag: str) -> dict[str, Any]:
    """The month narrowed to one tag: its live figures among the incidents the reader may open, each
    a link to exactly those incidents in the queue."""
    figures = selectors.month_tagged(access=access, month=m, tag=tag)
    return {
        "name": tag,
        "figures": [
            (label, figures[pop], selectors.drill_url(m, pop, tag=tag))
            for pop, label in (
                ("logged", gettext("Logged")),
                ("resolved", gettext("Resolved")),
                ("closed", gettext("Closed")),
                ("backlog_end", gettext("Backlog at month end")),
            )
        ],
    }


def _month_page(
    request: HttpRequest,
    m: Month,
    *,
    note_form: ReviewNoteForm | None = None,
    action_form: ReviewActionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The month's report page; the review forms come back bound, with their errors, after a bad post."""
    access = access_of(request)
    tag, tag_error = _tag_of(request)
    if tag_error:
        status = 400
    if m.is_future():
        raise Http404(gettext("%(label)s has not started yet.") % {"label": m.label})
    report = selectors.report_latest(m)
    if report is None:
        if not m.is_complete():
            raise Http404(
                gettext("%(label)s is not over yet: its report is made on the 1st of the next month.")
                % {"label": m.label}
            )
        report = services.report_for_month(month=m)
    data = report.data
    previous = selectors.report_latest(m.previous())
    last_year = selectors.report_latest(m.year_before())
    breakdown = {
        dim: [
            {
                **row,
                "links": {
                    pop: selectors.drill_url(m, pop, **{selectors.DIMENSION_PARAM[dim]: row["key"]})
                    for pop in ("logged", "resolved", "closed", "backlog_end")
                },
            }
            for row in rows
        ]
        for dim, rows in data["breakdown"].items()
    }
    chart_data = {
        "priority": {
            "labels": [r["label"] for r in data["breakdown"]["priority"]],
            "logged": [r["logged"] for r in data["breakdown"]["priority"]],
            "resolved": [r["resolved"] for r in data["breakdown"]["priority"]],
        },
        "sla": {
            "labels": [r["label"] for r in data["sla_by_priority"]],
            "resolution": [_percent(r["resolution_rate"]) for r in data["sla_by_priority"]],
        },
    }
    return render(
        request,
        "reporting/month.html",
        {
            "month": m,
            "report": report,
            "data": data,
            "breakdown": breakdown,
            "versus_previous": _comparison(data, previous.data if previous else None),
            "versus_last_year": _comparison(data, last_year.data if last_year else None),
            "previous": previous,
            "last_year": last_year,
            "drill": {
                pop: selectors.drill_url(m, pop)
                for pop in ("logged", "resolved", "closed", "backlog_end", "first_contact", "reopened")
            },
            "chart_data": chart_data,
            "incidents_not_listed": selectors.month_incidents_not_listed(access=access, month=m),
            # the toolkit's tags (issue 23 §5): the month's most used, and the month narrowed to one
            "top_tags": top_tags(selectors.month_incidents(access=access, month=m)),
            "tag": _tag_section(access, m, tag) if tag else None,
            "tag_error": tag_error,
            "times": [
                ("Time to respond (business)", data["time_to_respond"]),
                ("Time to respond (wall-clock)", data["time_to_respond_wall"]),
                ("Time to resolve (business, pauses excluded)", data["time_to_resolve"]),
                ("Time to resolve (wall-clock)", data["time_to_resolve_wall"]),
            ],
            "note_form": note_form or ReviewNoteForm(),
            "action_form": action_form or ReviewActionForm(),
            "status_choices": ReviewAction.Status.choices,
            **selectors.month_reviews(m),
            # what apps above reporting add (the sessions that reviewed the month: meetings)
            "extra_sections": extensions.month_sections.render(access=access_of(request), month=m),
        },
        status=status,
    )


def _report_or_404(month: str) -> Any:
    m = _month(month)
    report = selectors.report_latest(m)
    if report is None:
        raise Http404(gettext("This month has no report yet."))
    return m, report


@reports_required
@require_GET
def month_csv(request: HttpRequest, month: str) -> StreamingHttpResponse:
    m, report = _report_or_404(month)
    return exports.csv_response(f"report-{m}.csv", ["report", str(m)], exports.report_csv_rows(report.data))


@reports_required
@require_GET
def month_pdf(request: HttpRequest, month: str) -> HttpResponse:
    m, report = _report_or_404(month)
    body = pdf.report_pdf(
        report.data,
        title=gettext("Incident report %(month)s") % {"month": m.label},
        charts=charts.report_charts(report.data),
        version=report.code_version,
    )
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="report-{m}.pdf"'
    return response


# The month's incident CSV: each column's header and the field it reads.
MONTH_CSV_COLUMNS = (
    ("number", "number"),
    ("title", "title"),
    ("created_at", "created_at"),
    ("priority", "priority"),
    ("status", "status"),
    ("channel", "channel"),
    ("group", "assignment_group__slug"),
    ("category", "category__slug"),
    ("responded_at", "responded_at"),
    ("resolved_at", "resolved_at"),
    ("closed_at", "closed_at"),
    ("sla_state", "sla_state"),
    ("max_tier_reached", "max_tier_reached"),
    ("reopen_count", "reopen_count"),
    # the toolkit's (issue 23): all the time recorded on the incident, and its tags
    ("minutes_worked", "minutes_worked"),
    ("tags", "tag_names"),
)


@reports_required
@require_GET
@transaction.non_atomic_requests
def month_incidents_csv(request: HttpRequest, month: str) -> HttpResponse | StreamingHttpResponse:
    """Every incident logged in the month that the reader may open, streamed from a server-side
    cursor (the month page says how many it leaves out); ``?tag=`` keeps those with that tag."""
    m = _month(month)
    tag, tag_error = _tag_of(request)
    if tag_error:
        return HttpResponse(tag_error, status=400, content_type="text/plain; charset=utf-8")
    visible = selectors.month_incidents(access=access_of(request), month=m)
    if tag:
        visible = visible.filter(tag_links__tag__name=tag)
    incidents = minutes_per_incident(with_tag_names(visible))
    qs = incidents.values_list(*(field for _, field in MONTH_CSV_COLUMNS))
    header = [column for column, _ in MONTH_CSV_COLUMNS]
    return exports.csv_response(f"incidents-{m}.csv", header, qs.iterator(chunk_size=2000))


# --- review ----------------------------------------------------------------------------------------


@reports_required
@require_POST
def review_note(request: HttpRequest, month: str) -> HttpResponse:
    m = _month(month)
    form = ReviewNoteForm(request.POST)
    return _review_post(
        request,
        m,
        form,
        save=lambda data: services.review_note_add(actor=request.user, month=m, body=data["body"]),
        saved="Review note added.",
    )


@reports_required
@require_POST
def review_action(request: HttpRequest, month: str) -> HttpResponse:
    m = _month(month)
    form = ReviewActionForm(request.POST)
    return _review_post(
        request,
        m,
        form,
        save=lambda data: services.review_action_add(actor=request.user, month=m, **data),
        saved="Action recorded.",
    )


def _review_post(
    request: HttpRequest,
    m: Month,
    form: ReviewNoteForm | ReviewActionForm,
    *,
    save: Callable[[dict[str, Any]], object],
    saved: str,
) -> HttpResponse:
    """Save a review form, or show the month page again with what was typed and why it was refused (400)."""
    if form.is_valid():
        try:
            save(form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, saved)
            return redirect(reverse("reporting:month", args=[str(m)]) + "#review")
    problems = " ".join(str(e) for errs in form.errors.values() for e in errs)
    messages.error(request, gettext("Not saved: %(problems)s") % {"problems": problems})
    note_form = form if isinstance(form, ReviewNoteForm) else None
    action_form = form if isinstance(form, ReviewActionForm) else None
    return _month_page(request, m, note_form=note_form, action_form=action_form, status=400)


@reports_required
@require_POST
def review_action_status(request: HttpRequest, month: str, pk: int) -> HttpResponse:
    m = _month(month)
    action = get_object_or_404(ReviewAction, pk=pk, month=m.first_day)
    form = ReviewStatusForm(request.POST)
    if form.is_valid():
        services.review_action_set_status(
            actor=request.user, action=action, status=form.cleaned_data["status"]
        )
        messages.success(
            request,
            gettext("“%(title)s” is now %(status)s.")
            % {"title": action.title, "status": action.get_status_display().lower()},
        )
    else:
        messages.error(request, gettext("Choose open, done or dropped."))
    return redirect(reverse("reporting:month", args=[str(m)]) + "#review")
