from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy

from escalation.models import SupportGroup
from incidents.models import Category, Service

from .models import Article, Visibility


class ArticleForm(forms.Form):
    title = forms.CharField(max_length=Article.TITLE_MAX_LENGTH, label=gettext_lazy("Title"))
    symptoms = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=Article.TEXT_MAX_LENGTH,
        help_text=gettext_lazy("What the caller sees, in their words: suggestions match on this. Markdown."),
        label=gettext_lazy("Symptoms"),
    )
    cause = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=Article.TEXT_MAX_LENGTH,
        label=gettext_lazy("Cause"),
    )
    workaround = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=Article.TEXT_MAX_LENGTH,
        label=gettext_lazy("Workaround"),
    )
    resolution = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=Article.TEXT_MAX_LENGTH,
        label=gettext_lazy("Resolution"),
    )
    visibility = forms.ChoiceField(choices=Visibility.choices, label=gettext_lazy("Visibility"))
    category = forms.ModelChoiceField(
        queryset=Category.objects.none(), required=False, label=gettext_lazy("Category")
    )
    service = forms.ModelChoiceField(
        queryset=Service.objects.none(), required=False, label=gettext_lazy("Service")
    )
    owner = forms.ModelChoiceField(queryset=get_user_model().objects.none(), label=gettext_lazy("Owner"))
    review_on = forms.DateField(
        label=gettext_lazy("Next review date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: dict[str, Any] = self.fields
        fields["category"].queryset = Category.objects.filter(is_active=True).select_related("parent")
        fields["service"].queryset = Service.objects.filter(is_active=True)
        fields["owner"].queryset = (
            get_user_model()
            .objects.filter(is_active=True)
            .filter(Q(memberships__isnull=False) | Q(groups__isnull=False) | Q(is_staff=True))
            .distinct()
            .order_by("username")
        )


def article_initial(article: Article) -> dict[str, Any]:
    return {
        "title": article.title,
        "symptoms": article.symptoms,
        "cause": article.cause,
        "workaround": article.workaround,
        "resolution": article.resolution,
        "visibility": article.visibility,
        "category": article.category_id,
        "service": article.service_id,
        "owner": article.owner_id,
        "review_on": article.review_on,
    }


class AssignForm(forms.Form):
    group = forms.ModelChoiceField(
        queryset=SupportGroup.objects.filter(is_active=True, kind="support"), label=gettext_lazy("Group")
    )
    due_on = forms.DateField(label=gettext_lazy("Due date"), widget=forms.DateInput(attrs={"type": "date"}))
