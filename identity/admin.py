"""The administrator's side: the group mapping, the accounts' second factor and data, the audit."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import two_factor
from .models import Account, AccountAudit, DirectoryAccount, DirectoryGroupMapping
from .userdata import user_erase, user_export


@admin.register(DirectoryGroupMapping)
class DirectoryGroupMappingAdmin(admin.ModelAdmin):
    list_display = ["directory_group", "role", "support_group", "is_lead"]
    list_filter = ["role", "support_group"]
    search_fields = ["directory_group"]


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["username", "first_name", "last_name", "email", "is_active", "sign_in"]
    search_fields = ["username", "first_name", "last_name", "email"]
    fields = ("username", "first_name", "last_name", "email", "is_active")
    readonly_fields = fields
    actions = ["reset_second_factor", "export_data", "erase"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("signs in with"))
    def sign_in(self, obj: Any) -> str:
        account = DirectoryAccount.objects.filter(user=obj).first()
        return str(account.get_source_display()) if account else str(_("password"))

    @admin.action(description=_("Reset the second factor of the selected accounts"))
    def reset_second_factor(self, request: HttpRequest, queryset: QuerySet) -> None:
        for user in queryset:
            two_factor.second_factor_reset(actor=request.user, user=user)
        count = queryset.count()
        self.message_user(
            request,
            ngettext(
                "Second factor reset for %(count)d account: they set it up again at their next sign-in.",
                "Second factor reset for %(count)d accounts: they set it up again at their next sign-in.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Export the data of the selected accounts (JSON)"))
    def export_data(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        data = {user.username: user_export(user=user, actor=request.user) for user in queryset}
        response = JsonResponse(data, json_dumps_params={"indent": 2, "ensure_ascii": False})
        response["Content-Disposition"] = 'attachment; filename="users-data.json"'
        return response

    @admin.action(description=_("Erase the selected accounts (personal data anonymised, records kept)"))
    def erase(self, request: HttpRequest, queryset: QuerySet) -> None:
        users = [user for user in queryset if user.pk != request.user.pk]
        for user in users:
            user_erase(user=user, actor=request.user)
        self.message_user(
            request,
            ngettext("%(count)d account erased.", "%(count)d accounts erased.", len(users))
            % {"count": len(users)},
            messages.SUCCESS,
        )


@admin.register(AccountAudit)
class AccountAuditAdmin(admin.ModelAdmin):
    list_display = ["at", "action", "subject_label", "actor_label"]
    list_filter = ["action"]
    search_fields = ["subject_label", "actor_label"]
    readonly_fields = ["at", "action", "actor", "actor_label", "subject", "subject_label", "detail"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
