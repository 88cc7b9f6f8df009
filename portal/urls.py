from django.urls import path

from . import help_views, views

app_name = "portal"

# The outgoing mails reverse incident-detail, incident-confirm and incident-reopen (each with number).
urlpatterns = [
    path("", views.home, name="home"),
    path("report/", views.report, name="report"),
    path("incidents/<str:number>/", views.incident_detail, name="incident-detail"),
    path("incidents/<str:number>/comment/", views.incident_comment, name="incident-comment"),
    path("incidents/<str:number>/confirm/", views.incident_confirm, name="incident-confirm"),
    path("incidents/<str:number>/reopen/", views.incident_reopen, name="incident-reopen"),
    path("incidents/<str:number>/watchers/", views.watcher_add, name="watcher-add"),
    path(
        "incidents/<str:number>/watchers/<int:user_id>/remove/", views.watcher_remove, name="watcher-remove"
    ),
    path("help/", help_views.knowledge_help, name="help"),
]
