from django.contrib import admin

from .models import ImprovementAction, Programme, SurveyTemplate


@admin.register(SurveyTemplate)
class SurveyTemplateAdmin(admin.ModelAdmin):
    """Read-only here: templates are edited (and versioned) on the product's Surveys pages."""

    list_display = ["name", "created_at"]

    def has_change_permission(self, request, obj=None):
        return False


admin.site.register(Programme)
admin.site.register(ImprovementAction)
