from django.urls import path

from . import views

app_name = "history"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.run_page, name="run"),
    path("<int:pk>/mapping/", views.mapping_page, name="mapping"),
    path("<int:pk>/status/", views.run_status, name="status"),
    path("<int:pk>/import/", views.run_import, name="import"),
]
