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
        self._watch_standings()

    @staticmethod
    def _watch_standings() -> None:
        # Not domain logic: the live feed's kept standings (roles, groups) learn of their changes.
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from . import models
        from .access import standing_changed

        for model in (models.Membership, models.SupportGroup, Group):
            uid = f"standing-{model._meta.label_lower}"
            post_save.connect(standing_changed, sender=model, dispatch_uid=f"{uid}-save", weak=False)
            post_delete.connect(standing_changed, sender=model, dispatch_uid=f"{uid}-delete", weak=False)
        m2m_changed.connect(
            standing_changed,
            sender=get_user_model().groups.through,
            dispatch_uid="standing-user-groups",
            weak=False,
        )
