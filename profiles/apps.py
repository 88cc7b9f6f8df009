from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProfilesConfig(AppConfig):
    name = "profiles"
    verbose_name = _("Language and time zone preferences")

    def ready(self) -> None:
        # Not domain logic: a sign-in copies the person's preferences into their session, so that the
        # middleware reads no database row on each page (profiles.locale).
        from django.contrib.auth.signals import user_logged_in

        from . import locale

        user_logged_in.connect(locale.remember_on_sign_in, dispatch_uid="profiles-remember-on-sign-in")
