"""The agent and team workspace: log, queues, the incident page and one POST endpoint per action.

Each view reads its input, calls one service (bulk actions: one per incident), and renders or
redirects. The errors a service raises become messages and form errors, with the user's text
kept on the form: a stale version re-renders the form with the *current* version, so that a
second submit, after reading what changed, applies it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.forms import Form
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.backends.utils import csrf_input
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from escalation.access import Access, access_of
from escalation.gates import staff_required

from .. import permissions, selectors, services
from ..errors import TransitionNotAllowed, VersionConflict
from ..major.selectors import incident_page_extras
from ..selectors import attachment_get_for_user, incident_get_for_user, incident_timeline
from . import forms, queues
from .actions import ACTIONS, permission_of
from .actions import perform as perform_action
from .filters import filter_queue
from .models import TRANSITIONS, Consultation, Incident, PriorityMatrixEntry


class AuthedRequest(HttpRequest):
    """A request that ``staff_required`` has let through: its user is a signed-in staff member."""

    user: Any


def _errors_onto_form(form: Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


# --- log an incident -------------------------------------------------------------------------


@staff_required
@require_http_methods(["GET", "POST"])
def incident_create(request: AuthedRequest) -> HttpResponse:
    kwargs: dict[str, Any] = {"categories": queues.active_categories(), "services": queues.active_services()}
    form = forms.IncidentCreateForm(request.POST or None, request.FILES or None, **kwargs)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            # The incident and its files are saved together or not at all.
            with transaction.atomic():
                incident = services.incident_create(
                    actor=request.user,
                    access=access_of(request),
                    caller=queues.caller_lookup(data["caller"]),
                    title=data["title"],
                    description=data["description"],
                    channel=data["channel"],
                    impact=data["impact"],
                    urgency=data["urgency"],
                    category=form.category_object("category"),
                    subcategory=form.category_object("subcategory"),
                    service=form.service_object(),
                )
                access = access_of(request)
                for upload in data["attachments"]:
                    services.attachment_add(
                        actor=request.user, access=access, incident=incident, upload=upload
                    )
        except ValidationError as error:
            if hasattr(error, "error_dict") and "file" in error.error_dict:
                error = ValidationError({"attachments": error.error_dict["file"]})
            _errors_onto_form(form, error)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                gettext("%(number)s logged for %(get_username)s.")
                % {"number": incident.number, "get_username": incident.caller.get_username()},
            )
            return redirect("incidents:detail", number=incident.number)
    if request.method == "POST":
        messages.error(request, gettext("The incident was not logged: please correct the fields below."))
    matrix = {
        f"{i}-{u}": p for i, u, p in PriorityMatrixEntry.objects.values_list("impact", "urgency", "priority")
    }
    return render(
        request,
        "incidents/incident_create.html",
        {"form": form, "priority_matrix": matrix},
        status=400 if form.errors else 200,
    )


@staff_required
@require_GET
def caller_options(request: AuthedRequest) -> HttpResponse:
    """<option>s for the caller <datalist>, fetched by htmx as the agent types."""
    term = request.GET.get("q") or request.GET.get("caller") or ""
    return render(request, "incidents/_caller_options.html", {"users": queues.users_matching(term)})


# --- queues ------------------------------------------------------------------------------------


@staff_required
@require_GET
@transaction.non_atomic_requests  # a read: no transaction, and two fewer queries per page
def incident_list(request: AuthedRequest) -> HttpResponse | StreamingHttpResponse:
    groups = queues.active_groups()
    access = access_of(request)
    queue = request.GET.get("queue") or queues.default_queue(access)
    if queue not in queues.QUEUES:
        queue = queues.default_queue(access)
    filters = forms.QueueFilterForm(
        request.GET, groups=groups, categories=queues.active_categories(), services=queues.active_services()
    )
    qs = queues.queue_queryset(access, queue, groups=groups)
    if filters.is_valid():
        qs = filter_queue(qs, filters.cleaned_data)
    sort = request.GET.get("sort") or ""
    if sort not in queues.SORTS:
        sort = queues.DEFAULT_SORT
    if request.GET.get("format") == "csv":
        return queues.csv_response(qs, sort_key=sort, filename=f"incidents-{queue}.csv")
    page = queues.paginate(qs, sort_key=sort, cursor=request.GET.get("cursor"))
    not_listed = 0
    if queue == "all" and filters.is_valid() and queues.is_report_drill_down(access, filters.cleaned_data):
        cleaned = filters.cleaned_data
        not_listed = selectors.incidents_not_visible_count(
            access, lambda hidden: filter_queue(hidden, cleaned)
        )
    return render(
        request,
        "incidents/incident_list.html",
        {
            "queues": queues.QUEUES.values(),
            "queue": queues.QUEUES[queue],
            "filters": filters,
            "sorts": queues.SORTS,
            "sort": sort,
            "page": page,
            "bulk_form": forms.BulkForm(groups=groups),
            "first_page": "cursor" in request.GET,
            "not_listed": not_listed,
        },
    )


@staff_required
@require_POST
def incident_bulk(request: AuthedRequest) -> HttpResponse:
    """Assign or move several incidents; each goes through the service with the version the user saw."""
    back = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=False):
        back = reverse("incidents:list")
    form = forms.BulkForm(request.POST, groups=queues.active_groups())
    selected = request.POST.getlist("selected")
    if not selected:
        messages.warning(request, gettext("Select at least one incident."))
        return redirect(back)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
        return redirect(back)
    data = form.cleaned_data
    try:
        if data["operation"] == "assign":
            target: Any = selectors.user_lookup(username=data["assigned_to"], field="assigned_to")
            change: dict[str, Any] = {"assigned_to": target}
            done = f"assigned to {target.get_username()}"
        else:
            target = selectors.group_lookup(slug=data["assignment_group"])
            change = {"assignment_group": target}
            done = f"moved to {target.name}"
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(back)
    succeeded: list[str] = []
    failed: list[str] = []
    access = access_of(request)
    for item in selected:
        number, _, version = item.partition(":")
        try:
            incident = incident_get_for_user(access=access, number=number)
            services.incident_assign(
                actor=request.user, access=access, incident=incident, expected_version=int(version), **change
            )
        except Http404:
            failed.append(f"{number}: not found")
        except ValueError:
            failed.append(f"{number}: the form did not say which version you saw")
        except (TransitionNotAllowed, VersionConflict) as error:
            failed.append(f"{number}: {error.message}")
        except (PermissionDenied, ValidationError) as error:
            failed.append(
                f"{number}: {' '.join(error.messages) if isinstance(error, ValidationError) else error}"
            )
        else:
            succeeded.append(number)
    if succeeded:
        messages.success(request, f"{', '.join(succeeded)} {done}.")
    for failure in failed:
        messages.error(request, gettext("Not changed: %(failure)s") % {"failure": failure})
    return redirect(back)


# --- the incident page ---------------------------------------------------------------------------


def allowed_moves(access: Access, incident: Incident) -> set[str]:
    """The lifecycle actions the incident's status allows now and the person may take."""
    return {name for name in TRANSITIONS if incident.allows(name) and permissions.can(access, incident, name)}


