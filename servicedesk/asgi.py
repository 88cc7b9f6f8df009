import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "servicedesk.settings.production")

application = get_asgi_application()

from servicedesk import gc_policy  # noqa: E402 - once Django is set up

gc_policy.install()
