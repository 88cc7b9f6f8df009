"""django-auth-ldap's search and group-type objects from plain settings (read by settings/base.py)."""

from __future__ import annotations

from typing import Any

import ldap
from django_auth_ldap.config import (
    GroupOfNamesType,
    LDAPSearch,
    NestedActiveDirectoryGroupType,
    PosixGroupType,
)

GROUP_TYPES = {
    "groupOfNames": GroupOfNamesType,
    "activeDirectory": NestedActiveDirectoryGroupType,
    "posixGroup": PosixGroupType,
}


def ldap_search(base: str, filterstr: str) -> Any:
    return LDAPSearch(base, ldap.SCOPE_SUBTREE, filterstr)


def ldap_group_type(name: str) -> Any:
    try:
        return GROUP_TYPES[name]()
    except KeyError:
        raise ValueError(f"LDAP_GROUP_TYPE must be one of {', '.join(GROUP_TYPES)}, not {name!r}") from None
