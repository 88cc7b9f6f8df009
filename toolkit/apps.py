from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ToolkitConfig(AppConfig):
    name = "toolkit"
    verbose_name = _("Agent's toolkit")

    def ready(self) -> None:
        from incidents.records import routing as record_routing

        from . import routing

        # After the security category, before any learned suggestion and the service desk default.
        record_routing.register_router("toolkit-rules", routing.route_draft, order=record_routing.RULES)
        record_routing.register_assigner("toolkit-assignment", routing.assign_in_group)
