"""Production: PostgreSQL, Redis, SMTP. SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL are required."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import CACHES, DATABASES, STORAGES, env

# DATABASE_URL is required here (base falls back to SQLite). The read replica that base adds when
# DATABASE_REPLICA_URL is set is kept (servicedesk/db_router.py) and gets the same pool as the primary.
DATABASES = {**DATABASES, "default": env.db("DATABASE_URL")}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# psycopg 3's connection pool (Django's own `pool` option) for PostgreSQL: each process keeps DB_POOL_MIN_SIZE
# connections open and opens up to DB_POOL_MAX_SIZE; a connection goes back to the pool at the end of each
# request instead of being kept per thread (CONN_MAX_AGE, which the pool replaces, is then 0).
DB_POOL_MAX_SIZE = env.int("DB_POOL_MAX_SIZE", default=4)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and DB_POOL_MAX_SIZE > 0:
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DB_POOL_MIN_SIZE", default=1),
        "max_size": DB_POOL_MAX_SIZE,
        "timeout": env.float("DB_POOL_TIMEOUT", default=10.0),
    }
if "replica" in DATABASES:
    _pool = DATABASES["default"].get("OPTIONS", {}).get("pool")
    DATABASES["replica"]["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = DATABASES["default"]["CONN_HEALTH_CHECKS"]
    if _pool and DATABASES["replica"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["replica"].setdefault("OPTIONS", {})["pool"] = dict(_pool)
    elif _pool:
        DATABASES["replica"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
        DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True

# Static files with hashed names (collectstatic writes staticfiles.json), so WhiteNoise serves them with a
# year-long `Cache-Control: public, max-age=315360000, immutable`; a new release changes the names.
# Without any collectstatic (`make bench`), the plain names as before (operations/static.py).
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "operations.static.StaticFilesStorage"}}

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
    # The same, keeping its Redis client instead of making one per call (servicedesk/cache.py).
    CACHES["default"]["BACKEND"] = "servicedesk.cache.RedisCache"
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
