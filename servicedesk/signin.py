"""Sign-in lockout (django-axes): the backend, the client address and the lockout answer.

Failures count per username AND client address (``AXES_LOCKOUT_PARAMETERS``), in the browser and on
``POST /api/v1/auth/token/`` alike. Once ``AXES_FAILURE_LIMIT`` is reached that pair is refused for
``AXES_COOLOFF_TIME`` after its last failure: the browser gets a page saying when to try again, the API
a JSON 429 with the same sentence and ``Retry-After``.
"""

from __future__ import annotations

import ipaddress
import math
from datetime import datetime
from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format


class LockoutBackend(AxesStandaloneBackend):
    """Refuses a locked-out (username, address) before the password is even checked.

    Every web sign-in passes its request. A call without one (a management command, Django's test
    client ``login()``) has no client address to lock out and is left to the next backend.
    """

    def authenticate(self, request: HttpRequest | None, *args: Any, **kwargs: Any) -> None:
        if request is None:
            return None
        return super().authenticate(request, *args, **kwargs)


def _valid_ip(value: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address((value or "").strip()))
    except ValueError:
        return None


def client_ip_address(request: HttpRequest) -> str | None:
    """The client's address: ``REMOTE_ADDR``, or behind ``TRUSTED_PROXY_COUNT`` proxies, the address
    the outermost one appended to ``X-Forwarded-For`` (what a client writes there itself is ignored)."""
    remote = _valid_ip(request.META.get("REMOTE_ADDR"))
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return _valid_ip(forwarded[-proxies]) or remote
    return remote


def retry_at(request: HttpRequest, credentials: dict | None) -> datetime:
    """When this (username, address) may sign in again: its last failure plus the cool-off."""
    cool_off = get_cool_off(request)
    assert cool_off is not None  # settings.AXES_COOLOFF_TIME is always set
    last = (
        AccessAttempt.objects.filter(
            username=get_client_username(request, credentials),
            ip_address=getattr(request, "axes_ip_address", None),
        )
        .order_by("-attempt_time")
        .values_list("attempt_time", flat=True)
        .first()
    )
    return (last or timezone.now()) + cool_off


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """The answer to a locked-out sign-in (``AXES_LOCKOUT_CALLABLE``): HTTP 429 either way."""
    when = retry_at(request, credentials)
    seconds = max(1, math.ceil((when - timezone.now()).total_seconds()))
    minutes = math.ceil(seconds / 60)
    local = timezone.localtime(when)
    sentence = (
        "Too many failed sign-ins for this account from your address. "
        f"Try again after {date_format(local, 'H:i')} ({local.tzname()}), "
        f"in about {minutes} minute{'s' if minutes != 1 else ''}."
    )
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": sentence, "retry_after": local.isoformat()}, status=429)
    else:
        context = {"sentence": sentence, "retry_at": local, "minutes": minutes}
        response = render(request, "registration/locked_out.html", context, status=429)
    response["Retry-After"] = str(seconds)
    return response
