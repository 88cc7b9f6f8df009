from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class EscalationConfig(AppConfig):
    name = "escalation"
    verbose_name = gettext_lazy("Support groups and escalation")

    def ready(self) -> None:
        # Not domain logic: the configuration cache learns of changes (escalation.config_cache).
        from django.core.signals import request_finished, request_started

        from . import config_cache, models

        config_cache.watch(
            models.BusinessCalendar,
            models.WorkingHours,
            models.Holiday,
            models.SLAPolicy,
            models.SLATarget,
            models.OLATarget,
            models.EscalationRule,
            models.EscalationPoint,
            models.SupportGroup,
        )
        request_started.connect(config_cache.unit_begin, dispatch_uid="config-cache-request-start")
        request_finished.connect(config_cache.unit_end, dispatch_uid="config-cache-request-end")
