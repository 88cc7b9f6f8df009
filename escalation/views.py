from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .roles import is_incident_manager, is_staff_member
from .selectors import register_for_staff


@login_required
def escalation_register(request: HttpRequest) -> HttpResponse:
    """The escalation process page agents read (and print): tiers, groups, contacts, points of escalation."""
    if not is_staff_member(request.user):
        raise PermissionDenied("The escalation register is for staff.")
    context = register_for_staff()
    context["can_edit"] = is_incident_manager(request.user)
    return render(request, "escalation/register.html", context)
