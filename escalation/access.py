"""Who a person is in the process, read once: the ``Access`` every permission check takes.

Roles are Django groups (SPEC §1), tiers come from support-group memberships (§5), and the leads
of a group publish knowledge (§10). Every staff page asks several of these, so they are read in
one query, once per request (``AccessMiddleware`` puts them on ``request.access``) or once at the
entry of a service for its actor (``access_for``), and passed down from there. The answer is a
frozen value: nothing is cached on the ``User``, and nothing changes it during a request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, cast

from django.contrib.auth.models import Group
from django.db import DEFAULT_DB_ALIAS, connections, router
from django.utils.functional import LazyObject, empty

from core import versions

from .choices import Role
from .models import Membership

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse
    from rest_framework.request import Request


@dataclass(frozen=True, slots=True)
class Access:
    """A person's standing: flags of the account, roles, active groups, their tiers, leadership."""

    user_id: int | None
    username: str = ""
    authenticated: bool = False
    is_superuser: bool = False
    # Django's flag: the account may use the admin. Working in the process is ``is_staff_member``.
    is_staff: bool = False
    roles: frozenset[str] = frozenset()
    # The active support and consulted groups the person belongs to.
    group_ids: frozenset[int] = frozenset()
    tiers: frozenset[int] = frozenset()
    # Lead of an active group: publishes knowledge articles.
    is_group_lead: bool = False

    @property
    def tier(self) -> int | None:
        """The lowest tier of the person's support groups (their first line of work)."""
        return min(self.tiers) if self.tiers else None

    @property
    def is_incident_manager(self) -> bool:
        return self.is_superuser or Role.INCIDENT_MANAGER in self.roles

    @property
    def is_manager(self) -> bool:
        return self.is_incident_manager or Role.MANAGER in self.roles

    @property
    def is_service_desk(self) -> bool:
        return 1 in self.tiers or Role.AGENT in self.roles

    @property
    def is_staff_member(self) -> bool:
        """Anyone who works in the process. End users (callers) are not staff members."""
        return self.authenticated and bool(self.is_superuser or self.is_staff or self.roles or self.group_ids)


ANONYMOUS = Access(user_id=None)


@dataclass(frozen=True, slots=True)
class Standing:
    """What of an ``Access`` comes from other tables than the user's own row: roles and groups."""

    roles: frozenset[str] = frozenset()
    group_ids: frozenset[int] = frozenset()
    tiers: frozenset[int] = frozenset()
    is_group_lead: bool = False


def access_for(user: Any) -> Access:
    """The access of ``user`` (a ``User`` or ``AnonymousUser``): one query for a signed-in person.

    Roles and memberships come back as one UNION ALL: every staff page needs both (SPEC §13).
    """
    if user is None or not user.is_authenticated:
        return ANONYMOUS
    return access_with(user, standing_of(user.pk))


def access_with(user: Any, standing: Standing) -> Access:
    """The access of a signed-in ``user`` with a ``standing`` read earlier (``standing_of``)."""
    return Access(
        user_id=user.pk,
        username=user.get_username(),
        authenticated=True,
        is_superuser=bool(user.is_superuser),
        is_staff=bool(user.is_staff),
        roles=standing.roles,
        group_ids=standing.group_ids,
        tiers=standing.tiers,
        is_group_lead=standing.is_group_lead,
    )


def standing_of(user_id: int) -> Standing:
    """The roles, active groups, tiers and leadership of a user: one query.

    Every signed-in request reads it, so it is SQL written once (``_standing_sql``), not a queryset:
    building and compiling the ORM's UNION of two annotated querysets took 1.3 of its 1.6 ms at
    1 M incidents (issue 25 §6). The tables and columns are the models' own.
    """
    using = router.db_for_read(Membership) or DEFAULT_DB_ALIAS
    with connections[using].cursor() as cursor:
        cursor.execute(_standing_sql(using), [user_id, user_id])
        rows = cursor.fetchall()
    return Standing(
        roles=frozenset(name for name, group_id, _, _ in rows if group_id is None),
        group_ids=frozenset(group_id for _, group_id, _, _ in rows if group_id is not None),
        tiers=frozenset(tier for _, group_id, tier, _ in rows if group_id is not None and tier is not None),
        is_group_lead=any(group_id is not None and lead for _, group_id, _, lead in rows),
    )


