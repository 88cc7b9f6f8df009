from django.urls import path

from . import quiz_views, views

app_name = "knowledge"

urlpatterns = [
    path("", views.article_list, name="index"),
    path("new/", views.article_create, name="article-create"),
    path("suggest/", views.suggest, name="suggest"),
    path("stale/", views.stale_list, name="stale"),
    path("articles/<str:number>/", views.article_detail, name="article"),
    path("articles/<str:number>/edit/", views.article_edit, name="article-edit"),
    path("articles/<str:number>/solved/", views.self_solved, name="self-solved"),
    path("articles/<str:number>/versions/<int:version>/", views.version_diff, name="version-diff"),
    path("articles/<str:number>/do/<str:action>/", views.article_transition, name="article-transition"),
    path("articles/<str:number>/translate/", views.article_translate, name="article-translate"),
    path("incidents/<str:number>/panel/", views.incident_panel, name="incident-panel"),
    path("incidents/<str:number>/link/", views.incident_link, name="incident-link"),
    path("incidents/<str:number>/promote/", views.incident_promote, name="incident-promote"),
    path("quizzes/", quiz_views.quiz_list, name="quizzes"),
    path("quizzes/<slug:slug>/", quiz_views.quiz_detail, name="quiz"),
    path("quizzes/<slug:slug>/start/", quiz_views.quiz_start, name="quiz-start"),
    path("quizzes/<slug:slug>/assign/", quiz_views.quiz_assign, name="quiz-assign"),
    path("quizzes/<slug:slug>/current/", quiz_views.quiz_make_current, name="quiz-current"),
    path("attempts/<int:pk>/", quiz_views.attempt_view, name="attempt"),
]
