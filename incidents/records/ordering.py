"""The one table of incident orders, for the queue page (``?sort=``), its CSV export and the
API list (``?ordering=``).

Each order is a tuple of columns ending with a unique one, so that keyset pages
(``core.paging``) never skip or repeat a row on ties. Every order is served by an index of
``Incident.Meta``: ``inc_created_id`` (``-created_at, -id``, read backwards for the oldest
first), ``inc_updated_id`` (``-updated_at, -id``), the unique ``number``, and
``inc_status_priority_created`` for the priority order of a queue narrowed to a status.

The two surfaces name the orders differently (the page in words, the API by column, as
clients already use them) and each offers the ones that make sense there.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IncidentOrder:
    label: str
    columns: tuple[str, ...]
    sort: str = ""  # the queue page's ``sort`` value; empty when the page does not offer it
    api: str = ""  # the API's ``ordering`` value; empty when the API does not offer it


ORDERS: tuple[IncidentOrder, ...] = (
    IncidentOrder("Newest first", ("-created_at", "-id"), sort="newest", api="-created_at"),
    IncidentOrder("Oldest first", ("created_at", "id"), sort="oldest", api="created_at"),
    IncidentOrder("Priority", ("priority", "-created_at", "-id"), sort="priority"),
    IncidentOrder("Recently updated", ("-updated_at", "-id"), sort="updated", api="-updated_at"),
    IncidentOrder("Least recently updated", ("updated_at", "id"), api="updated_at"),
    IncidentOrder("Highest number first", ("-number",), api="-number"),
    IncidentOrder("Lowest number first", ("number",), api="number"),
)

QUEUE_SORTS: dict[str, IncidentOrder] = {o.sort: o for o in ORDERS if o.sort}
DEFAULT_QUEUE_SORT = "newest"

API_ORDERINGS: dict[str, tuple[str, ...]] = {o.api: o.columns for o in ORDERS if o.api}
DEFAULT_API_ORDERING = API_ORDERINGS["-created_at"]
