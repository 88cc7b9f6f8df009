from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from escalation.choices import Priority

from .models import ImprovementAction, Programme, Question, SurveyTemplate, TemplateVersion
from .services import QuestionSpec, QuestionTranslation

User = get_user_model()


class TemplateForm(forms.Form):
    name = forms.CharField(max_length=SurveyTemplate.NAME_MAX_LENGTH, label=gettext_lazy("Name"))
    intro = forms.CharField(
        max_length=300,
        required=False,
        label=gettext_lazy("Introduction"),
        help_text=gettext_lazy("One sentence shown above the questions."),
    )

    def __init__(self, *args: Any, instance: SurveyTemplate | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance = instance

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        clash = SurveyTemplate.objects.filter(name__iexact=name)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(_("Another template has this name."))
        return name


class QuestionForm(forms.Form):
    text = forms.CharField(
        max_length=Question.TEXT_MAX_LENGTH, required=False, label=gettext_lazy("Question")
    )
    kind = forms.ChoiceField(
        choices=Question.Kind.choices, initial=Question.Kind.RATING, label=gettext_lazy("Type")
    )
    required = forms.BooleanField(required=False, label=gettext_lazy("Required"))
    choices = forms.CharField(
        required=False,
        label=gettext_lazy("Options"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Single choice only: one option per line."),
    )

    def spec(self) -> QuestionSpec | None:
        data = self.cleaned_data
        if not data.get("text", "").strip():
            return None
        options = tuple(line.strip()[:100] for line in data.get("choices", "").splitlines() if line.strip())
        return QuestionSpec(
            kind=data["kind"], text=data["text"].strip(), required=data["required"], choices=options
        )


QuestionFormSet = forms.formset_factory(QuestionForm, extra=2, max_num=10, absolute_max=12)


def question_initial(template: SurveyTemplate | None) -> list[dict[str, Any]]:
    version = template.current_version() if template else None
    if version is None:
        return [
            {
                "kind": Question.Kind.RATING,
                "text": "How satisfied are you with how we handled it?",
                "required": True,
            }
        ]
    return [
        {"text": q.text, "kind": q.kind, "required": q.required, "choices": "\n".join(q.choices)}
        for q in version.questions.all()
    ]


class ProgrammeForm(forms.ModelForm):
    priorities = forms.TypedMultipleChoiceField(
        choices=Priority.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("Priorities"),
    )
    departments = forms.CharField(
        required=False,
        help_text=gettext_lazy("Caller departments, comma-separated; empty for every department."),
        label=gettext_lazy("Departments"),
    )

    class Meta:
        model = Programme
        fields = [
            "name",
            "kind",
            "template",
            "is_active",
            "published",
            "link_valid_days",
            "reminder_days_before_expiry",
            "trigger",
            "sample_percent",
            "groups",
            "categories",
            "services",
            "priorities",
            "departments",
            "audience",
            "period_days",
            "starts_on",
            "ends_on",
        ]
        labels = {
            "name": gettext_lazy("Name"),
            "kind": gettext_lazy("Kind"),
            "template": gettext_lazy("Template"),
            "is_active": gettext_lazy("Is active"),
            "published": gettext_lazy("Published"),
            "link_valid_days": gettext_lazy("Link valid days"),
            "reminder_days_before_expiry": gettext_lazy("Reminder days before expiry"),
            "trigger": gettext_lazy("Trigger"),
            "sample_percent": gettext_lazy("Sample percent"),
            "groups": gettext_lazy("Groups"),
            "categories": gettext_lazy("Categories"),
            "services": gettext_lazy("Services"),
            "audience": gettext_lazy("Audience"),
            "period_days": gettext_lazy("Period days"),
            "starts_on": gettext_lazy("Starts on"),
            "ends_on": gettext_lazy("Ends on"),
        }
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
        }
        help_texts = {
            "sample_percent": gettext_lazy(
                "Percentage of matching incidents whose caller is invited (0–100)."
            )
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["departments"] = ", ".join(self.instance.departments)
        cast(forms.ModelMultipleChoiceField, self.fields["audience"]).queryset = User.objects.filter(
            is_active=True
        ).order_by("username")
        self.fields["audience"].help_text = "Perception programmes: who receives each round."

    def clean_departments(self) -> list[str]:
        raw = self.cleaned_data.get("departments") or ""
        return [d.strip() for d in raw.split(",") if d.strip()]

    def clean_sample_percent(self) -> int:
        value = self.cleaned_data["sample_percent"]
        if value > 100:
            raise forms.ValidationError(_("A percentage is at most 100."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("The end date comes after the start date."))
        if data.get("link_valid_days") == 0:
            self.add_error("link_valid_days", _("A link must be valid for at least one day."))
        return data


class ActionForm(forms.ModelForm):
    class Meta:
        model = ImprovementAction
        fields = ["programme", "title", "description", "owner", "due_on", "status"]
        labels = {
            "programme": gettext_lazy("Programme"),
            "title": gettext_lazy("Title"),
            "description": gettext_lazy("Description"),
            "owner": gettext_lazy("Owner"),
            "due_on": gettext_lazy("Due on"),
            "status": gettext_lazy("Status"),
        }
        widgets = {
            "due_on": forms.DateInput(attrs={"type": "date"}),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        staff = Q(groups__isnull=False) | Q(is_staff=True) | Q(memberships__isnull=False)
        cast(forms.ModelChoiceField, self.fields["owner"]).queryset = (
            User.objects.filter(staff, is_active=True).distinct().order_by("username")
        )


class TranslationForm(forms.Form):
    """A version's wording in one language: the introduction, then each question (and its options)."""

    def __init__(self, *args: Any, version: TemplateVersion, language: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.version, self.language = version, language
        self.questions = list(version.questions.order_by("position"))
        self.fields["intro"] = forms.CharField(
            max_length=300,
            required=False,
            label=gettext_lazy("Introduction"),
            help_text=version.intro,
            initial=version.intro_translations.get(language, ""),
        )
        for q in self.questions:
            shown = q.translations.get(language) or {}
            # A question shipped in the catalogues (the demo's) already reads in the language: shown as
            # the placeholder, for an incident manager who wants other words.
            self.fields[f"q{q.pk}"] = forms.CharField(
                max_length=Question.TEXT_MAX_LENGTH,
                required=False,
                label=q.text,
                initial=shown.get("text", ""),
                widget=forms.TextInput(attrs={"placeholder": Question(text=q.text).localise(language).label}),
            )
            if q.kind == Question.Kind.CHOICE:
                self.fields[f"q{q.pk}_choices"] = forms.CharField(
                    required=False,
                    label=_("Options of “%(text)s”") % {"text": q.text},
                    help_text=" / ".join(q.choices),
                    widget=forms.Textarea(attrs={"rows": len(q.choices)}),
                    initial="\n".join(shown.get("choices") or []),
                )

    def translations(self) -> dict[int, QuestionTranslation]:
        data = self.cleaned_data
        return {
            q.pk: QuestionTranslation(
                text=data.get(f"q{q.pk}", ""),
                choices=tuple(line.strip()[:100] for line in data.get(f"q{q.pk}_choices", "").splitlines()),
            )
            for q in self.questions
        }
