"""Settings shared by every environment. Every value comes from the environment.

The per-environment modules (``dev``, ``test``, ``production``) only change defaults;
none of them holds a secret.
"""

import ipaddress
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
    "toolkit",
    "reporting",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "identity",
    # review seminars, knowledge-sharing sessions and training plans (issue 26)
    "meetings",
    # staffing against the load (issue 26)
    "staffing",
    "servicedesk",
    "live",
    # Each person's language and time zone (SPEC §14): low in the layers, read by mail code anywhere.
    "profiles",
    # The demo data of every app and its ``seed_demo`` command (no models, nothing imports it).
    "demo",
    # Metrics, the status page, request ids, error reports, backup and restore (docs/operations/).
    "operations",
    "learning",
    # Thumbnails and the in-page viewer of image and PDF attachments (issue 23 §5)
    "previews",
    # History brought in from another tool: CSV and django-helpdesk imports (issue 24 §4).
    "history",
]

MIDDLEWARE = [
    # First: every response (errors too) carries the request id, and every request is counted and timed.
    "operations.requestid.RequestIdMiddleware",
    "operations.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The browser's language (Accept-Language) until the person chooses one (profiles.locale).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.access: the user's roles, groups and tiers, read once on first use (escalation.access).
    "escalation.access.AccessMiddleware",
    # Two-factor (identity/two_factor.py): a session that must pass a code goes to the code page first.
    "identity.middleware.SecondFactorMiddleware",
    # The signed-in person's chosen language and time zone (profiles.locale).
    "profiles.locale.PreferencesMiddleware",
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
                "operations.context_processors.navigation",
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
    "identity.backends.LocalPasswordBackend",
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

# Sign-in through the organisation's directory (identity/, docs/admin/sign-in.md).
# Local passwords: off for everyone but the break-glass accounts named here.
LOCAL_PASSWORD_SIGN_IN = env.bool("LOCAL_PASSWORD_SIGN_IN", default=True)
LOCAL_PASSWORD_BREAK_GLASS = env.list("LOCAL_PASSWORD_BREAK_GLASS", default=[])
# TOTP for administrators, incident managers and managers signing in with a password.
TWO_FACTOR_REQUIRED = env.bool("TWO_FACTOR_REQUIRED", default=False)
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Service desk")
# OpenID Connect (mozilla-django-oidc): on when OIDC_RP_CLIENT_ID is set.
OIDC_RP_CLIENT_ID = env.str("OIDC_RP_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env.str("OIDC_RP_CLIENT_SECRET", default="")
OIDC_OP_AUTHORIZATION_ENDPOINT = env.str("OIDC_OP_AUTHORIZATION_ENDPOINT", default="")
OIDC_OP_TOKEN_ENDPOINT = env.str("OIDC_OP_TOKEN_ENDPOINT", default="")
OIDC_OP_USER_ENDPOINT = env.str("OIDC_OP_USER_ENDPOINT", default="")
OIDC_OP_JWKS_ENDPOINT = env.str("OIDC_OP_JWKS_ENDPOINT", default="")
OIDC_RP_SIGN_ALGO = env.str("OIDC_RP_SIGN_ALGO", default="RS256")
OIDC_RP_SCOPES = env.str("OIDC_RP_SCOPES", default="openid email profile groups")
OIDC_GROUPS_CLAIM = env.str("OIDC_GROUPS_CLAIM", default="groups")
OIDC_PROVIDER_NAME = env.str("OIDC_PROVIDER_NAME", default="your organisation")
OIDC_USE_PKCE = True
LOGIN_REDIRECT_URL_FAILURE = "/accounts/sign-in-failed/"
if OIDC_RP_CLIENT_ID:
    AUTHENTICATION_BACKENDS.append("identity.oidc.DirectoryOIDCBackend")
# LDAP / Active Directory (django-auth-ldap): on when LDAP_SERVER_URI is set.
AUTH_LDAP_SERVER_URI = env.str("LDAP_SERVER_URI", default="")
AUTH_LDAP_BIND_DN = env.str("LDAP_BIND_DN", default="")
AUTH_LDAP_BIND_PASSWORD = env.str("LDAP_BIND_PASSWORD", default="")
AUTH_LDAP_START_TLS = env.bool("LDAP_START_TLS", default=False)
LDAP_USER_SEARCH_BASE = env.str("LDAP_USER_SEARCH_BASE", default="")
LDAP_USER_FILTER = env.str("LDAP_USER_FILTER", default="(uid=%(user)s)")
LDAP_GROUP_SEARCH_BASE = env.str("LDAP_GROUP_SEARCH_BASE", default="")
LDAP_GROUP_TYPE = env.str("LDAP_GROUP_TYPE", default="groupOfNames")
AUTH_LDAP_USER_ATTR_MAP = {"first_name": "givenName", "last_name": "sn", "email": "mail"}
AUTH_LDAP_ALWAYS_UPDATE_USER = True
AUTH_LDAP_FIND_GROUP_PERMS = False
if AUTH_LDAP_SERVER_URI:
    from identity.ldap_settings import ldap_group_type, ldap_search

    AUTH_LDAP_USER_SEARCH = ldap_search(LDAP_USER_SEARCH_BASE, LDAP_USER_FILTER)
    AUTH_LDAP_GROUP_SEARCH = ldap_search(LDAP_GROUP_SEARCH_BASE, "(objectClass=*)")
    AUTH_LDAP_GROUP_TYPE = ldap_group_type(LDAP_GROUP_TYPE)
    AUTHENTICATION_BACKENDS.append("identity.backends.DirectoryLDAPBackend")

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
# The organisation's time zone: monthly reports and default calendars follow it.
TIME_ZONE = env.str("TIME_ZONE", default="Europe/London")
USE_I18N = True
# English (British formats), German, French and Spanish ship complete; the catalogues are locale/<code>/
# and are compiled by scripts/install.sh (docs/admin/configuration.md, "Languages").
LANGUAGES = [("en-gb", "English"), ("de", "Deutsch"), ("fr", "Français"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
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
    # How long Redis keeps a message a worker took but did not acknowledge (acks_late) before it
    # hands it to another worker: the work of a worker killed mid-task. Above the longest task and
    # the longest retry countdown (300 s), else a running task is handed out twice. It is only the
    # backstop: what a dead worker held is also in the database, and the sweep and the flush
    # (every few seconds, below) pick it up from there within seconds.
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=600),
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    "notifications-flush": {
        "task": "incidents.tasks.notifications_flush_task",
        "schedule": env.float("NOTIFICATIONS_FLUSH_INTERVAL", default=10.0),
    },
    "sla-sweep": {
        "task": "incidents.tasks.sla_sweep_task",
        "schedule": env.float("SLA_SWEEP_INTERVAL", default=10.0),
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
    # operations/retention.py: archive then purge what is past its retention, at night.
    "retention-purge": {
        "task": "operations.tasks.retention_purge_task",
        "schedule": crontab(minute=30, hour=3),
    },
    "meetings-housekeeping": {
        "task": "meetings.tasks.meetings_housekeeping_task",
        "schedule": crontab(minute=25),
    },
    "learning-train": {
        "task": "learning.tasks.model_train_task",
        "schedule": crontab(minute=30, hour=3),
    },
    "learning-spikes": {
        "task": "learning.tasks.spikes_detect_task",
        "schedule": 60.0,
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# The suggestions learn from at most this many resolved and closed incidents, the newest (issue 24):
# the training's time and memory follow it, not the whole history (1,000,000: about 12 minutes and
# 3.5 GB on two cores; 1,690,000: 29 minutes and 8.5 GB). 0: every one.
LEARNING_MAX_EXAMPLES = env.int("LEARNING_MAX_EXAMPLES", default=1_000_000)
# The spike detector (issue 24): more than SPIKE_MIN_INCIDENTS similar new incidents within
# SPIKE_WINDOW_MINUTES minutes alert the incident managers once per spike.
SPIKE_MIN_INCIDENTS = env.int("SPIKE_MIN_INCIDENTS", default=5)
SPIKE_WINDOW_MINUTES = env.int("SPIKE_WINDOW_MINUTES", default=10)
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
    # Below the mail on its queue (Redis: 0, the default, is taken first), so that a batch's mail leaves
    # before the batches of the sweep queued after it are published (issue 25 §5).
    "incidents.tasks.events_publish_task": {"queue": "notifications", "priority": 6},
    "incidents.tasks.notification_email_task": {"queue": "notifications"},
    "incidents.tasks.notification_emails_task": {"queue": "notifications"},
    "incidents.tasks.notification_digest_task": {"queue": "notifications"},
    "incidents.tasks.notification_digests_task": {"queue": "notifications"},
    "incidents.tasks.notifications_flush_task": {"queue": "notifications"},
    "intake.tasks.*": {"queue": "intake"},
    "reporting.tasks.*": {"queue": "reports"},
    "surveys.tasks.*": {"queue": "reports"},
    "knowledge.tasks.*": {"queue": "reports"},
    "meetings.tasks.*": {"queue": "reports"},
    "learning.tasks.*": {"queue": "reports"},
    "history.tasks.*": {"queue": "reports"},
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
NOTIFICATION_EMAIL_CLAIM_SECONDS = env.int("NOTIFICATION_EMAIL_CLAIM_SECONDS", default=30)
NOTIFICATION_EMAIL_MAX_ATTEMPTS = env.int("NOTIFICATION_EMAIL_MAX_ATTEMPTS", default=8)
# Beat's flush of the outbox and of unsent mail: how often, how old a row must be before the flush
# takes it from the task queued on commit, and how many rows one flush takes (it fans them out).
NOTIFICATIONS_FLUSH_GRACE = env.float("NOTIFICATIONS_FLUSH_GRACE", default=15.0)
NOTIFICATIONS_FLUSH_BATCH = env.int("NOTIFICATIONS_FLUSH_BATCH", default=1000)

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
# A PEM file of CA certificates trusted for the IMAP server, instead of the system store (a private CA).
INBOUND_IMAP_CA_FILE = env.str("INBOUND_IMAP_CA_FILE", default="")

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

# Logs: plain text (`make run`), or one JSON object a line (LOG_FORMAT=json, docker-compose.yml), each line
# with the request id that follows the work into the tasks it queued (operations.requestid).
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
# The live workspace (live/): how long a page's feed request waits for a change before it answers
# empty (each waiting request holds a web thread, not a database connection), and how often each
# process reads the shared cursor while someone waits.
LIVE_WAIT_SECONDS = env.float("LIVE_WAIT_SECONDS", default=50.0)
LIVE_POLL_INTERVAL = env.float("LIVE_POLL_INTERVAL", default=0.25)
# At most this many feed requests wait at once in one web process (0: no cap); beyond it a question is
# answered at once and its page asks again after LIVE_BUSY_AGAIN_SECONDS. Keep it below gunicorn's
# --threads (100 in docker-compose.yml), or the process's other requests queue behind the waiting feeds.
LIVE_MAX_WAITING = env.int("LIVE_MAX_WAITING", default=80)
LIVE_BUSY_AGAIN_SECONDS = env.float("LIVE_BUSY_AGAIN_SECONDS", default=10.0)
# Whether pages follow the change feed at all (off: pages show what they had when loaded, as before).
LIVE_PAGES = env.bool("LIVE_PAGES", default=True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "operations.requestid.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(process)d %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Sign-in failures and lockouts are WARNING, successes INFO, whatever LOG_LEVEL says.
        "axes": {"level": "INFO"},
    },
}
# In JSON, a worker's own lines go through the same handler (Celery otherwise installs its text format).
CELERY_WORKER_HIJACK_ROOT_LOGGER = LOG_FORMAT != "json"

# Error reports (operations/errors.py): nothing is sent anywhere unless SENTRY_DSN is set.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env.str("SENTRY_ENVIRONMENT", default="")
SENTRY_TRACES_SAMPLE_RATE = env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0)

# /metrics (operations/views.py): open to a scraper presenting METRICS_TOKEN as a bearer token, or from
# METRICS_ALLOWED_ADDRESSES (addresses or networks); with neither set it answers 404.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# prometheus-client reads it too: each gunicorn worker's request counters in files there (summed by /metrics).
PROMETHEUS_MULTIPROC_DIR = env.str("PROMETHEUS_MULTIPROC_DIR", default="")
METRICS_ALLOWED_NETWORKS = [
    ipaddress.ip_network(a, strict=False) for a in env.list("METRICS_ALLOWED_ADDRESSES", default=[])
]
# When a figure of the status page and /metrics means trouble: (warning, critical), seconds or tasks.
OPERATIONS_THRESHOLDS = {
    "queue_depth": (1000, 10000),
    "event_age": (60, 300),
    "mail_age": (120, 600),
    "sla_due_age": (60, 300),
    "inbound_age": (24 * 3600, 3 * 24 * 3600),
    "beat_overdue": (120, 600),
}

# Retention (operations/retention.py, docs/operations/retention.md): days after which each kind is archived to
# RETENTION_ARCHIVE_DIR and purged by the nightly beat task; 0 keeps it for ever (sessions: days past expiry).
RETENTION_DAYS = {
    "closed_incident_events": env.int("RETENTION_CLOSED_INCIDENT_EVENTS_DAYS", default=730),
    "notifications": env.int("RETENTION_NOTIFICATIONS_DAYS", default=365),
    "survey_mail": env.int("RETENTION_SURVEY_MAIL_DAYS", default=365),
    "inbound_messages": env.int("RETENTION_INBOUND_MESSAGES_DAYS", default=180),
    "survey_invitations": env.int("RETENTION_SURVEY_INVITATIONS_DAYS", default=365),
    "sessions": 0,
    "report_deliveries": env.int("RETENTION_REPORT_DELIVERIES_DAYS", default=730),
}
RETENTION_ARCHIVE_DIR = env.str("RETENTION_ARCHIVE_DIR", default=str(VAR_DIR / "archive"))
RETENTION_BATCH_SIZE = env.int("RETENTION_BATCH_SIZE", default=1000)
RETENTION_MAX_BATCHES = env.int("RETENTION_MAX_BATCHES", default=500)
# The CSV files uploaded for history imports (history/): removed by the same nightly task this many days after
# their last run, the runs' audit rows kept; 0 keeps them for ever.
HISTORY_UPLOAD_RETENTION_DAYS = env.int("HISTORY_UPLOAD_RETENTION_DAYS", default=90)
