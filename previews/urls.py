from django.urls import path

from . import views

app_name = "previews"

urlpatterns = [
    path("attachments/<int:pk>/thumbnail/", views.thumbnail, name="thumbnail"),
    path("attachments/<int:pk>/pages/<int:number>/", views.page, name="page"),
]
