from django.contrib import admin

from .models import InboundMessage


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    """Read-only: what mail intake did with each message. Decisions are taken on the review page."""

    list_display = ("received_at", "sender", "subject", "outcome", "review_reason", "incident")
    list_filter = ("outcome", "review_reason")
    search_fields = ("sender", "subject", "message_id")
    list_select_related = ("incident",)
    exclude = ("raw",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
