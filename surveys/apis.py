"""Read-only REST API for survey results and improvement actions (managers and the incident manager)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.errors import E400, READ_ERRORS
from core.api.pagination import ApiCursorPagination
from escalation.access import access_of

from . import selectors
from .models import ImprovementAction, Programme


class CanReadResults(BasePermission):
    message = "Survey results are for the incident manager and managers."

    def has_permission(self, request: Request, view: Any) -> bool:
        return selectors.can_read_results(access_of(request))


class BucketSerializer(serializers.Serializer):
    answer = serializers.CharField(source="label")
    count = serializers.IntegerField()


class MonthSerializer(serializers.Serializer):
    month = serializers.CharField(source="label", help_text=gettext_lazy("YYYY-MM"))
    mean = serializers.FloatField()
    responses = serializers.IntegerField()


class SurveyBreakdownRowSerializer(serializers.Serializer):
    value = serializers.CharField(source="label")
    mean = serializers.FloatField()
    responses = serializers.IntegerField()


class SurveyBreakdownSerializer(serializers.Serializer):
    key = serializers.ChoiceField(choices=list(selectors.BREAKDOWNS))
    title = serializers.CharField(source="label")
    rows = SurveyBreakdownRowSerializer(many=True)


class ProgrammeResultsSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="programme.pk")
    name = serializers.CharField(source="programme.name")
    kind = serializers.CharField(source="programme.kind")
    published = serializers.BooleanField(source="programme.published")
    invited = serializers.IntegerField(source="counts.invited")
    answered = serializers.IntegerField(source="counts.answered")
    expired = serializers.IntegerField(source="counts.expired")
    response_rate = serializers.FloatField(
        source="counts.response_rate", allow_null=True, help_text=gettext_lazy("Percent.")
    )
    mean = serializers.FloatField(allow_null=True, help_text=gettext_lazy("Mean of every 1–5 rating answer."))
    distribution = BucketSerializer(many=True)
    monthly = MonthSerializer(many=True)
    breakdowns = SurveyBreakdownSerializer(many=True)


class ActionSerializer(serializers.ModelSerializer):
    programme = serializers.IntegerField(source="programme_id")
    owner = serializers.CharField(source="owner.username")

    class Meta:
        model = ImprovementAction
        fields = [
            "id",
            "programme",
            "title",
            "description",
            "owner",
            "due_on",
            "status",
            "created_at",
            "done_at",
        ]
        read_only_fields = fields


class SurveyResultsApi(GenericAPIView):
    permission_classes = [CanReadResults]
    pagination_class = ApiCursorPagination
    serializer_class = ProgrammeResultsSerializer
    ordering = ("name", "id")

    def get_queryset(self) -> QuerySet[Programme]:
        return Programme.objects.select_related("template")

    @extend_schema(
        operation_id="survey_results_list",
        summary="Results of each survey programme",
        responses={200: ProgrammeResultsSerializer(many=True), 400: E400, **READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        data = [selectors.programme_results(access=access_of(request), programme=p) for p in page or []]
        return self.get_paginated_response(ProgrammeResultsSerializer(data, many=True).data)


class ImprovementActionListApi(GenericAPIView):
    permission_classes = [CanReadResults]
    pagination_class = ApiCursorPagination
    serializer_class = ActionSerializer
    ordering = ("due_on", "id")

    def get_queryset(self) -> QuerySet[ImprovementAction]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator reads the model only
            return ImprovementAction.objects.none()
        return selectors.actions_for(access=access_of(self.request))

    @extend_schema(
        operation_id="survey_actions_list",
        summary="Improvement actions that answer survey results",
        responses={200: ActionSerializer(many=True), 400: E400, **READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ActionSerializer(page, many=True).data)
