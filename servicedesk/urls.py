from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import account_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("accounts/tokens/", account_views.api_tokens, name="api-tokens"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("accounts/", include("identity.urls", namespace="identity")),
    path("oidc/", include("identity.oidc_urls")),
    path("incidents/", include("incidents.urls", namespace="incidents")),
    path("notifications/", include("incidents.notifications.urls")),
    path("escalation/", include("escalation.urls", namespace="escalation")),
    path("portal/", include("portal.urls", namespace="portal")),
    path("intake/", include("intake.urls", namespace="intake")),
    path("reporting/", include("reporting.urls", namespace="reporting")),
    path("knowledge/", include("knowledge.urls", namespace="knowledge")),
    path("surveys/", include("surveys.urls", namespace="surveys")),
    path("sessions/", include("meetings.urls", namespace="meetings")),
    path("staffing/", include("staffing.urls", namespace="staffing")),
    path("learning/", include("learning.urls", namespace="learning")),
    path("toolkit/", include("toolkit.urls", namespace="toolkit")),
    path("previews/", include("previews.urls", namespace="previews")),
    path("live/", include("live.urls", namespace="live")),
    path("history/", include("history.urls", namespace="history")),
    path("profile/", include("profiles.urls", namespace="profiles")),
    path("api/v1/", include("servicedesk.api_urls", namespace="api")),
    path("metrics", include("operations.metrics_urls")),
    path("operations/", include("operations.urls", namespace="operations")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file, as the Content-Security-Policy asks.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
]
