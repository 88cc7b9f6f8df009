"""Included under /api/v1/surveys/ by servicedesk.api_urls (namespace ``api``)."""

from django.urls import path

from . import apis

urlpatterns = [
    path("results/", apis.SurveyResultsApi.as_view(), name="survey-results"),
    path("actions/", apis.ImprovementActionListApi.as_view(), name="survey-actions"),
]
