"""The learning pages: suggestions while logging (JSON for the form's script) and the model's page
for incident managers and administrators (figures, retrain, routing threshold)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import queueing
from escalation.access import access_of
from escalation.gates import staff_required
from incidents.records.views import allowed_moves, offered_actions
from incidents.selectors import incident_get_for_user

from . import selectors, services, similar
from .forms import RoutingSettingsForm
from .models import Spike
from .spikes import services as spikes


class AuthedRequest(HttpRequest):
    user: Any


def _manager_only(request: HttpRequest) -> None:
    if not access_of(request).is_incident_manager:
        raise PermissionDenied(_("The model's page is for incident managers and administrators."))


@staff_required
@require_GET
def suggest(request: AuthedRequest) -> JsonResponse:
    """What the model suggests for the words typed so far (``static/js/learning.js``)."""
    return JsonResponse(
        selectors.suggestions_for(
            access=access_of(request),
            title=request.GET.get("title", ""),
            description=request.GET.get("description", ""),
            channel=request.GET.get("channel", "")[:20],
        )
    )


@login_required
@require_http_methods(["GET", "POST"])
def model_page(request: AuthedRequest) -> HttpResponse:
    _manager_only(request)
    settings_row = selectors.learning_settings()
    form = RoutingSettingsForm(
        request.POST or None,
        initial={
            "routing_enabled": settings_row.routing_enabled,
            "routing_threshold": settings_row.routing_threshold,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.settings_update(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Routing settings saved."))
            return redirect("learning:model")
    runs = selectors.model_runs()
    active = next((r for r in runs if r.is_active), None)
    return render(
        request,
        "learning/model.html",
        {
            "form": form,
            "runs": runs,
            "active": active,
            "figures": selectors.model_figures(active),
            "acceptance": selectors.acceptance(),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def retrain(request: AuthedRequest) -> HttpResponse:
    _manager_only(request)
    queueing.enqueue_on_commit("learning.tasks.model_train_task", request.user.pk)
    messages.success(
        request, _("Training started: the new model appears below in a few minutes (reload the page).")
    )
    return redirect("learning:model")


def _int_or_none(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() and len(raw) < 12 else None


@staff_required
@require_GET
def similar_panel(request: AuthedRequest, number: str) -> HttpResponse:
    """The incident page's panel (loaded with htmx): similar incidents, each linkable in one click."""
    access = access_of(request)
    incident = incident_get_for_user(access=access, number=number)
    can_link = "link" in offered_actions(access, incident, allowed_moves(access, incident))
    return render(
        request,
        "learning/_similar_panel.html",
        {
            "incident": incident,
            "similar": similar.similar_to_incident(access=access, incident=incident),
            "can_link": can_link,
        },
    )


@staff_required
@require_GET
def similar_for_form(request: AuthedRequest) -> HttpResponse:
    """The log form's list (loaded with htmx as the agent types): similar incidents to open or reuse."""
    access = access_of(request)
    caller = (request.GET.get("caller") or "").strip()[:150]
    users = get_user_model().objects
    caller_id = users.filter(username=caller).values_list("pk", flat=True).first() if caller else None
    title = request.GET.get("title", "")[:500]
    description = request.GET.get("description", "")[:4000]
    found = (
        similar.similar_incidents(
            access=access,
            title=title,
            description=description,
            caller_id=caller_id,
            service_id=_int_or_none(request.GET.get("service")),
        )
        if (title.strip() or description.strip() or caller_id)
        else []
    )
    return render(request, "learning/_similar_form.html", {"similar": found})


@login_required
@require_GET
def spike_list(request: AuthedRequest) -> HttpResponse:
    """The spikes of the last 30 days for the incident managers, each with its incidents."""
    if not access_of(request).is_incident_manager:
        raise PermissionDenied(_("Spikes are for incident managers."))
    return render(request, "learning/spikes.html", {"spikes": selectors.recent_spikes()})


@login_required
@require_POST
def spike_major(request: AuthedRequest, pk: int) -> HttpResponse:
    if not access_of(request).is_incident_manager:
        raise PermissionDenied(_("Only the incident manager opens a major incident from a spike."))
    spike = get_object_or_404(Spike, pk=pk)
    try:
        major = spikes.spike_open_major(actor=request.user, spike=spike)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("learning:spikes")
    messages.success(
        request,
        _("%(number)s is open as a major incident with the spike's incidents as its children.")
        % {"number": major.number},
    )
    return redirect("incidents:detail", number=major.number)
