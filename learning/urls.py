from django.urls import path

from . import views

app_name = "learning"

urlpatterns = [
    path("", views.model_page, name="model"),
    path("suggest/", views.suggest, name="suggest"),
    path("retrain/", views.retrain, name="retrain"),
    path("similar/", views.similar_for_form, name="similar"),
    path("similar/<str:number>/", views.similar_panel, name="similar-panel"),
    path("spikes/", views.spike_list, name="spikes"),
    path("spikes/<int:pk>/major/", views.spike_major, name="spike-major"),
]
