from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class RoutingSettingsForm(forms.Form):
    routing_enabled = forms.BooleanField(
        required=False,
        label=_("Route mail and portal incidents by suggestion"),
        help_text=_("Below the threshold, or when off, new incidents go to the service desk as before."),
    )
    routing_threshold = forms.FloatField(
        min_value=0.5,
        max_value=1.0,
        label=_("Confidence threshold"),
        help_text=_("Between 0.5 and 1: the suggested group must be at least this sure."),
    )
