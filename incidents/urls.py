"""The ``incidents`` namespace, made of the sub-packages' pages. Order matters: the record's
``<number>/`` and ``<number>/<action>/`` would take ``sla-rules/`` and ``<number>/review/``."""

from .major import urls as major_urls
from .records import urls as record_urls
from .sla import urls as sla_urls

app_name = "incidents"

urlpatterns = [*sla_urls.urlpatterns, *major_urls.urlpatterns, *record_urls.urlpatterns]
