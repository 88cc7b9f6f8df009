from django.urls import path

from . import views

app_name = "meetings"

urlpatterns = [
    path("", views.session_list, name="index"),
    path("new/", views.session_create, name="create"),
    path("mine/", views.my_sessions, name="mine"),
    path("<int:pk>/", views.session_detail, name="detail"),
    path("<int:pk>/attendance/", views.session_attendance, name="attendance"),
    path("<int:pk>/minutes/", views.session_minutes, name="minutes"),
    path("<int:pk>/decisions/", views.session_decision, name="decision"),
    path("training/", views.my_training, name="training"),
    path("training/plans/", views.training_plans, name="plans"),
    path("training/plans/new/", views.training_plan_create, name="plan-create"),
    path("training/plans/<int:pk>/", views.training_plan_detail, name="plan"),
    path("training/items/<int:pk>/read/", views.training_item_read, name="item-read"),
]
