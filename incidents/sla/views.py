"""The SLA policy rule editor (incident manager): the ordered rules, a "which policy would this
incident get" tester, and the latest changes from the configuration audit."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from escalation.access import access_of
from escalation.gates import staff_required
from escalation.models import RegisterChange, SLAPolicy
from escalation.policies import policy_default

from ..records import queues
from ..records.models import Category, Service
from ..services import priority_for
from .forms import PolicyTesterForm, SLAPolicyRuleForm
from .models import SLAPolicyRule
from .rules import Facts, rule_for
from .services import sla_policy_rule_create, sla_policy_rule_delete, sla_policy_rule_update

AUDIT_ROWS = 15


def _incident_manager(request: HttpRequest) -> None:
    if not access_of(request).is_incident_manager:
        raise PermissionDenied(_("Only the incident manager edits the SLA policy rules."))


def _onto_form(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def _tester_result(form: PolicyTesterForm) -> dict[str, Any] | None:
    if not form.is_bound or not form.is_valid():
        return None
    data = form.cleaned_data
    caller = None
    if data["caller"]:
        try:
            caller = queues.caller_lookup(data["caller"])
        except ValidationError as error:
            _onto_form(form, error)
            return None
    category = data["category"]
    priority = priority_for(impact=data["impact"], urgency=data["urgency"])
    facts = Facts(
        service_id=data["service"].pk if data["service"] else None,
        category_id=(category.parent_id or category.pk) if category else None,
        subcategory_id=category.pk if category and category.parent_id else None,
        caller_id=caller.pk if caller else None,
        channel=data["channel"],
        priority=priority,
    )
    rule = rule_for(facts)
    return {"rule": rule, "priority": priority, "policy": rule.policy_slug if rule else policy_default().slug}


@staff_required
@require_http_methods(["GET"])
def sla_rule_list(request: HttpRequest) -> HttpResponse:
    _incident_manager(request)
    tester = PolicyTesterForm(request.GET if "impact" in request.GET else None)
    rules = SLAPolicyRule.objects.select_related("policy", "service", "category__parent").order_by(
        "position", "id"
    )
    audit = list(
        RegisterChange.objects.filter(model=SLAPolicyRule._meta.model_name).select_related("actor")[
            :AUDIT_ROWS
        ]
    )
    return render(
        request,
        "incidents/sla_rules.html",
        {"rules": list(rules), "tester": tester, "result": _tester_result(tester), "audit": _named(audit)},
    )


# The audit keeps the rule's foreign keys as ids (they outlive renames); the page shows today's names.
AUDIT_NAMED_FIELDS: dict[str, Any] = {"policy": SLAPolicy, "service": Service, "category": Category}


def _named(audit: list[RegisterChange]) -> list[RegisterChange]:
    """Swap the ids of policies, services and categories in the audit rows for their names: one query each."""
    wanted: dict[str, set[int]] = {field: set() for field in AUDIT_NAMED_FIELDS}
    for change in audit:
        for field, value in change.changes.items():
            if field in wanted:
                wanted[field] |= {v for v in (value.get("old"), value.get("new")) if isinstance(v, int)}
    names = {
        field: {pk: str(obj) for pk, obj in AUDIT_NAMED_FIELDS[field].objects.in_bulk(ids).items()}
        for field, ids in wanted.items()
        if ids
    }
    for change in audit:
        for field, value in change.changes.items():
            if field in names:
                for side in ("old", "new"):
                    if isinstance(value.get(side), int):
                        value[side] = names[field].get(value[side], f"#{value[side]} (deleted)")
    return audit


@staff_required
@require_http_methods(["GET", "POST"])
def sla_rule_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _incident_manager(request)
    rule = get_object_or_404(SLAPolicyRule.objects.select_related("policy", "service"), pk=pk) if pk else None
    initial = SLAPolicyRuleForm.initial_for(rule) if rule else {"is_active": True}
    form = SLAPolicyRuleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if rule is None:
                saved = sla_policy_rule_create(actor=request.user, **form.values())
                messages.success(request, _("Rule “%(name)s” added.") % {"name": saved.name})
            else:
                saved = sla_policy_rule_update(actor=request.user, rule=rule, **form.values())
                messages.success(request, _("Rule “%(name)s” saved.") % {"name": saved.name})
            return redirect("incidents:sla-rules")
        except ValidationError as error:
            _onto_form(form, error)
    return render(
        request,
        "incidents/sla_rule_form.html",
        {"form": form, "rule": rule},
        status=400 if form.errors else 200,
    )


@staff_required
@require_POST
def sla_rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _incident_manager(request)
    rule = get_object_or_404(SLAPolicyRule, pk=pk)
    sla_policy_rule_delete(actor=request.user, rule=rule)
    messages.success(request, _("Rule “%(name)s” deleted.") % {"name": rule.name})
    return redirect("incidents:sla-rules")
