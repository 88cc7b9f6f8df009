"""Who may see and do what on an incident (SPEC §1). Services and views both ask here, with the
person's ``Access`` (``request.access`` in a view, ``access_for(actor)`` at a service's entry)."""

from __future__ import annotations

import operator
from functools import reduce
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Exists, OuterRef, Q, QuerySet, Value
from django.utils.translation import gettext as _

from escalation import config_cache
from escalation.access import Access
from escalation.choices import Role
from escalation.defaults import SECURITY_GROUP_SLUG
from escalation.models import Membership, SupportGroup

from .errors import PermissionDenied
from .models import SECURITY_CATEGORY_SLUG, Category, Incident

# What a caller (the affected user, or whoever reported for them) may do on their own incident.
CALLER_ACTIONS = frozenset({"comment", "attach", "close", "reopen"})
# The service desk is the single point of contact: it follows every incident up with the
# caller and closes it, whichever group owns it.
SERVICE_DESK_ACTIONS = frozenset({"comment", "attach", "close", "reopen", "cancel", "update"})
CONSULTED_ACTIONS = frozenset({"comment", "attach"})
# A watcher (a colleague the caller added) follows the conversation; confirming is the caller's.
WATCHER_ACTIONS = frozenset({"comment", "attach"})


def is_caller(access: Access, incident: Incident) -> bool:
    return access.authenticated and access.user_id in (incident.caller_id, incident.reported_by_id)


def is_watcher(access: Access, incident: Incident) -> bool:
    if not access.authenticated:
        return False
    return incident.watchers.filter(user=access.user_id).exists()


def is_owner_member(access: Access, incident: Incident) -> bool:
    return incident.assignment_group_id in access.group_ids


def is_consulted_on(access: Access, incident: Incident) -> bool:
    groups = access.group_ids
    if not groups:
        return False
    return incident.consultations.filter(group_id__in=groups).exists()


# Security incidents (issue 13): those of the security category or with the security group.
# Written on the incident's own columns with uncorrelated sub-selects, not through joins to the
# group and category tables: a condition over three tables inside an OR made PostgreSQL plan
# every list for 50 ms or more (issue 14), where these sub-selects are planned once, apart.
# For the work done on nobody's behalf (training, spikes); a person's reads name the same
# incidents by key (``staff_visibility``).
RESTRICTED = Q(assignment_group__in=SupportGroup.objects.filter(slug=SECURITY_GROUP_SLUG).values("pk")) | Q(
    category__in=Category.objects.filter(slug=SECURITY_CATEGORY_SLUG, parent__isnull=True).values("pk")
)


def is_restricted(incident: Incident) -> bool:
    category = incident.category
    return incident.assignment_group.slug == SECURITY_GROUP_SLUG or (
        category is not None and category.parent_id is None and category.slug == SECURITY_CATEGORY_SLUG
    )


def _security_membership_of(user_id: Any) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user_id, group__slug=SECURITY_GROUP_SLUG, group__is_active=True)


def _restricted_keys() -> tuple[list[int], list[int]]:
    """The security group's and the security category's keys, kept with the configuration (both
    tables are watched by ``escalation.config_cache``: a renamed slug is seen at the next request)."""
    return config_cache.cached("restricted-keys", _restricted_keys_read)


def _restricted_keys_read() -> tuple[list[int], list[int]]:
    groups = (
        SupportGroup.objects.filter(slug=SECURITY_GROUP_SLUG)
        .order_by()
        .annotate(restricted_by=Value("group"))
        .values_list("restricted_by", "pk")
    )
    categories = (
        Category.objects.filter(slug=SECURITY_CATEGORY_SLUG, parent__isnull=True)
        .order_by()
        .annotate(restricted_by=Value("category"))
        .values_list("restricted_by", "pk")
    )
    rows = list(groups.union(categories, all=True))  # one query
    return [pk for kind, pk in rows if kind == "group"], [pk for kind, pk in rows if kind == "category"]


def _restricted_by_key(access: Access) -> Q | None:
    """``RESTRICTED`` for a person who is not exempt from it, named by key (None: the person sees every
    incident, or no incident is restricted).

    The keys are constants of the query: a page's filter compiles in a third of the time of the
    sub-selects (1.9 → 0.75 ms for the incident page's, issue 25 §6). A member of the (active) security
    group is exempt, as ``access.group_ids`` holds active groups only; an incident manager is exempt.
    """
    if access.is_incident_manager:
        return None
    groups, categories = _restricted_keys()
    if access.group_ids.intersection(groups):
        return None
    parts = [Q(assignment_group_id__in=groups)] if groups else []
    parts += [Q(category_id__in=categories)] if categories else []
    return reduce(operator.or_, parts) if parts else None


