"""Read-only REST API for articles (SPEC §11), under the same visibility rule as every page:
staff read every article, anyone else only published public ones."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.errors import E400, READ_ERRORS
from core.api.pagination import ApiCursorPagination
from escalation.access import access_of

from . import search, selectors
from .models import Article, Status


class ArticleSerializer(serializers.ModelSerializer):
    category: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    service: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    owner: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Article
        fields = [
            "number",
            "title",
            "symptoms",
            "cause",
            "workaround",
            "resolution",
            "category",
            "service",
            "visibility",
            "status",
            "owner",
            "review_on",
            "published_at",
            "updated_at",
        ]
        read_only_fields = fields


class ArticleListApi(GenericAPIView):
    permission_classes = [IsAuthenticated]
    pagination_class = ApiCursorPagination
    serializer_class = ArticleSerializer
    ordering = ("-updated_at", "-id")

    def get_queryset(self) -> QuerySet[Article]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator reads the model only
            return Article.objects.none()
        qs = selectors.articles_visible_to(access_of(self.request))
        status = self.request.query_params.get("status", "")
        if status in Status.values:
            qs = qs.filter(status=status)
        q = search.clean(self.request.query_params.get("q", ""))
        if q:
            # Matching articles, in the list's order: ranking is the web search's job.
            qs = qs.filter(pk__in=search.search(qs, q).values("pk"))
        return qs

    @extend_schema(
        operation_id="knowledge_articles_list",
        summary="Knowledge articles",
        description="Staff read every article; end users only published public ones.",
        parameters=[
            OpenApiParameter("q", str, description="Full-text search (websearch syntax)."),
            OpenApiParameter("status", str, enum=Status.values),
        ],
        responses={200: ArticleSerializer(many=True), 400: E400, 401: READ_ERRORS[401]},
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ArticleSerializer(page, many=True).data)


class ArticleDetailApi(GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = ArticleSerializer

    @extend_schema(
        operation_id="knowledge_articles_retrieve",
        summary="One knowledge article",
        responses={200: ArticleSerializer, 401: READ_ERRORS[401], 404: READ_ERRORS[404]},
    )
    def get(self, request: Request, number: str) -> Response:
        return Response(
            ArticleSerializer(selectors.article_get_for_user(access=access_of(request), number=number)).data
        )
