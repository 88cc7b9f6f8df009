"""Roles and support-group memberships from the directory's groups, set at every directory sign-in.

The mappings (``DirectoryGroupMapping``) are the whole truth for what they name: a role or a support
group that some mapping grants is given to the people whose groups map to it, and taken from the
others. Roles and groups no mapping mentions are left as an administrator set them by hand.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import Group
from django.db import transaction

from escalation.choices import Role
from escalation.models import Membership

from .models import DirectoryGroupMapping

# Django's flags that follow the roles: the admin for those who configure, everything for administrators.
ADMIN_SITE_ROLES = {Role.INCIDENT_MANAGER.value, Role.ADMINISTRATOR.value}


@transaction.atomic
def directory_groups_apply(*, user: Any, group_names: Iterable[str]) -> dict[str, list[str]]:
    """Sets ``user``'s mapped roles and memberships from their directory ``group_names``.

    Returns what was granted: ``{"roles": [...], "support_groups": [slug, ...]}``.
    """
    names = {name.strip() for name in group_names if name and name.strip()}
    mappings = list(DirectoryGroupMapping.objects.select_related("support_group"))
    managed_roles = {m.role for m in mappings if m.role}
    managed_groups = {m.support_group_id for m in mappings if m.support_group_id}
    granted = [m for m in mappings if m.directory_group in names]
    roles = {m.role for m in granted if m.role}
    groups: dict[int, bool] = {}
    for m in granted:
        if m.support_group_id and m.support_group and m.support_group.is_active:
            groups[m.support_group_id] = groups.get(m.support_group_id, False) or m.is_lead

    for role in managed_roles:
        group, _ = Group.objects.get_or_create(name=role)
        if role in roles:
            user.groups.add(group)
        else:
            user.groups.remove(group)

    Membership.objects.filter(user=user, group_id__in=managed_groups - set(groups)).delete()
    existing = {m.group_id: m for m in Membership.objects.filter(user=user, group_id__in=groups)}
    for group_id, is_lead in groups.items():
        membership = existing.get(group_id)
        if membership is None:
            Membership.objects.create(user=user, group_id=group_id, is_lead=is_lead)
        elif membership.is_lead != is_lead:
            membership.is_lead = is_lead
            membership.save(update_fields=["is_lead"])

    flags_managed = bool(ADMIN_SITE_ROLES & managed_roles)
    if flags_managed:
        all_roles = set(user.groups.values_list("name", flat=True))
        user.is_staff = bool(ADMIN_SITE_ROLES & all_roles)
        user.is_superuser = Role.ADMINISTRATOR.value in all_roles
        user.save(update_fields=["is_staff", "is_superuser"])
    slugs = sorted(m.support_group.slug for m in granted if m.support_group_id and m.support_group)
    return {"roles": sorted(roles), "support_groups": slugs}
