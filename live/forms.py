from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from escalation.access import Access
from escalation.models import SupportGroup


class SavedViewForm(forms.Form):
    name = forms.CharField(label=_("View name"), max_length=80)
    group = forms.ModelChoiceField(
        label=_("Share with"),
        queryset=SupportGroup.objects.none(),
        required=False,
        empty_label=_("Only me"),
    )
    query = forms.CharField(required=False, max_length=1000, widget=forms.HiddenInput)

    def __init__(self, *args: Any, access: Access, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        groups = SupportGroup.objects.filter(is_active=True).order_by("tier", "name")
        if not access.is_incident_manager:
            groups = groups.filter(pk__in=list(access.group_ids))
        self.fields["group"].queryset = groups  # type: ignore[attr-defined]
