"""Toolkit pages: response templates, macros (managed by incident managers), and the incident
page's toolkit panel (macros with what they will do, and the response picker)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.csv import csv_response
from escalation.access import access_of
from escalation.gates import staff_required
from escalation.models import SupportGroup
from incidents.errors import TransitionNotAllowed, VersionConflict
from incidents.selectors import incident_get_for_user, incidents_visible_to

from . import routing, selectors, services
from .forms import (
    ApplyForm,
    BulkApplyForm,
    GroupModeForm,
    MacroForm,
    ResponseTemplateForm,
    RoutingRuleForm,
    TagForm,
    TimeForm,
    TimeReportForm,
)
from .models import AssignmentMode, GroupAssignment, Macro, ResponseTemplate, RoutingRule


class AuthedRequest(HttpRequest):
    """A request that ``staff_required`` has let through: its user is a signed-in staff member."""

    user: Any


def _messages_of(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    if isinstance(error, TransitionNotAllowed | VersionConflict):
        return str(error.message)
    return str(error)


def _onto_form(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


# --- response templates ----------------------------------------------------------------------


def _my_groups(request: AuthedRequest) -> list[SupportGroup]:
    access = access_of(request)
    qs = SupportGroup.objects.filter(is_active=True).order_by("name")
    return list(qs if access.is_incident_manager else qs.filter(pk__in=access.group_ids))


@staff_required
@require_GET
def response_list(request: AuthedRequest) -> HttpResponse:
    q = request.GET.get("q", "")[:100]
    templates = selectors.responses_for(access=access_of(request), q=q)[:200]
    return render(request, "toolkit/response_list.html", {"templates": templates, "q": q})


@staff_required
@require_http_methods(["GET", "POST"])
def response_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    access = access_of(request)
    template = None
    if pk is not None:
        try:
            template = selectors.response_get_for_user(access=access, pk=pk)
        except ResponseTemplate.DoesNotExist:
            raise Http404(_("There is no such template.")) from None
    kwargs: dict[str, Any] = {"groups": _my_groups(request), "everyone": access.is_incident_manager}
    if request.method == "POST":
        form = ResponseTemplateForm(request.POST, **kwargs)
        if form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    if "delete" in request.POST and template is not None:
                        services.response_template_delete(actor=request.user, template=template)
                        messages.success(request, _("The template is deleted."))
                        return redirect("toolkit:responses")
                    services.response_template_save(
                        actor=request.user,
                        template=template,
                        title=data["title"],
                        body=data["body"],
                        language=data["language"],
                        **form.scope(),
                    )
            except ValidationError as error:
                _onto_form(form, error)
            except PermissionDenied as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("The template “%(title)s” is saved.") % {"title": data["title"]})
                return redirect("toolkit:responses")
        status = 400
    else:
        initial = {}
        if template is not None:
            initial = {
                "title": template.title,
                "body": template.body,
                "language": template.language,
                "share": ResponseTemplateForm.initial_share(template),
            }
        form = ResponseTemplateForm(initial=initial, **kwargs)
        status = 200
    return render(request, "toolkit/response_form.html", {"form": form, "template": template}, status=status)


@staff_required
@require_GET
def response_search(request: AuthedRequest, number: str) -> JsonResponse:
    """The comment box's picker: templates matching ``q``, filled in for this incident."""
    access = access_of(request)
    incident = incident_get_for_user(access=access, number=number)
    q = request.GET.get("q", "")[:100]
    found = selectors.responses_for(access=access, q=q)[:10]
    return JsonResponse(
        {
            "results": [
                {
                    "id": t.pk,
                    "title": t.title,
                    "text": services.response_render(text=t.body, incident=incident, agent=request.user),
                }
                for t in found
            ]
        }
    )


# --- macros ----------------------------------------------------------------------------------


def _incident_manager(request: AuthedRequest) -> None:
    if not access_of(request).is_incident_manager:
        raise PermissionDenied(_("Only an incident manager manages macros."))


@staff_required
@require_GET
def macro_list(request: AuthedRequest) -> HttpResponse:
    access = access_of(request)
    macros = (
        Macro.objects.select_related("group", "assignment_group", "category")
        if access.is_incident_manager
        else selectors.macros_for(access=access)
    )
    return render(
        request, "toolkit/macro_list.html", {"macros": macros, "can_manage": access.is_incident_manager}
    )


