from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PreviewsConfig(AppConfig):
    name = "previews"
    verbose_name = _("Attachment previews")

    def ready(self) -> None:
        from incidents.records import hooks

        from . import services

        # A new image or PDF attachment gets its thumbnail and page images rendered after commit.
        hooks.subscribe(["attachment"], "previews.render", services.on_attachment_event)
