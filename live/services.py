"""Writes of saved views: saving a queue's query under a name, sharing or publishing it, deleting it."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import QueryDict
from django.utils.translation import gettext as _

from escalation.access import Access
from escalation.models import SupportGroup
from incidents.records import forms as incident_forms
from incidents.records import queues

from . import counts
from .models import SavedView

MAX_OWN_VIEWS = 50


def normalise_query(query: str) -> str:
    """The queue page's query string reduced to what a view keeps (queue, sort, filters), checked
    as the page checks it. Raises ``ValidationError`` naming what is wrong."""
    if len(query) > 1000:
        raise ValidationError({"query": _("The filters are too long to save.")})
    params = QueryDict(query)
    form = incident_forms.QueueFilterForm(
        params,
        groups=queues.active_groups(),
        categories=queues.active_categories(),
        services=queues.active_services(),
    )
    if not form.is_valid():
        raise ValidationError({"query": _("The queue's filters are not valid: correct them first.")})
    kept = QueryDict(mutable=True)
    queue = params.get("queue", "")
    if queue:
        if queue not in queues.QUEUES:
            raise ValidationError({"query": _("There is no queue “%(queue)s”.") % {"queue": queue}})
        kept["queue"] = queue
    for name in form.fields:
        value = params.get(name, "")
        if value != "":
            kept[name] = value
    sort = params.get("sort", "")
    if sort:
        if sort not in queues.SORTS:
            raise ValidationError({"query": _("There is no sort order “%(sort)s”.") % {"sort": sort}})
        kept["sort"] = sort
    return kept.urlencode()


def _check_group(access: Access, group: SupportGroup | None) -> None:
    if group is None:
        return
    if not group.is_active:
        raise ValidationError({"group": _("That group is not active.")})
    if group.pk not in access.group_ids and not access.is_incident_manager:
        raise ValidationError(
            {
                "group": _(
                    "You can share a view only with a group you belong to; an incident manager publishes."
                )
            }
        )


def view_create(*, access: Access, name: str, query: str, group: SupportGroup | None = None) -> SavedView:
    if not access.is_staff_member or access.user_id is None:
        raise PermissionDenied(_("Only people who work on incidents save views."))
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the view a name.")})
    if len(name) > 80:
        raise ValidationError({"name": _("A view's name has at most 80 characters.")})
    _check_group(access, group)
    normalised = normalise_query(query)
    if SavedView.objects.filter(owner_id=access.user_id).count() >= MAX_OWN_VIEWS:
        raise ValidationError(
            {"name": _("You have %(count)d views already: delete one first.") % {"count": MAX_OWN_VIEWS}}
        )
    try:
        with transaction.atomic():
            view = SavedView.objects.create(name=name, owner_id=access.user_id, group=group, query=normalised)
            transaction.on_commit(counts.bump_views_version)  # the open pages' navigation shows it
            return view
    except IntegrityError:
        raise ValidationError(
            {"name": _("You already have a view named “%(name)s”.") % {"name": name}}
        ) from None


def view_delete(*, access: Access, view: SavedView) -> None:
    """The owner deletes a view; an incident manager also deletes a group's published views."""
    if view.owner_id != access.user_id and not (view.group_id and access.is_incident_manager):
        raise PermissionDenied(_("Only the view's owner or an incident manager deletes it."))
    view.delete()
    transaction.on_commit(counts.bump_views_version)
