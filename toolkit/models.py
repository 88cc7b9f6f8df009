"""The agent's toolkit (issue 23): response templates and macros."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from escalation.choices import Level
from escalation.models import SupportGroup
from incidents.models import Category, HoldReason, Incident, ResolutionCode


class ResponseTemplate(models.Model):
    """A reply an agent inserts into the comment box. Personal (``owner``), shared with one support
    group (``group``), or shared with every agent (neither)."""

    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("text"), max_length=4000)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="response_templates",
        verbose_name=_("personal to"),
    )
    group = models.ForeignKey(
        SupportGroup,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="response_templates",
        verbose_name=_("shared with group"),
    )
    # A language code ("de"); blank for a template written for everyone.
    language = models.CharField(_("language"), max_length=10, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(owner__isnull=True) | Q(group__isnull=True), name="response_personal_or_group"
            )
        ]

    def __str__(self) -> str:
        return self.title


class MacroStatus(models.TextChoices):
    UNCHANGED = "", _("Leave the status")
    IN_PROGRESS = "in_progress", _("Start work")
    ON_HOLD = "on_hold", _("Put on hold")
    RESOLVED = "resolved", _("Resolve")


class Macro(models.Model):
    """A set of changes applied in one click through the lifecycle's own services."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    # Offered only to this group's members (and the incident managers); everyone's when blank.
    group = models.ForeignKey(
        SupportGroup,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("for group"),
    )
    set_status = models.CharField(
        _("status"), max_length=20, choices=MacroStatus.choices, blank=True, default=""
    )
    hold_reason = models.CharField(_("hold reason"), max_length=20, choices=HoldReason.choices, blank=True)
    resolution_code = models.CharField(
        _("resolution code"), max_length=20, choices=ResolutionCode.choices, blank=True
    )
    assignment_group = models.ForeignKey(
        SupportGroup,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("hand to group"),
    )
    impact = models.PositiveSmallIntegerField(_("impact"), choices=Level.choices, null=True, blank=True)
    urgency = models.PositiveSmallIntegerField(_("urgency"), choices=Level.choices, null=True, blank=True)
    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("category"),
    )
    public_reply = models.TextField(_("public reply"), blank=True, max_length=4000)
    internal_note = models.TextField(_("internal note"), blank=True, max_length=4000)
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class MacroRun(models.Model):
    """The one audit entry of a macro applied to an incident: who, when, and each change it made."""

    macro = models.ForeignKey(Macro, null=True, on_delete=models.SET_NULL, related_name="runs")
    macro_name = models.CharField(max_length=80)
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    steps = models.JSONField(default=list)  # [{"what": "...", "old": ..., "new": ...}]

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["incident", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.macro_name} on {self.incident_id}"


class RoutingRule(models.Model):
    """Routes a new incident that nobody gave a group: every condition set must hold; the first
    matching rule in ``position`` order wins (issue 23 §2)."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    position = models.PositiveIntegerField(_("position"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("category"),
    )
    service = models.ForeignKey(
        "incidents.Service",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("service"),
    )
    caller_department = models.CharField(_("caller's department"), max_length=100, blank=True)
    keywords = models.CharField(
        _("keywords"),
        max_length=300,
        blank=True,
        help_text=_("Any of these words (comma-separated) in the title or the description."),
    )
    channel = models.CharField(_("channel"), max_length=20, blank=True)
    group = models.ForeignKey(
        SupportGroup, on_delete=models.PROTECT, related_name="+", verbose_name=_("route to group")
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    def keyword_list(self) -> list[str]:
        return [w.strip().casefold() for w in self.keywords.split(",") if w.strip()]


class AssignmentMode(models.TextChoices):
    MANUAL = "manual", _("Left for people to take")
    ROUND_ROBIN = "round_robin", _("Round robin")
    LEAST_OPEN = "least_open", _("Least open work")


class GroupAssignment(models.Model):
    """How a group assigns the incidents that reach it with nobody named."""

    group = models.OneToOneField(SupportGroup, on_delete=models.CASCADE, related_name="assignment_mode")
    mode = models.CharField(_("assignment"), max_length=20, choices=AssignmentMode.choices, default="manual")
    # round robin: whom it gave the last one to
    last_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.group}: {self.get_mode_display()}"


class WorkingHours(models.Model):
    """One span of a person's working week, in the organisation's time zone. A person with no span
    works at any time."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="working_hours")
    weekday = models.PositiveSmallIntegerField(
        _("weekday"),
        choices=[
            (0, _("Monday")),
            (1, _("Tuesday")),
            (2, _("Wednesday")),
            (3, _("Thursday")),
            (4, _("Friday")),
            (5, _("Saturday")),
            (6, _("Sunday")),
        ],
    )
    starts = models.TimeField(_("from"))
    ends = models.TimeField(_("until"))

    class Meta:
        ordering = ["user", "weekday", "starts"]
        verbose_name_plural = _("working hours")
        constraints = [
            models.CheckConstraint(condition=Q(ends__gt=models.F("starts")), name="working_hours_order")
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.get_weekday_display()} {self.starts:%H:%M}-{self.ends:%H:%M}"


class Absence(models.Model):
    """A person away (leave, sickness, training) from ``starts_at`` until ``ends_at``."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="absences")
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["user", "ends_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="absence_order")
        ]

    def __str__(self) -> str:
        return f"{self.user} away {self.starts_at:%Y-%m-%d}"


class TimeEntry(models.Model):
    """Time a person spent on an incident, counted for the group that held it then (issue 23 §4)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    group = models.ForeignKey(SupportGroup, null=True, on_delete=models.SET_NULL, related_name="+")
    minutes = models.PositiveIntegerField(_("minutes"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    worked_at = models.DateTimeField()

    class Meta:
        ordering = ["-worked_at", "-id"]
        indexes = [models.Index(fields=["worked_at"]), models.Index(fields=["incident", "worked_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes__gt=0) & Q(minutes__lte=24 * 60), name="time_entry_minutes"
            )
        ]

    def __str__(self) -> str:
        return f"{self.minutes} min on {self.incident_id}"


class Tag(models.Model):
    """A free tag on incidents (issue 23 §5): lower-case, no spaces (``toolkit.services.tag_name``)."""

    MAX_LENGTH = 40

    name = models.CharField(_("tag"), max_length=MAX_LENGTH, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class IncidentTag(models.Model):
    """A tag put on an incident; the queue filters through ``tag_links`` (``?tag=``)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="tag_links")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="incident_links")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["incident", "tag"], name="incident_tag_once")]
        indexes = [models.Index(fields=["tag", "incident"])]

    def __str__(self) -> str:
        return f"{self.tag_id} on {self.incident_id}"
