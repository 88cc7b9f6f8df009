from django.urls import path

from . import views

app_name = "toolkit"

urlpatterns = [
    path("responses/", views.response_list, name="responses"),
    path("responses/new/", views.response_edit, name="response-create"),
    path("responses/<int:pk>/", views.response_edit, name="response-edit"),
    path("macros/", views.macro_list, name="macros"),
    path("macros/new/", views.macro_edit, name="macro-create"),
    path("macros/<int:pk>/", views.macro_edit, name="macro-edit"),
    path("macros/bulk/", views.macro_bulk, name="macro-bulk"),
    path("macros/bulk/options/", views.bulk_options, name="macro-bulk-options"),
    path("incidents/<str:number>/panel/", views.incident_panel, name="incident-panel"),
    path("incidents/<str:number>/responses/", views.response_search, name="incident-responses"),
    path("incidents/<str:number>/macros/<int:pk>/", views.macro_apply, name="macro-apply"),
    path("incidents/<str:number>/time/", views.time_record, name="time-record"),
    path("incidents/<str:number>/tags/add/", views.tag_change, {"change": "add"}, name="tag-add"),
    path("incidents/<str:number>/tags/remove/", views.tag_change, {"change": "remove"}, name="tag-remove"),
    path("routing/", views.routing_rules, name="routing"),
    path("routing/new/", views.routing_rule_edit, name="routing-create"),
    path("routing/<int:pk>/", views.routing_rule_edit, name="routing-edit"),
    path("routing/groups/<slug:slug>/", views.group_mode, name="group-mode"),
    path("time/", views.time_report, name="time-report"),
]
