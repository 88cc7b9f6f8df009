from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from escalation.access import Access
from escalation.choices import Role
from escalation.models import SupportGroup
from incidents.selectors import incidents_visible_to
from knowledge.models import Quiz
from knowledge.selectors import articles_visible_to
from reporting.periods import Month
from reporting.selectors import latest_reports

from .models import Decision, Session, TrainingPlan
from .services import ItemSpec


def staff_people() -> Any:
    return (
        get_user_model().objects.filter(is_active=True).exclude(groups=None).order_by("username").distinct()
    )


class SessionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Session.Kind.choices)
    title = forms.CharField(label=_("Title"), max_length=Session.TITLE_MAX_LENGTH)
    starts_at = forms.DateTimeField(
        label=_("Starts at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"), min_value=1, max_value=480, initial=60
    )
    location = forms.CharField(label=_("Place or call link"), max_length=200, required=False)
    agenda = forms.CharField(
        label=_("Agenda (Markdown)"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        max_length=10_000,
    )
    months = forms.MultipleChoiceField(
        label=_("Monthly reports reviewed"), required=False, widget=forms.SelectMultiple(attrs={"size": 4})
    )
    topic = forms.CharField(label=_("Topic"), max_length=200, required=False)
    articles: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(
        label=_("Articles"), queryset=None, required=False, to_field_name="number"
    )
    incidents: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(
        label=_("Major incidents"), queryset=None, required=False, to_field_name="number"
    )
    users: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(
        label=_("People invited"), queryset=None, required=False, to_field_name="username"
    )
    groups: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(
        label=_("Groups invited (every member)"), queryset=None, required=False, to_field_name="slug"
    )

    def __init__(self, *args: Any, access: Access, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["months"].choices = [  # type: ignore[attr-defined]
            (f"{r.month:%Y-%m}", f"{r.month:%B %Y}") for r in latest_reports()[:24]
        ]
        self.fields["articles"].queryset = articles_visible_to(access).order_by("number")  # type: ignore[attr-defined]
        self.fields["incidents"].queryset = (  # type: ignore[attr-defined]
            incidents_visible_to(access).filter(major_incident=True).order_by("-created_at")[:50]
        )
        self.fields["users"].queryset = staff_people()  # type: ignore[attr-defined]
        self.fields["groups"].queryset = SupportGroup.objects.filter(is_active=True)  # type: ignore[attr-defined]

    def clean_months(self) -> list[Month]:
        return [Month.parse(v) for v in self.cleaned_data["months"]]


class AttendanceForm(forms.Form):
    present = forms.MultipleChoiceField(
        label=_("Present"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, invitees: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["present"].choices = [  # type: ignore[attr-defined]
            (str(i.user_id), i.user.get_full_name() or i.user.get_username()) for i in invitees
        ]
        self.fields["present"].initial = [str(i.user_id) for i in invitees if i.attended]


class MinutesForm(forms.Form):
    minutes = forms.CharField(
        label=_("Minutes (Markdown)"),
        widget=forms.Textarea(attrs={"rows": 8}),
        required=False,
        max_length=50_000,
    )


class DecisionForm(forms.Form):
    text = forms.CharField(label=_("Decision"), max_length=Decision.TEXT_MAX_LENGTH)
    owner: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Owner of the action"), queryset=None, required=False, to_field_name="username"
    )
    due_date = forms.DateField(
        label=_("Due date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_people()  # type: ignore[attr-defined]


class TrainingPlanForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=TrainingPlan.TITLE_MAX_LENGTH)
    group: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("For the members of the group"), queryset=None, required=False, to_field_name="slug"
    )
    role = forms.ChoiceField(label=_("Or for everyone with the role"), required=False)
    quiz: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Quiz to pass"), queryset=None, required=False, to_field_name="slug"
    )
    quiz_due = forms.DateField(
        label=_("Quiz due"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    pass_percent = forms.IntegerField(label=_("Pass mark (%)"), min_value=1, max_value=100, initial=80)
    articles: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(
        label=_("Articles to read"), queryset=None, required=False, to_field_name="number"
    )
    articles_due = forms.DateField(
        label=_("Articles due"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    session: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Session to attend"), queryset=None, required=False
    )
    newcomer_days = forms.IntegerField(
        label=_("Days a newcomer has after joining"), min_value=0, max_value=365, initial=14
    )
    is_escalation_process = forms.BooleanField(
        label=_("This is the escalation-process training (shown on the escalation register)"), required=False
    )

    def __init__(self, *args: Any, access: Access, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = SupportGroup.objects.filter(is_active=True)  # type: ignore[attr-defined]
        self.fields["role"].choices = [("", "---------"), *((r.value, r.label) for r in Role)]  # type: ignore[attr-defined]
        self.fields["quiz"].queryset = Quiz.objects.order_by("title")  # type: ignore[attr-defined]
        self.fields["articles"].queryset = articles_visible_to(access).order_by("number")  # type: ignore[attr-defined]
        coming = Session.objects.filter(starts_at__gte=timezone.now()).order_by("starts_at")
        self.fields["session"].queryset = coming  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for target, due in (("quiz", "quiz_due"), ("articles", "articles_due"), ("session", "session_due")):
            if data.get(target) and due in self.fields and not data.get(due):
                self.add_error(due, _("Give a due date."))
        return data

    def item_specs(self) -> list[ItemSpec]:
        data = self.cleaned_data
        specs = []
        if data.get("quiz"):
            specs.append(ItemSpec("quiz", data["quiz"], data["quiz_due"], data["pass_percent"]))
        for article in data.get("articles") or ():
            specs.append(ItemSpec("article", article, data["articles_due"]))
        if data.get("session"):
            specs.append(ItemSpec("session", data["session"], timezone.localdate(data["session"].starts_at)))
        return specs
