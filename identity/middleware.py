"""Asks for the second factor before anything else, where the person has one or must have one."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from .two_factor import second_factor_pending

OPEN_PREFIXES = ("/static/", "/healthz", "/readyz", "/accounts/logout/", "/accounts/two-factor/")


class SecondFactorMiddleware:
    """A session not yet verified goes to the code page.

    Not django-otp's ``OTPMiddleware``: it would put the device on the ``User`` of every request, and
    nothing is cached on the user (escalation.access).

    Whether the person needs a code was written into the session at sign-in (``two_factor.on_sign_in``):
    a page costs no query for it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            getattr(request, "user", None) is not None
            and not request.path.startswith(OPEN_PREFIXES)
            and second_factor_pending(request)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"detail": _("Enter your authentication code in the browser first.")}, status=403
                )
            return redirect(
                f"{reverse('identity:two-factor-verify')}?{urlencode({'next': request.get_full_path()})}"
            )
        return self.get_response(request)
