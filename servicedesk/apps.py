from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy


class ServicedeskConfig(AppConfig):
    name = "servicedesk"
    verbose_name = gettext_lazy("Service desk")

    def ready(self) -> None:
        from .pg_adapters import register_compiled_timestamptz_loader
        from .roles_setup import grant_role_permissions

        # Before any connection copies the adapters: dates parsed by psycopg's compiled loader.
        register_compiled_timestamptz_loader()

        # Permissions exist only after migrate has created them, so roles get theirs here.
        post_migrate.connect(grant_role_permissions, sender=self)
