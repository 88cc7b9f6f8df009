from django.urls import path

from . import views

app_name = "identity"

urlpatterns = [
    path("two-factor/", views.two_factor_account, name="two-factor"),
    path("two-factor/verify/", views.two_factor_verify, name="two-factor-verify"),
    path("sign-in-failed/", views.sign_in_failed, name="sign-in-failed"),
]
