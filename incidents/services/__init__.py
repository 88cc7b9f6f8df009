"""Every write to an incident goes through here (SPEC §2-§5), one module per concern.

Each service is keyword-only, runs in one transaction with the incident row locked, checks
the actor's permission and the lifecycle table, bumps ``version``, records its events (which
are published to subscribers after commit, see ``incidents.records.events``) and queues side effects
after commit. ``expected_version`` is the version the editor saw; pass ``None`` only from
system code (tasks, rules) that acts on the current state.

The services live in the sub-packages that own them; this module gathers them for callers:

- ``records.services.records``: logging an incident, editing its fields, numbering and priority;
- ``records.services.lifecycle``: one service per move of ``incidents.models.TRANSITIONS``, the auto-close;
- ``records.services.collaboration``: consultations and comments;
- ``records.services.attachments``: checked uploads;
- ``records.services.watchers``: colleagues following an incident;
- ``records.services.configuration``: the priority matrix, categories and services, each change audited;
- ``notifications.services``: the user's in-app inbox and mail preferences;
- ``major.services.major``: major incidents (declare, status updates, related incidents, review);
- ``major.services.security``: the security procedure checklist;
- ``sla.services``: the SLA policy rules (not gathered here: the rule editor calls them directly).
"""

from ..major.services.major import (
    ActionItem,
    major_declare,
    major_link_child,
    major_propose,
    major_update_post,
    review_record,
)
from ..major.services.security import security_step_complete
from ..notifications.services import notification_preferences_update, notifications_mark_read
from ..records.services.attachments import attachment_add
from ..records.services.collaboration import consultation_answer, incident_comment, incident_consult
from ..records.services.lifecycle import (
    incident_assign,
    incident_cancel,
    incident_close,
    incident_escalate,
    incident_hold,
    incident_reopen,
    incident_resolve,
    incident_resume,
    incident_start,
    incidents_autoclose,
)
from ..records.services.merge import incident_merge
from ..records.services.records import UPDATABLE_FIELDS, incident_create, incident_update, priority_for
from ..records.services.split import incident_split
from ..records.services.watchers import watcher_add, watcher_remove

__all__ = [
    "UPDATABLE_FIELDS",
    "ActionItem",
    "attachment_add",
    "consultation_answer",
    "incident_assign",
    "incident_cancel",
    "incident_close",
    "incident_comment",
    "incident_consult",
    "incident_create",
    "incident_escalate",
    "incident_hold",
    "incident_merge",
    "incident_reopen",
    "incident_resolve",
    "incident_resume",
    "incident_split",
    "incident_start",
    "incident_update",
    "incidents_autoclose",
    "major_declare",
    "major_link_child",
    "major_propose",
    "major_update_post",
    "notification_preferences_update",
    "notifications_mark_read",
    "priority_for",
    "review_record",
    "security_step_complete",
    "watcher_add",
    "watcher_remove",
]
