"""Included under /notifications/ by servicedesk.urls, without a namespace: the names are global."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.notification_list, name="notifications"),
    path("bell/", views.notification_bell, name="notification-bell"),
    path("preferences/", views.notification_preferences, name="notification-preferences"),
]
