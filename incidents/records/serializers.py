"""API shapes of incidents (SPEC §2, §11): users by username, groups, categories and services by
slug, incidents by number, times ISO 8601 with their offset.

Input serializers only parse and type-check; the services decide what is allowed.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from core.api.fields import IsoDateTimeField
from escalation.choices import Level
from escalation.models import SupportGroup

from ..notifications.models import Notification
from .models import (
    Category,
    Channel,
    Consultation,
    HoldReason,
    Incident,
    IncidentEvent,
    ResolutionCode,
    Service,
)

User = get_user_model()

NUMBER_PATTERN = r"^INC[0-9]{7}$"
MAX_VERSION = 2**31 - 1


def _shown(slug_field: str, *, null: bool = False, **kwargs: Any) -> serializers.SlugRelatedField[Any]:
    """A related object as the API names it: a username, a slug or an incident number."""
    return serializers.SlugRelatedField(slug_field=slug_field, read_only=True, allow_null=null, **kwargs)


class _SlugField(serializers.SlugRelatedField):
    """A slug lookup that refuses a NUL character as the field's own error: PostgreSQL cannot compare
    text holding one (psycopg 3 raises a DataError, which names no field)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and "\x00" in data:
            self.fail("invalid")
        return super().to_internal_value(data)


def _username(**kwargs: Any) -> serializers.SlugRelatedField[Any]:
    return _SlugField(slug_field="username", queryset=User.objects.filter(is_active=True), **kwargs)


def _group(**kwargs: Any) -> serializers.SlugRelatedField[Any]:
    return _SlugField(slug_field="slug", queryset=SupportGroup.objects.all(), **kwargs)


def _number(**kwargs: Any) -> serializers.RegexField:
    return serializers.RegexField(
        NUMBER_PATTERN,
        max_length=Incident.NUMBER_MAX_LENGTH,
        error_messages={"invalid": gettext_lazy("Give an incident number like INC0000123.")},
        **kwargs,
    )


def _category() -> serializers.SlugRelatedField[Any]:
    return serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Category.objects.filter(parent__isnull=True, is_active=True),
        required=False,
        allow_null=True,
        help_text=_("Slug of a top-level category."),
    )


def _subcategory() -> serializers.SlugField:
    # Resolved by the view within `category`: subcategory slugs are unique only under their parent.
    return serializers.SlugField(
        max_length=100, required=False, allow_null=True, help_text=_("Slug of a subcategory of `category`.")
    )


def _service() -> serializers.SlugRelatedField[Any]:
    return serializers.SlugRelatedField(
        slug_field="slug", queryset=Service.objects.filter(is_active=True), required=False, allow_null=True
    )


def _version() -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=1,
        max_value=MAX_VERSION,
        help_text=_(
            "The `version` of the incident as the client last read it. Required: a request without "
            "it, or with an older one, is refused with 409 and the current version."
        ),
    )


