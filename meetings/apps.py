from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    """Review seminars, knowledge-sharing sessions and training plans (SPEC §19)."""

    name = "meetings"
    verbose_name = _("Sessions and training")

    def ready(self) -> None:
        # The month's report page lists the sessions that reviewed it (a hook offered by reporting).
        from escalation.extensions import register_group_notes
        from reporting.extensions import month_sections

        from .selectors import escalation_training_notes, month_sessions_section

        month_sections.register("meetings", month_sessions_section)
        # The register's group cards: how many members completed the escalation-process training.
        register_group_notes("meetings-training", escalation_training_notes)
