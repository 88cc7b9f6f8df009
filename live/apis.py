"""Saved views in the REST API: list (with counts), create, delete."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.errors import E400, READ_ERRORS, WRITE_ERRORS
from escalation.access import access_of
from escalation.models import SupportGroup

from . import selectors, services
from .models import SavedView


class SavedViewSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=80)
    group = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=SupportGroup.objects.all(),
        allow_null=True,
        required=False,
        help_text=gettext_lazy("Slug of the group the view is shared with; null for a personal view."),
    )
    query = serializers.CharField(
        max_length=1000,
        allow_blank=True,
        required=False,
        help_text=gettext_lazy(
            "The query string of the queue page (/incidents/?...): queue, sort and filters."
        ),
    )
    owner = serializers.CharField(source="owner.username", read_only=True)
    count = serializers.IntegerField(
        read_only=True, help_text=gettext_lazy("Incidents the view lists for the caller.")
    )
    url = serializers.CharField(read_only=True)


def _data(view: SavedView, count: int) -> dict[str, Any]:
    data: dict[str, Any] = dict(SavedViewSerializer(view).data)
    data["count"] = count
    return data


def _staff(request: Request) -> Any:
    access = access_of(request)
    if not access.is_staff_member:
        raise PermissionDenied(_("Only people who work on incidents have saved views."))
    return access


class SavedViewListCreateApi(GenericAPIView):
    serializer_class = SavedViewSerializer
    queryset = SavedView.objects.none()  # for the schema only: reads go through live.selectors
    pagination_class = None  # at most live.selectors.MAX_VIEWS, in one answer

    @extend_schema(
        operation_id="views_list",
        summary="The caller's saved views and those shared with their groups, with live counts",
        responses={200: SavedViewSerializer(many=True), 401: READ_ERRORS[401], 403: WRITE_ERRORS[403]},
    )
    def get(self, request: Request) -> Response:
        access = _staff(request)
        return Response([_data(v, n) for v, n in selectors.views_with_counts(access)])

    @extend_schema(
        operation_id="views_create",
        summary="Save a queue's filters and sort as a view, personal or shared with a group",
        request=SavedViewSerializer,
        responses={201: SavedViewSerializer, 400: E400, 401: WRITE_ERRORS[401], 403: WRITE_ERRORS[403]},
    )
    def post(self, request: Request) -> Response:
        access = _staff(request)
        serializer = SavedViewSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        view = services.view_create(
            access=access,
            name=serializer.validated_data["name"],
            query=serializer.validated_data.get("query", ""),
            group=serializer.validated_data.get("group"),
        )
        count = selectors.view_counts(access, [view]).get(view.pk, 0)
        return Response(_data(view, count), status=status.HTTP_201_CREATED)


class SavedViewDetailApi(GenericAPIView):
    serializer_class = SavedViewSerializer
    queryset = SavedView.objects.none()  # for the schema only: reads go through live.selectors

    def _view(self, request: Request, pk: str) -> tuple[Any, SavedView]:
        access = _staff(request)
        if not pk.isdigit() or len(pk) > 18:
            raise Http404(_("There is no such view."))
        return access, selectors.view_get_for_user(access=access, pk=int(pk))

    @extend_schema(
        operation_id="views_retrieve",
        summary="One saved view with its live count",
        responses={200: SavedViewSerializer, 401: READ_ERRORS[401], 404: READ_ERRORS[404]},
    )
    def get(self, request: Request, pk: str) -> Response:
        access, view = self._view(request, pk)
        return Response(_data(view, selectors.view_counts(access, [view]).get(view.pk, 0)))

    @extend_schema(
        operation_id="views_destroy",
        summary="Delete a saved view (its owner, or an incident manager for a group's view)",
        responses={204: None, 401: WRITE_ERRORS[401], 403: WRITE_ERRORS[403], 404: WRITE_ERRORS[404]},
    )
    def delete(self, request: Request, pk: str) -> Response:
        access, view = self._view(request, pk)
        services.view_delete(access=access, view=view)
        return Response(status=status.HTTP_204_NO_CONTENT)
