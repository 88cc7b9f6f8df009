"""Production: PostgreSQL, Redis, SMTP. SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL are required."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import CACHES, env

DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# Several processes serve the site (gunicorn workers, replicas): the rate limits and the session
# cache must live in one cache they share. A process-local cache would let each worker count its
# own guesses, so "20 a minute" would be 20 per worker. It is refused unless a single-process
# deployment says so on purpose.
PROCESS_LOCAL_CACHE_BACKENDS = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)
ALLOW_PROCESS_LOCAL_CACHE = env.bool("ALLOW_PROCESS_LOCAL_CACHE", default=False)
_CACHE_IS_SHARED = CACHES["default"]["BACKEND"] not in PROCESS_LOCAL_CACHE_BACKENDS
if not _CACHE_IS_SHARED and not ALLOW_PROCESS_LOCAL_CACHE:
    raise ImproperlyConfigured(
        "CACHE_URL is unset or names a process-local cache "
        f"({CACHES['default']['BACKEND']}): each web worker would keep its own rate-limit counters, "
        "so every limit would hold once per worker. Set CACHE_URL to a cache all processes share, "
        "e.g. rediscache://redis:6379/1, or set ALLOW_PROCESS_LOCAL_CACHE=true if exactly one "
        "process serves the site."
    )
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # A Redis that does not answer fails fast instead of holding a web worker (CACHE_URL's own
    # ?socket_timeout= wins); the throttles then let requests through (core/api/throttles.py).
    CACHES["default"]["OPTIONS"] = {
        "socket_connect_timeout": 2,
        "socket_timeout": 2,
        **CACHES["default"].get("OPTIONS", {}),
    }
# Sessions are read by every signed-in request: with a shared cache, `cached_db` reads them from it
# (one query less per request) and still writes them to the database, so a cache flush or a Redis
# restart signs no one out. A process-local cache would let a worker keep a session another worker
# ended (sign-out), so it keeps plain database sessions.
SESSION_ENGINE = "django.contrib.sessions.backends." + ("cached_db" if _CACHE_IS_SHARED else "db")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# Load balancers probe over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
# HTTPS only from here on: browsers remember it for a year (production only, as it outlives a
# rollback to plain HTTP). nosniff, the referrer policy and frame denial are in base.py.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
