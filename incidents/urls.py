from django.urls import path

from . import views

app_name = "incidents"

urlpatterns = [
    path("attachments/<int:pk>/download/", views.attachment_download, name="attachment-download"),
]
