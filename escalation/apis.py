"""REST API for the support organisation (SPEC §5, §11): groups, the escalation register and
SLA policies. Reads are for staff (groups for everyone signed in); writes go through services."""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.errors import E400, E429, READ_ERRORS
from core.api.pagination import ApiCursorPagination

from .access import access_of
from .choices import Priority
from .gates import IsStaffMember
from .models import BusinessCalendar, ContactPerson, EscalationPoint, SLAPolicy, SLATarget, SupportGroup
from .policy_services import MAX_MINUTES, TargetSpec, sla_policy_update


class GroupSerializer(serializers.ModelSerializer):
    class Meta:
        model = SupportGroup
        fields = ["slug", "name", "kind", "tier", "description", "is_active"]
        read_only_fields = fields


class GroupListApi(GenericAPIView):
    permission_classes = [IsAuthenticated]
    pagination_class = ApiCursorPagination
    serializer_class = GroupSerializer
    ordering = ("slug",)

    def get_queryset(self) -> QuerySet[SupportGroup]:
        return SupportGroup.objects.all()

    @extend_schema(
        operation_id="groups_list",
        summary="Support and consulted groups",
        responses={200: GroupSerializer(many=True), 400: E400, 401: READ_ERRORS[401]},
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(GroupSerializer(page, many=True).data)


# --- escalation register -----------------------------------------------------------------------


def _email() -> serializers.CharField:
    # An email address, or empty where none is recorded: not `format: email`, which rejects "".
    return serializers.CharField(read_only=True, help_text=_("An email address, or empty."))


class ContactSerializer(serializers.ModelSerializer):
    email = _email()

    class Meta:
        model = ContactPerson
        fields = ["name", "role", "email", "phone", "on_call_hours"]
        read_only_fields = fields


class EscalationPointSerializer(serializers.ModelSerializer):
    user: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = EscalationPoint
        fields = ["level", "target", "percent", "user", "role"]
        read_only_fields = fields


class RegisterEntrySerializer(serializers.ModelSerializer):
    email = _email()
    contacts = ContactSerializer(many=True, read_only=True)
    points_of_escalation = EscalationPointSerializer(many=True, read_only=True, source="escalation_points")

    class Meta:
        model = SupportGroup
        fields = [
            "slug",
            "name",
            "kind",
            "tier",
            "email",
            "phone",
            "on_call_hours",
            "contacts",
            "points_of_escalation",
        ]
        read_only_fields = fields


class EscalationRegisterApi(GenericAPIView):
    permission_classes = [IsAuthenticated, IsStaffMember]
    pagination_class = ApiCursorPagination
    serializer_class = RegisterEntrySerializer
    ordering = ("slug",)

    def get_queryset(self) -> QuerySet[SupportGroup]:
        return SupportGroup.objects.filter(is_active=True).prefetch_related(
            Prefetch("contacts", queryset=ContactPerson.objects.order_by("name", "id")),
            Prefetch(
                "escalation_points",
                queryset=EscalationPoint.objects.select_related("user").order_by(
                    "level", "target", "percent"
                ),
            ),
        )

    @extend_schema(
        operation_id="escalation_register_list",
        summary="Every active group's contacts and points of escalation (staff)",
        responses={200: RegisterEntrySerializer(many=True), 400: E400, **READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(RegisterEntrySerializer(page, many=True).data)


# --- SLA policies ------------------------------------------------------------------------------

SLUG_RE = re.compile(r"^[-a-zA-Z0-9_]{1,60}$")
SLUG_PARAMETER = OpenApiParameter(
    "slug",
    str,
    OpenApiParameter.PATH,
    pattern=SLUG_RE.pattern,
    description="The policy's slug, e.g. default.",
)


class IsIncidentManagerToWrite(BasePermission):
    message = "Only the incident manager edits SLA policies."

    def has_permission(self, request: Request, view: Any) -> bool:
        return request.method in SAFE_METHODS or access_of(request).is_incident_manager


class SLATargetSerializer(serializers.ModelSerializer):
    calendar: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="slug",
        read_only=True,
        allow_null=True,
        help_text=gettext_lazy("Null: the policy's calendar."),
    )

    class Meta:
        model = SLATarget
        fields = ["priority", "response_minutes", "resolution_minutes", "calendar"]
        read_only_fields = fields


class SLAPolicySerializer(serializers.ModelSerializer):
    calendar: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    targets = SLATargetSerializer(many=True, read_only=True)

    class Meta:
        model = SLAPolicy
        fields = ["slug", "name", "calendar", "is_default", "targets"]
        read_only_fields = fields


def _calendar_field(**kwargs: Any) -> serializers.SlugRelatedField[Any]:
    return serializers.SlugRelatedField(slug_field="slug", queryset=BusinessCalendar.objects.all(), **kwargs)


class SLATargetInputSerializer(serializers.Serializer):
    priority = serializers.ChoiceField(choices=Priority.choices)
    response_minutes = serializers.IntegerField(min_value=1, max_value=MAX_MINUTES)
    resolution_minutes = serializers.IntegerField(min_value=1, max_value=MAX_MINUTES)
    calendar = _calendar_field(
        required=False, allow_null=True, help_text=gettext_lazy("Null or absent: the policy's calendar.")
    )


class SLAPolicyInputSerializer(serializers.Serializer):
    slug = serializers.SlugField(
        max_length=60, required=False, help_text=gettext_lazy("If sent, must be the policy's own.")
    )
    name = serializers.CharField(max_length=100)
    calendar = _calendar_field()
    targets = SLATargetInputSerializer(
        many=True, help_text=gettext_lazy("One target for each priority 1 to 5.")
    )


def _policies() -> QuerySet[SLAPolicy]:
    return SLAPolicy.objects.select_related("calendar").prefetch_related(
        Prefetch("targets", queryset=SLATarget.objects.select_related("calendar").order_by("priority"))
    )


def _policy_for(slug: str) -> SLAPolicy:
    if not SLUG_RE.match(slug):
        raise Http404(_("No such SLA policy."))
    try:
        return _policies().get(slug=slug)
    except SLAPolicy.DoesNotExist:
        raise Http404(_("No SLA policy %(slug)s.") % {"slug": slug}) from None


class SLAPolicyListApi(GenericAPIView):
    permission_classes = [IsAuthenticated, IsStaffMember]
    pagination_class = ApiCursorPagination
    serializer_class = SLAPolicySerializer
    ordering = ("slug",)

    def get_queryset(self) -> QuerySet[SLAPolicy]:
        return _policies()

    @extend_schema(
        operation_id="sla_policies_list",
        summary="SLA policies with their targets (staff)",
        responses={200: SLAPolicySerializer(many=True), 400: E400, **READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(SLAPolicySerializer(page, many=True).data)


class SLAPolicyDetailApi(GenericAPIView):
    permission_classes = [IsAuthenticated, IsStaffMember, IsIncidentManagerToWrite]
    serializer_class = SLAPolicySerializer

    @extend_schema(
        operation_id="sla_policies_retrieve",
        summary="One SLA policy (staff)",
        parameters=[SLUG_PARAMETER],
        responses={200: SLAPolicySerializer, **READ_ERRORS},
    )
    def get(self, request: Request, slug: str) -> Response:
        return Response(SLAPolicySerializer(_policy_for(slug)).data)

    @extend_schema(
        operation_id="sla_policies_update",
        summary="Replace an SLA policy's name, calendar and targets (incident manager)",
        description="Minutes are counted on the target's calendar, or on the policy's where the target "
        "names none. Running incidents keep their due times; new clocks use the new targets.",
        parameters=[SLUG_PARAMETER],
        request=SLAPolicyInputSerializer,
        responses={200: SLAPolicySerializer, 400: E400, 429: E429, **READ_ERRORS},
    )
    def put(self, request: Request, slug: str) -> Response:
        policy = _policy_for(slug)
        serializer = SLAPolicyInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if data.get("slug", slug) != slug:
            raise serializers.ValidationError({"slug": [_("A policy's slug cannot be changed.")]})
        sla_policy_update(
            actor=request.user,
            policy=policy,
            name=data["name"],
            calendar=data["calendar"],
            targets=[
                TargetSpec(
                    priority=int(t["priority"]),
                    response_minutes=t["response_minutes"],
                    resolution_minutes=t["resolution_minutes"],
                    calendar=t.get("calendar"),
                )
                for t in data["targets"]
            ],
        )
        return Response(SLAPolicySerializer(_policy_for(slug)).data)
