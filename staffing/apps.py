from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StaffingConfig(AppConfig):
    """Staffing against the load (SPEC §19): arrivals by hour of the week, work in hand, people on
    shift, and a forecast of the coming weeks. No tables of its own: it reads."""

    name = "staffing"
    verbose_name = _("Staffing")
