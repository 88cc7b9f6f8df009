"""REST API of the SLA policy rules (SPEC §6, §11): staff read them, the incident manager writes.

Related rows by slug like the rest of the API: the policy, the service, the category (top level)
and its subcategory (a rule on a subcategory matches only that subcategory).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.errors import E400, E429, READ_ERRORS
from core.api.pagination import ApiCursorPagination
from escalation.access import access_of
from escalation.choices import Priority
from escalation.gates import IsStaffMember
from escalation.models import CallerProfile, SLAPolicy

from ..records.models import Category, Channel, Service
from .models import SLAPolicyRule
from .services import sla_policy_rule_create, sla_policy_rule_delete, sla_policy_rule_update

MAX_ID = 2**31 - 1
ID_PARAMETER = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The rule's id.")


class IsIncidentManagerToWrite(BasePermission):
    message = "Only the incident manager edits the SLA policy rules."

    def has_permission(self, request: Request, view: Any) -> bool:
        return request.method in SAFE_METHODS or access_of(request).is_incident_manager


class SLAPolicyRuleSerializer(serializers.ModelSerializer):
    policy: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    service: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True
    )
    category = serializers.SerializerMethodField(
        help_text=gettext_lazy("Slug of the top-level category, or null.")
    )
    subcategory = serializers.SerializerMethodField(
        help_text=gettext_lazy("Slug of the subcategory, or null.")
    )
    channel = serializers.ChoiceField(Channel.choices, allow_blank=True, read_only=True)
    priority = serializers.ChoiceField(Priority.choices, allow_null=True, read_only=True)

    class Meta:
        model = SLAPolicyRule
        fields = [
            "id",
            "position",
            "name",
            "policy",
            "service",
            "category",
            "subcategory",
            "caller_vip",
            "caller_department",
            "channel",
            "priority",
            "is_active",
        ]
        read_only_fields = fields

    def get_category(self, rule: SLAPolicyRule) -> str | None:
        if rule.category is None:
            return None
        return rule.category.parent.slug if rule.category.parent else rule.category.slug

    def get_subcategory(self, rule: SLAPolicyRule) -> str | None:
        return rule.category.slug if rule.category and rule.category.parent_id else None


class SLAPolicyRuleInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=SLAPolicyRule.NAME_MAX_LENGTH)
    position = serializers.IntegerField(
        min_value=0,
        max_value=100_000,
        required=False,
        help_text=gettext_lazy("Absent on create: after the last rule."),
    )
    policy = serializers.SlugRelatedField(slug_field="slug", queryset=SLAPolicy.objects.all())
    service = serializers.SlugRelatedField(
        slug_field="slug", queryset=Service.objects.all(), required=False, allow_null=True, default=None
    )
    category = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Category.objects.filter(parent__isnull=True),
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("Slug of a top-level category."),
    )
    subcategory = serializers.SlugField(
        max_length=100,
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("Slug of a subcategory of `category`."),
    )
    caller_vip = serializers.BooleanField(default=False)
    caller_department = serializers.CharField(
        max_length=CallerProfile.DEPARTMENT_MAX_LENGTH, required=False, allow_blank=True, default=""
    )
    channel = serializers.ChoiceField(Channel.choices, required=False, allow_blank=True, default="")
    priority = serializers.ChoiceField(Priority.choices, required=False, allow_null=True, default=None)
    is_active = serializers.BooleanField(default=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        sub, category = attrs.pop("subcategory", None), attrs.get("category")
        if sub is not None:
            if category is None:
                raise serializers.ValidationError(
                    {"category": [_("Choose the category of the subcategory too.")]}
                )
            found = Category.objects.filter(parent=category, slug=sub).first()
            if found is None:
                raise serializers.ValidationError(
                    {
                        "subcategory": [
                            _("%(sub)s is not a subcategory of %(slug)s.")
                            % {"sub": sub, "slug": category.slug}
                        ]
                    }
                )
            attrs["category"] = found
        if attrs.get("priority") is not None:
            attrs["priority"] = int(attrs["priority"])
        return attrs


def _rules() -> QuerySet[SLAPolicyRule]:
    return SLAPolicyRule.objects.select_related("policy", "service", "category__parent")


def _rule_for(pk: int | str) -> SLAPolicyRule:
    """The rule, or a JSON 404: the route takes any text, so that a malformed id is a 404 like the rest."""
    if not str(pk).isascii() or not str(pk).isdigit() or not 0 < int(pk) <= MAX_ID:
        raise Http404(_("No such rule."))
    try:
        return _rules().get(pk=int(pk))
    except SLAPolicyRule.DoesNotExist:
        raise Http404(_("No SLA policy rule %(pk)s.") % {"pk": pk}) from None


def _valid(request: Request) -> dict[str, Any]:
    serializer = SLAPolicyRuleInputSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class SLAPolicyRuleListApi(GenericAPIView):
    permission_classes = [IsAuthenticated, IsStaffMember, IsIncidentManagerToWrite]
    pagination_class = ApiCursorPagination
    serializer_class = SLAPolicyRuleSerializer
    ordering = ("position", "id")

    def get_queryset(self) -> QuerySet[SLAPolicyRule]:
        return _rules()

    @extend_schema(
        operation_id="sla_policy_rules_list",
        summary="The SLA policy rules in the order they are tried (staff)",
        responses={200: SLAPolicyRuleSerializer(many=True), 400: E400, **READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(SLAPolicyRuleSerializer(page, many=True).data)

    @extend_schema(
        operation_id="sla_policy_rules_create",
        summary="Add an SLA policy rule (incident manager)",
        description="Every condition given must hold; null or empty conditions match every incident. "
        "The first active rule by position that matches a new incident chooses its policy.",
        request=SLAPolicyRuleInputSerializer,
        responses={
            201: SLAPolicyRuleSerializer,
            400: E400,
            429: E429,
            401: READ_ERRORS[401],
            403: READ_ERRORS[403],
        },
    )
    def post(self, request: Request) -> Response:
        rule = sla_policy_rule_create(actor=request.user, **_valid(request))
        return Response(SLAPolicyRuleSerializer(_rule_for(rule.pk)).data, status=status.HTTP_201_CREATED)


class SLAPolicyRuleDetailApi(GenericAPIView):
    permission_classes = [IsAuthenticated, IsStaffMember, IsIncidentManagerToWrite]
    serializer_class = SLAPolicyRuleSerializer

    @extend_schema(
        operation_id="sla_policy_rules_retrieve",
        summary="One SLA policy rule (staff)",
        parameters=[ID_PARAMETER],
        responses={200: SLAPolicyRuleSerializer, **READ_ERRORS},
    )
    def get(self, request: Request, pk: str) -> Response:
        return Response(SLAPolicyRuleSerializer(_rule_for(pk)).data)

    @extend_schema(
        operation_id="sla_policy_rules_update",
        summary="Replace an SLA policy rule (incident manager)",
        parameters=[ID_PARAMETER],
        request=SLAPolicyRuleInputSerializer,
        responses={200: SLAPolicyRuleSerializer, 400: E400, 429: E429, **READ_ERRORS},
    )
    def put(self, request: Request, pk: str) -> Response:
        rule = _rule_for(pk)
        sla_policy_rule_update(actor=request.user, rule=rule, **_valid(request))
        return Response(SLAPolicyRuleSerializer(_rule_for(pk)).data)

    @extend_schema(
        operation_id="sla_policy_rules_destroy",
        summary="Delete an SLA policy rule (incident manager)",
        parameters=[ID_PARAMETER],
        responses={204: None, 429: E429, **READ_ERRORS},
    )
    def delete(self, request: Request, pk: str) -> Response:
        sla_policy_rule_delete(actor=request.user, rule=_rule_for(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)
