"""REST API v1 routes (SPEC §11). Included under /api/v1/ by servicedesk.urls.

Incident numbers are matched loosely here and checked by the views, so that a malformed number
is a JSON 404 like any other unknown incident.
"""

from django.http import HttpRequest, JsonResponse
from django.urls import include, path, re_path

from escalation import apis as escalation_apis
from incidents.records import apis as incident_apis
from incidents.sla import apis as sla_rule_apis
from knowledge import apis as knowledge_apis
from learning import apis as learning_apis
from live import apis as live_apis
from reporting import apis as reporting_apis
from toolkit import apis as toolkit_apis

from .api_auth import TokenObtainApi, TokenRevokeAllApi, TokenRevokeApi

app_name = "api"


def endpoint_not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    """Unknown paths under /api/v1/ answer in JSON like the rest of the API, not with an HTML page."""
    return JsonResponse({"detail": "There is no such API endpoint."}, status=404)


urlpatterns = [
    path("auth/token/", TokenObtainApi.as_view(), name="auth-token"),
    path("auth/token/revoke/", TokenRevokeApi.as_view(), name="auth-token-revoke"),
    path("auth/token/revoke-all/", TokenRevokeAllApi.as_view(), name="auth-token-revoke-all"),
    path("incidents/", incident_apis.IncidentListCreateApi.as_view(), name="incident-list"),
    path("incidents/<str:number>/", incident_apis.IncidentDetailApi.as_view(), name="incident-detail"),
    path(
        "incidents/<str:number>/comments/",
        incident_apis.IncidentCommentsApi.as_view(),
        name="incident-comments",
    ),
    *[
        path(f"incidents/<str:number>/{name}/", view.as_view(), name=f"incident-{name}")
        for name, view in incident_apis.ACTION_VIEWS.items()
    ],
    path("notifications/", incident_apis.NotificationListApi.as_view(), name="notification-list"),
    path("notifications/read/", incident_apis.NotificationReadApi.as_view(), name="notification-read"),
    path("groups/", escalation_apis.GroupListApi.as_view(), name="group-list"),
    path("escalation-register/", escalation_apis.EscalationRegisterApi.as_view(), name="escalation-register"),
    path("sla-policies/", escalation_apis.SLAPolicyListApi.as_view(), name="sla-policy-list"),
    path("sla-policies/<str:slug>/", escalation_apis.SLAPolicyDetailApi.as_view(), name="sla-policy-detail"),
    path("sla-policy-rules/", sla_rule_apis.SLAPolicyRuleListApi.as_view(), name="sla-policy-rule-list"),
    path(
        "sla-policy-rules/<str:pk>/",
        sla_rule_apis.SLAPolicyRuleDetailApi.as_view(),
        name="sla-policy-rule-detail",
    ),
    path("reports/monthly/<str:month>/", reporting_apis.MonthlyReportApi.as_view(), name="report-monthly"),
    path("knowledge/articles/", knowledge_apis.ArticleListApi.as_view(), name="knowledge-article-list"),
    path(
        "knowledge/articles/<str:number>/",
        knowledge_apis.ArticleDetailApi.as_view(),
        name="knowledge-article-detail",
    ),
    path("surveys/", include("surveys.api_urls")),
    path("suggestions/", learning_apis.SuggestionApi.as_view(), name="suggestions"),
    path("macros/", toolkit_apis.MacroListApi.as_view(), name="toolkit-macro-list"),
    path(
        "incidents/<str:number>/macros/<str:pk>/",
        toolkit_apis.MacroApplyApi.as_view(),
        name="toolkit-macro-apply",
    ),
    path("incidents/<str:number>/time/", toolkit_apis.TimeEntryListApi.as_view(), name="toolkit-time-list"),
    path("time/report/", toolkit_apis.TimeReportApi.as_view(), name="toolkit-time-report"),
    path("views/", live_apis.SavedViewListCreateApi.as_view(), name="view-list"),
    path("views/<str:pk>/", live_apis.SavedViewDetailApi.as_view(), name="view-detail"),
    re_path(r"^(?P<rest>.*)$", endpoint_not_found, name="not-found"),
]
