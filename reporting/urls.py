from django.urls import path

from . import views

app_name = "reporting"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("export/<slug:table>.csv", views.dashboard_export, name="dashboard-export"),
    path("months/", views.archive, name="archive"),
    path("months/<str:month>/", views.month_detail, name="month"),
    path("months/<str:month>/report.csv", views.month_csv, name="month-csv"),
    path("months/<str:month>/report.pdf", views.month_pdf, name="month-pdf"),
    path("months/<str:month>/incidents.csv", views.month_incidents_csv, name="month-incidents-csv"),
    path("months/<str:month>/notes/", views.review_note, name="review-note"),
    path("months/<str:month>/actions/", views.review_action, name="review-action"),
    path("months/<str:month>/actions/<int:pk>/", views.review_action_status, name="review-action-status"),
]
