from django.urls import path

from . import views

urlpatterns = [
    path("<str:number>/major/log/", views.major_log, name="major-log"),
    path("<str:number>/major/link/", views.major_link, name="major-link"),
    path("<str:number>/review/", views.review, name="review"),
    path("<str:number>/security/", views.security_step, name="security-step"),
]
