from django.urls import path

from . import views

app_name = "profiles"

urlpatterns = [
    path("preferences/", views.preferences, name="preferences"),
]
