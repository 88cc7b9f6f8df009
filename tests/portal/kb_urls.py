"""The project's URLs plus a stand-in for the knowledge app's suggestion endpoint."""

from django.http import HttpResponse
from django.urls import include, path

from servicedesk.urls import urlpatterns as project_urlpatterns


def _suggest(request):
    return HttpResponse("")


knowledge = ([path("suggest/", _suggest, name="suggest")], "knowledge")
urlpatterns = [*project_urlpatterns, path("knowledge/", include(knowledge))]
