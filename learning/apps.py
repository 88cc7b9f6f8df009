from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LearningConfig(AppConfig):
    name = "learning"
    verbose_name = _("Learning from history")

    def ready(self) -> None:
        from incidents.records import hooks
        from incidents.records import routing as record_routing

        from . import routing, services

        # After the toolkit's routing rules (whatever the apps' order), before the service desk default.
        record_routing.register_router(
            "learning.suggestions", routing.route_by_suggestion, order=record_routing.SUGGESTIONS
        )
        # What ``POST /api/v1/incidents/?suggest=true`` answers beside the created incident.
        record_routing.register_suggester(routing.suggestions_for_draft)
        hooks.subscribe(["created"], "learning.feedback", services.on_incident_created)
