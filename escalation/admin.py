from typing import Any

from django.contrib import admin

from .access import access_of
from .models import (
    BusinessCalendar,
    CallerProfile,
    ContactPerson,
    EscalationPoint,
    EscalationRule,
    Holiday,
    Membership,
    OLATarget,
    RegisterChange,
    SLAPolicy,
    SLATarget,
    SupportGroup,
    WorkingHours,
)
from .services import register_delete, register_save


class IncidentManagerEdits:
    """The register and the SLA configuration are edited by the incident manager (SPEC §5)."""

    def has_view_permission(self, request: Any, obj: Any = None) -> bool:
        return access_of(request).is_incident_manager or super().has_view_permission(request, obj)  # type: ignore[misc]

    def has_module_permission(self, request: Any) -> bool:
        return access_of(request).is_incident_manager or super().has_module_permission(request)  # type: ignore[misc]

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return access_of(request).is_incident_manager

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return access_of(request).is_incident_manager

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return access_of(request).is_incident_manager


class AuditedInline(IncidentManagerEdits, admin.TabularInline):
    extra = 0


class AuditedAdmin(IncidentManagerEdits, admin.ModelAdmin):
    """Every save and delete, of the object and of its inlines, goes through the logging services."""

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        register_save(actor=request.user, instance=obj)

    def delete_model(self, request: Any, obj: Any) -> None:
        register_delete(actor=request.user, instance=obj)

    def delete_queryset(self, request: Any, queryset: Any) -> None:
        for obj in queryset:
            register_delete(actor=request.user, instance=obj)

    def save_formset(self, request: Any, form: Any, formset: Any, change: bool) -> None:
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            register_delete(actor=request.user, instance=obj)
        for obj in instances:
            register_save(actor=request.user, instance=obj)
        formset.save_m2m()


class MembershipInline(AuditedInline):
    model = Membership
    extra = 1
    autocomplete_fields = ("user",)


class ContactPersonInline(AuditedInline):
    model = ContactPerson


class EscalationPointInline(AuditedInline):
    model = EscalationPoint
    autocomplete_fields = ("user",)


@admin.register(SupportGroup)
class SupportGroupAdmin(AuditedAdmin):
    list_display = ("name", "slug", "kind", "tier", "email", "phone", "is_active")
    list_filter = ("kind", "tier", "is_active")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [ContactPersonInline, EscalationPointInline, MembershipInline]


@admin.register(EscalationRule)
class EscalationRuleAdmin(AuditedAdmin):
    list_display = ("name", "priority", "from_tier", "from_group", "after_minutes", "to_group", "is_active")
    list_filter = ("is_active", "priority", "from_tier")
    prepopulated_fields = {"slug": ("name",)}


class WorkingHoursInline(AuditedInline):
    model = WorkingHours


class HolidayInline(AuditedInline):
    model = Holiday


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(AuditedAdmin):
    list_display = ("name", "slug", "time_zone", "is_24x7")
    inlines = [WorkingHoursInline, HolidayInline]


class SLATargetInline(AuditedInline):
    model = SLATarget


class OLATargetInline(AuditedInline):
    model = OLATarget


@admin.register(SLAPolicy)
class SLAPolicyAdmin(AuditedAdmin):
    list_display = ("name", "slug", "calendar", "is_default")
    inlines = [SLATargetInline, OLATargetInline]


@admin.register(CallerProfile)
class CallerProfileAdmin(AuditedAdmin):
    """What the SLA policy rules read of a caller (VIP, department)."""

    list_display = ("user", "department", "is_vip")
    list_filter = ("is_vip",)
    search_fields = ("user__username", "user__email", "department")
    autocomplete_fields = ("user",)


@admin.register(RegisterChange)
class RegisterChangeAdmin(IncidentManagerEdits, admin.ModelAdmin):
    """The audit log: readable, never editable."""

    list_display = ("at", "actor", "action", "model", "object_repr")
    list_filter = ("model", "action")
    readonly_fields = ("at", "actor", "action", "model", "object_id", "object_repr", "changes")

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