@staff_required
@require_http_methods(["GET", "POST"])
def macro_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    _incident_manager(request)
    macro = get_object_or_404(Macro, pk=pk) if pk is not None else None
    status = 200
    if request.method == "POST":
        if "delete" in request.POST and macro is not None:
            services.macro_delete(actor=request.user, macro=macro)
            messages.success(request, _("The macro is deleted."))
            return redirect("toolkit:macros")
        form = MacroForm(request.POST, instance=macro)
        status = 400
        if form.is_valid():
            try:
                saved = services.macro_save(
                    actor=request.user,
                    macro=macro,
                    **{f: form.cleaned_data[f] for f in MacroForm.Meta.fields},
                )
            except ValidationError as error:
                _onto_form(form, error)
            else:
                messages.success(request, _("The macro “%(name)s” is saved.") % {"name": saved.name})
                return redirect("toolkit:macros")
    else:
        form = MacroForm(instance=macro)
    return render(request, "toolkit/macro_form.html", {"form": form, "macro": macro}, status=status)


@staff_required
@require_GET
def incident_panel(request: AuthedRequest, number: str) -> HttpResponse:
    """The incident page's toolkit panel, loaded by htmx: each macro with what it would do."""
    access = access_of(request)
    incident = incident_get_for_user(access=access, number=number)
    plans = [
        (macro, services.macro_plan(macro=macro, incident=incident, agent=request.user))
        for macro in selectors.macros_for(access=access)
    ]
    return render(
        request,
        "toolkit/_incident_panel.html",
        {
            "incident": incident,
            "plans": [(m, steps) for m, steps in plans if steps],
            "runs": selectors.macro_runs_of(incident),
            "time_form": TimeForm(),
            "time_entries": selectors.time_worked_on(incident),
            "tags": selectors.tags_of(incident),
            "tag_suggestions": selectors.tag_suggestions(access=access),
        },
    )


def _macro_for(request: AuthedRequest, pk: int) -> Macro:
    try:
        return selectors.macros_for(access=access_of(request)).get(pk=pk)
    except Macro.DoesNotExist:
        raise Http404(_("There is no such macro.")) from None


@staff_required
@require_POST
def macro_apply(request: AuthedRequest, number: str, pk: int) -> HttpResponse:
    access = access_of(request)
    incident = incident_get_for_user(access=access, number=number)
    macro = _macro_for(request, pk)
    form = ApplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The page did not say which version you saw: reload it and try again."))
        return redirect("incidents:detail", number=incident.number)
    try:
        with transaction.atomic():
            services.macro_apply(
                actor=request.user,
                access=access,
                macro=macro,
                incident=incident,
                expected_version=form.cleaned_data["version"],
            )
    except (ValidationError, PermissionDenied, TransitionNotAllowed, VersionConflict) as error:
        messages.error(
            request,
            _("%(macro)s was not applied: %(why)s") % {"macro": macro.name, "why": _messages_of(error)},
        )
    else:
        messages.success(
            request, _("%(macro)s applied to %(number)s.") % {"macro": macro.name, "number": incident.number}
        )
    return redirect("incidents:detail", number=incident.number)


@staff_required
@require_GET
def bulk_options(request: AuthedRequest) -> HttpResponse:
    """The macro picker of the queue's bulk action bar, loaded by htmx inside its form."""
    return render(
        request, "toolkit/_bulk_options.html", {"macros": selectors.macros_for(access=access_of(request))}
    )


@staff_required
@require_POST
def macro_bulk(request: AuthedRequest) -> HttpResponse:
    """Apply one macro to each selected incident, each at the version the person saw; each
    incident succeeds or fails on its own."""
    back = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=False):
        back = reverse("incidents:list")
    form = BulkApplyForm(request.POST)
    selected = request.POST.getlist("selected")
    if not selected:
        messages.warning(request, _("Select at least one incident."))
        return redirect(back)
    if not form.is_valid():
        messages.error(request, _("Choose a macro."))
        return redirect(back)
    macro = _macro_for(request, form.cleaned_data["macro"])
    access = access_of(request)
    done: list[str] = []
    for item in selected[:200]:
        number, _sep, version = item.partition(":")
        try:
            incident = incident_get_for_user(access=access, number=number)
            with transaction.atomic():
                services.macro_apply(
                    actor=request.user,
                    access=access,
                    macro=macro,
                    incident=incident,
                    expected_version=int(version),
                )
        except Http404:
            messages.error(request, _("Not changed: %(number)s: not found") % {"number": number})
        except ValueError:
            messages.error(request, _("Not changed: %(number)s: no version given") % {"number": number})
        except (ValidationError, PermissionDenied, TransitionNotAllowed, VersionConflict) as error:
            messages.error(
                request,
                _("Not changed: %(number)s: %(why)s") % {"number": number, "why": _messages_of(error)},
            )
        else:
            done.append(number)
    if done:
        messages.success(
            request,
            _("%(macro)s applied to %(numbers)s.") % {"macro": macro.name, "numbers": ", ".join(done)},
        )
    return redirect(back)


