"""The sessions' pages: the list, scheduling, one session (attendance, minutes, decisions), and a
person's own sessions. Each reads through ``selectors`` and writes through one service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from escalation.access import access_of
from escalation.gates import staff_required

from . import selectors, services, training
from .forms import AttendanceForm, DecisionForm, MinutesForm, SessionForm, TrainingPlanForm
from .models import TrainingItem

# Lazy: translated when refused, in the reader's language.
STAFF_ONLY = cast(str, _lazy("Sessions are for the people who work in the process."))


def _organiser_only(request: HttpRequest) -> None:
    if not selectors.can_schedule(access_of(request)):
        raise PermissionDenied(_("Sessions are scheduled by incident managers and managers."))


def _errors_to_form(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


@staff_required(message=STAFF_ONLY)
def session_list(request: HttpRequest) -> HttpResponse:
    access = access_of(request)
    sessions = list(selectors.sessions_for(access)[:200])
    return render(
        request,
        "meetings/session_list.html",
        {
            "coming": [s for s in sessions if not s.is_past][::-1],
            "past": [s for s in sessions if s.is_past],
            "can_schedule": selectors.can_schedule(access),
        },
    )


@staff_required(message=STAFF_ONLY)
def session_create(request: HttpRequest) -> HttpResponse:
    _organiser_only(request)
    access = access_of(request)
    form = SessionForm(request.POST or None, access=access, initial={"kind": request.GET.get("kind", "")})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                session = services.session_schedule(actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                _errors_to_form(form, error)
            else:
                messages.success(request, _("Session scheduled; the invitations are on their way."))
                return redirect("meetings:detail", pk=session.pk)
        status = 400
    return render(request, "meetings/session_form.html", {"form": form}, status=status)


def _detail(request: HttpRequest, pk: int, *, status: int = 200, **forms: Any) -> HttpResponse:
    access = access_of(request)
    session = selectors.session_get(access=access, pk=pk)
    invitees = selectors.session_invitees(session)
    return render(
        request,
        "meetings/session_detail.html",
        {
            "session": session,
            "months": list(session.months.all()),
            "articles": list(selectors.session_articles(access=access, session=session)),
            "incidents": list(selectors.session_incidents(access=access, session=session)),
            "groups": list(session.invited_groups.all()),
            "invitees": invitees,
            "decisions": selectors.session_decisions(session),
            "can_record": selectors.can_schedule(access),
            "attendance_form": forms.get("attendance_form") or AttendanceForm(invitees=invitees),
            "minutes_form": forms.get("minutes_form") or MinutesForm(initial={"minutes": session.minutes}),
            "decision_form": forms.get("decision_form") or DecisionForm(),
        },
        status=status,
    )


@staff_required(message=STAFF_ONLY)
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, pk)


def _organiser_post(
    request: HttpRequest,
    pk: int,
    *,
    form_name: str,
    make_form: Callable[[Any], Form],
    save: Callable[[Any, dict[str, Any]], object],
    done: str,
) -> HttpResponse:
    """The organiser's forms on a session's page: valid and saved, back to the page with ``done``;
    otherwise the page again, 400, with the form and its errors (the service's among them)."""
    _organiser_only(request)
    session = selectors.session_get(access=access_of(request), pk=pk)
    form = make_form(session)
    if form.is_valid():
        try:
            save(session, form.cleaned_data)
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, done)
            return redirect("meetings:detail", pk=pk)
    return _detail(request, pk, status=400, **{form_name: form})


@require_POST
@staff_required(message=STAFF_ONLY)
def session_attendance(request: HttpRequest, pk: int) -> HttpResponse:
    return _organiser_post(
        request,
        pk,
        form_name="attendance_form",
        make_form=lambda session: AttendanceForm(request.POST, invitees=selectors.session_invitees(session)),
        save=lambda session, data: services.attendance_record(
            actor=request.user, session=session, attended_user_ids=data["present"]
        ),
        done=_("Attendance saved."),
    )


