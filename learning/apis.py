"""The suggestion endpoint of the REST API (issue 24 §1): what the model suggests for a new
incident's words, for staff, in the shape of the log form's JSON."""

from __future__ import annotations

from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.errors import E400, E401, E403
from escalation.access import access_of
from escalation.gates import IsStaffMember
from incidents.models import Channel

from . import selectors


class SuggestionInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, allow_blank=True, default="")
    description = serializers.CharField(max_length=20000, allow_blank=True, default="")
    channel = serializers.ChoiceField(choices=Channel.choices, required=False, default="")

    def validate(self, attrs: dict) -> dict:
        if not (attrs.get("title", "").strip() or attrs.get("description", "").strip()):
            raise serializers.ValidationError(
                {"title": [gettext("Give a title or a description to suggest from.")]}
            )
        return attrs


class ChoiceSerializer(serializers.Serializer):
    # Built in get_fields: "label" and "fields" are names Serializer itself uses as attributes.
    def get_fields(self) -> dict[str, serializers.Field]:
        return {
            "value": serializers.IntegerField(
                help_text=gettext_lazy("The id of the category, service or group; the priority 1-5.")
            ),
            "label": serializers.CharField(),
            "confidence": serializers.FloatField(
                help_text=gettext_lazy("0-1: the model's probability for this value.")
            ),
            "apply": serializers.DictField(
                child=serializers.IntegerField(), help_text=gettext_lazy("Fields to set to take it.")
            ),
        }


class SuggestionFieldsSerializer(serializers.Serializer):
    category = ChoiceSerializer(many=True, required=False)
    service = ChoiceSerializer(many=True, required=False)
    assignment_group = ChoiceSerializer(many=True, required=False)
    priority = ChoiceSerializer(many=True, required=False)


class SuggestionSerializer(serializers.Serializer):
    def get_fields(self) -> dict[str, serializers.Field]:
        return {
            "model_version": serializers.IntegerField(
                allow_null=True, help_text=gettext_lazy("Null until a model is trained.")
            ),
            "fields": SuggestionFieldsSerializer(
                help_text=gettext_lazy("Up to three values per field, most likely first.")
            ),
        }


class SuggestionApi(APIView):
    permission_classes = [IsAuthenticated, IsStaffMember]

    @extend_schema(
        request=SuggestionInputSerializer,
        responses={200: SuggestionSerializer, 400: E400, 401: E401, 403: E403},
        summary="Suggest category, service, assignment group and priority for a new incident",
    )
    def post(self, request: Request) -> Response:
        data = SuggestionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(selectors.suggestions_for(access=access_of(request), **data.validated_data))
