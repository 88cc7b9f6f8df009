from django.contrib import admin

from .models import Membership, SupportGroup


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ("user",)


@admin.register(SupportGroup)
class SupportGroupAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "kind", "tier", "email", "phone", "is_active")
    list_filter = ("kind", "tier", "is_active")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [MembershipInline]
