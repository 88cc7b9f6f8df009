from django import template

from incidents.models import Attachment

from .. import services

register = template.Library()


@register.filter
def attachment_preview(attachment: Attachment) -> services.Preview:
    """``{% with preview=attachment|attachment_preview %}``: the pages its viewer shows (0: none).
    The template has the attachment from a permission-checked read (the incident's timeline)."""
    return services.preview_of(attachment)


@register.filter
def previewable(attachment: Attachment) -> bool:
    return services.previewable(attachment)
