from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy

from escalation.choices import Level, Priority
from escalation.models import SLAPolicy, SupportGroup

from . import texts


class Status(models.TextChoices):
    NEW = "new", gettext_lazy("New")
    ASSIGNED = "assigned", gettext_lazy("Assigned")
    IN_PROGRESS = "in_progress", gettext_lazy("In progress")
    ON_HOLD = "on_hold", gettext_lazy("On hold")
    RESOLVED = "resolved", gettext_lazy("Resolved")
    CLOSED = "closed", gettext_lazy("Closed")
    CANCELLED = "cancelled", gettext_lazy("Cancelled")


def choice_label(choices: type[models.Choices], value: Any) -> Any:
    """What Django's ``get_FOO_display`` answers for a field with these choices: the value's label, in
    the active language, or the value itself when it is not one of them."""
    try:
        return str(choices(value).label)
    except ValueError:
        return value


OPEN_STATUSES = (Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS, Status.ON_HOLD)
ACTIVE_STATUSES = (Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS)


class Channel(models.TextChoices):
    PHONE = "phone", gettext_lazy("Phone")
    EMAIL = "email", gettext_lazy("Email")
    PORTAL = "portal", gettext_lazy("Portal")
    WALK_IN = "walk_in", gettext_lazy("Walk-in")
    API = "api", gettext_lazy("API")
    MONITORING = "monitoring", gettext_lazy("Monitoring")


class HoldReason(models.TextChoices):
    AWAITING_CALLER = "awaiting_caller", gettext_lazy("Awaiting caller")
    AWAITING_VENDOR = "awaiting_vendor", gettext_lazy("Awaiting vendor")
    AWAITING_CHANGE = "awaiting_change", gettext_lazy("Awaiting change")


class ResolutionCode(models.TextChoices):
    PERMANENT_FIX = "permanent_fix", gettext_lazy("Solved (permanent fix)")
    WORKAROUND = "workaround", gettext_lazy("Solved (workaround)")
    USER_GUIDANCE = "user_guidance", gettext_lazy("Solved (user guidance)")
    THIRD_PARTY = "third_party", gettext_lazy("Solved by third party")
    NO_FAULT_FOUND = "no_fault_found", gettext_lazy("No fault found")
    KNOWN_ERROR = "known_error", gettext_lazy("Known error, workaround given")


class SlaState(models.TextChoices):
    ON_TRACK = "on_track", gettext_lazy("On track")
    WARNING = "warning", gettext_lazy("Warning")
    BREACHED = "breached", gettext_lazy("Breached")
    MET = "met", gettext_lazy("Met")
    PAUSED = "paused", gettext_lazy("Paused")


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str | None  # None keeps the current status
    label: str


def _t(sources: tuple[str, ...], target: str | None, label: str) -> Transition:
    return Transition(frozenset(sources), target, label)


# The one lifecycle table (SPEC §4). Every service that moves an incident looks itself up
# here; nothing else decides which moves are allowed.
TRANSITIONS: dict[str, Transition] = {
    "assign": _t((Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS), Status.ASSIGNED, "Assign"),
    "start": _t((Status.NEW, Status.ASSIGNED), Status.IN_PROGRESS, "Start work"),
    "escalate": _t((Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS), Status.ASSIGNED, "Escalate"),
    "hold": _t((Status.ASSIGNED, Status.IN_PROGRESS), Status.ON_HOLD, "Put on hold"),
    "resume": _t((Status.ON_HOLD,), Status.IN_PROGRESS, "Resume"),
    "resolve": _t((Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS), Status.RESOLVED, "Resolve"),
    "reopen": _t((Status.RESOLVED,), Status.IN_PROGRESS, "Reopen"),
    "close": _t((Status.RESOLVED,), Status.CLOSED, "Close"),
    "cancel": _t(OPEN_STATUSES, Status.CANCELLED, "Cancel"),
    "merge": _t(OPEN_STATUSES, Status.CANCELLED, "Merge into another incident"),
    "consult": _t(OPEN_STATUSES, None, "Consult a group"),
    "update": _t(OPEN_STATUSES, None, "Update"),
    "comment": _t((*OPEN_STATUSES, Status.RESOLVED), None, "Comment"),
    "attach": _t((*OPEN_STATUSES, Status.RESOLVED), None, "Attach a file"),
}


