# shellcheck shell=bash
# Start (idempotently) the servers the test suite needs: PostgreSQL and Redis, plus Chromium for the
# browser tests. Installs the Debian packages when missing. Source it, under `set -euo pipefail`:
#
#     . scripts/services.sh    # exports DATABASE_URL and CELERY_BROKER_URL
#
# The clusters are throw-away (fsync off): never point this at data you want to keep.
SVC_DIR="${SVC_DIR:-/tmp/servicedesk-services}"
PG_PORT="${PG_PORT:-5432}"
REDIS_PORT="${REDIS_PORT:-6379}"
export DEBIAN_FRONTEND=noninteractive

_svc_need=()
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || _svc_need+=(postgresql)
command -v redis-server >/dev/null 2>&1 || _svc_need+=(redis-server)
# Dovecot for the mail intake tests against a real IMAP server (tests/intake/test_imap_dovecot.py); the
# tests start their own throw-away instance, the system service is not used.
command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] || _svc_need+=(dovecot-imapd)
if [ -z "${CHROMIUM_PATH:-}" ] && ! command -v chromium >/dev/null 2>&1; then _svc_need+=(chromium); fi
if [ "${#_svc_need[@]}" -gt 0 ]; then
  echo "services: installing ${_svc_need[*]}" >&2
  apt-get update -qq
  apt-get install -y -qq "${_svc_need[@]}" >/dev/null
fi

_svc_pgbin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
id postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
mkdir -p "$SVC_DIR/pg" "$SVC_DIR/redis"
chmod 755 "$SVC_DIR"
chown postgres: "$SVC_DIR/pg"
_svc_pgdata="$SVC_DIR/pg/data"
# initdb and postgres refuse to run as root, hence runuser.
if ! "$_svc_pgbin/pg_isready" -q -h "$SVC_DIR/pg" -p "$PG_PORT"; then
  [ -s "$_svc_pgdata/PG_VERSION" ] || runuser -u postgres -- "$_svc_pgbin/initdb" -N -D "$_svc_pgdata" \
      -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$SVC_DIR/pg/initdb.log"
  runuser -u postgres -- "$_svc_pgbin/pg_ctl" -D "$_svc_pgdata" -l "$SVC_DIR/pg/postgres.log" -w -t 60 \
      -o "-h 127.0.0.1 -p $PG_PORT -k $SVC_DIR/pg -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
      start >/dev/null || { tail -20 "$SVC_DIR/pg/postgres.log" >&2; return 1 2>/dev/null || exit 1; }
fi
for _ in $(seq 60); do "$_svc_pgbin/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" && break; sleep 0.5; done
"$_svc_pgbin/psql" -q -h "$SVC_DIR/pg" -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 <<'SQL'
SELECT 'CREATE ROLE app LOGIN PASSWORD ''app'' CREATEDB' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'app')\gexec
SELECT 'CREATE DATABASE app OWNER app' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'app')\gexec
SQL

# `redis-server --daemonize yes` succeeds even when the port is taken: ask first.
if ! redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; then
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$SVC_DIR/redis" \
      --pidfile "$SVC_DIR/redis/redis.pid" --logfile "$SVC_DIR/redis/redis.log" --save '' --appendonly no
fi
for _ in $(seq 50); do redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && break; sleep 0.2; done
redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG \
  || { echo "services: redis did not answer on port $REDIS_PORT" >&2; return 1 2>/dev/null || exit 1; }

export DATABASE_URL="postgresql://app:app@127.0.0.1:$PG_PORT/app"
export CELERY_BROKER_URL="redis://127.0.0.1:$REDIS_PORT/0"
unset _svc_need _svc_pgbin _svc_pgdata
