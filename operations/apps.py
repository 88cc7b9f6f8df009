from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """Running the product: metrics, the status page, request ids in logs and tasks, error reports,
    backup and restore (docs/operations/)."""

    name = "operations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import errors, requestid, taskruns

        requestid.connect_celery_signals()
        taskruns.connect_celery_signals()
        errors.init_sentry()
