"""Glue views: the role-aware landing page and the health check."""

import functools

from django.contrib.auth.decorators import login_required
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from escalation.access import Access, access_of

from .readiness import OK, run_checks


@functools.cache
def is_routed(path: str) -> bool:
    """Whether a path is routed yet: the apps behind the landing pages land one by one.

    Resolving the path rather than reversing a name keeps this independent of the names
    each app picks for its views.
    """
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


def landing_path(access: Access) -> str | None:
    """Where a user starts: the queue for support staff, the dashboard for managers, the portal otherwise."""
    if access.is_service_desk:
        candidates = ["/incidents/"]
    elif access.group_ids:
        candidates = ["/incidents/?queue=groups"]
    elif access.is_manager:
        candidates = ["/reporting/"]
    elif access.is_staff_member:
        candidates = []
    else:
        candidates = ["/portal/"]
    for candidate in candidates:
        if is_routed(candidate.split("?", 1)[0]):
            return candidate
    return None


@login_required
def home(request: HttpRequest) -> HttpResponse:
    target = landing_path(access_of(request))
    if target is not None:
        return redirect(target)
    return render(request, "home.html")


@never_cache
@require_GET
@transaction.non_atomic_requests
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and `make run`: no login, no session, one query."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any database failure makes the instance unhealthy
        return JsonResponse({"status": "error", "database": exc.__class__.__name__}, status=503)
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
@transaction.non_atomic_requests
def readyz(request: HttpRequest) -> JsonResponse:
    """For readiness probes: the database, the cache, the broker, the migrations and beat.

    200 when every check is ok, 503 otherwise; the body names each check and its state only.
    """
    checks = run_checks()
    ready = all(state == OK for state in checks.values())
    return JsonResponse(
        {"status": "ok" if ready else "error", "checks": checks}, status=200 if ready else 503
    )