@cache
def _standing_sql(using: str) -> str:
    """Role rows (a name, no group) and membership rows of active groups (a group, its tier, lead or not).

    Only the models' table and column names, quoted, go into the text; the user is a parameter."""
    from .models import SupportGroup

    quote = connections[using].ops.quote_name
    roles = Group.user_set.through._meta  # auth_user_groups
    member, group = Membership._meta, SupportGroup._meta

    def table(meta: Any) -> str:
        return quote(meta.db_table)

    def col(meta: Any, field: str) -> str:
        return f"{table(meta)}.{quote(meta.get_field(field).column)}"

    # names from the models, quoted; the values are parameters
    return (
        f"SELECT {col(Group._meta, 'name')}, NULL, NULL, {FALSE_SQL}"  # noqa: S608
        f" FROM {table(Group._meta)} INNER JOIN {table(roles)}"
        f" ON {col(Group._meta, 'id')} = {col(roles, 'group')} WHERE {col(roles, 'user')} = %s"
        " UNION ALL "
        f"SELECT NULL, {col(member, 'group')}, {col(group, 'tier')}, {col(member, 'is_lead')}"
        f" FROM {table(member)} INNER JOIN {table(group)} ON {col(member, 'group')} = {col(group, 'id')}"
        f" WHERE {col(group, 'is_active')} AND {col(member, 'user')} = %s"
    )


# A boolean literal both PostgreSQL and SQLite read as their own (SQLite has no FALSE before 3.23).
FALSE_SQL = "1 = 0"


class _RequestAccess(LazyObject):
    """``request.access``: read on first use, so anonymous and static requests pay nothing.

    Read from ``request.user`` as it is at that moment, and again should that user change: DRF
    authenticates a token (or a test's forced user) after the middleware ran, and sets the user
    it found on the Django request, which this object looks at.
    """

    def __init__(self, request: HttpRequest) -> None:
        super().__init__()
        self.__dict__["_request"] = request

    def _setup(self) -> None:
        self._wrapped = access_for(self.__dict__["_request"].user)

    def _current(self) -> Access:
        user = self.__dict__["_request"].user
        if self._wrapped is empty or self._wrapped.user_id != user.pk:
            self._setup()
        return cast(Access, self._wrapped)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._current(), name)


class AccessMiddleware:
    """Puts ``request.access`` on every request; goes after ``AuthenticationMiddleware``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.access = _RequestAccess(request)  # type: ignore[attr-defined]
        return self.get_response(request)


def access_of(request: HttpRequest | Request) -> Access:
    """The ``Access`` of the request's user (a DRF request reaches the Django one's).

    Views and APIs hand this to the permission checks; it is the typed way to ``request.access``.
    """
    lazy: _RequestAccess = request.access  # type: ignore[union-attr]
    return lazy._current()


def actor_access(actor: Any, access: Access | None = None) -> Access:
    """A service's actor's access: the one its caller already holds (a request's, or an outer
    service's), or read now, once, at the service's entry."""
    if access is None:
        return access_for(actor)
    if access.user_id != actor.pk:
        raise ValueError("The access handed to a service is not its actor's.")
    return access


# Bumped (after commit) by every change of a role, a membership or a support group
# (``escalation.apps``' signals): a process that keeps standings (the live feed,
# ``live.views.StandingCache``) reads them again when it sees a new version.
STANDING_VERSION_KEY = "access:standing:version"


def standing_version() -> int:
    return versions.read(STANDING_VERSION_KEY)


def bump_standing_version() -> None:
    versions.bump(STANDING_VERSION_KEY)


def standing_changed(sender: Any, **kwargs: Any) -> None:
    """A signal receiver: a role, membership or support group changed (bump once it is committed)."""
    from django.db import transaction

    action = kwargs.get("action")
    if action is not None and (
        action not in {"post_add", "post_remove", "post_clear"}
        or (action != "post_clear" and not kwargs.get("pk_set"))
    ):
        return  # an m2m signal's pre_ half, or an add/remove that changed nothing
    transaction.on_commit(bump_standing_version, robust=True)