# --- routing rules and assignment ------------------------------------------------------------


def _rules_manager(request: AuthedRequest) -> None:
    if not access_of(request).is_incident_manager:
        raise PermissionDenied(_("Only an incident manager manages routing rules."))


@staff_required
@require_GET
def routing_rules(request: AuthedRequest) -> HttpResponse:
    _rules_manager(request)
    modes = {m.group_id: m.mode for m in GroupAssignment.objects.all()}
    groups = [
        (
            g,
            GroupModeForm(
                initial={"group": g.slug, "mode": modes.get(g.pk, AssignmentMode.MANUAL)}, prefix=g.slug
            ),
        )
        for g in SupportGroup.objects.filter(is_active=True)
        .exclude(kind=SupportGroup.Kind.CONSULTED)
        .order_by("name")
    ]
    rules = RoutingRule.objects.select_related("category", "service", "group").order_by("position", "id")
    return render(request, "toolkit/routing_rules.html", {"rules": rules, "groups": groups})


@staff_required
@require_http_methods(["GET", "POST"])
def routing_rule_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    """Edit a rule. "Dry run" shows what the rules, with this one in its place, would have done to
    last month's incidents; "Save" saves only values that were dry-run as they stand."""
    _rules_manager(request)
    rule = get_object_or_404(RoutingRule, pk=pk) if pk is not None else None
    result = None
    checked = ""
    status = 200
    if request.method == "POST":
        if "delete" in request.POST and rule is not None:
            services.routing_rule_delete(actor=request.user, rule=rule)
            messages.success(request, _("The rule is deleted."))
            return redirect("toolkit:routing")
        form = RoutingRuleForm(request.POST, instance=rule)
        if form.is_valid():
            data = form.cleaned_data
            signer = signing.Signer(salt="toolkit.routing-dry-run")
            fingerprint = form.fingerprint()
            seen = request.POST.get("checked", "")
            if "save" in request.POST and _unsign(signer, seen) == fingerprint:
                try:
                    services.routing_rule_save(
                        actor=request.user, rule=rule, **{f: data[f] for f in RoutingRuleForm.Meta.fields}
                    )
                except ValidationError as error:
                    _onto_form(form, error)
                    status = 400
                else:
                    messages.success(request, _("The rule “%(name)s” is saved.") % {"name": data["name"]})
                    return redirect("toolkit:routing")
            else:
                if "save" in request.POST:
                    messages.info(request, _("Here is what the rule would have done: check it, then save."))
                spec = routing.RuleSpec(
                    name=data["name"],
                    group_id=data["group"].pk,
                    category_id=data["category"].pk if data["category"] else None,
                    service_id=data["service"].pk if data["service"] else None,
                    caller_department=data["caller_department"].strip(),
                    keywords=tuple(w.strip().casefold() for w in data["keywords"].split(",") if w.strip()),
                    channel=data["channel"],
                    pk=rule.pk if rule else None,
                )
                rules = routing.rules_with(spec, data["position"]) if data["is_active"] else [spec]
                result = routing.dry_run(
                    incidents=incidents_visible_to(access_of(request)), rules=rules, rule=spec
                )
                checked = signer.sign(fingerprint)
        else:
            status = 400
    else:
        form = RoutingRuleForm(instance=rule)
    return render(
        request,
        "toolkit/routing_rule_form.html",
        {"form": form, "rule": rule, "result": result, "checked": checked, "days": routing.DRY_RUN_DAYS},
        status=status,
    )


def _unsign(signer: signing.Signer, value: str) -> str | None:
    try:
        return signer.unsign(value)
    except signing.BadSignature:
        return None


