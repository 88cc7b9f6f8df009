"""The administrators' navigation link to the status page."""

from typing import Any

from django.http import HttpRequest

from .views import is_administrator


def navigation(request: HttpRequest) -> dict[str, Any]:
    return {"nav_is_administrator": hasattr(request, "access") and is_administrator(request)}
