"""The self-service portal (SPEC §1 end user): report, follow, answer, confirm or reopen.

Every view reads through ``portal.selectors`` (a 404 for what the user may not see) and writes
through one service; the services check the caller's permission again. Confirm and reopen answer
GET with a page that asks (the links in the resolution mail land there) and act only on POST.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from escalation.access import access_of
from incidents import permissions
from incidents import services as incident_services
from incidents.errors import IncidentError
from incidents.models import Incident, Status
from surveys.selectors import open_invitation_for

from . import selectors, wording
from .forms import CommentForm, ReopenForm, ReportForm, WatcherForm
from .services import portal_report

REFUSED = (ValidationError, PermissionDenied, IncidentError)


def _message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


def _kb_suggest_url() -> str | None:
    """The knowledge app's suggestion endpoint, once it is installed."""
    try:
        return reverse("knowledge:suggest")
    except NoReverseMatch:
        return None


def _detail(number: str) -> HttpResponse:
    return redirect("portal:incident-detail", number=number)


def _card(incident: Incident) -> dict[str, Any]:
    return {
        "incident": incident,
        "status_words": wording.status_words(incident),
        "working_on_it": wording.working_on_it(incident),
    }


@login_required
@require_GET
@transaction.non_atomic_requests
def home(request: HttpRequest) -> HttpResponse:
    access = access_of(request)
    open_incidents, open_total, recent = selectors.portal_incident_lists(access=access)
    return render(
        request,
        "portal/home.html",
        {
            "open_cards": [_card(i) for i in open_incidents],
            "open_total": open_total,
            "recent_cards": [_card(i) for i in recent],
            "is_staff": access.is_staff_member,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    form = ReportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            incident = portal_report(
                actor=request.user,  # type: ignore[arg-type]
                title=data["title"],
                description=data["description"],
                stops_work=data["stops_work"],
                affected=data["affected"],
                location=data["location"],
                files=data["attachments"],
            )
        except REFUSED as error:
            if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, _message(error))
        else:
            messages.success(
                request,
                _("Thank you: your incident %(number)s is logged. We will keep you posted.")
                % {"number": incident.number},
            )
            return _detail(incident.number)
    status = 400 if form.errors else 200
    return render(
        request, "portal/report.html", {"form": form, "kb_suggest_url": _kb_suggest_url()}, status=status
    )


def _detail_context(request: HttpRequest, incident: Incident, **extra: Any) -> dict[str, Any]:
    user = request.user
    access = access_of(request)
    events = selectors.portal_timeline(incident=incident)
    staff = selectors.timeline_staff_ids(events)
    caller = permissions.is_caller(access, incident)
    follower = caller or permissions.is_watcher(access, incident)
    return {
        **_card(incident),
        "timeline": [
            {
                "event": e,
                "words": wording.event_words(e),
                "who": wording.actor_words(e, viewer_id=user.pk, staff_ids=staff),
            }
            for e in events
        ],
        "is_caller": caller,
        "can_write": follower and incident.status not in (Status.CLOSED, Status.CANCELLED),
        "can_confirm": caller and incident.status == Status.RESOLVED,
        "watchers": list(incident.watchers.select_related("user")),
        "is_staff": access.is_staff_member,
        "comment_form": extra.pop("comment_form", None) or CommentForm(),
        "watcher_form": extra.pop("watcher_form", None) or WatcherForm(),
        # The caller's open satisfaction survey about this incident, answered from here too.
        "survey_url": open_invitation_for(user, incident) if caller else None,
        "portal_incident_extras": ["surveys/_portal_prompt.html"],
        **extra,
    }


@login_required
@require_GET
@transaction.non_atomic_requests
def incident_detail(request: HttpRequest, number: str) -> HttpResponse:
    access = access_of(request)
    incident = selectors.portal_incident_get(access=access, number=number)
    survivor = selectors.portal_merged_into(access=access, incident=incident)
    if survivor is not None:  # merged: the old number's page leads to where the work continues
        messages.info(
            request,
            _("%(old)s was merged into %(new)s: we continue there.")
            % {"old": incident.number, "new": survivor.number},
        )
        return redirect("portal:incident-detail", number=survivor.number)
    return render(request, "portal/incident_detail.html", _detail_context(request, incident))


@login_required
@require_POST
def incident_comment(request: HttpRequest, number: str) -> HttpResponse:
    incident = selectors.portal_incident_get(access=access_of(request), number=number)
    form = CommentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            with transaction.atomic():
                if form.cleaned_data["body"].strip():
                    incident_services.incident_comment(
                        actor=request.user,  # type: ignore[arg-type]
                        incident=incident,
                        body=form.cleaned_data["body"],
                        public=True,
                    )
                for upload in form.cleaned_data["attachments"]:
                    incident_services.attachment_add(
                        actor=request.user,  # type: ignore[arg-type]
                        incident=incident,
                        upload=upload,
                        public=True,
                    )
        except REFUSED as error:
            form.add_error(None, _message(error))
        else:
            messages.success(request, _("Your message was added."))
            return _detail(number)
    context = _detail_context(request, incident, comment_form=form)
    return render(request, "portal/incident_detail.html", context, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def incident_confirm(request: HttpRequest, number: str) -> HttpResponse:
    """Confirm the resolution: GET asks (the mail's link), POST closes."""
    incident = selectors.portal_incident_get(access=access_of(request), number=number)
    if request.method == "POST":
        try:
            incident_services.incident_close(
                actor=request.user,  # type: ignore[arg-type]
                incident=incident,
                expected_version=None,
                close_notes="Confirmed by the caller.",
            )
        except REFUSED as error:
            messages.error(request, _message(error))
            return render(request, "portal/incident_confirm.html", _card(incident), status=409)
        messages.success(request, _("Thank you: %(number)s is closed.") % {"number": number})
        return _detail(number)
    return render(request, "portal/incident_confirm.html", _card(incident))


@login_required
@require_http_methods(["GET", "POST"])
def incident_reopen(request: HttpRequest, number: str) -> HttpResponse:
    """Reopen with a reason: GET asks for it (the mail's link), POST reopens."""
    incident = selectors.portal_incident_get(access=access_of(request), number=number)
    form = ReopenForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                incident_services.incident_reopen(
                    actor=request.user,  # type: ignore[arg-type]
                    incident=incident,
                    expected_version=None,
                    reason=form.cleaned_data["reason"],
                )
            except REFUSED as error:
                form.add_error(None, _message(error))
            else:
                messages.success(
                    request, _("%(number)s is reopened: the team will look at it again.") % {"number": number}
                )
                return _detail(number)
        status = 400
    return render(request, "portal/incident_reopen.html", {**_card(incident), "form": form}, status=status)


@login_required
@require_POST
def watcher_add(request: HttpRequest, number: str) -> HttpResponse:
    incident = selectors.portal_incident_get(access=access_of(request), number=number)
    form = WatcherForm(request.POST)
    if form.is_valid():
        try:
            watcher = incident_services.watcher_add(
                actor=request.user,  # type: ignore[arg-type]
                incident=incident,
                email=form.cleaned_data["email"],
            )
        except REFUSED as error:
            form.add_error("email", _message(error))
        else:
            name = watcher.user.get_full_name() or watcher.user.get_username()
            messages.success(
                request, _("%(name)s now follows %(number)s.") % {"name": name, "number": number}
            )
            return _detail(number)
    context = _detail_context(request, incident, watcher_form=form)
    return render(request, "portal/incident_detail.html", context, status=400)


@login_required
@require_POST
def watcher_remove(request: HttpRequest, number: str, user_id: int) -> HttpResponse:
    incident = selectors.portal_incident_get(access=access_of(request), number=number)
    try:
        removed = incident_services.watcher_remove(
            actor=request.user,  # type: ignore[arg-type]
            incident=incident,
            user_id=user_id,
        )
    except REFUSED as error:
        messages.error(request, _message(error))
        return _detail(number)
    if removed:
        messages.success(request, _("The colleague no longer follows this incident."))
    if user_id == request.user.pk and not permissions.can_view(access_of(request), incident):
        return redirect("portal:home")
    return _detail(number)