def staff_visibility(access: Access) -> Q:
    """What a staff member sees, as a filter: everything but the security incidents, unless the
    user is an incident manager, in the security group, or the incident's own caller or reporter.

    The one place the rule lives: ``selectors.incidents_visible_to`` applies it, and every queue,
    search, export, API list and detail, and report drill-down starts from that selector.
    """
    restricted = _restricted_by_key(access)
    if restricted is None:
        return Q()
    return ~restricted | Q(caller=access.user_id) | Q(reported_by=access.user_id)


def staff_hidden(access: Access) -> Q | None:
    """What ``staff_visibility`` leaves out, written as a filter of its own (None: nothing): the
    restricted incidents that are not the person's own, unless the person is in the security group.

    For the counts beside a list ("2 restricted incidents are counted but not listed"). Excluding the
    visibility rule made PostgreSQL read every row the page's own filter matched (83,000 open breached
    incidents at 1 M, 0.7 s for the dashboard); named by key, the restricted incidents are a bitmap of
    two small index scans. ``tests/incidents/test_visibility_rules.py`` holds the two to partition every
    incident."""
    restricted = _restricted_by_key(access)
    if restricted is None:
        return None
    return restricted & ~Q(caller=access.user_id) & ~Q(reported_by=access.user_id)


def can_view(access: Access, incident: Incident) -> bool:
    """Staff see every incident but the restricted ones (read-only unless their group owns it);
    callers and watchers see theirs."""
    if is_caller(access, incident):
        return True
    if not access.is_staff_member:
        return is_watcher(access, incident)
    if is_restricted(incident) and not access.is_incident_manager:
        # in the security group: the exemption of the lists' rule (``_restricted_by_key``)
        return bool(access.group_ids.intersection(_restricted_keys()[0]))
    return True


def reader_ids(incident: Incident, user_ids: frozenset[int]) -> frozenset[int]:
    """Of ``user_ids``, who may open ``incident``: ``can_view`` for many people in one query. Its
    caller and reporter; watchers who are not staff; and staff, except that a restricted incident
    is for the incident managers and the security group only."""
    own = {incident.caller_id, incident.reported_by_id} & user_ids
    rest = user_ids - own
    if not rest:
        return frozenset(own)
    any_role = Exists(Group.objects.filter(user=OuterRef("pk")))
    member = Exists(Membership.objects.filter(user=OuterRef("pk"), group__is_active=True))
    staff = Q(is_superuser=True) | Q(is_staff=True) | Q(any_role) | Q(member)
    watcher = Q(Exists(incident.watchers.filter(user=OuterRef("pk"))))
    if is_restricted(incident):
        in_role = Exists(Group.objects.filter(user=OuterRef("pk"), name=Role.INCIDENT_MANAGER))
        security = Exists(_security_membership_of(OuterRef("pk")))
        may = Q(is_superuser=True) | Q(in_role) | Q(security) | (watcher & ~staff)
    else:
        may = staff | watcher
    readers = get_user_model().objects.filter(pk__in=rest).filter(may).values_list("pk", flat=True)
    return frozenset(own) | frozenset(readers)


def can_work(access: Access, incident: Incident) -> bool:
    return access.is_incident_manager or is_owner_member(access, incident)


def can(access: Access, incident: Incident, action: str) -> bool:
    if not access.authenticated:
        return False
    if is_restricted(incident) and not can_view(access, incident):
        return False
    if can_work(access, incident):
        return True
    if action in SERVICE_DESK_ACTIONS and access.is_service_desk:
        return True
    if action in CALLER_ACTIONS and is_caller(access, incident):
        return True
    if action in CONSULTED_ACTIONS and is_consulted_on(access, incident):
        return True
    # Staff follow incidents through their queues; watching is for end users (and costs a query).
    return action in WATCHER_ACTIONS and not access.is_staff_member and is_watcher(access, incident)


def check(access: Access, incident: Incident, action: str) -> None:
    if not can(access, incident, action):
        raise PermissionDenied(
            _(
                "You may not %(action)s %(number)s: it belongs to %(name)s, "
                "and you are not a member of that group."
            )
            % {"action": action, "number": incident.number, "name": incident.assignment_group.name}
        )


def can_see_internal(access: Access) -> bool:
    """Internal work notes and private attachments are for staff only."""
    return access.is_staff_member
