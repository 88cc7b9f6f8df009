"""Who a user is in the process: roles (Django groups) and tiers (support-group memberships).

These answers are cached on the user object for the length of a request, because every
permission check asks them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from .choices import Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    AnyUser = AbstractBaseUser | AnonymousUser


def user_roles(user: Any) -> frozenset[str]:
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_sd_roles", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._sd_roles = cached
    return cached


def _load_memberships(user: Any) -> None:
    """The user's active groups and their tiers, in one query for both caches (every staff page
    asks for both)."""
    from .models import Membership

    rows = list(
        Membership.objects.filter(user=user, group__is_active=True).values_list("group_id", "group__tier")
    )
    user._sd_group_ids = frozenset(group_id for group_id, _ in rows)
    user._sd_tiers = frozenset(tier for _, tier in rows if tier is not None)


def user_support_group_ids(user: Any) -> frozenset[int]:
    """Ids of the active support and consulted groups the user belongs to."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    if getattr(user, "_sd_group_ids", None) is None:
        _load_memberships(user)
    return cast("frozenset[int]", user._sd_group_ids)


def user_tiers(user: Any) -> frozenset[int]:
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    if getattr(user, "_sd_tiers", None) is None:
        _load_memberships(user)
    return cast("frozenset[int]", user._sd_tiers)


def user_tier(user: Any) -> int | None:
    """The user's tier is the lowest tier of their support groups (their first line of work)."""
    tiers = user_tiers(user)
    return min(tiers) if tiers else None


def is_incident_manager(user: Any) -> bool:
    return bool(getattr(user, "is_superuser", False)) or Role.INCIDENT_MANAGER in user_roles(user)


def is_manager(user: Any) -> bool:
    return is_incident_manager(user) or Role.MANAGER in user_roles(user)


def is_service_desk(user: Any) -> bool:
    return 1 in user_tiers(user) or Role.AGENT in user_roles(user)


def is_staff_member(user: Any) -> bool:
    """Anyone who works in the process. End users (callers) are not staff members."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_superuser or user.is_staff or user_roles(user) or user_support_group_ids(user))
