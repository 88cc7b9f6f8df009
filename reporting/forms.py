from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy

from .models import ReviewAction, ReviewNote


class ReviewNoteForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Review note"),
        max_length=ReviewNote.BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReviewActionForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Agreed action"), max_length=ReviewAction.TITLE_MAX_LENGTH)
    owner = forms.ModelChoiceField(
        label=gettext_lazy("Owner"), queryset=get_user_model().objects.none(), to_field_name="username"
    )
    due_date = forms.DateField(label=gettext_lazy("Due date"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ModelChoiceField)
        owner.queryset = (
            get_user_model()
            .objects.filter(is_active=True)
            .exclude(groups=None)
            .order_by("username")
            .distinct()
        )
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control")


class ReviewStatusForm(forms.Form):
    status = forms.ChoiceField(choices=ReviewAction.Status.choices, label=gettext_lazy("Status"))
