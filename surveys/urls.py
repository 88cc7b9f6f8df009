from django.urls import path

from . import views

app_name = "surveys"

urlpatterns = [
    path("", views.results_index, name="results"),
    path("results/<int:pk>/", views.results_detail, name="results-detail"),
    path("comments/<int:pk>/publish/", views.comment_publish, name="comment-publish"),
    path("published/", views.published, name="published"),
    path("templates/", views.template_list, name="templates"),
    path("templates/new/", views.template_edit, name="template-new"),
    path("templates/<int:pk>/", views.template_edit, name="template-edit"),
    path("templates/preview/", views.template_preview, name="template-preview"),
    path(
        "templates/<int:pk>/translations/<str:language>/",
        views.template_translate,
        name="template-translate",
    ),
    path("programmes/", views.programme_list, name="programmes"),
    path("programmes/new/", views.programme_edit, name="programme-new"),
    path("programmes/<int:pk>/", views.programme_edit, name="programme-edit"),
    path("actions/new/", views.action_edit, name="action-new"),
    path("actions/<int:pk>/", views.action_edit, name="action-edit"),
    path("answer/<str:token>/", views.answer, name="answer"),
    path("mine/<int:pk>/", views.answer_mine, name="answer-mine"),
    path("thanks/", views.thanks, name="thanks"),
]
