from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = gettext_lazy("Incidents")

    def ready(self) -> None:
        # The subscribers of the event hook (incidents.records.hooks), in the order they run for one event.
        from escalation import config_cache

        from . import models
        from .major import notifications as major_notifications
        from .notifications import delivery

        # The Celery tasks live in the sub-packages, where ``autodiscover_tasks`` (which looks for
        # ``incidents.tasks``) does not find them: registered here, for workers and web alike.
        from .notifications import tasks as _notification_tasks  # noqa: F401
        from .records import hooks, outbox
        from .records import tasks as _record_tasks  # noqa: F401
        from .sla import notifications as sla_notifications
        from .sla import tasks as _sla_tasks  # noqa: F401

        # The rules choose the policy and the matrix the priority: cached with the SLA configuration.
        config_cache.watch(models.SLAPolicyRule, models.PriorityMatrixEntry, models.Category, models.Service)

        hooks.set_publisher(outbox.publish_on_commit)
        hooks.subscribe(
            delivery.LIFECYCLE_RULES,
            "incidents.notifications",
            delivery.notify_lifecycle,
            prepare=delivery.notify_prepare,
        )
        hooks.subscribe(
            sla_notifications.SLA_KINDS,
            "incidents.sla_notifications",
            sla_notifications.notify_sla,
            prepare=sla_notifications.prepare,
        )
        hooks.subscribe(
            major_notifications.MAJOR_KINDS, "incidents.major_notifications", major_notifications.notify_major
        )
