"""Included under /notifications/ by servicedesk.urls, without a namespace: the names are global."""

from django.urls import path

from . import notification_views, views

urlpatterns = [
    path("", views.notification_list, name="notifications"),
    path("bell/", notification_views.notification_bell, name="notification-bell"),
    path("preferences/", notification_views.notification_preferences, name="notification-preferences"),
]
