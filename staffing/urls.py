from django.urls import path

from . import views

app_name = "staffing"

urlpatterns = [
    path("", views.staffing_overview, name="overview"),
    path("<slug:slug>/", views.staffing_group, name="group"),
]
