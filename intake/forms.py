from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy


class ReviewForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("accept", gettext_lazy("Accept")), ("discard", gettext_lazy("Discard"))],
        label=gettext_lazy("Action"),
    )
    caller = forms.CharField(
        required=False,
        max_length=150,
        label=gettext_lazy("Caller (username or email)"),
        help_text=gettext_lazy(
            "Leave empty to open it for the sender, creating their end-user account if needed."
        ),
    )
