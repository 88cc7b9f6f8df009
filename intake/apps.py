from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class IntakeConfig(AppConfig):
    name = "intake"
    verbose_name = gettext_lazy("Mail intake")