@require_POST
@staff_required(message=STAFF_ONLY)
def session_minutes(request: HttpRequest, pk: int) -> HttpResponse:
    return _organiser_post(
        request,
        pk,
        form_name="minutes_form",
        make_form=lambda session: MinutesForm(request.POST),
        save=lambda session, data: services.minutes_save(
            actor=request.user, session=session, minutes=data["minutes"]
        ),
        done=_("Minutes saved."),
    )


@require_POST
@staff_required(message=STAFF_ONLY)
def session_decision(request: HttpRequest, pk: int) -> HttpResponse:
    return _organiser_post(
        request,
        pk,
        form_name="decision_form",
        make_form=lambda session: DecisionForm(request.POST),
        save=lambda session, data: services.decision_add(actor=request.user, session=session, **data),
        done=_("Decision recorded."),
    )


@staff_required(message=STAFF_ONLY)
def my_sessions(request: HttpRequest) -> HttpResponse:
    """A person's page: the sessions they are invited to that are coming, and those they attended."""
    access = access_of(request)
    assert access.user_id is not None
    return render(
        request,
        "meetings/mine.html",
        {
            "coming": list(
                selectors.sessions_for(access)
                .filter(invitees__user_id=access.user_id)
                .filter(pk__in=selectors.sessions_coming(access=access).values("pk"))
            ),
            "attended": list(selectors.sessions_attended(access=access, user_id=access.user_id)),
        },
    )


# --- training ------------------------------------------------------------------------------------


@staff_required(message=STAFF_ONLY)
def my_training(request: HttpRequest) -> HttpResponse:
    """What a person must do, soonest first, overdue marked."""
    access = access_of(request)
    return render(
        request,
        "meetings/training_mine.html",
        {
            "dues": selectors.my_training(access),
            "can_see_plans": selectors.training_plans_for(access).exists(),
            "can_assign": selectors.can_assign_training(access),
        },
    )


@staff_required(message=STAFF_ONLY)
def training_plans(request: HttpRequest) -> HttpResponse:
    """Team leads and incident managers: completion by group (each plan) with overdue people counted."""
    access = access_of(request)
    plans = list(selectors.training_plans_for(access))
    if not plans and not selectors.can_assign_training(access):
        raise PermissionDenied(_("Training completion is for team leads and incident managers."))
    rows = []
    for plan in plans:
        progress = training.plan_progress(plan)
        rows.append(
            {
                "plan": plan,
                "people": len(progress),
                "complete": sum(p.complete for p in progress),
                "overdue": sum(1 for p in progress if p.overdue),
            }
        )
    return render(
        request,
        "meetings/training_plans.html",
        {"rows": rows, "can_assign": selectors.can_assign_training(access)},
    )


@staff_required(message=STAFF_ONLY)
def training_plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = selectors.training_plan_get(access=access_of(request), pk=pk)
    progress = training.plan_progress(plan)
    items = list(plan.items.select_related("quiz", "article", "session"))
    return render(
        request, "meetings/training_plan.html", {"plan": plan, "progress": progress, "items": items}
    )


@staff_required(message=STAFF_ONLY)
def training_plan_create(request: HttpRequest) -> HttpResponse:
    access = access_of(request)
    if not selectors.can_assign_training(access):
        raise PermissionDenied(_("Training is assigned by incident managers."))
    form = TrainingPlanForm(request.POST or None, access=access)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                plan = services.training_plan_create(
                    actor=request.user,
                    title=data["title"],
                    group=data["group"],
                    role=data["role"],
                    items=form.item_specs(),
                    newcomer_days=data["newcomer_days"],
                    is_escalation_process=data["is_escalation_process"],
                )
            except ValidationError as error:
                _errors_to_form(form, error)
            else:
                messages.success(request, _("Training plan assigned."))
                return redirect("meetings:plan", pk=plan.pk)
        status = 400
    return render(request, "meetings/training_plan_form.html", {"form": form}, status=status)


@require_POST
@staff_required(message=STAFF_ONLY)
def training_item_read(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(TrainingItem, pk=pk)
    try:
        services.article_read_mark(actor=request.user, item=item)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("meetings:training")
    messages.success(request, _("Marked as read."))
    return redirect("meetings:training")
