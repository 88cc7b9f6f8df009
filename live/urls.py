from django.urls import path

from . import view_pages, views

app_name = "live"

urlpatterns = [
    path("feed/", views.feed, name="feed"),
    path("presence/", views.presence_update, name="presence"),
    path("views/", view_pages.saved_views, name="views"),
    path("views/delete/", view_pages.saved_view_delete, name="view-delete"),
]
