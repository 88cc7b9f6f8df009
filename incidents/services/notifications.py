"""The in-app inbox: marking one's own notifications read."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.utils import timezone

from ..models import Notification

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def notifications_mark_read(*, user: User, pks: list[int] | None = None, now: datetime | None = None) -> int:
    """Mark the user's own notifications read: the given ones, or all. Returns how many changed."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if pks is not None:
        qs = qs.filter(pk__in=pks)
    return qs.update(read_at=now or timezone.now())
