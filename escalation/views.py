from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from .access import access_of
from .extensions import group_notes
from .gates import staff_required
from .selectors import register_for_staff


@staff_required(message=_("The escalation register is for staff."))
def escalation_register(request: HttpRequest) -> HttpResponse:
    """The escalation process page agents read (and print): tiers, groups, contacts, points of escalation."""
    context = register_for_staff()
    groups = [g for tier in context["tiers"] for g in tier.groups] + list(context["consulted"])
    notes = group_notes(g.pk for g in groups)
    for group in groups:
        group.extra_notes = notes.get(group.pk, [])
    context["can_edit"] = access_of(request).is_incident_manager
    return render(request, "escalation/register.html", context)
