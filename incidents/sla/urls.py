from django.urls import path

from . import views

urlpatterns = [
    path("sla-rules/", views.sla_rule_list, name="sla-rules"),
    path("sla-rules/new/", views.sla_rule_edit, name="sla-rule-create"),
    path("sla-rules/<int:pk>/", views.sla_rule_edit, name="sla-rule-edit"),
    path("sla-rules/<int:pk>/delete/", views.sla_rule_delete, name="sla-rule-delete"),
]
