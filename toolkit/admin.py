"""Absences, working hours and group assignment modes in the administration (issue 23 §2)."""

from django.contrib import admin

from .models import Absence, GroupAssignment, WorkingHours


@admin.register(Absence)
class AbsenceAdmin(admin.ModelAdmin):
    list_display = ["user", "starts_at", "ends_at", "note"]
    list_filter = ["user__memberships__group"]
    search_fields = ["user__username", "note"]
    date_hierarchy = "starts_at"


@admin.register(WorkingHours)
class WorkingHoursAdmin(admin.ModelAdmin):
    list_display = ["user", "weekday", "starts", "ends"]
    list_filter = ["weekday", "user__memberships__group"]
    search_fields = ["user__username"]


@admin.register(GroupAssignment)
class GroupAssignmentAdmin(admin.ModelAdmin):
    list_display = ["group", "mode", "last_user"]
