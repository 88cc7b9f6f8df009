from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "reporting"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from .sql import register_sqlite_functions

        connection_created.connect(register_sqlite_functions, dispatch_uid="reporting-sqlite-functions")
