"""Error reports to Sentry, for Django and Celery, when ``SENTRY_DSN`` is set; nothing at all when not."""

from __future__ import annotations

from django.conf import settings


def init_sentry() -> bool:
    """Start the Sentry client once per process if a DSN is configured. Returns whether it did."""
    dsn = settings.SENTRY_DSN
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=settings.SENTRY_ENVIRONMENT or None,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        traces_sample_rate=settings.SENTRY_TRACES_SAMPLE_RATE,
        # No user's name, address or cookies leave the service unless an operator asks for them.
        send_default_pii=False,
    )
    return True
