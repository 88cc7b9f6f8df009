"""The admin answers 403 to a signed-in end user.

Django's admin sends a signed-in user without ``is_staff`` to its own sign-in page (a 302 and
then a 200 that names the account), where every other staff page answers 403. This middleware
makes the admin say the same as the rest: end users are refused, and anonymous visitors still
reach the admin's sign-in page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from escalation.access import access_of


class EndUserFenceMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view: Any, args: Any, kwargs: Any) -> None:
        match = request.resolver_match
        if (
            match is not None
            and "admin" in match.namespaces
            and request.user.is_authenticated
            and not request.user.is_staff
            and not access_of(request).is_staff_member
        ):
            raise PermissionDenied(_("This page is for administrators."))
        return None
