from django.contrib import admin

from .models import Category, Incident, IncidentEvent, PriorityMatrixEntry, Service


@admin.register(PriorityMatrixEntry)
class PriorityMatrixEntryAdmin(admin.ModelAdmin):
    list_display = ("impact", "urgency", "priority")
    list_editable = ("priority",)
    ordering = ("impact", "urgency")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "parent", "slug", "is_active")
    list_filter = ("is_active", "parent")
    prepopulated_fields = {"slug": ("name",)}
    search_fields = ("name",)


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "is_active")
    prepopulated_fields = {"slug": ("name",)}
    search_fields = ("name",)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Incidents and their log change only through the services (the browser and the API)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdmin):
    list_display = ("number", "title", "status", "priority", "assignment_group", "assigned_to", "created_at")
    list_filter = ("status", "priority", "assignment_group", "sla_state")
    search_fields = ("number", "title")
    list_select_related = ("assignment_group", "assigned_to")
    show_full_result_count = False


@admin.register(IncidentEvent)
class IncidentEventAdmin(ReadOnlyAdmin):
    list_display = ("incident", "kind", "actor", "created_at", "public")
    list_filter = ("kind", "public")
    list_select_related = ("incident", "actor")
    raw_id_fields = ("incident",)
    show_full_result_count = False