@staff_required
@require_POST
def group_mode(request: AuthedRequest, slug: str) -> HttpResponse:
    group = get_object_or_404(SupportGroup, slug=slug)
    form = GroupModeForm(request.POST, prefix=slug)
    if (
        not access_of(request).is_incident_manager
        and not group.memberships.filter(user=request.user, is_lead=True).exists()
    ):
        raise PermissionDenied(_("Only the incident manager or a lead of the group chooses how it assigns."))
    if not form.is_valid():
        messages.error(request, _("Choose an assignment mode of the list."))
        return redirect("toolkit:routing")
    try:
        services.group_assignment_set(actor=request.user, group=group, mode=form.cleaned_data["mode"])
    except ValidationError as error:  # a refused right is the 403 page
        messages.error(request, _messages_of(error))
    else:
        messages.success(
            request,
            _("%(group)s now assigns: %(mode)s.")
            % {"group": group.name, "mode": dict(AssignmentMode.choices)[form.cleaned_data["mode"]]},
        )
    return redirect("toolkit:routing")


@staff_required
@require_POST
def time_record(request: AuthedRequest, number: str) -> HttpResponse:
    access = access_of(request)
    incident = incident_get_for_user(access=access, number=number)
    form = TimeForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
        return redirect("incidents:detail", number=incident.number)
    try:
        services.time_record(
            actor=request.user,
            access=access,
            incident=incident,
            minutes=form.cleaned_data["minutes"],
            note=form.cleaned_data["note"],
        )
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, _messages_of(error))
    else:
        messages.success(
            request,
            _("%(minutes)d minutes recorded on %(number)s.")
            % {"minutes": form.cleaned_data["minutes"], "number": incident.number},
        )
    return redirect("incidents:detail", number=incident.number)


@staff_required
@require_POST
def tag_change(request: AuthedRequest, number: str, change: str) -> HttpResponse:
    """Put a tag on the incident, or take one off (``change`` is ``add`` or ``remove``)."""
    access = access_of(request)
    incident = incident_get_for_user(access=access, number=number)
    form = TagForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
        return redirect("incidents:detail", number=incident.number)
    service = services.tag_add if change == "add" else services.tag_remove
    try:
        service(actor=request.user, access=access, incident=incident, name=form.cleaned_data["tag"])
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, _messages_of(error))
    else:
        name = services.tag_name(form.cleaned_data["tag"])
        text = _("%(tag)s tagged on %(number)s.") if change == "add" else _("%(tag)s taken off %(number)s.")
        messages.success(request, text % {"tag": name, "number": incident.number})
    return redirect("incidents:detail", number=incident.number)


# --- time reports ------------------------------------------------------------------------------


def _time_report_form(request: HttpRequest) -> TimeReportForm:
    """The period from the query string; by default the last six months up to today."""
    today = timezone.localdate(timezone=timezone.get_default_timezone())
    first = today.replace(day=1)
    for _month in range(5):
        first = (first - timedelta(days=1)).replace(day=1)
    data = {"start": first.isoformat(), "end": today.isoformat(), "group": "", "tag": ""}
    for key in data:
        data[key] = request.GET.get(key) or data[key]
    return TimeReportForm(data)


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


@staff_required
@require_GET
def time_report(request: AuthedRequest) -> HttpResponse | StreamingHttpResponse:
    """Time worked by group, person, category and month, for team leads and managers; ``?format=csv``."""
    access = access_of(request)
    if not selectors.may_read_time_reports(access):
        raise PermissionDenied(_("Only team leads and managers read the time report."))
    form = _time_report_form(request)
    if not form.is_valid():
        return render(request, "toolkit/time_report.html", {"form": form, "report": None}, status=400)
    data = form.cleaned_data
    start, end = _day_start(data["start"]), _day_start(data["end"] + timedelta(days=1))
    report = selectors.time_report(access=access, start=start, end=end, group=data["group"], tag=data["tag"])
    if request.GET.get("format") == "csv":
        rows = (
            [table, row["key"] or "", row["label"] or "", row["minutes"], row["entries"]]
            for table, table_rows in report.tables()
            for row in table_rows
        )
        name = f"time-{data['start'].isoformat()}-{data['end'].isoformat()}.csv"
        return csv_response(name, ["table", "key", "label", "minutes", "entries"], rows)
    groups = SupportGroup.objects.filter(is_active=True).order_by("name")
    if not access.is_manager:
        groups = groups.filter(memberships__user_id=access.user_id or 0, memberships__is_lead=True)
    csv_query = request.GET.copy()
    csv_query["format"] = "csv"
    titles = {
        "group": _("By group"),
        "person": _("By person"),
        "category": _("By category"),
        "month": _("By month"),
    }
    return render(
        request,
        "toolkit/time_report.html",
        {
            "form": form,
            "report": report,
            "tables": [(key, titles[key], rows) for key, rows in report.tables()],
            "groups": groups,
            "csv_query": csv_query.urlencode(),
        },
    )