def offered_actions(access: Access, incident: Incident, allowed: set[str]) -> list[str]:
    """The forms to show on the incident page."""
    offered = []
    for name, action in ACTIONS.items():
        if permission_of(name) not in allowed:
            continue
        if action.owner_only and not permissions.can_work(access, incident):
            continue
        if action.member_only and (
            incident.assigned_to_id == access.user_id or incident.assignment_group_id not in access.group_ids
        ):
            continue
        offered.append(name)
    return offered


def _form_context(incident: Incident, needs: set[str]) -> dict[str, Any]:
    context: dict[str, Any] = {"incident": incident}
    if "groups" in needs:
        context["groups"] = queues.active_groups()
    if "members" in needs:
        context["members"] = queues.group_members(incident.assignment_group_id)
    return context


def _initial(name: str, incident: Incident) -> dict[str, Any]:
    extra = ACTIONS[name].initial
    return {"version": incident.version, **(extra(incident) if extra else {})}


def _render_detail(
    request: AuthedRequest,
    incident: Incident,
    *,
    bound: tuple[str, Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    access = access_of(request)
    allowed = allowed_moves(access, incident)
    offered = offered_actions(access, incident, allowed)
    needs = {need for name in offered for need in ACTIONS[name].needs}
    context = _form_context(incident, needs)
    action_forms: dict[str, Form] = {}
    for name in offered:
        if bound and bound[0] == name:
            action_forms[name] = bound[1]
        else:
            action_forms[name] = ACTIONS[name].form(initial=_initial(name, incident), context=context)
    my_groups = access.group_ids
    consultations = list(incident.consultations.select_related("group", "requested_by", "answered_by"))
    answer_forms = {
        c.pk: (
            bound[1]
            if bound and bound[0] == f"answer-{c.pk}"
            else forms.AnswerForm(initial={"consultation": c.pk})
        )
        for c in consultations
        if c.is_open and c.group_id in my_groups
    }
    timeline = list(incident_timeline(access=access, incident=incident))
    return render(
        request,
        "incidents/incident_detail.html",
        {
            "incident": incident,
            "timeline": timeline,
            # split off a comment, or split from one (issue 23 §3): the links panel of the header
            "relations": selectors.incident_relations(access=access, incident=incident, timeline=timeline),
            "consultations": [(c, answer_forms.get(c.pk)) for c in consultations],
            # each with its address and the page's one CSRF input: a dozen {% url %} and {% csrf_token %}
            # tags cost the page nearly a millisecond (issue 25 §6)
            "actions": [
                (
                    name,
                    ACTIONS[name].label,
                    action_forms[name],
                    reverse("incidents:action", args=[incident.number, name]),
                )
                for name in offered
            ],
            "csrf_input": csrf_input(request),
            "open_action": bound[0] if bound else None,
            "can_edit": "update" in allowed,
            "show_internal": permissions.can_see_internal(access),
            **incident_page_extras(access=access, incident=incident),
        },
        status=status,
    )


@staff_required
@require_GET
@transaction.non_atomic_requests  # a read: no transaction, and two fewer queries per page
def incident_detail(request: AuthedRequest, number: str) -> HttpResponse:
    access = access_of(request)
    incident = incident_get_for_user(access=access, number=number)
    # A merged incident's old links lead to the incident the work continues on (issue 23 §3);
    # ``?stay=1`` shows the merged record itself (the survivor's timeline links there).
    stay = bool(request.GET.get("stay"))
    survivor = None if stay else selectors.merged_into_for_user(access=access, incident=incident)
    if survivor is not None:
        messages.info(
            request,
            gettext("%(old)s was merged into %(new)s.") % {"old": incident.number, "new": survivor.number},
        )
        return redirect("incidents:detail", number=survivor.number)
    return _render_detail(request, incident)


@dataclass
class Outcome:
    done: Any  # what the service returned; None when it refused
    form: Form
    status: int


def _attempt(
    request: HttpRequest, form: Form, call: Callable[[], Any], *, rebind: Callable[[int], Form], invalid: str
) -> Outcome:
    """Run one service for a valid form; a refusal goes onto the form with its HTTP status.

    A stale version rebinds the form to the person's input with the current version, so that
    they can review and submit the same text again.
    """
    try:
        return Outcome(call(), form, 200)
    except VersionConflict as error:
        form = rebind(error.current)
        form.add_error(None, error.message)
        messages.error(request, error.message)
        return Outcome(None, form, 409)
    except TransitionNotAllowed as error:
        form.add_error(None, error.message)
        messages.error(request, error.message)
        return Outcome(None, form, 409)
    except PermissionDenied as error:
        form.add_error(None, str(error))
        messages.error(request, str(error))
        return Outcome(None, form, 403)
    except ValidationError as error:
        _errors_onto_form(form, error)
        messages.error(request, invalid)
        return Outcome(None, form, 400)


def _with_version(data: QueryDict, version: int) -> QueryDict:
    """The user's input with the version now stored: their next submit applies it knowingly."""
    copy = data.copy()
    copy["version"] = str(version)
    return copy


@staff_required
@require_POST
def incident_action(request: AuthedRequest, number: str, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404(gettext("No action %(action)s.") % {"action": action})
    access = access_of(request)
    incident = incident_get_for_user(access=access, number=number)
    spec = ACTIONS[action]
    context = _form_context(incident, set(spec.needs))
    form = spec.form(request.POST, request.FILES, context=context)
    status = 400
    if form.is_valid():

        def perform() -> str:
            if spec.owner_only and not permissions.can_work(access, incident):
                raise PermissionDenied(
                    gettext("Only %(name)s changes the links and flags of %(number)s.")
                    % {"name": incident.assignment_group.name, "number": incident.number}
                )
            data = form.cleaned_data
            return perform_action(
                action,
                actor=request.user,
                access=access,
                incident=incident,
                expected_version=data.get("version"),
                data=data,
            )

        outcome = _attempt(
            request,
            form,
            perform,
            rebind=lambda version: spec.form(
                _with_version(request.POST, version), request.FILES, context=context
            ),
            invalid="Nothing was changed: please correct the form.",
        )
        if outcome.done is not None:
            messages.success(request, outcome.done)
            return redirect("incidents:detail", number=incident.number)
        form, status = outcome.form, outcome.status
    else:
        messages.error(request, gettext("Nothing was changed: please correct the form."))
    incident = incident_get_for_user(access=access, number=number)
    return _render_detail(request, incident, bound=(action, form), status=status)


@staff_required
@require_POST
def comment_split(request: AuthedRequest, number: str, pk: int) -> HttpResponse:
    """Split a comment off into a new incident (issue 23 §3); someone who may not edit gets a 403."""
    access = access_of(request)
    incident = incident_get_for_user(access=access, number=number)
    try:
        new = services.incident_split(actor=request.user, access=access, incident=incident, event_id=pk)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _render_detail(request, incident, status=400)
    except TransitionNotAllowed as error:
        messages.error(request, str(error.message))
        return _render_detail(request, incident, status=409)
    messages.success(
        request,
        gettext("The comment is now %(new)s, linked to %(number)s.")
        % {"new": new.number, "number": incident.number},
    )
    return redirect("incidents:detail", number=new.number)


@staff_required
@require_POST
def consultation_answer(request: AuthedRequest, number: str) -> HttpResponse:
    incident = incident_get_for_user(access=access_of(request), number=number)
    form = forms.AnswerForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            consultation = incident.consultations.get(pk=form.cleaned_data["consultation"])
        except Consultation.DoesNotExist:
            raise Http404(gettext("No such consultation on this incident.")) from None
        try:
            services.consultation_answer(
                actor=request.user, consultation=consultation, answer=form.cleaned_data["answer"]
            )
        except PermissionDenied as error:
            form.add_error(None, str(error))
            messages.error(request, str(error))
            status = 403
        except ValidationError as error:
            _errors_onto_form(form, error)
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                gettext("Your answer for %(name)s is on %(number)s.")
                % {"name": consultation.group.name, "number": incident.number},
            )
            return redirect("incidents:detail", number=incident.number)
        key = f"answer-{consultation.pk}"
    else:
        key = f"answer-{request.POST.get('consultation')}"
        messages.error(request, gettext("Write an answer first."))
    return _render_detail(request, incident, bound=(key, form), status=status)


@staff_required
@require_http_methods(["GET", "POST"])
def incident_edit(request: AuthedRequest, number: str) -> HttpResponse:
    incident = incident_get_for_user(access=access_of(request), number=number)
    access = access_of(request)
    if not (incident.allows("update") and permissions.can(access, incident, "update")):
        messages.error(request, gettext("You may not edit %(number)s now.") % {"number": incident.number})
        return redirect("incidents:detail", number=incident.number)
    full = permissions.can_work(access, incident)
    kwargs: dict[str, Any] = {
        "categories": queues.active_categories(),
        "services": queues.active_services(),
        "full": full,
    }
    status = 200
    if request.method == "POST":
        edit = forms.IncidentEditForm(request.POST, **kwargs)
        form: Form = edit
        status = 400
        if edit.is_valid():
            outcome = _attempt(
                request,
                edit,
                lambda: services.incident_update(
                    actor=request.user,
                    incident=incident,
                    expected_version=edit.cleaned_data["version"],
                    **edit.changes(),
                ),
                rebind=lambda version: forms.IncidentEditForm(_with_version(request.POST, version), **kwargs),
                invalid="Nothing was saved: please correct the fields below.",
            )
            if outcome.done is not None:
                messages.success(request, gettext("%(number)s is saved.") % {"number": incident.number})
                return redirect("incidents:detail", number=incident.number)
            form, status = outcome.form, outcome.status
        else:
            messages.error(request, gettext("Nothing was saved: please correct the fields below."))
    else:
        form = forms.IncidentEditForm(
            initial={
                "version": incident.version,
                "title": incident.title,
                "description": incident.description,
                "impact": incident.impact,
                "urgency": incident.urgency,
                "category": str(incident.category_id or ""),
                "subcategory": str(incident.subcategory_id or ""),
                "service": incident.service.slug if incident.service else "",
                "problem_reference": incident.problem_reference,
                "change_reference": incident.change_reference,
            },
            **kwargs,
        )
    return render(
        request, "incidents/incident_edit.html", {"incident": incident, "form": form}, status=status
    )


@login_required
@require_GET
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """Attachments are always downloaded, never rendered inline, and only by those who may see them."""
    attachment = attachment_get_for_user(access=access_of(request), pk=pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404(gettext("The file is no longer stored.")) from None
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.original_name, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response
