"""REST API v1 routes (SPEC §11). Included under /api/v1/ by servicedesk.urls."""
from django.urls import path

app_name = "api"

urlpatterns: list = []
