"""REST API for the support organisation (SPEC §5, §11): groups, the escalation register and
SLA policies. Reads are for staff (groups for everyone signed in); writes go through services."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from servicedesk.api_common import ApiCursorPagination
from servicedesk.api_errors import E400, READ_ERRORS

from .models import SupportGroup
from .roles import is_staff_member


class IsStaffMember(BasePermission):
    message = "Only staff members may read this."

    def has_permission(self, request: Request, view: Any) -> bool:
        return is_staff_member(request.user)


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
