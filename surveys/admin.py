from django.contrib import admin

from .models import CallerDepartment, ImprovementAction, Programme, SurveyTemplate


@admin.register(CallerDepartment)
class CallerDepartmentAdmin(admin.ModelAdmin):
    list_display = ["user", "name"]
    search_fields = ["user__username", "name"]
    autocomplete_fields = ["user"]


@admin.register(SurveyTemplate)
class SurveyTemplateAdmin(admin.ModelAdmin):
    """Read-only here: templates are edited (and versioned) on the product's Surveys pages."""

    list_display = ["name", "created_at"]

    def has_change_permission(self, request, obj=None):
        return False


admin.site.register(Programme)
admin.site.register(ImprovementAction)
