from django.urls import path

from . import views

app_name = "escalation"

urlpatterns = [
    path("", views.escalation_register, name="register"),
]