# A top-level category of this slug routes to the restricted security group (escalation.defaults).
SECURITY_CATEGORY_SLUG = "security"


class Category(models.Model):
    """A two-level tree: categories and their subcategories."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name_plural = gettext_lazy("categories")
        ordering = ["parent__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "slug"], name="category_unique_slug_in_parent"),
            models.UniqueConstraint(
                fields=["slug"], condition=Q(parent__isnull=True), name="category_unique_top_level_slug"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.parent.name} › {self.name}" if self.parent_id and self.parent else self.name


class Service(models.Model):
    """An affected business service."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PriorityMatrixEntry(models.Model):
    """One cell of the impact × urgency matrix (SPEC §3), editable by the incident manager."""

    impact = models.PositiveSmallIntegerField(choices=Level.choices)
    urgency = models.PositiveSmallIntegerField(choices=Level.choices)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices)

    class Meta:
        verbose_name = gettext_lazy("priority matrix entry")
        verbose_name_plural = gettext_lazy("priority matrix")
        ordering = ["impact", "urgency"]
        constraints = [
            models.UniqueConstraint(fields=["impact", "urgency"], name="priority_matrix_unique_cell"),
        ]

    def __str__(self) -> str:
        return f"impact {self.impact} × urgency {self.urgency} → P{self.priority}"


