from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    name = "identity"
    verbose_name = _("Identity: directory sign-in, two-factor, users' data")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from .two_factor import on_sign_in

        user_logged_in.connect(on_sign_in, dispatch_uid="identity-second-factor-on-sign-in")
