from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = gettext_lazy("Satisfaction surveys")

    def ready(self) -> None:
        from incidents.records import hooks

        from . import services

        hooks.subscribe(["resolved", "closed"], "surveys.invitations", services.on_incident_event)
