"""The project's URLs plus stand-in portal pages: what caller emails link to once the portal lands."""

from django.http import HttpResponse
from django.urls import include, path

from servicedesk.urls import urlpatterns as project_urlpatterns


def _page(request, number):
    return HttpResponse(number)


portal = (
    [
        path("incidents/<str:number>/", _page, name="incident-detail"),
        path("incidents/<str:number>/confirm/", _page, name="incident-confirm"),
        path("incidents/<str:number>/reopen/", _page, name="incident-reopen"),
    ],
    "portal",
)
urlpatterns = [*project_urlpatterns, path("portal/", include(portal))]
