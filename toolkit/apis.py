"""Toolkit API: the macros a person may apply, what one would do to an incident, and applying it
(``POST /api/v1/incidents/{number}/macros/{pk}/``). Domain errors become HTTP answers in
``core.api.errors``: a stale version or a refused move is a 409, a right the person lacks a 403."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.errors import E400, READ_ERRORS, WRITE_ERRORS
from core.api.pagination import ApiCursorPagination
from escalation.access import access_of
from escalation.gates import IsStaffMember
from incidents.records.serializers import NUMBER_PATTERN
from incidents.selectors import incident_get_for_user

from . import selectors, services
from .models import Macro, TimeEntry


class MacroSerializer(serializers.ModelSerializer):
    group: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    assignment_group: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    category: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Macro
        fields = [
            "id",
            "name",
            "description",
            "group",
            "set_status",
            "hold_reason",
            "resolution_code",
            "assignment_group",
            "impact",
            "urgency",
            "category",
            "public_reply",
            "internal_note",
        ]


class StepSerializer(serializers.Serializer):
    what = serializers.CharField()
    old = serializers.JSONField(allow_null=True)
    new = serializers.JSONField(allow_null=True)


class MacroApplyInputSerializer(serializers.Serializer):
    version = serializers.IntegerField(help_text=gettext_lazy("The version of the incident you read."))
    dry_run = serializers.BooleanField(
        default=False, help_text=gettext_lazy("Only say what the macro would do; change nothing.")
    )


class MacroApplyOutputSerializer(serializers.Serializer):
    macro = serializers.CharField()
    incident = serializers.CharField()
    applied = serializers.BooleanField()
    steps = StepSerializer(many=True)
    version = serializers.IntegerField(help_text=gettext_lazy("The incident's version now."))


PK_PARAMETER = OpenApiParameter("pk", int, OpenApiParameter.PATH, description="The macro's id.")
NUMBER_PARAMETER = OpenApiParameter(
    "number", str, OpenApiParameter.PATH, pattern=NUMBER_PATTERN, description="The incident number."
)


class MacroListApi(GenericAPIView):
    permission_classes = [IsStaffMember]
    serializer_class = MacroSerializer
    pagination_class = None
    queryset = Macro.objects.none()  # for the schema: the list comes from a selector

    @extend_schema(
        operation_id="macros_list",
        summary="The macros you may apply",
        responses=READ_ERRORS | {200: MacroSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        return Response(MacroSerializer(selectors.macros_for(access=access_of(request)), many=True).data)


class MacroApplyApi(GenericAPIView):
    permission_classes = [IsStaffMember]
    serializer_class = MacroApplyOutputSerializer

    @extend_schema(
        operation_id="incidents_macro_apply",
        summary="Apply a macro (or, with dry_run, see what it would do)",
        parameters=[NUMBER_PARAMETER, PK_PARAMETER],
        request=MacroApplyInputSerializer,
        responses={200: MacroApplyOutputSerializer, 400: E400, **WRITE_ERRORS},
    )
    def post(self, request: Request, number: str, pk: str) -> Response:
        access = access_of(request)
        incident = incident_get_for_user(access=access, number=number)
        # matched loosely by the URL, as incident numbers are, so that any other id is a JSON 404
        try:
            macro = selectors.macros_for(access=access).get(pk=int(pk))
        except (Macro.DoesNotExist, ValueError, OverflowError):
            raise Http404(gettext("There is no such macro.")) from None
        serializer = MacroApplyInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data: dict[str, Any] = dict(serializer.validated_data)
        if data["dry_run"]:
            steps = [
                s.as_dict() for s in services.macro_plan(macro=macro, incident=incident, agent=request.user)
            ]
            applied = False
            version = incident.version
        else:
            run = services.macro_apply(
                actor=request.user,  # type: ignore[arg-type]
                access=access,
                macro=macro,
                incident=incident,
                expected_version=data["version"],
            )
            steps, applied = run.steps, True
            incident.refresh_from_db(fields=["version"])
            version = incident.version
        return Response(
            MacroApplyOutputSerializer(
                {
                    "macro": macro.name,
                    "incident": incident.number,
                    "applied": applied,
                    "steps": steps,
                    "version": version,
                }
            ).data
        )


# --- time worked -------------------------------------------------------------------------------


class TimeEntrySerializer(serializers.ModelSerializer):
    incident: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="number", read_only=True)
    user: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="username", read_only=True)
    group: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = TimeEntry
        fields = ["id", "incident", "user", "group", "minutes", "note", "worked_at"]


class TimeEntryInputSerializer(serializers.Serializer):
    minutes = serializers.IntegerField(min_value=1, max_value=services.MAX_MINUTES)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class TimeEntryListApi(GenericAPIView):
    permission_classes = [IsStaffMember]
    pagination_class = ApiCursorPagination
    serializer_class = TimeEntrySerializer
    queryset = TimeEntry.objects.none()  # for the schema: the list comes from a selector
    ordering = ("-worked_at", "-id")

    @extend_schema(
        operation_id="incidents_time_list",
        summary="The time recorded on an incident, latest first",
        parameters=[NUMBER_PARAMETER],
        responses={200: TimeEntrySerializer(many=True), 400: E400, **READ_ERRORS},
    )
    def get(self, request: Request, number: str) -> Response:
        access = access_of(request)
        incident = incident_get_for_user(access=access, number=number)
        page = self.paginate_queryset(selectors.time_entries_of(access=access, incident=incident))
        return self.get_paginated_response(TimeEntrySerializer(page, many=True).data)

    @extend_schema(
        operation_id="incidents_time_create",
        summary="Record time worked on an incident, for the group that holds it now",
        parameters=[NUMBER_PARAMETER],
        request=TimeEntryInputSerializer,
        responses={201: TimeEntrySerializer, **{k: v for k, v in WRITE_ERRORS.items() if k != 409}},
    )
    def post(self, request: Request, number: str) -> Response:
        access = access_of(request)
        incident = incident_get_for_user(access=access, number=number)
        serializer = TimeEntryInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry = services.time_record(
            actor=request.user,  # type: ignore[arg-type]
            access=access,
            incident=incident,
            minutes=serializer.validated_data["minutes"],
            note=serializer.validated_data["note"],
        )
        return Response(TimeEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


class TimeRowSerializer(serializers.Serializer):
    key = serializers.CharField(allow_null=True)
    label = serializers.CharField(allow_null=True)  # type: ignore[assignment]  # a field, not Field.label
    minutes = serializers.IntegerField()
    entries = serializers.IntegerField()


class TimeReportSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    total_minutes = serializers.IntegerField()
    entries = serializers.IntegerField()
    by_group = TimeRowSerializer(many=True)
    by_person = TimeRowSerializer(many=True)
    by_category = TimeRowSerializer(many=True)
    by_month = TimeRowSerializer(many=True)


class TimeReportQuerySerializer(serializers.Serializer):
    start = serializers.DateField(help_text=gettext_lazy("The first day (organisation's time zone)."))
    end = serializers.DateField(help_text=gettext_lazy("The last day, inclusive."))
    group = serializers.SlugField(required=False, default="", allow_blank=True, max_length=50)
    tag = serializers.CharField(required=False, default="", allow_blank=True, max_length=60)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": gettext("The period ends before it starts.")})
        if (attrs["end"] - attrs["start"]).days > 3 * 366:
            raise serializers.ValidationError({"end": gettext("Choose a period of at most three years.")})
        return attrs


class TimeReportApi(GenericAPIView):
    permission_classes = [IsStaffMember]
    serializer_class = TimeReportSerializer
    pagination_class = None

    @extend_schema(
        operation_id="time_report",
        summary="Time worked by group, person, category and month (team leads and managers)",
        parameters=[TimeReportQuerySerializer],
        responses={200: TimeReportSerializer, 400: E400, **READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        access = access_of(request)
        if not selectors.may_read_time_reports(access):
            raise PermissionDenied(gettext("Only team leads and managers read the time report."))
        query = TimeReportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        zone = timezone.get_default_timezone()
        start = timezone.make_aware(datetime.combine(data["start"], time.min), zone)
        end = timezone.make_aware(datetime.combine(data["end"] + timedelta(days=1), time.min), zone)
        report = selectors.time_report(
            access=access, start=start, end=end, group=data["group"], tag=data["tag"]
        )
        payload = {
            "start": report.start,
            "end": report.end,
            "total_minutes": report.total_minutes,
            "entries": report.entries,
            **{f"by_{key}": rows for key, rows in report.tables()},
        }
        return Response(TimeReportSerializer(payload).data)