class TagsField(serializers.ListField):
    """An incident's tags (the toolkit's, issue 23 §5), read with its row as ``tag_names`` ("a b", in
    name order: a tag holds no space, ``toolkit.services.tag_name``). A row read without them (for
    someone who is not staff: tags are the staff's) shows none."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(child=serializers.CharField(), read_only=True, **kwargs)

    def get_attribute(self, instance: Any) -> Any:
        return getattr(instance, str(self.source), None) or ""  # None (no tag) would be shown as null

    def to_representation(self, data: Any) -> list[str]:
        return (data or "").split()


class IncidentSerializer(serializers.ModelSerializer):
    caller = _shown("username")
    reported_by = _shown("username")
    assigned_to = _shown("username", null=True)
    assignment_group = _shown("slug")
    category = _shown("slug", null=True)
    subcategory = _shown("slug", null=True)
    service = _shown("slug", null=True)
    parent = _shown("number", null=True)  # type: ignore[assignment]
    duplicate_of = _shown("number", null=True)
    # Declared here because DRF drops `allow_blank` from read-only model fields, and the schema
    # must say that "" (not on hold, not resolved) is a value these take.
    hold_reason = serializers.ChoiceField(HoldReason.choices, allow_blank=True, read_only=True)
    resolution_code = serializers.ChoiceField(ResolutionCode.choices, allow_blank=True, read_only=True)
    response_due_at = IsoDateTimeField(read_only=True, allow_null=True)
    resolution_due_at = IsoDateTimeField(read_only=True, allow_null=True)
    responded_at = IsoDateTimeField(read_only=True, allow_null=True)
    resolved_at = IsoDateTimeField(read_only=True, allow_null=True)
    closed_at = IsoDateTimeField(read_only=True, allow_null=True)
    created_at = IsoDateTimeField(read_only=True)
    updated_at = IsoDateTimeField(read_only=True)
    sla_policy = serializers.CharField(
        source="sla_policy_slug",
        read_only=True,
        help_text=gettext_lazy("The slug of the SLA policy the rules chose."),
    )
    ola_due_at = IsoDateTimeField(
        read_only=True,
        allow_null=True,
        help_text=gettext_lazy("When the current tier must hand back or resolve (OLA)."),
    )

    class Meta:
        model = Incident
        fields = [
            "number",
            "title",
            "description",
            "caller",
            "reported_by",
            "channel",
            "category",
            "subcategory",
            "service",
            "impact",
            "urgency",
            "priority",
            "status",
            "hold_reason",
            "resolution_code",
            "resolution_notes",
            "close_notes",
            "assignment_group",
            "assigned_to",
            "response_due_at",
            "resolution_due_at",
            "responded_at",
            "resolved_at",
            "closed_at",
            "sla_paused_seconds",
            "sla_state",
            "sla_policy",
            "ola_due_at",
            "ola_state",
            "escalation_level",
            "major_incident",
            "parent",
            "duplicate_of",
            "problem_reference",
            "change_reference",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    _fast_plan: ClassVar[list[tuple[str, str, str, str]] | None] = None

    def to_representation(self, instance: Incident) -> dict[str, Any]:
        """What DRF's field-by-field ``to_representation`` gives, in a fifth of the time.

        The API list shows 50 incidents of 38 fields: DRF's generic machinery (attribute paths,
        ``SkipField``, primary-key shortcuts) was a third of its server time (SPEC §13). Each field
        keeps its own rule here: related objects by their slug, username or number, times in ISO
        8601 with the offset of the current time zone, the rest as the model holds it.
        tests/incidents/test_read_query_counts.py compares both on every kind of incident.
        """
        tz = timezone.get_current_timezone()
        out: dict[str, Any] = {}
        for name, kind, source, attr in self._plan():
            if kind == _WORDS:
                out[name] = (getattr(instance, source, "") or "").split()
                continue
            value = getattr(instance, source)
            if value is None:
                out[name] = None
            elif kind == _RELATED:
                out[name] = getattr(value, attr)
            elif kind == _TIME:
                out[name] = value.astimezone(tz).isoformat()
            elif kind == _TEXT:
                out[name] = str(value)
            else:
                out[name] = value
        return out

    @classmethod
    def _plan(cls) -> list[tuple[str, str, str, str]]:
        plan = cls.__dict__.get("_fast_plan")
        if plan is None:
            plan = []
            for name, field in cls().fields.items():
                if not isinstance(field.source, str) or "." in field.source:
                    raise TypeError(f"IncidentSerializer.{name}: a dotted source needs a rule of its own")
                if isinstance(field, TagsField):
                    plan.append((name, _WORDS, field.source, ""))
                elif isinstance(field, serializers.SlugRelatedField):
                    plan.append((name, _RELATED, field.source, field.slug_field))
                elif isinstance(field, serializers.DateTimeField):
                    plan.append((name, _TIME, field.source, ""))
                elif isinstance(
                    field, serializers.ChoiceField | serializers.IntegerField | serializers.BooleanField
                ):
                    plan.append((name, _VALUE, field.source, ""))
                elif isinstance(field, serializers.CharField):
                    plan.append((name, _TEXT, field.source, ""))
                else:  # a field this plan does not know: a new kind must be added above
                    raise TypeError(f"IncidentSerializer.{name}: no fast rule for {type(field).__name__}")
            cls._fast_plan = plan
        return plan


_RELATED, _TIME, _TEXT, _VALUE, _WORDS = "related", "time", "text", "value", "words"


class IncidentListSerializer(IncidentSerializer):
    """A row of the API list: the incident and its tags, read in the page's own query."""

    tags = TagsField(
        source="tag_names",
        help_text=gettext_lazy("The incident's tags, in name order (staff only; [] for anyone else)."),
    )

    class Meta(IncidentSerializer.Meta):
        fields = [*IncidentSerializer.Meta.fields, "tags"]
        read_only_fields = fields


class IncidentDetailSerializer(IncidentListSerializer):
    """One incident (GET /incidents/{number}/): also where a merged incident's work continues."""

    merged_into = serializers.CharField(
        source="merged_into_number",
        read_only=True,
        allow_null=True,
        help_text=gettext_lazy("For an incident merged into another: that incident's number; else null."),
    )

    class Meta(IncidentListSerializer.Meta):
        fields = [*IncidentListSerializer.Meta.fields, "merged_into"]
        read_only_fields = fields

    def to_representation(self, instance: Incident) -> dict[str, Any]:
        instance.merged_into_number = self.context.get("merged_into")  # type: ignore[attr-defined]
        return super().to_representation(instance)


class IncidentCreateInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=Incident.TITLE_MAX_LENGTH)
    description = serializers.CharField(
        max_length=Incident.DESCRIPTION_MAX_LENGTH, required=False, allow_blank=True, default=""
    )
    caller = _username(
        required=False, help_text=gettext_lazy("Username of the affected user; defaults to the requester.")
    )
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.API)
    category = _category()
    subcategory = _subcategory()
    service = _service()
    impact = serializers.ChoiceField(choices=Level.choices, default=Level.MEDIUM)
    urgency = serializers.ChoiceField(choices=Level.choices, default=Level.MEDIUM)
    assignment_group = _group(
        required=False, allow_null=True, help_text=gettext_lazy("Staff only; defaults to the service desk.")
    )
    assigned_to = _username(
        required=False, allow_null=True, help_text=gettext_lazy("Staff only; a member of the group.")
    )
    major_incident = serializers.BooleanField(default=False, help_text=gettext_lazy("Staff only."))
    parent = _number(required=False, allow_null=True)  # type: ignore[assignment]


