"""The forms of the major-incident and security pages (issue 13)."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..records.models import Incident
from .models import SecurityStep
from .services.major import ActionItem


class MajorUpdateForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Status update"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "Goes to the callers of the linked incidents and on the portal banner of the service."
        ),
    )


class LinkChildForm(forms.Form):
    child = forms.CharField(max_length=Incident.NUMBER_MAX_LENGTH, label=gettext_lazy("Child"))


class ReviewForm(forms.Form):
    """The post-incident review. Actions are one per line: ``owner | YYYY-MM-DD | what``."""

    summary = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), max_length=20_000, label=gettext_lazy("Summary")
    )
    root_cause = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=20_000,
        help_text=gettext_lazy("Or give the problem reference below."),
        label=gettext_lazy("Root cause"),
    )
    problem_reference = forms.CharField(
        required=False, max_length=Incident.REFERENCE_MAX_LENGTH, label=gettext_lazy("Problem reference")
    )
    actions = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=20_000,
        help_text=gettext_lazy("One per line: owner username | due date (YYYY-MM-DD) | what is to be done."),
        label=gettext_lazy("Actions"),
    )
    timeline = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}), max_length=20_000, label=gettext_lazy("Timeline")
    )

    def clean_actions(self) -> list[Any]:
        users = get_user_model().objects
        items, errors = [], []
        for n, line in enumerate(self.cleaned_data["actions"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split("|", 2)]
            if len(parts) != 3 or not parts[2]:
                errors.append(f"Line {n}: write “owner | YYYY-MM-DD | what”.")
                continue
            owner = users.filter(username=parts[0], is_active=True).first()
            if owner is None:
                errors.append(f"Line {n}: there is no active user “{parts[0]}”.")
                continue
            try:
                due = date.fromisoformat(parts[1])
            except ValueError:
                errors.append(f"Line {n}: “{parts[1]}” is not a date (YYYY-MM-DD).")
                continue
            items.append(ActionItem(description=parts[2][:500], owner=owner, due_date=due))
        if errors:
            raise forms.ValidationError(errors)
        if not items:
            raise forms.ValidationError(_("List at least one action, with its owner and due date."))
        return items


class SecurityStepForm(forms.Form):
    step = forms.ChoiceField(choices=[], label=gettext_lazy("Step"))
    note = forms.CharField(
        required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2}), label=gettext_lazy("Note")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["step"]).choices = SecurityStep.Step.choices
