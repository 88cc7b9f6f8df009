from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .access import access_of
from .gates import staff_required
from .selectors import register_for_staff


@staff_required(message="The escalation register is for staff.")
def escalation_register(request: HttpRequest) -> HttpResponse:
    """The escalation process page agents read (and print): tiers, groups, contacts, points of escalation."""
    context = register_for_staff()
    context["can_edit"] = access_of(request).is_incident_manager
    return render(request, "escalation/register.html", context)
