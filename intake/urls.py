from django.urls import path

from . import views

app_name = "intake"

urlpatterns = [
    path("", views.review_list, name="review"),
    path("<int:pk>/", views.review_action, name="review-action"),
]
