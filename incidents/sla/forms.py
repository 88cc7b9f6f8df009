"""Forms of the SLA policy rule editor and of its "which policy would this incident get" tester."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

from escalation.choices import Level, Priority
from escalation.models import CallerProfile, SLAPolicy

from ..records.models import Category, Channel, Service
from .models import SLAPolicyRule

ANY = [("", gettext_lazy("Any"))]


def _optional_int(value: Any) -> int | None:
    return int(value) if value not in (None, "") else None


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj)


class SLAPolicyRuleForm(forms.Form):
    name = forms.CharField(max_length=SLAPolicyRule.NAME_MAX_LENGTH, label=gettext_lazy("Name"))
    position = forms.IntegerField(
        min_value=0,
        max_value=100_000,
        required=False,
        help_text=gettext_lazy("Rules are tried from the lowest position up."),
        label=gettext_lazy("Position"),
    )
    policy = forms.ModelChoiceField(
        queryset=SLAPolicy.objects.order_by("name"), to_field_name="slug", label=gettext_lazy("Policy")
    )
    service = forms.ModelChoiceField(
        queryset=Service.objects.order_by("name"),
        to_field_name="slug",
        required=False,
        empty_label=gettext_lazy("Any"),
        label=gettext_lazy("Service"),
    )
    category = CategoryChoiceField(
        queryset=Category.objects.select_related("parent").order_by("parent__name", "name"),
        required=False,
        empty_label=gettext_lazy("Any"),
        help_text=gettext_lazy("Matches the incident's category or its subcategory."),
        label=gettext_lazy("Category"),
    )
    caller_vip = forms.BooleanField(label=gettext_lazy("Only when the caller is a VIP"), required=False)
    caller_department = forms.CharField(
        label=gettext_lazy("Caller's department"),
        max_length=CallerProfile.DEPARTMENT_MAX_LENGTH,
        required=False,
    )
    channel = forms.ChoiceField(
        choices=[*ANY, *Channel.choices], required=False, label=gettext_lazy("Channel")
    )
    priority = forms.TypedChoiceField(
        choices=[*ANY, *Priority.choices],
        coerce=int,
        empty_value=None,
        required=False,
        label=gettext_lazy("Priority"),
    )
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)

    @classmethod
    def initial_for(cls, rule: SLAPolicyRule) -> dict[str, Any]:
        return {
            "name": rule.name,
            "position": rule.position,
            "policy": rule.policy.slug,
            "service": rule.service.slug if rule.service else "",
            "category": rule.category_id or "",
            "caller_vip": rule.caller_vip,
            "caller_department": rule.caller_department,
            "channel": rule.channel,
            "priority": rule.priority or "",
            "is_active": rule.is_active,
        }

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        if data.get("position") is None:
            data.pop("position", None)
        data["channel"] = data.get("channel") or ""
        return data


class PolicyTesterForm(forms.Form):
    """The facts a rule reads, for a dry run: no incident is written."""

    caller = forms.CharField(
        max_length=150,
        required=False,
        help_text=gettext_lazy("A username; empty: an ordinary caller."),
        label=gettext_lazy("Caller"),
    )
    channel = forms.ChoiceField(choices=Channel.choices, initial=Channel.PHONE, label=gettext_lazy("Channel"))
    service = forms.ModelChoiceField(
        queryset=Service.objects.order_by("name"),
        to_field_name="slug",
        required=False,
        empty_label=gettext_lazy("None"),
        label=gettext_lazy("Service"),
    )
    category = CategoryChoiceField(
        queryset=Category.objects.select_related("parent").order_by("parent__name", "name"),
        required=False,
        empty_label=gettext_lazy("None"),
        label=gettext_lazy("Category"),
    )
    impact = forms.TypedChoiceField(
        choices=Level.choices, coerce=int, initial=Level.MEDIUM, label=gettext_lazy("Impact")
    )
    urgency = forms.TypedChoiceField(
        choices=Level.choices, coerce=int, initial=Level.MEDIUM, label=gettext_lazy("Urgency")
    )
