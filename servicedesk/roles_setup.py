"""Django admin permissions of the staff roles (SPEC §1), granted after every migrate."""

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

from escalation.choices import Role

# The incident manager owns the process configuration; managers read it.
CONFIGURATION = {
    "escalation": None,  # every model of the app
    "incidents": ["category", "service", "prioritymatrixentry"],
}
READ_ONLY = {"incidents": ["incident", "incidentevent"]}


def grant_role_permissions(sender: Any = None, **kwargs: Any) -> None:
    def perms(spec: Mapping[str, list[str] | None], actions: tuple[str, ...]) -> list[Permission]:
        query = Q(pk__in=[])
        for app, models in spec.items():
            scope = Q(content_type__app_label=app)
            if models is not None:
                scope &= Q(content_type__model__in=models)
            query |= scope & Q(codename__regex=rf"^({'|'.join(actions)})_")
        return list(Permission.objects.filter(query))

    manage = perms(CONFIGURATION, ("add", "change", "delete", "view")) + perms(READ_ONLY, ("view",))
    read = perms(CONFIGURATION, ("view",)) + perms(READ_ONLY, ("view",))
    for role, granted in ((Role.INCIDENT_MANAGER, manage), (Role.MANAGER, read)):
        group, _ = Group.objects.get_or_create(name=role.value)
        group.permissions.add(*granted)