class Counter(models.Model):
    """Gap-free counters. The row lock taken by the increment serialises creators, and a
    rolled-back transaction gives its number back, so numbers have no holes."""

    name = models.CharField(max_length=40, primary_key=True)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class Incident(models.Model):
    # Field limits: the model fields, the web forms, the API serializers and the services'
    # own checks all read these, so that the surfaces cannot disagree on a length.
    NUMBER_MAX_LENGTH = 10
    TITLE_MAX_LENGTH = 200
    DESCRIPTION_MAX_LENGTH = 100_000
    REFERENCE_MAX_LENGTH = 60  # problem and change references
    ESCALATION_REASON_MAX_LENGTH = 2000
    REASON_MAX_LENGTH = 5000  # reopen and cancel reasons
    NOTE_MAX_LENGTH = 5000  # hold note, close notes
    RESOLUTION_NOTES_MAX_LENGTH = 20_000
    COMMENT_MAX_LENGTH = 50_000
    SEARCH_MAX_LENGTH = 200

    number = models.CharField(max_length=NUMBER_MAX_LENGTH, unique=True, editable=False)
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    description = models.TextField(blank=True, validators=[MaxLengthValidator(DESCRIPTION_MAX_LENGTH)])
    # No index of its own on caller, assigned_to and assignment_group: the queue indexes of
    # ``Meta`` begin with them and serve every look-up by them (issue 14, migration 0013).
    caller = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="incidents_called", db_index=False
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="incidents_reported"
    )
    channel = models.CharField(max_length=12, choices=Channel.choices, default=Channel.PHONE)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="incidents"
    )
    subcategory = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="incidents_sub"
    )
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.PROTECT, related_name="incidents"
    )
    impact = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.MEDIUM)
    urgency = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.MEDIUM)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, editable=False)

    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NEW)
    hold_reason = models.CharField(max_length=20, choices=HoldReason.choices, blank=True)
    resolution_code = models.CharField(max_length=20, choices=ResolutionCode.choices, blank=True)
    resolution_notes = models.TextField(blank=True)
    close_notes = models.TextField(blank=True)

    assignment_group = models.ForeignKey(
        SupportGroup, on_delete=models.PROTECT, related_name="incidents", db_index=False
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incidents_assigned",
        db_index=False,
    )
    # The highest tier that has owned the incident: first-contact resolution is "resolved
    # while this is still 1", and reports aggregate on it without joining the hand-offs.
    max_tier_reached = models.PositiveSmallIntegerField(default=1)

    # SLA clocks, stored on the row so that queues and the sweep are index look-ups (SPEC §6).
    # The policy the selection rules chose (``incidents.sla.rules``); the slug is kept beside it
    # for the targets cache, which is keyed by slug.
    sla_policy = models.ForeignKey(
        SLAPolicy,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="incidents",
        verbose_name=gettext_lazy("SLA policy"),
    )
    # Read with its row, never searched by: no index (issue 14).
    sla_policy_slug = models.SlugField(
        gettext_lazy("SLA policy slug"), max_length=60, blank=True, db_index=False
    )
    response_due_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    on_hold_since = models.DateTimeField(null=True, blank=True)
    sla_paused_seconds = models.PositiveIntegerField(gettext_lazy("SLA paused seconds"), default=0)
    sla_state = models.CharField(
        gettext_lazy("SLA state"), max_length=10, choices=SlaState.choices, default=SlaState.ON_TRACK
    )
    # When the sweep must next look at this incident (the earliest unfired threshold).
    sla_next_check_at = models.DateTimeField(
        gettext_lazy("SLA next check at"), null=True, blank=True, editable=False
    )
    escalation_level = models.PositiveSmallIntegerField(default=0)
    # The SLA cycle: 1, then one more at every reopen; it starts at ``sla_started_at``.
    sla_cycle = models.PositiveSmallIntegerField(gettext_lazy("SLA cycle"), default=1, editable=False)
    sla_started_at = models.DateTimeField(
        gettext_lazy("SLA started at"), null=True, blank=True, editable=False
    )
    # Operational level: when the current tier's time is up (SPEC §6, OLA).
    ola_due_at = models.DateTimeField(gettext_lazy("OLA due at"), null=True, blank=True)
    ola_state = models.CharField(
        gettext_lazy("OLA state"), max_length=10, choices=SlaState.choices, default=SlaState.ON_TRACK
    )
    reopen_count = models.PositiveSmallIntegerField(default=0)

    major_incident = models.BooleanField(default=False)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates"
    )
    problem_reference = models.CharField(max_length=REFERENCE_MAX_LENGTH, blank=True)
    change_reference = models.CharField(max_length=REFERENCE_MAX_LENGTH, blank=True)

    # History brought in from another tool (``history/``, issue 24 §4): read-only, no SLA clocks, no
    # mail, no survey. ``external_id`` is the source's ticket id, unique per source, so that a
    # re-import finds the row it made instead of making another.
    imported = models.BooleanField(default=False, editable=False)
    import_source = models.CharField(max_length=40, blank=True, editable=False)
    external_id = models.CharField(max_length=100, blank=True, editable=False)

    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # Queues: a group's open work, newest first; a person's work; a caller's incidents.
            models.Index(
                fields=["assignment_group", "status", "-created_at"], name="inc_group_status_created"
            ),
            models.Index(fields=["assigned_to", "status", "-created_at"], name="inc_assignee_status_created"),
            models.Index(fields=["caller", "-created_at"], name="inc_caller_created"),
            models.Index(fields=["status", "-created_at"], name="inc_status_created"),
            models.Index(fields=["status", "priority", "-created_at"], name="inc_status_priority_created"),
            # The open queues in priority order: without it, every open row was read and sorted.
            models.Index(
                fields=["priority", "-created_at", "-id"],
                name="inc_open_priority_created",
                condition=Q(status__in=["new", "assigned", "in_progress", "on_hold"]),
            ),
            models.Index(fields=["sla_state", "status"], name="inc_sla_state_status"),
            models.Index(fields=["-created_at", "-id"], name="inc_created_id"),
            models.Index(fields=["-updated_at", "-id"], name="inc_updated_id"),
            models.Index(fields=["resolved_at"], name="inc_resolved_at"),
            models.Index(fields=["closed_at"], name="inc_closed_at"),
            # The SLA sweep reads only rows with a pending threshold.
            models.Index(
                fields=["sla_next_check_at"],
                name="inc_sla_next_check_due",
                condition=Q(sla_next_check_at__isnull=False),
            ),
            # Auto-close of resolved incidents scans only resolved rows.
            models.Index(
                fields=["resolved_at"], name="inc_resolved_pending_close", condition=Q(status="resolved")
            ),
            # Reporting: times to respond in a month; the dashboard's "about to breach" list.
            models.Index(fields=["responded_at"], name="inc_responded_at"),
            models.Index(
                fields=["resolution_due_at"],
                name="inc_open_resolution_due",
                condition=Q(status__in=["new", "assigned", "in_progress"]),
            ),
            # The dashboard's "breached" list, the oldest breach first: at a million incidents
            # tens of thousands of open ones can be breached, and sorting them all for 25 rows
            # took 300 ms (issue 14).
            models.Index(
                fields=["resolution_due_at", "id"],
                name="inc_open_breached_due",
                condition=Q(sla_state="breached", status__in=["new", "assigned", "in_progress", "on_hold"]),
            ),
        ]
        constraints = [
            models.CheckConstraint(name="incident_impact_range", condition=Q(impact__gte=1, impact__lte=3)),
            models.CheckConstraint(
                name="incident_urgency_range", condition=Q(urgency__gte=1, urgency__lte=3)
            ),
            models.CheckConstraint(
                name="incident_priority_range", condition=Q(priority__gte=1, priority__lte=5)
            ),
            models.UniqueConstraint(
                fields=["import_source", "external_id"],
                condition=Q(imported=True),
                name="incident_imported_once_per_source",
            ),
            models.CheckConstraint(
                name="incident_hold_reason_iff_on_hold",
                condition=(Q(status="on_hold") & ~Q(hold_reason=""))
                | (~Q(status="on_hold") & Q(hold_reason="")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    # Django's own ``get_FOO_display`` builds a dictionary of the field's choices on every call, which
    # hashes, so translates, every lazy label; these translate the one label shown (the same text).
    # Every mail of the escalation drain shows both, twice (issue 25 §5).
    def get_priority_display(self) -> Any:  # type: ignore[no-redef]  # the stubs declare Django's
        return choice_label(Priority, self.priority)

    def get_status_display(self) -> Any:  # type: ignore[no-redef]
        return choice_label(Status, self.status)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_first_contact_resolution(self) -> bool:
        return self.status in (Status.RESOLVED, Status.CLOSED) and self.max_tier_reached == 1

    def allows(self, action: str) -> bool:
        # Imported history is read-only: no move of the lifecycle table applies to it.
        return not self.imported and self.status in TRANSITIONS[action].sources

    def allowed_actions(self) -> list[str]:
        if self.imported:
            return []
        return [name for name, t in TRANSITIONS.items() if self.status in t.sources]


class IncidentEvent(models.Model):
    """The append-only activity log. Comments are events of kind ``comment``."""

    class Kind(models.TextChoices):
        CREATED = "created", gettext_lazy("Logged")
        ASSIGNED = "assigned", gettext_lazy("Assigned")
        STARTED = "started", gettext_lazy("Work started")
        ESCALATED = "escalated", gettext_lazy("Escalated")
        HELD = "held", gettext_lazy("Put on hold")
        RESUMED = "resumed", gettext_lazy("Resumed")
        RESOLVED = "resolved", gettext_lazy("Resolved")
        REOPENED = "reopened", gettext_lazy("Reopened")
        CLOSED = "closed", gettext_lazy("Closed")
        CANCELLED = "cancelled", gettext_lazy("Cancelled")
        UPDATED = "updated", gettext_lazy("Updated")
        COMMENT = "comment", gettext_lazy("Comment")
        ATTACHMENT = "attachment", gettext_lazy("Attachment")
        CONSULTED = "consulted", gettext_lazy("Consultation requested")
        CONSULTATION_ANSWERED = "consultation_answered", gettext_lazy("Consultation answered")
        SLA_THRESHOLD = "sla_threshold", gettext_lazy("SLA threshold")
        SLA_ESCALATION = "sla_escalation", gettext_lazy("Hierarchical escalation")
        MAJOR_PROPOSED = "major_proposed", gettext_lazy("Proposed as a major incident")
        MAJOR_DECLARED = "major_declared", gettext_lazy("Declared a major incident")
        MAJOR_UPDATE = "major_update", gettext_lazy("Major incident status update")
        REVIEW_RECORDED = "review_recorded", gettext_lazy("Post-incident review recorded")
        SECURITY_STEP = "security_step", gettext_lazy("Security procedure step")
        OLA_THRESHOLD = "ola_threshold", gettext_lazy("OLA threshold")
        SLA_POLICY = "sla_policy", gettext_lazy("SLA policy changed")
        KNOWLEDGE_LINKED = "knowledge_linked", gettext_lazy("Knowledge article linked")

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    public = models.BooleanField(default=False)
    # {"field": {"old": ..., "new": ...}} with values in their API form (usernames, slugs, codes).
    changes = models.JSONField(default=dict, blank=True)
    body = models.TextField(blank=True)
    attachment = models.ForeignKey(
        "Attachment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The incident's version after this change: a refused stale save lists the events after
    # the version the editor saw.
    version = models.PositiveIntegerField(null=True, blank=True)
    # The consultation a ``consulted`` event asks: its notification finds the group by id.
    consultation = models.ForeignKey(
        "Consultation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Outbox: set once every subscriber of the hook (``incidents.records.hooks``) is done with the event, or
    # at birth when it has none. The name predates the hook: it means "published".
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["incident", "created_at", "id"], name="event_incident_timeline"),
            models.Index(
                fields=["created_at"], name="event_pending_notify", condition=Q(notified_at__isnull=True)
            ),
            models.Index(fields=["kind", "created_at"], name="event_kind_created"),
        ]

    def __str__(self) -> str:
        return f"{self.incident_id}:{self.kind}@{self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("The activity log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("The activity log is append-only.")

    @property
    def text(self) -> str:
        """The body in the reader's language: a system-worded event's stored message (``texts``), else
        the body as written."""
        return texts.body_of(self.body, self.changes)

    @property
    def shown_changes(self) -> dict[str, Any]:
        """The changes as people read them: without the stored messages, their values rendered."""
        return texts.changes_of(self.changes)


class EventDelivery(models.Model):
    """One subscriber's delivery of one event (``incidents.records.outbox``): done, or when to try again."""

    event = models.ForeignKey(IncidentEvent, on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.CharField(max_length=100)
    done_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    given_up_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "subscriber"], name="event_delivery_once"),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="event_delivery_retry_due",
                condition=Q(done_at__isnull=True, given_up_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.subscriber}"


def attachment_path(instance: Attachment, filename: str) -> str:
    # The stored name never comes from the user: the original name is kept in a column.
    return f"attachments/{timezone.now():%Y/%m}/{instance.sha256[:2]}/{instance.sha256}"


class Attachment(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="attachments")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(upload_to=attachment_path, max_length=255)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    public = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class Consultation(models.Model):
    """A question to a consulted group; the incident stays with its owner (SPEC §5)."""

    QUESTION_MAX_LENGTH = 5000
    ANSWER_MAX_LENGTH = 10_000

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="consultations")
    group = models.ForeignKey(SupportGroup, on_delete=models.PROTECT, related_name="consultations")
    question = models.TextField()
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    answer = models.TextField(blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "id"]
        indexes = [
            models.Index(fields=["group", "answered_at"], name="consultation_group_open"),
        ]

    def __str__(self) -> str:
        return f"{self.incident_id} → {self.group_id}"

    @property
    def is_open(self) -> bool:
        return self.answered_at is None


class Watcher(models.Model):
    """A colleague the caller added: sees the incident in their portal and receives its public mail."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="watchers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="watching")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # user first: "the incidents I watch" is the portal's look-up; the FK indexes the other way.
            models.UniqueConstraint(fields=["user", "incident"], name="watcher_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} watches {self.incident_id}"


class IncidentRelation(models.Model):
    """Two incidents related without one following the other (issue 23 §3). A parent's children are
    resolved with it (``lifecycle.incident_resolve``); a related incident keeps a life of its own, as
    the incident split off a comment does: it reports another problem of the same caller.

    ``source`` is the incident the relation started from, ``target`` the one it made or named;
    ``kind`` says how they relate. The incident page shows each side to whoever may open the other."""

    class Kind(models.TextChoices):
        SPLIT = "split", gettext_lazy("split")

    source = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="relations_from")
    target = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="relations_to")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "kind"], name="incident_relation_once"),
            models.CheckConstraint(
                condition=~Q(source=models.F("target")), name="incident_relation_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} {self.kind} {self.target_id}"
