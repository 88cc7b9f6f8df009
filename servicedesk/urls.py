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
    path("incidents/", include("incidents.urls", namespace="incidents")),
    path("notifications/", include("incidents.notifications.urls")),
    path("escalation/", include("escalation.urls", namespace="escalation")),
    path("portal/", include("portal.urls", namespace="portal")),
    path("intake/", include("intake.urls", namespace="intake")),
    path("reporting/", include("reporting.urls", namespace="reporting")),
    path("knowledge/", include("knowledge.urls", namespace="knowledge")),
    path("surveys/", include("surveys.urls", namespace="surveys")),
    path("api/v1/", include("servicedesk.api_urls", namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file, as the Content-Security-Policy asks.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
]
