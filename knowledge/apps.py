from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class KnowledgeConfig(AppConfig):
    name = "knowledge"
    verbose_name = gettext_lazy("Knowledge and quizzes")
