from __future__ import annotations

from django import forms


class ReviewForm(forms.Form):
    action = forms.ChoiceField(choices=[("accept", "Accept"), ("discard", "Discard")])
    caller = forms.CharField(
        required=False,
        max_length=150,
        label="Caller (username or email)",
        help_text="Leave empty to open it for the sender, creating their end-user account if needed.",
    )
