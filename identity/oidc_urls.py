"""The OpenID Connect routes under the names mozilla-django-oidc reverses (no namespace)."""

from django.urls import path

from . import views

urlpatterns = [
    path("authenticate/", views.oidc_authenticate, name="oidc_authentication_init"),
    path("callback/", views.oidc_callback, name="oidc_authentication_callback"),
]
