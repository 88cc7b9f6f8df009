"""Tests: PostgreSQL and Redis from the environment (``make test`` starts them)."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-not-secret-" + "x" * 40)
os.environ.setdefault("ALLOWED_HOSTS", "*")
os.environ.setdefault("EMAIL_URL", "smtp://localhost:25")
os.environ.setdefault("DATABASE_URL", "postgresql://app:app@127.0.0.1:5432/app")

from .base import *  # noqa: F403
from .base import BASE_DIR, REST_FRAMEWORK

DEBUG = False
# Pages do not hold a feed request open in tests: the page walks wait for a quiet network, which a
# held request never gives. The live workspace's own tests turn it on (tests/browser/test_live.py).
LIVE_PAGES = False
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# pytest-xdist names its processes gw0, gw1, ... (and the Celery workers they start inherit it): each keeps
# its own files.
_XDIST = "-" + os.environ["PYTEST_XDIST_WORKER"] if os.environ.get("PYTEST_XDIST_WORKER") else ""
MEDIA_ROOT = BASE_DIR / "var" / f"test-media{_XDIST}"
# Not the repository's var/inbox: the demo writes messages there. A worker test passes its own.
INBOUND_MAILDIR = os.environ.get("INBOUND_MAILDIR") or str(BASE_DIR / "var" / f"test-inbox{_XDIST}")
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"token": "1000/min", "writes": "10000/min"}}
# Several suites may run at once on one PostgreSQL server (developers, helpers, CI):
# TEST_DATABASE_NAME keeps their test databases apart.
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("TEST_DATABASE_NAME") or None}  # noqa: F405
