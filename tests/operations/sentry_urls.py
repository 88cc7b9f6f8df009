"""A URL conf with a view that fails, for the Sentry test's subprocess."""

from django.http import HttpRequest, HttpResponse
from django.urls import path


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("boom from a view (sentry test)")


urlpatterns = [path("boom/", boom)]
