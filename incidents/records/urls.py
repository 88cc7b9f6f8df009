from django.urls import path

from . import views

# Included by ``incidents.urls`` last: ``<number>/<action>/`` takes any path of that shape.
urlpatterns = [
    path("", views.incident_list, name="list"),
    path("new/", views.incident_create, name="create"),
    path("bulk/", views.incident_bulk, name="bulk"),
    path("attachments/<int:pk>/download/", views.attachment_download, name="attachment-download"),
    path("callers/", views.caller_options, name="caller-options"),
    path("<str:number>/", views.incident_detail, name="detail"),
    path("<str:number>/edit/", views.incident_edit, name="edit"),
    path("<str:number>/answer/", views.consultation_answer, name="answer"),
    path("<str:number>/<slug:action>/", views.incident_action, name="action"),
    path("<str:number>/comments/<int:pk>/split/", views.comment_split, name="comment-split"),
]
