"""REST API: the monthly report (SPEC §11)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.errors import READ_ERRORS
from escalation.access import access_of

from . import selectors, services
from .periods import BadMonth, Month


class CanViewReports(BasePermission):
    message = "Reports are for managers, incident managers and administrators."

    def has_permission(self, request: Request, view: Any) -> bool:
        return selectors.can_view_reports(access_of(request))


class TimeStatsSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    mean_s = serializers.FloatField(allow_null=True)
    median_s = serializers.FloatField(allow_null=True)
    p90_s = serializers.FloatField(allow_null=True)


class BreakdownRowSerializer(serializers.Serializer):
    key = serializers.JSONField(help_text=gettext_lazy("Priority number, tier number, or a slug/code."))
    label = serializers.CharField()  # type: ignore[assignment]
    logged = serializers.IntegerField()
    resolved = serializers.IntegerField()
    closed = serializers.IntegerField()
    backlog_end = serializers.IntegerField()


class BreakdownSerializer(serializers.Serializer):
    priority = BreakdownRowSerializer(many=True)
    category = BreakdownRowSerializer(many=True)
    channel = BreakdownRowSerializer(many=True)
    group = BreakdownRowSerializer(many=True)
    tier = BreakdownRowSerializer(many=True)


class SlaPrioritySerializer(serializers.Serializer):
    priority = serializers.IntegerField()
    label = serializers.CharField()  # type: ignore[assignment]
    resolved = serializers.IntegerField()
    response_met = serializers.IntegerField()
    response_total = serializers.IntegerField()
    response_rate = serializers.FloatField(allow_null=True)
    resolution_met = serializers.IntegerField()
    resolution_total = serializers.IntegerField()
    resolution_rate = serializers.FloatField(allow_null=True)


class EscalationRateSerializer(serializers.Serializer):
    tier = serializers.IntegerField()
    reached = serializers.IntegerField()
    escalated = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True)


class TopSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    logged = serializers.IntegerField()


class MonthlyReportSerializer(serializers.Serializer):
    month = serializers.CharField(help_text=gettext_lazy("YYYY-MM"))
    period_start = serializers.CharField(
        help_text=gettext_lazy("The month's start in the organisation's time zone (ISO 8601).")
    )
    period_end = serializers.CharField(
        help_text=gettext_lazy("The next month's start (exclusive), ISO 8601.")
    )
    time_zone = serializers.CharField()
    logged = serializers.IntegerField()
    resolved = serializers.IntegerField()
    closed = serializers.IntegerField()
    backlog_end = serializers.IntegerField()
    breakdown = BreakdownSerializer()
    time_to_respond = TimeStatsSerializer(help_text=gettext_lazy("Business time."))
    time_to_respond_wall = TimeStatsSerializer()
    time_to_resolve = TimeStatsSerializer(help_text=gettext_lazy("Business time with pauses excluded."))
    time_to_resolve_wall = TimeStatsSerializer()
    sla_response_compliance = serializers.FloatField(allow_null=True, help_text="0–1")
    sla_resolution_compliance = serializers.FloatField(allow_null=True, help_text="0–1")
    sla_by_priority = SlaPrioritySerializer(many=True)
    first_contact_resolved = serializers.IntegerField()
    first_contact_resolution_rate = serializers.FloatField(allow_null=True, help_text="0–1")
    reopened = serializers.IntegerField()
    reopen_rate = serializers.FloatField(allow_null=True)
    escalation_rate = EscalationRateSerializer(many=True)
    escalation_flow = serializers.ListField(child=serializers.DictField(child=serializers.IntegerField()))
    top_categories = TopSerializer(many=True)
    top_services = TopSerializer(many=True)
    ola_compliance = serializers.JSONField(
        allow_null=True, help_text=gettext_lazy("null until OLA thresholds fire.")
    )
    satisfaction = serializers.JSONField(
        allow_null=True, help_text=gettext_lazy("null until surveys are wired in.")
    )
    knowledge = serializers.JSONField(
        allow_null=True, help_text=gettext_lazy("null until knowledge is wired in.")
    )
    created_at = serializers.DateTimeField(help_text=gettext_lazy("When this snapshot was made."))
    code_version = serializers.CharField()


class MonthlyReportApi(APIView):
    permission_classes = [IsAuthenticated, CanViewReports]

    @extend_schema(
        operation_id="reports_monthly_retrieve",
        summary="The monthly report",
        description="The newest snapshot of the month; a past month without one is computed and stored on "
        "first request. A month not yet started is a 404.",
        parameters=[OpenApiParameter("month", str, OpenApiParameter.PATH, description="YYYY-MM")],
        responses={200: MonthlyReportSerializer, **READ_ERRORS},
    )
    def get(self, request: Request, month: str) -> Response:
        try:
            m = Month.parse(month)
        except BadMonth as error:
            raise NotFound(str(error)) from error
        if m.is_future():
            raise NotFound(
                _("%(label)s has not started yet: there is no report for a future month.")
                % {"label": m.label}
            )
        report = services.report_for_month(month=m)
        body = dict(report.data)
        body["created_at"] = report.created_at.isoformat()
        body["code_version"] = report.code_version
        return Response(body)
