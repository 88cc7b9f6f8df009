from django.urls import path

app_name = "escalation"

urlpatterns: list = []
