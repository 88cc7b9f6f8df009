"""Browser forms of the toolkit: they shape input; the services validate and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from escalation.models import SupportGroup
from incidents.models import Category, Channel, Service

from .models import AssignmentMode, Macro, ResponseTemplate, RoutingRule
from .services import VARIABLES


class ResponseTemplateForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    body = forms.CharField(
        label=_("Text"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Variables: %(variables)s") % {"variables": ", ".join(VARIABLES)},
    )
    share = forms.ChoiceField(label=_("Who may use it"))
    language = forms.CharField(
        label=_("Language"),
        max_length=10,
        required=False,
        help_text=_("A language code such as de; blank for all."),
    )

    def __init__(self, *args: Any, groups: list[SupportGroup], everyone: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, Any]] = [("personal", _("Only me"))]
        choices += [(f"group:{g.slug}", _("Group %(name)s") % {"name": g.name}) for g in groups]
        if everyone:
            choices.append(("everyone", _("Every agent")))
        self.fields["share"].choices = choices  # type: ignore[attr-defined]
        self.groups = {g.slug: g for g in groups}

    @staticmethod
    def initial_share(template: ResponseTemplate) -> str:
        if template.owner_id:
            return "personal"
        return f"group:{template.group.slug}" if template.group else "everyone"

    def scope(self) -> dict[str, Any]:
        share = self.cleaned_data["share"]
        if share == "personal":
            return {"personal": True, "group": None}
        if share == "everyone":
            return {"personal": False, "group": None}
        return {"personal": False, "group": self.groups[share.split(":", 1)[1]]}


class MacroForm(forms.ModelForm):
    class Meta:
        model = Macro
        fields = [
            "name",
            "description",
            "group",
            "assignment_group",
            "category",
            "impact",
            "urgency",
            "public_reply",
            "internal_note",
            "set_status",
            "hold_reason",
            "resolution_code",
            "is_active",
        ]
        widgets = {
            "public_reply": forms.Textarea(attrs={"rows": 4}),
            "internal_note": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "public_reply": _("Sent to the caller. Variables: %(variables)s")
            % {"variables": ", ".join(VARIABLES)},
            "group": _("Offered only to this group's members; blank for every agent."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        active = SupportGroup.objects.filter(is_active=True).order_by("name")
        self.fields["group"].queryset = active  # type: ignore[attr-defined]
        self.fields["assignment_group"].queryset = active  # type: ignore[attr-defined]
        self.fields["category"].queryset = Category.objects.filter(  # type: ignore[attr-defined]
            is_active=True, parent__isnull=True
        )


class ApplyForm(forms.Form):
    """Apply a macro to the incident at the version the person saw."""

    version = forms.IntegerField(widget=forms.HiddenInput)


class BulkApplyForm(forms.Form):
    macro = forms.IntegerField()


class RoutingRuleForm(forms.ModelForm):
    channel = forms.ChoiceField(label=_("Channel"), required=False)

    class Meta:
        model = RoutingRule
        fields = [
            "name",
            "position",
            "category",
            "service",
            "caller_department",
            "keywords",
            "channel",
            "group",
            "is_active",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [("", _("Any channel")), *Channel.choices]  # type: ignore[attr-defined]
        self.fields["category"].queryset = Category.objects.filter(  # type: ignore[attr-defined]
            is_active=True
        ).select_related("parent")
        self.fields["service"].queryset = Service.objects.filter(is_active=True)  # type: ignore[attr-defined]
        self.fields["group"].queryset = (  # type: ignore[attr-defined]
            SupportGroup.objects.filter(is_active=True)
            .exclude(kind=SupportGroup.Kind.CONSULTED)
            .order_by("name")
        )

    def fingerprint(self) -> str:
        """What the dry run was run on: saving needs a dry run of exactly these values first."""
        data = self.cleaned_data
        return "|".join(str(getattr(data.get(f), "pk", data.get(f))) for f in self.Meta.fields)


class GroupModeForm(forms.Form):
    mode = forms.ChoiceField(choices=AssignmentMode.choices)


class TimeForm(forms.Form):
    minutes = forms.IntegerField(label=_("Minutes worked"), min_value=1, max_value=24 * 60)
    note = forms.CharField(label=_("What you did"), max_length=200, required=False)


class TagForm(forms.Form):
    tag = forms.CharField(label=_("Tag"), max_length=60)


class TimeReportForm(forms.Form):
    """The time report's period (days in the organisation's time zone) and its narrowing filters."""

    MAX_DAYS = 3 * 366

    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To (inclusive)"), widget=forms.DateInput(attrs={"type": "date"}))
    group = forms.SlugField(label=_("Group"), required=False, max_length=50)
    tag = forms.CharField(label=_("Tag"), required=False, max_length=60)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                raise forms.ValidationError(_("The period ends before it starts."))
            if (end - start).days > self.MAX_DAYS:
                raise forms.ValidationError(_("Choose a period of at most three years."))
        return data
