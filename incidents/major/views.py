"""Pages of major and security incidents (issue 13): the communications log, the post-incident
review (which prints well), and the security procedure. Each reads the incident through
``selectors.incident_get_for_user`` (404 for whoever may not see it) and calls one service."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from escalation.access import access_of
from escalation.gates import staff_required

from .. import selectors, services
from ..errors import IncidentError
from ..records.models import Incident
from ..records.views import AuthedRequest, _errors_onto_form, _render_detail
from . import forms
from .selectors import major_log_for
from .services.major import related_candidates


def _refused(request: AuthedRequest, form: Any, error: Exception) -> None:
    if isinstance(error, ValidationError):
        _errors_onto_form(form, error)
        messages.error(request, " ".join(error.messages))
    else:
        messages.error(request, str(error))
        form.add_error(None, str(error))


def _log_page(
    request: AuthedRequest, incident: Incident, *, form: Any = None, status: int = 200
) -> HttpResponse:
    context = major_log_for(incident=incident)
    if context["major"] is None or not context["major"].is_declared:
        messages.info(
            request, _("%(number)s is not a declared major incident.") % {"number": incident.number}
        )
        return redirect("incidents:detail", number=incident.number)
    access = access_of(request)
    manager = access.is_incident_manager
    context.update(
        incident=incident,
        form=form or forms.MajorUpdateForm(),
        can_post=manager and incident.is_open,
        candidates=related_candidates(incident) if manager else [],
        children=list(selectors.incident_children(access=access, incident=incident)),
    )
    return render(request, "incidents/major_log.html", context, status=status)


@staff_required
@require_http_methods(["GET", "POST"])
def major_log(request: AuthedRequest, number: str) -> HttpResponse:
    """The communications log: status updates (POST posts one) and the incidents to link."""
    incident = selectors.incident_get_for_user(access=access_of(request), number=number)
    if request.method != "POST":
        return _log_page(request, incident)
    form = forms.MajorUpdateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The status update was not posted: see the form."))
        return _log_page(request, incident, form=form, status=400)
    try:
        services.major_update_post(actor=request.user, incident=incident, body=form.cleaned_data["body"])
    except PermissionDenied as error:
        _refused(request, form, error)
        return _log_page(request, incident, form=form, status=403)
    except (ValidationError, IncidentError) as error:
        _refused(request, form, error)
        return _log_page(request, incident, form=form, status=400)
    messages.success(
        request,
        _("Status update posted on %(number)s; the affected callers are told.") % {"number": incident.number},
    )
    return redirect("incidents:major-log", number=incident.number)


@staff_required
@require_POST
def major_link(request: AuthedRequest, number: str) -> HttpResponse:
    """One click on the log: link a related incident as a child of the major incident."""
    incident = selectors.incident_get_for_user(access=access_of(request), number=number)
    form = forms.LinkChildForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say which incident to link."))
        return redirect("incidents:major-log", number=incident.number)
    child = selectors.incident_get_for_user(access=access_of(request), number=form.cleaned_data["child"])
    try:
        services.major_link_child(actor=request.user, incident=incident, child=child)
    except PermissionDenied as error:
        messages.error(request, str(error))
        return _log_page(request, incident, status=403)
    except (ValidationError, IncidentError) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        return _log_page(request, incident, status=400)
    messages.success(
        request,
        _("%(number)s is now a child of %(number2)s.") % {"number": child.number, "number2": incident.number},
    )
    return redirect("incidents:major-log", number=incident.number)


def _review_initial(incident: Incident, review: Any) -> dict[str, Any]:
    if review is not None:
        return {
            "summary": review.summary,
            "root_cause": review.root_cause,
            "problem_reference": review.problem_reference,
            "timeline": review.timeline,
            "actions": "\n".join(
                f"{a.owner.get_username()} | {a.due_date:%Y-%m-%d} | {a.description}"
                for a in review.actions.select_related("owner")
            ),
        }
    events = incident.events.select_related("actor").order_by("created_at", "id")
    lines = [
        f"{e.created_at:%Y-%m-%d %H:%M} {e.get_kind_display()}"
        + (f" by {e.actor.get_username()}" if e.actor else "")
        + (f": {e.body.splitlines()[0][:200]}" if e.body else "")
        for e in events
    ]
    return {"timeline": "\n".join(lines), "problem_reference": incident.problem_reference}


@staff_required
@require_http_methods(["GET", "POST"])
def review(request: AuthedRequest, number: str) -> HttpResponse:
    """The post-incident review: printable when recorded; the incident manager records or edits it."""
    incident = selectors.incident_get_for_user(access=access_of(request), number=number)
    context = major_log_for(incident=incident)
    if context["major"] is None or not context["major"].is_declared:
        messages.info(
            request,
            _("%(number)s is not a declared major incident: it needs no review.")
            % {"number": incident.number},
        )
        return redirect("incidents:detail", number=incident.number)
    manager = access_of(request).is_incident_manager
    existing = context["review"]
    status = 200
    if request.method == "POST":
        form = forms.ReviewForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.review_record(
                    actor=request.user,
                    incident=incident,
                    summary=data["summary"],
                    root_cause=data["root_cause"],
                    problem_reference=data["problem_reference"],
                    timeline=data["timeline"],
                    actions=data["actions"],
                )
            except PermissionDenied as error:
                _refused(request, form, error)
                status = 403
            except (ValidationError, IncidentError) as error:
                _refused(request, form, error)
                status = 400
            else:
                messages.success(
                    request,
                    _("The post-incident review of %(number)s is recorded.") % {"number": incident.number},
                )
                return redirect("incidents:review", number=incident.number)
        else:
            messages.error(request, _("The review was not recorded: see the form."))
            status = 400
    else:
        form = forms.ReviewForm(initial=_review_initial(incident, existing))
    context.update(
        incident=incident,
        form=form if manager else None,
        editing=manager and (existing is None or request.GET.get("edit") == "1" or request.method == "POST"),
        actions=list(existing.actions.select_related("owner")) if existing else [],
        children=list(incident.children.order_by("created_at", "id")),
    )
    return render(request, "incidents/major_review.html", context, status=status)


@staff_required
@require_POST
def security_step(request: AuthedRequest, number: str) -> HttpResponse:
    """Mark one step of the security procedure done; it is logged in the timeline."""
    incident = selectors.incident_get_for_user(access=access_of(request), number=number)
    form = forms.SecurityStepForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a step of the procedure."))
        return _render_detail(request, incident, status=400)
    try:
        step = services.security_step_complete(
            actor=request.user,
            incident=incident,
            step=form.cleaned_data["step"],
            note=form.cleaned_data["note"],
        )
    except PermissionDenied as error:
        messages.error(request, str(error))
        return _render_detail(request, incident, status=403)
    except (ValidationError, IncidentError) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        return _render_detail(request, incident, status=400)
    messages.success(
        request,
        _("“%(get_step_display)s” is done on %(number)s.")
        % {"get_step_display": step.get_step_display(), "number": incident.number},
    )
    return redirect("incidents:detail", number=incident.number)
