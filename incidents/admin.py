from typing import Any

from django.contrib import admin

from escalation.admin import IncidentManagerEdits

from .records.models import Category, Incident, IncidentEvent, PriorityMatrixEntry, Service
from .records.services import configuration


class ConfigurationAdmin(IncidentManagerEdits, admin.ModelAdmin):
    """The incident manager edits the configuration; every change goes through a service that
    logs it (actor, time, old and new values) in the audit, ``escalation.RegisterChange``."""

    def save(self, request: Any, obj: Any) -> None:
        raise NotImplementedError

    def delete(self, request: Any, obj: Any) -> None:
        raise NotImplementedError

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        self.save(request, obj)

    def delete_model(self, request: Any, obj: Any) -> None:
        self.delete(request, obj)

    def delete_queryset(self, request: Any, queryset: Any) -> None:
        for obj in queryset:
            self.delete(request, obj)


@admin.register(PriorityMatrixEntry)
class PriorityMatrixEntryAdmin(ConfigurationAdmin):
    list_display = ("impact", "urgency", "priority")
    list_editable = ("priority",)
    ordering = ("impact", "urgency")

    def save(self, request: Any, obj: Any) -> None:
        configuration.priority_matrix_save(actor=request.user, entry=obj)

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Category)
class CategoryAdmin(ConfigurationAdmin):
    list_display = ("name", "parent", "slug", "is_active")
    list_filter = ("is_active", "parent")
    prepopulated_fields = {"slug": ("name",)}
    search_fields = ("name",)

    def save(self, request: Any, obj: Any) -> None:
        configuration.category_save(actor=request.user, category=obj)

    def delete(self, request: Any, obj: Any) -> None:
        configuration.category_delete(actor=request.user, category=obj)


@admin.register(Service)
class ServiceAdmin(ConfigurationAdmin):
    list_display = ("name", "slug", "is_active")
    prepopulated_fields = {"slug": ("name",)}
    search_fields = ("name",)

    def save(self, request: Any, obj: Any) -> None:
        configuration.service_save(actor=request.user, service=obj)

    def delete(self, request: Any, obj: Any) -> None:
        configuration.service_delete(actor=request.user, service=obj)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Incidents and their log change only through the services (the browser and the API)."""

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
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
