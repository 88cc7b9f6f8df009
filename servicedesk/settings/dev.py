"""The embedded default: SQLite, a filesystem broker and mail written to files.

Everything runs from one command (``make run``) with no server to install.
"""

import os

os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("SECRET_KEY", "dev-only-not-secret-" + "x" * 40)
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
os.environ.setdefault("EMAIL_URL", "filemail://")
# Links in mail point where `make run` serves: 127.0.0.1:$PORT, unless SITE_URL says otherwise.
os.environ.setdefault("SITE_URL", f"http://127.0.0.1:{os.environ.get('PORT') or 8000}")

from .base import *  # noqa: F403
from .base import DATABASES, MIDDLEWARE, VAR_DIR, env

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several writers share one file (web threads, worker processes, beat): see servicedesk/db.
    DATABASES["default"]["ENGINE"] = "servicedesk.db"
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL",
        "timeout": 20,  # seconds a connection waits for the write lock
        "transaction_mode": "IMMEDIATE",
        **DATABASES["default"].get("OPTIONS", {}),
    }
    MIDDLEWARE = [*MIDDLEWARE, "servicedesk.db.RequestTransactionMiddleware"]

EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"

_broker = VAR_DIR / "broker"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("in", "processed", "control"):
        (_broker / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker / "in"),
        "data_folder_out": str(_broker / "in"),
        "processed_folder": str(_broker / "processed"),
        "control_folder": str(_broker / "control"),
        "store_processed": False,
        # Each poll takes at most one message per free pool process: at 0.5 s the worker fell
        # behind 8 people's notifications, and at 0.1 s (20 messages a second) again once the pages
        # got faster and the same 8 people logged more in 30 s. A listdir every 0.02 s costs nothing.
        "polling_interval": 0.02,
    }
