"""The staff-only gate, once for both surfaces.

``staff_required`` guards a web view, ``IsStaffMember`` an API view; both ask the same
predicate, ``is_staff_member`` of the request's ``Access``, so the workspace and the API cannot
disagree on who is staff. Anonymous web users are sent to sign in; signed-in non-staff get a 403.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from .access import access_of

STAFF_ONLY = "This page is for service desk and support staff."

View = Callable[..., HttpResponseBase]


def staff_required(view: View | None = None, *, message: str = STAFF_ONLY) -> Any:
    """Decorate a view (``@staff_required`` or ``@staff_required(message=...)``)."""

    def decorate(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not access_of(request).is_staff_member:
                raise PermissionDenied(message)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate(view) if view is not None else decorate


class IsStaffMember(BasePermission):
    """The same gate for DRF views."""

    message = "Only staff members may read this."

    def has_permission(self, request: Request, view: Any) -> bool:
        return access_of(request).is_staff_member