class IncidentUpdateInputSerializer(serializers.Serializer):
    """A partial update: only the fields sent change."""

    version = _version()
    title = serializers.CharField(max_length=Incident.TITLE_MAX_LENGTH, required=False)
    description = serializers.CharField(
        max_length=Incident.DESCRIPTION_MAX_LENGTH, required=False, allow_blank=True
    )
    caller = _username(required=False)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    category = _category()
    subcategory = _subcategory()
    service = _service()
    impact = serializers.ChoiceField(choices=Level.choices, required=False)
    urgency = serializers.ChoiceField(choices=Level.choices, required=False)
    major_incident = serializers.BooleanField(required=False)
    parent = _number(required=False, allow_null=True)  # type: ignore[assignment]
    duplicate_of = _number(required=False, allow_null=True)
    problem_reference = serializers.CharField(
        max_length=Incident.REFERENCE_MAX_LENGTH, required=False, allow_blank=True
    )
    change_reference = serializers.CharField(
        max_length=Incident.REFERENCE_MAX_LENGTH, required=False, allow_blank=True
    )


class VersionInputSerializer(serializers.Serializer):
    version = _version()


class AssignInputSerializer(VersionInputSerializer):
    assigned_to = _username(
        required=False, allow_null=True, help_text=gettext_lazy("A member of the (new) group, or null.")
    )
    assignment_group = _group(
        required=False, help_text=gettext_lazy("Hand the incident to this group; defaults to its own.")
    )


class EscalateInputSerializer(VersionInputSerializer):
    assignment_group = _group()
    reason = serializers.CharField(max_length=Incident.ESCALATION_REASON_MAX_LENGTH)


class ConsultInputSerializer(VersionInputSerializer):
    group = _group(
        help_text=gettext_lazy("A consulted group (access, facility, change or problem management).")
    )
    question = serializers.CharField(max_length=Consultation.QUESTION_MAX_LENGTH)


class HoldInputSerializer(VersionInputSerializer):
    reason = serializers.ChoiceField(choices=HoldReason.choices)
    note = serializers.CharField(
        max_length=Incident.NOTE_MAX_LENGTH, required=False, allow_blank=True, default=""
    )


class ResolveInputSerializer(VersionInputSerializer):
    resolution_code = serializers.ChoiceField(choices=ResolutionCode.choices)
    resolution_notes = serializers.CharField(max_length=Incident.RESOLUTION_NOTES_MAX_LENGTH)


class ReasonInputSerializer(VersionInputSerializer):
    reason = serializers.CharField(max_length=Incident.REASON_MAX_LENGTH)


class CloseInputSerializer(VersionInputSerializer):
    close_notes = serializers.CharField(
        max_length=Incident.NOTE_MAX_LENGTH, required=False, allow_blank=True, default=""
    )


class CancelInputSerializer(ReasonInputSerializer):
    duplicate_of = _number(required=False, allow_null=True)


class MergeInputSerializer(VersionInputSerializer):
    into = _number(help_text=gettext_lazy("The incident this one duplicates: everything moves there."))


class EventSerializer(serializers.ModelSerializer):
    actor = _shown("username", null=True)
    created_at = IsoDateTimeField(read_only=True)
    body = serializers.CharField(
        source="text",
        read_only=True,
        help_text=gettext_lazy(
            "The comment or note as written; what the system wrote (SLA thresholds, escalation rules, "
            "routing) in the reader's language (Accept-Language) and zone."
        ),
    )
    changes = serializers.DictField(
        source="shown_changes",
        child=serializers.DictField(allow_null=True),
        read_only=True,
        help_text=gettext_lazy(
            'What changed: {"field": {"old": …, "new": …}}, values as the API shows them.'
        ),
    )
    attachment = _shown("original_name", null=True, help_text=gettext_lazy("The attached file's name."))

    class Meta:
        model = IncidentEvent
        fields = ["id", "kind", "actor", "created_at", "public", "body", "changes", "attachment", "version"]
        read_only_fields = fields


class CommentInputSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=Incident.COMMENT_MAX_LENGTH)
    public = serializers.BooleanField(
        required=False,
        help_text=gettext_lazy(
            "Whether the caller sees it. Defaults to true for callers, who write public comments "
            "only, and to false (an internal work note) for staff."
        ),
    )


class NotificationSerializer(serializers.ModelSerializer):
    incident = _shown("number", null=True)
    created_at = IsoDateTimeField(read_only=True)
    read_at = IsoDateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = Notification
        fields = ["id", "kind", "incident", "subject", "body", "url", "created_at", "read_at"]
        read_only_fields = fields


class NotificationReadInputSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        max_length=500,
        help_text=gettext_lazy("The notifications to mark read; all unread ones when left out."),
    )


class NotificationReadSerializer(serializers.Serializer):
    marked = serializers.IntegerField(
        help_text=gettext_lazy("How many notifications were unread and are now read.")
    )
