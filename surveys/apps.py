from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = "Satisfaction surveys"

    def ready(self) -> None:
        from incidents.records import hooks

        from . import services

        hooks.subscribe(["resolved", "closed"], "surveys.invitations", services.on_incident_event)
