"""Saved views: a queue's filters and sort (the query string of ``/incidents/``) under a name.

A view without a group is its owner's alone; a view with a group is shown to every active member
of that group. Agents share with a group they belong to; an incident manager publishes to any group.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from escalation.models import SupportGroup


class SavedView(models.Model):
    name = models.CharField(_("name"), max_length=80)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views")
    group = models.ForeignKey(
        SupportGroup, on_delete=models.CASCADE, null=True, blank=True, related_name="saved_views"
    )
    # The normalised query string of the queue page: queue, sort and the filters, nothing else.
    query = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("name", "id")
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="live_view_owner_name"),
        ]
        indexes = [models.Index(fields=["group"], name="live_view_group")]

    def __str__(self) -> str:
        return self.name

    @property
    def url(self) -> str:
        return queue_url(self.query)


def queue_url(query: str) -> str:
    """The queue page a saved view's query opens."""
    return f"/incidents/?{query}" if query else "/incidents/"
