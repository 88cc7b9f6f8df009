"""Reads of incident data on behalf of a person go through one entry point (SPEC §1, issue 20 §1).

The rule of who may see an incident lives in ``incidents.permissions`` and is applied by the
incidents selectors (``incidents_visible_to``, ``incident_get_for_user``, ``incident_timeline``,
``attachment_get_for_user``, ``notifications_visible_to``, ``incident_readers``), with one
explicit door for totals (``incidents_for_totals``). A module that reads the tables below through
their managers (``Incident.objects``, ``IncidentEvent._default_manager``...) bypasses that rule: this
test fails on every such read outside the modules whose ROLE allows it (``ALLOWED``).

The design and the aggregate rule: docs/architecture/visibility.md.
"""

from __future__ import annotations

import ast
import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# The models whose rows name an incident or carry its text. Reading them through their manager
# is reading incidents.
GUARDED = frozenset(
    {
        "Incident",
        "IncidentEvent",  # the activity log: comments, internal work notes
        "Attachment",
        "Notification",  # subject and body name the incident
        "Consultation",  # question and answer about the incident
        "MajorUpdate",  # status updates of a major incident
        "PostIncidentReview",
        "SecurityStep",  # the security procedure's notes
    }
)
MANAGERS = frozenset({"objects", "_default_manager", "_base_manager"})

# Where a read through the managers is allowed, by the ROLE of the module (fnmatch patterns over
# paths from the repository root; ``*`` crosses folders, so "*/services.py" also matches a
# sub-package's services). When modules move, keep the roles, not the old paths.
ALLOWED: dict[str, str] = {
    # The entry point itself: the permission-checked selectors of the incidents package (and of
    # its sub-packages once it has them), with the rule they apply.
    "incidents/selectors.py": "the entry point",
    "incidents/*/selectors.py": "the entry point, split by concern",
    "incidents/permissions.py": "the visibility rule",
    # Writes: a service is called by a view that has already read the incident through the entry
    # point, checks the actor itself (``authorise``) and locks the row it changes.
    "*/services.py": "services own writes",
    "*/services/*.py": "services own writes",
    # System work on behalf of nobody: it reads ids, and what it sends to people goes through
    # ``incident_readers``.
    "*/tasks.py": "thin tasks take ids and call a service",
    "*sweep.py": "the SLA sweep",
    "*/outbox.py": "the outbox dispatcher",
    "*/events.py": "activity-log constructors",
    "*/hooks.py": "the event hook",
    "*notifications.py": "notification senders (recipients filtered by incident_readers)",
    "incidents/notifications/delivery.py": "the notification sender (recipients: incident_readers)",
    "intake/notify.py": "mail intake's notification sender",
    # Not a request's reads at all.
    "*/migrations/*.py": "schema and data migrations",
    "*/management/commands/*.py": "operators' commands",
    "*demo*.py": "demo data (the apps' demo modules and the demo package)",
    "demo/*": "demo data",
    "bench/*": "the benchmark's own set-up and checks",
    # Operations read the system, never on behalf of a person: ages and counts for /metrics and the
    # administrators' status page (no incident named), and the retention purge's archive-then-delete.
    "operations/health.py": "system health figures: counts and ages, naming no incident",
    "operations/retention.py": "the retention purge (archive, then delete in batches)",
    # The history import's write service: it looks up the source ids it wrote before, for nobody.
    "history/importer.py": "the import's writes (idempotency by the source's ticket id)",
}
# The packages of the product (tests and third-party code are not scanned).
PACKAGES = [p.name for p in sorted(ROOT.iterdir()) if (p / "__init__.py").is_file() and p.name != "tests"]


def violations(source: str) -> list[tuple[int, str]]:
    """Reads through a guarded model's manager in ``source``: (line, "Model.manager"). ``.none()``
    reads nothing and is not one; imports under another name are followed."""
    tree = ast.parse(source)
    names = set(GUARDED)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            names |= {a.asname for a in node.names if a.name in GUARDED and a.asname}
    parents: dict[ast.AST, ast.AST] = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[child] = node
    found = []
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Attribute)
            and node.attr in MANAGERS
            and isinstance(node.value, ast.Name)
            and node.value.id in names
        ):
            continue
        parent = parents.get(node)
        if isinstance(parent, ast.Attribute) and parent.attr == "none":
            continue
        found.append((node.lineno, f"{node.value.id}.{node.attr}"))
    return found


def _allowed(path: str) -> bool:
    return any(fnmatch.fnmatch(path, pattern) for pattern in ALLOWED)


def _modules() -> list[str]:
    return [
        str(path.relative_to(ROOT)) for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))
    ]


def test_no_module_reads_incidents_around_the_entry_point():
    found = [
        f"{module}:{line}: {what}"
        for module in _modules()
        if not _allowed(module)
        for line, what in violations((ROOT / module).read_text())
    ]
    assert not found, (
        "Read incidents on behalf of a person through incidents.selectors (incidents_visible_to, "
        "incident_get_for_user, ...), or count them through incidents_for_totals:\n  " + "\n  ".join(found)
    )


def test_the_scanner_finds_reads_through_any_manager_and_under_another_name():
    source = """
from incidents.models import Incident, IncidentEvent as Event, Notification

def view(request, number):
    incident = Incident.objects.get(number=number)
    notes = Event._default_manager.filter(incident=incident)
    nothing = Notification.objects.none()
    mine = incident.events.all()  # through a row already read: not a manager read
    return incident, notes, nothing, mine
"""
    assert violations(source) == [(5, "Incident.objects"), (6, "Event._default_manager")]


def test_a_view_module_is_not_allowed_and_a_service_is():
    assert not _allowed("reporting/views.py")
    assert not _allowed("incidents/records/views.py")
    assert not _allowed("incidents/templatetags/incident_tags.py")
    assert not _allowed("incidents/notification_views.py")
    assert _allowed("incidents/services/lifecycle.py")
    assert _allowed("incidents/sla/sweep.py")
    assert _allowed("demo/incidents.py")
