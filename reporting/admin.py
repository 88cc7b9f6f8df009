"""Configuration screens: who receives the monthly mail, and read-only views of snapshots and deliveries."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from .models import MonthlyReport, ReportDelivery, ReviewAction, Subscriber


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ["user", "added_by", "created_at"]
    raw_id_fields = ["user"]
    readonly_fields = ["added_by", "created_at"]

    def save_model(self, request: Any, obj: Subscriber, form: Any, change: bool) -> None:
        if not change:
            obj.added_by = request.user
        super().save_model(request, obj, form, change)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(MonthlyReport)
class MonthlyReportAdmin(ReadOnlyAdmin):
    list_display = ["month", "created_at", "code_version", "automatic", "created_by"]
    list_filter = ["automatic"]


@admin.register(ReportDelivery)
class ReportDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["month", "email", "sent_at", "attempts", "last_error"]


@admin.register(ReviewAction)
class ReviewActionAdmin(admin.ModelAdmin):
    list_display = ["title", "month", "owner", "due_date", "status"]
    list_filter = ["status"]
    raw_id_fields = ["owner", "created_by"]
