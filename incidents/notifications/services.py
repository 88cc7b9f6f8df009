"""The in-app inbox: marking one's own notifications read; what mail one mutes."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.utils import timezone

from .models import Notification, NotificationPreference

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def notifications_mark_read(*, user: User, pks: list[int] | None = None, now: datetime | None = None) -> int:
    """Mark the user's own notifications read: the given ones, or all. Returns how many changed."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if pks is not None:
        qs = qs.filter(pk__in=pks)
    return qs.update(read_at=now or timezone.now())


def notification_preferences_update(
    *, user: User, mute_comment_mail: bool, mute_assignment_mail: bool, now: datetime | None = None
) -> NotificationPreference:
    """Store what mail the user mutes. SLA escalations to a point of escalation cannot be muted."""
    preference, _ = NotificationPreference.objects.update_or_create(
        user=user,
        defaults={
            "mute_comment_mail": bool(mute_comment_mail),
            "mute_assignment_mail": bool(mute_assignment_mail),
            "updated_at": now or timezone.now(),
        },
    )
    return preference
