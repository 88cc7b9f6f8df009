"""REST API for incidents (SPEC §11): each view reads an input serializer, calls one service and
answers with an output serializer. Permissions are the services' and selectors' own, so the API
and the browser cannot disagree; the domain's errors become HTTP answers in core.api.errors.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, TypeVar, cast

import django_filters
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.errors import E400, READ_ERRORS, WRITE_ERRORS, ConflictSerializer
from core.api.pagination import ApiCursorPagination
from escalation.access import access_of

from .. import permissions, selectors, services
from ..notifications.models import Notification
from . import actions, routing
from .filters import IncidentFilter
from .models import Category, Incident, IncidentEvent
from .ordering import API_ORDERINGS, DEFAULT_API_ORDERING
from .serializers import (
    NUMBER_PATTERN,
    CommentInputSerializer,
    EventSerializer,
    IncidentCreateInputSerializer,
    IncidentDetailSerializer,
    IncidentListSerializer,
    IncidentSerializer,
    IncidentUpdateInputSerializer,
    NotificationReadInputSerializer,
    NotificationReadSerializer,
    NotificationSerializer,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

NUMBER_PARAMETER = OpenApiParameter(
    "number",
    str,
    OpenApiParameter.PATH,
    pattern=NUMBER_PATTERN,
    description="The incident number, e.g. INC0000123.",
)
_NUMBER_RE = re.compile(NUMBER_PATTERN)

_Row = TypeVar("_Row")  # what a queryset yields, kept by ``filter_queryset``


def _actor(request: Request) -> User:
    """The signed-in user; every view here requires authentication before it runs."""
    user = request.user
    assert isinstance(user, AbstractBaseUser)
    return cast("User", user)


def _incident_for(request: Request, number: str, *, with_tags: bool = False) -> Incident:
    """The incident if the user may see it: anything else, even a malformed number, is a 404."""
    if not _NUMBER_RE.match(number):
        raise Http404(_("No incident %(number)s.") % {"number": number[:20]})
    return selectors.incident_get_for_user(access=access_of(request), number=number, with_tags=with_tags)


def _subcategory(slug: str | None, category: Category | None) -> Category | None:
    if slug is None:
        return None
    if category is None:
        raise serializers.ValidationError({"category": [_("Choose the category of the subcategory too.")]})
    found = Category.objects.filter(parent=category, slug=slug, is_active=True).first()
    if found is None:
        raise serializers.ValidationError(
            {
                "subcategory": [
                    _("%(slug)s is not a subcategory of %(slug2)s.") % {"slug": slug, "slug2": category.slug}
                ]
            }
        )
    return found


def _missing_version(request: Request, incident: Incident) -> Response | None:
    """A write without the version the client read is refused like a stale one (SPEC §2)."""
    if isinstance(request.data, dict) and "version" not in request.data:
        return Response(
            {
                "detail": f"Send the version of {incident.number} you read (it is now version "
                f"{incident.version}), so that your change does not overwrite someone else's.",
                "current_version": incident.version,
            },
            status=status.HTTP_409_CONFLICT,
        )
    return None


def _incident_response(request: Request, incident: Incident, code: int = status.HTTP_200_OK) -> Response:
    fresh = selectors.incident_get_for_user(access=access_of(request), number=incident.number)
    return Response(IncidentSerializer(fresh).data, status=code)


class CreateOptionsSerializer(serializers.Serializer):
    suggest = serializers.BooleanField(
        default=False,
        help_text=gettext_lazy(
            "true: answer with what the learned model suggests for the incident's words (`suggestions`)."
        ),
    )


class IncidentCreatedSerializer(IncidentSerializer):
    # Not read_only: the schema would list it as always present (a response-only serializer: never read).
    suggestions = serializers.DictField(
        required=False,
        help_text=gettext_lazy(
            "Only with ?suggest=true: what POST /api/v1/suggestions/ answers for the incident's words. "
            "Shown, never saved: the incident is as it was logged (and routed)."
        ),
    )

    class Meta(IncidentSerializer.Meta):
        fields = [*IncidentSerializer.Meta.fields, "suggestions"]


class IncidentListCreateApi(GenericAPIView):
    filter_backends = [DjangoFilterBackend]
    filterset_class = IncidentFilter
    pagination_class = ApiCursorPagination
    serializer_class = IncidentListSerializer
    ordering = DEFAULT_API_ORDERING
    ordering_choices = API_ORDERINGS

    def get_queryset(self) -> QuerySet[Incident]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator reads the model only
            return Incident.objects.none()
        # Four joins in all (``selectors.LIST_RELATED`` and the reporter): still planned in about a
        # millisecond, and one query fewer than reading the reporters apart.
        access = access_of(self.request)
        qs = selectors.incidents_visible_to(access).select_related("reported_by")
        # The staff's rows carry their tags, read by a subquery of the page's own query (no N+1).
        return selectors.with_tag_names(qs) if access.is_staff_member else qs

    def filter_queryset(self, queryset: QuerySet[Any, _Row]) -> QuerySet[Any, _Row]:
        # No filter named (a first or a next page): the FilterSet would filter nothing, and building
        # it (its form and the deep copies of its fields) was a tenth of the list's server time.
        named = IncidentFilter.base_filters.keys() & self.request.query_params.keys()
        if not named:
            return queryset
        self.filterset_class = IncidentFilter.of(named)  # only the filters named (``IncidentFilter.of``)
        return super().filter_queryset(queryset)

    @extend_schema(
        operation_id="incidents_list",
        summary="Incidents the user may see",
        responses={200: IncidentListSerializer(many=True), 400: E400, **READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset) or []
        # The page is read from the incident table with three joins; the rest of what the API
        # shows comes in one query per table (``selectors.attach_related``, issue 14).
        selectors.attach_related(page, selectors.API_RELATED)
        return self.get_paginated_response(IncidentListSerializer(page, many=True).data)

    @extend_schema(
        operation_id="incidents_create",
        summary="Log an incident",
        description="With `?suggest=true` the answer carries `suggestions`: what the learned model suggests "
        "for the incident's words (staff only; empty for anyone else). What was saved does not change, "
        "except by the confidence-gated routing of mail and portal incidents.",
        parameters=[CreateOptionsSerializer],
        request=IncidentCreateInputSerializer,
        responses={
            201: IncidentCreatedSerializer,
            **{k: v for k, v in WRITE_ERRORS.items() if k not in (404, 409)},
        },
    )
    def post(self, request: Request) -> Response:
        options = CreateOptionsSerializer(data=request.query_params)
        options.is_valid(raise_exception=True)
        data = _valid(IncidentCreateInputSerializer, request)
        incident = services.incident_create(
            actor=_actor(request),
            access=access_of(request),
            title=data["title"],
            description=data["description"],
            caller=cast("User", data.get("caller") or _actor(request)),
            channel=data["channel"],
            impact=data["impact"],
            urgency=data["urgency"],
            category=data.get("category"),
            subcategory=_subcategory(data.get("subcategory"), data.get("category")),
            service=data.get("service"),
            assignment_group=data.get("assignment_group"),
            assigned_to=data.get("assigned_to"),
            major_incident=data["major_incident"],
            parent=actions.resolve_incident(
                access=access_of(request), number=data.get("parent"), field="parent"
            ),
        )
        response = _incident_response(request, incident, status.HTTP_201_CREATED)
        response["Location"] = f"/api/v1/incidents/{incident.number}/"
        if options.validated_data["suggest"]:
            draft = routing.Draft(
                title=incident.title,
                description=incident.description,
                channel=incident.channel,
                caller=incident.caller,
                category=incident.category,
                subcategory=incident.subcategory,
                service=incident.service,
            )
            found = routing.suggest(access_of(request), draft)
            none: dict[str, Any] = {"model_version": None, "fields": {}}
            response.data["suggestions"] = found if found is not None else none
        return response


def _valid(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class IncidentDetailApi(GenericAPIView):
    serializer_class = IncidentSerializer

    @extend_schema(
        operation_id="incidents_retrieve",
        summary="One incident",
        parameters=[NUMBER_PARAMETER],
        description="An incident merged into another says where its work continues (`merged_into`).",
        responses={200: IncidentDetailSerializer, **READ_ERRORS},
    )
    def get(self, request: Request, number: str) -> Response:
        access = access_of(request)
        # the staff read its tags with the incident, in the same query (tags are the staff's)
        incident = _incident_for(request, number, with_tags=access.is_staff_member)
        survivor = selectors.merged_into_for_user(access=access, incident=incident)
        context = {"merged_into": survivor.number if survivor is not None else None}
        return Response(IncidentDetailSerializer(incident, context=context).data)

    @extend_schema(
        operation_id="incidents_partial_update",
        summary="Change descriptive fields",
        description="Only the fields sent change. `version` must be the one the client read.",
        parameters=[NUMBER_PARAMETER],
        request=IncidentUpdateInputSerializer,
        responses={200: IncidentSerializer, **WRITE_ERRORS},
    )
    def patch(self, request: Request, number: str) -> Response:
        incident = _incident_for(request, number)
        refused = _missing_version(request, incident)
        if refused is not None:
            return refused
        data = _valid(IncidentUpdateInputSerializer, request)
        version = data.pop("version")
        if "subcategory" in data:
            data["subcategory"] = _subcategory(data["subcategory"], data.get("category", incident.category))
        for link in ("parent", "duplicate_of"):
            if link in data:
                data[link] = actions.resolve_incident(
                    access=access_of(request), number=data[link], field=link
                )
        services.incident_update(actor=_actor(request), incident=incident, expected_version=version, **data)
        return _incident_response(request, incident)


# --- lifecycle actions: POST /incidents/{number}/{action}/ --------------------------------------

# The moves themselves (service, inputs, how references resolve, the input serializer) are rows
# of ``actions.ACTIONS``, which the web page dispatches through too; the API offers the rows that
# have a serializer.
INPUTS: dict[str, type[serializers.Serializer]] = {
    name: action.serializer for name, action in actions.ACTIONS.items() if action.serializer is not None
}


class IncidentActionApi(GenericAPIView):
    """One lifecycle move. Subclassed once per action so that each has its own schema."""

    serializer_class = IncidentSerializer
    action_name = ""

    def post(self, request: Request, number: str) -> Response:
        incident = _incident_for(request, number)
        refused = _missing_version(request, incident)
        if refused is not None:
            return refused
        data = _valid(INPUTS[self.action_name], request)
        version = data.pop("version")
        actions.perform(
            self.action_name,
            actor=_actor(request),
            access=access_of(request),
            incident=incident,
            expected_version=version,
            data=data,
        )
        return _incident_response(request, incident)


def _action_view(name: str) -> type[IncidentActionApi]:
    view = type(f"Incident{name.capitalize()}Api", (IncidentActionApi,), {"action_name": name})
    return extend_schema_view(
        post=extend_schema(
            operation_id=f"incidents_{name}",
            summary=actions.ACTIONS[name].summary,
            description=f"`{name}` from the lifecycle table; `version` must be the one the client read.",
            parameters=[NUMBER_PARAMETER],
            request=INPUTS[name],
            responses={200: IncidentSerializer, **WRITE_ERRORS},
            tags=["incidents"],
        )
    )(view)


ACTION_VIEWS = {name: _action_view(name) for name in INPUTS}


# --- activity and comments ---------------------------------------------------------------------


class IncidentCommentsApi(GenericAPIView):
    pagination_class = ApiCursorPagination
    serializer_class = EventSerializer
    queryset = IncidentEvent.objects.none()  # for the schema: the timeline comes from a selector
    ordering = ("created_at", "id")

    @extend_schema(
        operation_id="incidents_comments_list",
        summary="Activity and comments (callers see public entries only)",
        parameters=[NUMBER_PARAMETER],
        responses={200: EventSerializer(many=True), 400: E400, **READ_ERRORS},
    )
    def get(self, request: Request, number: str) -> Response:
        incident = _incident_for(request, number)
        page = self.paginate_queryset(
            selectors.incident_timeline(access=access_of(request), incident=incident)
        )
        return self.get_paginated_response(EventSerializer(page, many=True).data)

    @extend_schema(
        operation_id="incidents_comments_create",
        summary="Comment (callers write public comments only)",
        parameters=[NUMBER_PARAMETER],
        request=CommentInputSerializer,
        responses={
            201: EventSerializer,
            **{k: v for k, v in WRITE_ERRORS.items() if k != 409},
            409: OpenApiResponse(ConflictSerializer, description="The incident takes no more comments."),
        },
    )
    def post(self, request: Request, number: str) -> Response:
        incident = _incident_for(request, number)
        data = _valid(CommentInputSerializer, request)
        staff = permissions.can_see_internal(access_of(request))
        public = data.get("public", not staff)  # the service refuses a caller's private comment: 403
        event = services.incident_comment(
            actor=_actor(request), incident=incident, body=data["body"], public=public
        )
        return Response(EventSerializer(event).data, status=status.HTTP_201_CREATED)


# --- notifications -----------------------------------------------------------------------------


class NotificationFilter(django_filters.FilterSet):
    unread = django_filters.BooleanFilter(
        field_name="read_at", lookup_expr="isnull", label=gettext_lazy("Only unread ones.")
    )

    class Meta:
        model = Notification
        fields: list[str] = []


class NotificationListApi(GenericAPIView):
    filter_backends = [DjangoFilterBackend]
    filterset_class = NotificationFilter
    pagination_class = ApiCursorPagination
    serializer_class = NotificationSerializer
    ordering = ("-created_at", "-id")

    def get_queryset(self) -> QuerySet[Notification]:
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        return selectors.notifications_visible_to(access_of(self.request))

    @extend_schema(
        operation_id="notifications_list",
        summary="The user's own in-app notifications",
        responses={200: NotificationSerializer(many=True), 400: E400, 401: READ_ERRORS[401]},
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(NotificationSerializer(page, many=True).data)


class NotificationReadApi(GenericAPIView):
    serializer_class = NotificationReadInputSerializer

    @extend_schema(
        operation_id="notifications_read",
        summary="Mark the user's own notifications read (the given ids, or all unread)",
        request=NotificationReadInputSerializer,
        responses={200: NotificationReadSerializer, 400: E400, 401: READ_ERRORS[401], 429: WRITE_ERRORS[429]},
    )
    def post(self, request: Request) -> Response:
        data = _valid(NotificationReadInputSerializer, request)
        marked = services.notifications_mark_read(user=_actor(request), pks=data.get("ids"))
        return Response({"marked": marked})


__all__ = [
    "ACTION_VIEWS",
    "IncidentCommentsApi",
    "IncidentDetailApi",
    "IncidentListCreateApi",
    "NotificationListApi",
    "NotificationReadApi",
]
