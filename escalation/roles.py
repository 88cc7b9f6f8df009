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
    if getattr(user, "_sd_roles", None) is None:
        _load(user)
    return cast("frozenset[str]", user._sd_roles)


def _load(user: Any) -> None:
    """The user's roles, active groups and their tiers, in one query for the three caches: every
    staff page asks for all of them (a query less on each, SPEC §13)."""
    from django.contrib.auth.models import Group
    from django.db.models import CharField, IntegerField, Value
    from django.db.models.functions import Cast

    from .models import Membership

    roles = (
        Group.objects.filter(user=user)
        .annotate(kind=Value("role"), key=Cast("name", CharField()), tier=Value(None, IntegerField()))
        .values_list("kind", "key", "tier")
    )
    groups = (
        Membership.objects.filter(user=user, group__is_active=True)
        .annotate(
            kind=Value("group"), key=Cast("group_id", CharField()), tier=Cast("group__tier", IntegerField())
        )
        .values_list("kind", "key", "tier")
    )
    rows = list(roles.union(groups, all=True))
    user._sd_roles = frozenset(key for kind, key, _ in rows if kind == "role")
    user._sd_group_ids = frozenset(int(key) for kind, key, _ in rows if kind == "group")
    user._sd_tiers = frozenset(tier for kind, _, tier in rows if kind == "group" and tier is not None)


def user_support_group_ids(user: Any) -> frozenset[int]:
    """Ids of the active support and consulted groups the user belongs to."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    if getattr(user, "_sd_group_ids", None) is None:
        _load(user)
    return cast("frozenset[int]", user._sd_group_ids)


def user_tiers(user: Any) -> frozenset[int]:
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    if getattr(user, "_sd_tiers", None) is None:
        _load(user)
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
