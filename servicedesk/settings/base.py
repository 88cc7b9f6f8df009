"""Settings shared by every environment. Every value comes from the environment.

The per-environment modules (``dev``, ``test``, ``production``) only change defaults;
none of them holds a secret.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(environ.Env().str("SERVICEDESK_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rest_framework",
    "knox",
    "axes",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "crispy_forms",
    "crispy_bootstrap5",
    "escalation",
    "incidents",
    "portal",
    "surveys",
    "intake",
    "knowledge",
    "reporting",
    "servicedesk",
    # The demo data of every app and its ``seed_demo`` command (no models, nothing imports it).
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.access: the user's roles, groups and tiers, read once on first use (escalation.access).
    "escalation.access.AccessMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # After authentication: the admin answers 403 to signed-in end users (portal.middleware).
    "portal.middleware.EndUserFenceMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# `make bench` only: SQL count, SQL time and server time of each request in a Server-Timing header.
if env.bool("BENCH_PROFILE", default=False):
    MIDDLEWARE.insert(0, "servicedesk.profiling.ProfileMiddleware")

# Headers a browser enforces, on every response of every environment (pages, API, errors); HSTS is
# added in production only (settings/production.py). Django's defaults already say so: they are
# written out so that no one relaxes them by accident.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): only our own files run or style the page. No template holds
# an inline script, handler or style="" (they live in static/js and static/css); data for a script
# travels in data-* attributes or json_script. `data:` images are Bootstrap's own: its CSS draws
# the select arrow, the check marks and the close button as data:image/svg+xml.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

ROOT_URLCONF = "servicedesk.urls"
WSGI_APPLICATION = "servicedesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "servicedesk.context_processors.navigation",
            ],
        },
    },
]

# Django's form renderer, with the common widgets built in Python (core/form_renderer.py, SPEC §13).
FORM_RENDERER = "core.form_renderer.FormRenderer"

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# An optional read replica: reporting's figures and the dashboard read from it (servicedesk/db_router.py).
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"]["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["servicedesk.db_router.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Sign-in lockout (django-axes): failures are counted per username AND client address, so a colleague
# behind the same office address is never locked out by someone else's guessing. Browser sign-in and
# POST /api/v1/auth/token/ count together.
AUTHENTICATION_BACKENDS = [
    "servicedesk.signin.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "servicedesk.signin.lockout_response"
AXES_CLIENT_IP_CALLABLE = "servicedesk.signin.client_ip_address"
# Logs name the account and address (passwords are always masked).
AXES_SENSITIVE_PARAMETERS: list[str] = []
# Behind N reverse proxies that each append to X-Forwarded-For, the client is the N-th address from
# the right; 0 (the default) ignores the header, which a client could otherwise forge.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
# The organisation's time zone: monthly reports and default calendars follow it.
TIME_ZONE = env.str("TIME_ZONE", default="Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
# Front-end assets come from npm (package-lock.json) and are served by the application.
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", NODE_MODULES / "bootstrap-icons" / "font"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/chart.js", NODE_MODULES / "chart.js" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Attachments live outside the web root and are only served through a permission-checked view.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "/media-not-served/"
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
ATTACHMENT_ALLOWED_TYPES = env.list(
    "ATTACHMENT_ALLOWED_TYPES",
    default=[
        "text/plain",
        "text/csv",
        "application/pdf",
        "image/png",
        "image/jpeg",
        "image/gif",
        "application/zip",
        "application/json",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ],
)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=5 * 1024 * 1024)

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="smtp://localhost:25")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Service Desk <servicedesk@example.org>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
EMAIL_TIMEOUT = 10

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

MESSAGE_TAGS = {40: "danger"}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "servicedesk.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.ApiCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": ["core.api.throttles.WritesThrottle"],
    "EXCEPTION_HANDLER": "core.api.errors.api_exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    # OPTIONS would describe the same as /api/schema/, and DRF's description breaks on views
    # without a queryset: answer 405 instead.
    "DEFAULT_METADATA_CLASS": None,
    # Throttles count per client address the way sign-in does (servicedesk.signin): with DRF's
    # default (None) any client could write a new X-Forwarded-For for each guess and never be limited.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "DEFAULT_THROTTLE_RATES": {
        "token": env.str("THROTTLE_TOKEN", default="20/min"),
        "writes": env.str("THROTTLE_WRITES", default="120/min"),
    },
}
# API tokens (django-rest-knox): only a SHA-512 digest is stored; each token expires.
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=env.int("API_TOKEN_TTL_DAYS", default=30)),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Service desk API",
    "DESCRIPTION": "ITIL incident management: incidents, support groups, SLA policies, reports.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Requests and responses are separate components: what a client sends is not what it reads.
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "LevelEnum": "escalation.choices.Level",
        "PriorityEnum": "escalation.choices.Priority",
        "TierEnum": "escalation.choices.Tier",
        "IncidentStatusEnum": "incidents.models.Status",
        "SlaStateEnum": "incidents.models.SlaState",
        "HoldReasonEnum": "incidents.models.HoldReason",
        "ResolutionCodeEnum": "incidents.models.ResolutionCode",
        "ChannelEnum": "incidents.models.Channel",
        "SupportGroupKindEnum": "escalation.models.SupportGroup.Kind",
        "EventKindEnum": "incidents.models.IncidentEvent.Kind",
    },
}

# The default cache holds what every process must agree on: the API's rate-limit counters (DRF
# throttles, core/api/throttles.py) and, in production, the session cache. Process-local memory is
# the default because the embedded default (`make run`) serves the web from ONE process (runserver),
# where it is exact, and needs no Redis; production refuses it (settings/production.py) since each
# gunicorn worker would count apart and a limit would hold once per worker.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

# Celery: the broker is the only moving part; results are not needed by the product.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="redis://localhost:6379/0")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=None) or None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Publishing must never hang a web request when the broker is down: the outbox rows
# (events not yet notified, thresholds not yet fired) are caught up by beat later.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=2.0)
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    "max_retries": 1,
    "visibility_timeout": 3600,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    "notifications-flush": {
        "task": "incidents.tasks.notifications_flush_task",
        "schedule": 60.0,
    },
    "sla-sweep": {
        "task": "incidents.tasks.sla_sweep_task",
        "schedule": env.float("SLA_SWEEP_INTERVAL", default=60.0),
    },
    "incidents-autoclose": {
        "task": "incidents.tasks.incidents_autoclose_task",
        "schedule": crontab(minute="*/15"),
    },
    "mailbox-poll": {
        "task": "intake.tasks.mailbox_poll_task",
        "schedule": env.float("INBOUND_POLL_INTERVAL", default=60.0),
    },
    "reporting-monthly": {
        "task": "reporting.tasks.monthly_report_task",
        "schedule": crontab(minute=15, hour=2, day_of_month=1),
    },
    "reporting-dashboard-refresh": {
        "task": "reporting.tasks.dashboard_refresh_task",
        "schedule": 300.0,
    },
    "reporting-deliveries-flush": {
        "task": "reporting.tasks.report_deliveries_flush_task",
        "schedule": crontab(minute=40),
    },
    "knowledge-stale-articles": {
        "task": "knowledge.tasks.knowledge_stale_articles_task",
        "schedule": crontab(minute=5),
    },
    "knowledge-quiz-reminders": {
        "task": "knowledge.tasks.knowledge_quiz_reminders_task",
        "schedule": crontab(minute=35),
    },
    "surveys-housekeeping": {
        "task": "surveys.tasks.surveys_housekeeping_task",
        "schedule": crontab(minute="*/15"),
    },
    "surveys-perception": {
        "task": "surveys.tasks.surveys_perception_task",
        "schedule": crontab(minute=5),
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# `/readyz` says beat is stale when its last SLA sweep is older than this (seconds): a few missed
# sweeps, not one late one (core/beat.py).
READYZ_BEAT_MAX_AGE = env.float("READYZ_BEAT_MAX_AGE", default=300.0)
# Queues by kind, so that each scales out on its own (docs/operations/scaling.md, "SLA engine and
# queues"): the sweep's timers, mail delivery (the event outbox and notifications), mail intake, and reports
# with the other periodic mail (reporting, surveys, knowledge). A worker of `make run` and of the
# tests consumes them all; docker-compose.yml runs one worker service per queue.
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "incidents.tasks.sla_sweep_task": {"queue": "sweep"},
    "incidents.tasks.incidents_autoclose_task": {"queue": "sweep"},
    "incidents.tasks.event_publish_task": {"queue": "notifications"},
    "incidents.tasks.events_publish_task": {"queue": "notifications"},
    "incidents.tasks.notification_email_task": {"queue": "notifications"},
    "incidents.tasks.notifications_flush_task": {"queue": "notifications"},
    "intake.tasks.*": {"queue": "intake"},
    "reporting.tasks.*": {"queue": "reports"},
    "surveys.tasks.*": {"queue": "reports"},
    "knowledge.tasks.*": {"queue": "reports"},
}
TASK_QUEUES = ("sweep", "notifications", "intake", "reports", "default")
# How many sweep tasks share a backlog of due thresholds (the beat's sweep queues the others).
SLA_SWEEP_PARALLEL = env.int("SLA_SWEEP_PARALLEL", default=4)
# SLA warnings at these fractions of each target; the breach at 100 % always fires (SPEC §6).
SLA_WARNING_FRACTIONS = tuple(env.list("SLA_WARNING_FRACTIONS", cast=float, default=[0.75, 0.9]))

# The event hook (incidents.records.hooks) and email delivery (incidents.notifications.delivery).
EVENT_DELIVERY_MAX_ATTEMPTS = env.int("EVENT_DELIVERY_MAX_ATTEMPTS", default=8)
# How long a sender's claim on an email holds before another worker may send it again: well above
# EMAIL_TIMEOUT, so that only a dead worker's claim runs out.
NOTIFICATION_EMAIL_CLAIM_SECONDS = env.int("NOTIFICATION_EMAIL_CLAIM_SECONDS", default=300)
NOTIFICATION_EMAIL_MAX_ATTEMPTS = env.int("NOTIFICATION_EMAIL_MAX_ATTEMPTS", default=8)

# Mail intake (intake/): an IMAP folder over TLS when INBOUND_IMAP_HOST is set, else the Maildir.
INBOUND_MAILDIR = env.str("INBOUND_MAILDIR", default=str(VAR_DIR / "inbox"))
INBOUND_IMAP_HOST = env.str("INBOUND_IMAP_HOST", default="")
INBOUND_IMAP_PORT = env.int("INBOUND_IMAP_PORT", default=993)
INBOUND_IMAP_USER = env.str("INBOUND_IMAP_USER", default="")
INBOUND_IMAP_PASSWORD = env.str("INBOUND_IMAP_PASSWORD", default="")
INBOUND_IMAP_FOLDER = env.str("INBOUND_IMAP_FOLDER", default="INBOX")
INBOUND_IMAP_FAILED_FOLDER = env.str("INBOUND_IMAP_FAILED_FOLDER", default="INBOX.servicedesk-failed")
INBOUND_MAX_MESSAGE_BYTES = env.int("INBOUND_MAX_MESSAGE_BYTES", default=25 * 1024 * 1024)
INBOUND_POLL_BATCH = env.int("INBOUND_POLL_BATCH", default=100)
INBOUND_CLAIM_SECONDS = env.int("INBOUND_CLAIM_SECONDS", default=600)

# Reporting: the targets the dashboard shows month to date against (fractions, 0–1).
REPORTING_TARGETS = {
    "sla_resolution_compliance": env.float("REPORTING_TARGET_RESOLUTION_SLA", default=0.9),
    "sla_response_compliance": env.float("REPORTING_TARGET_RESPONSE_SLA", default=0.95),
    "first_contact_resolution_rate": env.float("REPORTING_TARGET_FCR", default=0.6),
}
# Satisfaction surveys (surveys/): the seed of the sampling draw, and how often one person may be asked.
SURVEY_SAMPLING_SEED = env.str("SURVEY_SAMPLING_SEED", default="servicedesk-surveys")
SURVEY_USER_LIMIT_DAYS = env.int("SURVEY_USER_LIMIT_DAYS", default=30)

SERVICEDESK = {
    # Business days a resolved incident waits for the caller before it closes itself.
    "AUTOCLOSE_BUSINESS_DAYS": env.int("AUTOCLOSE_BUSINESS_DAYS", default=3),
    # Whether callers see the names of the people working on their incident (else the group only).
    "PORTAL_SHOW_ASSIGNEE_NAMES": env.bool("PORTAL_SHOW_ASSIGNEE_NAMES", default=False),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Sign-in failures and lockouts are WARNING, successes INFO, whatever LOG_LEVEL says.
        "axes": {"level": "INFO"},
    },
}
