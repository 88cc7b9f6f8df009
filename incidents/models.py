"""Every model of the app, from the sub-package that owns it.

Django loads ``incidents.models`` to find the app's models, and migrations and other apps import
them from here (``incidents.models.attachment_path``); new code inside ``incidents`` imports from
the owning sub-package.
"""

from .major.models import (
    MajorIncident,
    MajorUpdate,
    PostIncidentReview,
    ReviewAction,
    SecurityStep,
)
from .notifications.models import (
    Notification,
    NotificationPreference,
)
from .records.models import (
    ACTIVE_STATUSES,
    OPEN_STATUSES,
    SECURITY_CATEGORY_SLUG,
    TRANSITIONS,
    Attachment,
    Category,
    Channel,
    Consultation,
    Counter,
    EventDelivery,
    HoldReason,
    Incident,
    IncidentEvent,
    IncidentRelation,
    PriorityMatrixEntry,
    ResolutionCode,
    Service,
    SlaState,
    Status,
    Watcher,
    attachment_path,
)
from .sla.models import (
    Handoff,
    OlaThresholdFire,
    SLAPolicyRule,
    SlaThresholdFire,
)

__all__ = [
    "ACTIVE_STATUSES",
    "OPEN_STATUSES",
    "SECURITY_CATEGORY_SLUG",
    "TRANSITIONS",
    "Attachment",
    "Category",
    "Channel",
    "Consultation",
    "Counter",
    "EventDelivery",
    "Handoff",
    "HoldReason",
    "Incident",
    "IncidentEvent",
    "IncidentRelation",
    "MajorIncident",
    "MajorUpdate",
    "Notification",
    "NotificationPreference",
    "OlaThresholdFire",
    "PostIncidentReview",
    "PriorityMatrixEntry",
    "ResolutionCode",
    "ReviewAction",
    "SLAPolicyRule",
    "SecurityStep",
    "Service",
    "SlaState",
    "SlaThresholdFire",
    "Status",
    "Watcher",
    "attachment_path",
]
