from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Incidents"

    def ready(self) -> None:
        # The subscribers of the event hook (incidents.hooks), in the order they run for one event.
        from escalation import config_cache

        from . import hooks, major_notifications, models, notifications, outbox, sla_notifications

        # The rules choose the policy and the matrix the priority: cached with the SLA configuration.
        config_cache.watch(models.SLAPolicyRule, models.PriorityMatrixEntry, models.Category, models.Service)

        hooks.set_publisher(outbox.publish_on_commit)
        hooks.subscribe(
            notifications.LIFECYCLE_RULES, "incidents.notifications", notifications.notify_lifecycle
        )
        hooks.subscribe(
            sla_notifications.SLA_KINDS, "incidents.sla_notifications", sla_notifications.notify_sla
        )
        hooks.subscribe(
            major_notifications.MAJOR_KINDS, "incidents.major_notifications", major_notifications.notify_major
        )
