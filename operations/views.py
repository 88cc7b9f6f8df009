"""The Prometheus endpoint and the administrators' status page."""

from __future__ import annotations

import hmac
import ipaddress
from datetime import UTC, datetime

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from escalation.access import access_of
from escalation.choices import Role
from servicedesk.signin import client_ip_address

from . import health, metrics


def _address_allowed(request: HttpRequest) -> bool:
    networks = settings.METRICS_ALLOWED_NETWORKS
    address = client_ip_address(request)
    if not networks or address is None:
        return False
    ip = ipaddress.ip_address(address)
    return any(ip in network for network in networks)


def _token_given(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    scheme, _sep, given = request.headers.get("Authorization", "").partition(" ")
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token)


@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    """``/metrics``: for a scraper with the bearer token (METRICS_TOKEN) or from an allowed address
    (METRICS_ALLOWED_ADDRESSES). Closed, as if absent, when neither is configured."""
    if not settings.METRICS_TOKEN and not settings.METRICS_ALLOWED_NETWORKS:
        raise Http404
    if not (_token_given(request) or _address_allowed(request)):
        response = HttpResponse(_("A bearer token or an allowed address is required.\n"), status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        response["Content-Type"] = "text/plain; charset=utf-8"
        return response
    return HttpResponse(metrics.exposition(), content_type=CONTENT_TYPE_LATEST)


def is_administrator(request: HttpRequest) -> bool:
    access = access_of(request)
    return access.authenticated and (access.is_superuser or Role.ADMINISTRATOR in access.roles)


def _moment(timestamp: float | None) -> datetime | None:
    return datetime.fromtimestamp(timestamp, tz=UTC) if timestamp is not None else None


@login_required
@require_GET
def status_view(request: HttpRequest) -> HttpResponse:
    """The same figures as ``/metrics`` for administrators, the troubling ones in colour."""
    if not is_administrator(request):
        raise PermissionDenied(_("The system status is for administrators."))
    figures = health.figures()
    queues = [f for f in figures if f.metric == "servicedesk_celery_queue_depth"]
    lags = [f for f in figures if f.metric.startswith("servicedesk_oldest_")]
    overdue = {f.labels["task"]: f for f in figures if f.metric == "servicedesk_beat_task_overdue_seconds"}
    last = {
        f.labels["task"]: f
        for f in figures
        if f.metric == "servicedesk_beat_task_last_success_timestamp_seconds"
    }
    tasks = [
        {
            "task": task,
            "figure": overdue[task],
            "last": _moment(last[task].value),
        }
        for task in overdue
    ]
    open_rows: dict[str, dict[str, int]] = {}
    states: list[str] = []
    for f in figures:
        if f.metric == "servicedesk_open_incidents":
            open_rows.setdefault(f.labels["priority"], {})[f.labels["sla_state"]] = int(f.value or 0)
            if f.labels["sla_state"] not in states:
                states.append(f.labels["sla_state"])
    problems = sum(1 for f in figures if f.level in (health.WARNING, health.CRITICAL))
    return render(
        request,
        "operations/status.html",
        {
            "queues": queues,
            "lags": lags,
            "tasks": tasks,
            "states": states,
            "open_rows": [(p, [row.get(s, 0) for s in states]) for p, row in open_rows.items()],
            "problems": problems,
            "read_at": timezone.now(),
        },
    )
