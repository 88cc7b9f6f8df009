"""Everything the product holds about a person: exported as JSON, or erased under a pseudonym.

Found generically, so that a model added later is covered without a change here: every row of every
model that points at the user (foreign keys, one-to-one, many-to-many), and every text column of
every table that names them (their username, full name or address written into a description, an
event's payload, an audit row's label, a sign-in attempt).

Erasure keeps the record (SPEC §14): the account stays as a pseudonym (``erased-<id>``), their
incidents and events and every audit row stay and point at it, and each mention of the person in
any text column is replaced by that pseudonym. What only describes the person (their tokens, second
factor, directory link, caller profile, memberships, roles, sessions) is deleted.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Q

from .models import AccountAudit

TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField)
USER_FIELDS = [
    "username",
    "first_name",
    "last_name",
    "email",
    "is_active",
    "is_staff",
    "date_joined",
    "last_login",
]
# Rows that only describe the person: deleted at erasure (app_label.model_name).
PERSONAL_MODELS = {
    "knox.authtoken",
    "otp_totp.totpdevice",
    "otp_static.staticdevice",
    "identity.directoryaccount",
    "escalation.callerprofile",
    "escalation.membership",
}


def _concrete_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if not m._meta.proxy and m._meta.managed]


def _user_links() -> list[tuple[type[models.Model], str]]:
    User = get_user_model()
    links = []
    for model in _concrete_models():
        for field in model._meta.get_fields():
            if getattr(field, "concrete", False) and field.is_relation and field.related_model is User:
                links.append((model, field.name))
    return links


def _rows(queryset: Any) -> list[dict[str, Any]]:
    return json.loads(json.dumps(serializers.serialize("python", queryset), cls=DjangoJSONEncoder))


def user_export(*, user: Any, actor: Any = None, actor_label: str = "") -> dict[str, Any]:
    """The person's account and every row that points at them or names them, as JSON-ready data."""
    data: dict[str, Any] = {
        "account": {name: getattr(user, name) for name in USER_FIELDS},
        "roles": sorted(user.groups.values_list("name", flat=True)),
        "linked": {},
        "mentioned": {},
    }
    data["account"] = json.loads(json.dumps(data["account"], cls=DjangoJSONEncoder))
    seen: set[tuple[str, Any]] = set()
    for model, name in _user_links():
        label = model._meta.label_lower
        queryset = model._default_manager.filter(**{name: user}).order_by("pk")
        rows = [row for row in _rows(queryset) if (label, row["pk"]) not in seen]
        seen.update((label, row["pk"]) for row in rows)
        if rows:
            data["linked"].setdefault(label, []).extend(rows)
    for model, queryset in _mentions(user):
        label = model._meta.label_lower
        rows = [row for row in _rows(queryset.order_by("pk")) if (label, row["pk"]) not in seen]
        if rows:
            data["mentioned"].setdefault(label, []).extend(rows)
    AccountAudit.objects.create(
        actor=actor,
        actor_label=actor_label or getattr(actor, "username", ""),
        subject=user,
        subject_label=user.username,
        action=AccountAudit.Action.EXPORTED,
    )
    return data


def _needles(user: Any) -> list[str]:
    """What names the person in free text, longest first (a full name before its parts)."""
    full = f"{user.first_name} {user.last_name}".strip()
    values = {user.username, user.email, full, f"{user.last_name}, {user.first_name}".strip(", ")}
    return sorted((v for v in values if v and len(v) >= 3), key=len, reverse=True)


def _pattern(needles: list[str]) -> re.Pattern[str]:
    parts = []
    for needle in needles:
        start = r"(?<!\w)" if re.match(r"\w", needle[0]) else ""
        end = r"(?!\w)" if re.match(r"\w", needle[-1]) else ""
        parts.append(f"{start}{re.escape(needle)}{end}")
    return re.compile("|".join(parts), re.IGNORECASE)


def _text_fields(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if isinstance(f, TEXT_FIELDS) and not f.primary_key]


def _mentions(user: Any) -> list[tuple[type[models.Model], Any]]:
    needles = _needles(user)
    found = []
    for model in _concrete_models():
        if model is get_user_model() or model is Session:
            continue
        query = Q()
        for field in _text_fields(model):
            for needle in needles:
                query |= Q(**{f"{field.name}__icontains": needle})
        if query:
            queryset = model._default_manager.filter(query)
            if queryset.exists():
                found.append((model, queryset))
    return found


def _scrub(value: Any, pattern: re.Pattern[str], pseudonym: str) -> Any:
    if isinstance(value, str):
        return pattern.sub(pseudonym, value)
    if value is None:
        return None
    return json.loads(pattern.sub(pseudonym, json.dumps(value, ensure_ascii=False)))


@transaction.atomic
def user_erase(*, user: Any, actor: Any = None, actor_label: str = "") -> str:
    """Erases the person and returns their pseudonym. Idempotent: an erased account has nothing left."""
    pseudonym = f"erased-{user.pk}"
    pattern = _pattern(_needles(user))
    mentions = _mentions(user)
    for model, _field in _user_links():
        if model._meta.label_lower in PERSONAL_MODELS:
            model._default_manager.filter(**{_field: user}).delete()
    for model, queryset in mentions:
        if model._meta.label_lower in PERSONAL_MODELS:
            continue
        fields = _text_fields(model)
        for row in queryset.select_for_update().iterator():
            changes = {f.attname: _scrub(getattr(row, f.attname), pattern, pseudonym) for f in fields}
            changed = {k: v for k, v in changes.items() if v != getattr(row, k)}
            if changed:
                model._default_manager.filter(pk=row.pk).update(**changed)
    for session in Session.objects.iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            session.delete()
    user.groups.clear()
    user.user_permissions.clear()
    user.username = pseudonym
    user.first_name = ""
    user.last_name = ""
    user.email = ""
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.set_unusable_password()
    user.save()
    AccountAudit.objects.create(
        actor=actor,
        actor_label=actor_label or getattr(actor, "username", ""),
        subject=user,
        subject_label=pseudonym,
        action=AccountAudit.Action.ERASED,
    )
    return pseudonym
