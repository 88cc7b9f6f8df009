"""The one Celery app. Workers and beat both load it: ``celery -A servicedesk``."""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

from servicedesk import broker

# Before any connection: ``filesystem://`` (the embedded default) writes whole messages.
broker.register()

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "servicedesk.settings.production")

app = Celery("servicedesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect(weak=False)
def _config_unit_begin(**kwargs: object) -> None:
    # A task reads the SLA configuration's version once (escalation.config_cache).
    # Imported here: servicedesk/__init__ loads this module with the settings, before the models.
    from escalation.config_cache import unit_begin

    unit_begin()


@task_postrun.connect(weak=False)
def _config_unit_end(**kwargs: object) -> None:
    from escalation.config_cache import unit_end  # before the models, as above

    unit_end()
