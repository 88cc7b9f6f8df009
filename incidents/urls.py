from django.urls import path

from . import major_views, sla_rule_views, views

app_name = "incidents"

urlpatterns = [
    path("", views.incident_list, name="list"),
    path("new/", views.incident_create, name="create"),
    path("bulk/", views.incident_bulk, name="bulk"),
    path("attachments/<int:pk>/download/", views.attachment_download, name="attachment-download"),
    path("callers/", views.caller_options, name="caller-options"),
    path("sla-rules/", sla_rule_views.sla_rule_list, name="sla-rules"),
    path("sla-rules/new/", sla_rule_views.sla_rule_edit, name="sla-rule-create"),
    path("sla-rules/<int:pk>/", sla_rule_views.sla_rule_edit, name="sla-rule-edit"),
    path("sla-rules/<int:pk>/delete/", sla_rule_views.sla_rule_delete, name="sla-rule-delete"),
    path("<str:number>/", views.incident_detail, name="detail"),
    path("<str:number>/edit/", views.incident_edit, name="edit"),
    path("<str:number>/answer/", views.consultation_answer, name="answer"),
    path("<str:number>/major/log/", major_views.major_log, name="major-log"),
    path("<str:number>/major/link/", major_views.major_link, name="major-link"),
    path("<str:number>/review/", major_views.review, name="review"),
    path("<str:number>/security/", major_views.security_step, name="security-step"),
    path("<str:number>/<slug:action>/", views.incident_action, name="action"),
]
