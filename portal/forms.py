"""Portal forms: plain words; the services validate and write."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from incidents.models import Incident
from incidents.records.forms import MultipleFileField

from .services import LOCATION_MAX_LENGTH
from .wording import AFFECTED, STOPS_WORK


class ReportForm(forms.Form):
    title = forms.CharField(
        label=gettext_lazy("What is wrong?"),
        max_length=Incident.TITLE_MAX_LENGTH,
        help_text=gettext_lazy("In a few words, e.g. “I cannot print to the second-floor printer”."),
    )
    description = forms.CharField(
        label=gettext_lazy("Tell us more"),
        required=False,
        max_length=Incident.DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("What you were doing, what you saw (error messages), since when."),
    )
    stops_work = forms.ChoiceField(
        label=gettext_lazy("How much does it stop your work?"), choices=STOPS_WORK, widget=forms.RadioSelect
    )
    affected = forms.ChoiceField(
        label=gettext_lazy("Who is affected?"), choices=AFFECTED, widget=forms.RadioSelect
    )
    location = forms.CharField(
        label=gettext_lazy("Where are you?"),
        required=False,
        max_length=LOCATION_MAX_LENGTH,
        help_text=gettext_lazy("Building, floor or room, if it matters."),
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
    )
    attachments = MultipleFileField(label=gettext_lazy("Screenshots or files"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attachments"].widget.attrs["class"] = "form-control"
        for choice in ("stops_work", "affected"):
            self.fields[choice].widget.attrs["class"] = "form-check-input"


class CommentForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Your message"),
        max_length=Incident.COMMENT_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    attachments = MultipleFileField(label=gettext_lazy("Add files"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].widget.attrs["class"] = "form-control"
        self.fields["attachments"].widget.attrs["class"] = "form-control"

    def clean(self):
        data = super().clean() or {}
        if not (data.get("body") or "").strip() and not data.get("attachments"):
            raise forms.ValidationError(_("Write a message or choose a file."))
        return data


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("What is still wrong?"),
        max_length=Incident.REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )


class WatcherForm(forms.Form):
    email = forms.EmailField(
        label=gettext_lazy("Colleague's email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"class": "form-control", "autocomplete": "email"}),
    )
