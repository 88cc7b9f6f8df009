"""Configuration screens: the question bank and quizzes. Articles are written in the knowledge pages,
where the lifecycle is enforced; the admin shows them read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Article, Choice, Question, Quiz, QuizAssignment


class ChoiceInline(admin.TabularInline):
    model = Choice
    extra = 2


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["text", "topic", "kind", "is_active", "generated_key"]
    list_filter = ["topic", "kind", "is_active"]
    search_fields = ["text"]
    inlines = [ChoiceInline]


@admin.register(Quiz)
class QuizAdmin(admin.ModelAdmin):
    list_display = ["title", "mode", "is_current", "is_generated", "time_limit_minutes"]
    filter_horizontal = ["questions"]
    prepopulated_fields = {"slug": ["title"]}


@admin.register(QuizAssignment)
class QuizAssignmentAdmin(admin.ModelAdmin):
    list_display = ["quiz", "group", "due_on", "assigned_by"]


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["number", "title", "status", "visibility", "owner", "review_on"]
    list_filter = ["status", "visibility"]
    search_fields = ["number", "title"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
