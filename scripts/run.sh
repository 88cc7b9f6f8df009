#!/usr/bin/env bash
# The embedded default (SPEC §12): SQLite, a filesystem broker, the web server and one Celery
# worker with beat, all state under var/ (or $SERVICEDESK_VAR_DIR). Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
# Job control puts each child in its own process group, so that stopping one stops its
# subprocesses too (celery's pool and embedded beat).
set -m

scripts/install.sh

export DJANGO_SETTINGS_MODULE=servicedesk.settings.dev
export SERVICEDESK_VAR_DIR="${SERVICEDESK_VAR_DIR:-$PWD/var}"
PORT="${PORT:-8000}"
PY=.venv/bin/python
URL="http://127.0.0.1:$PORT/"
RUN_DIR="$SERVICEDESK_VAR_DIR/run"
mkdir -p "$SERVICEDESK_VAR_DIR" "$RUN_DIR"
# The Maildir that mail intake polls (drop a message file into inbox/new/); failed/ keeps what it set aside.
mkdir -p "$SERVICEDESK_VAR_DIR"/inbox/{new,cur,tmp,failed}

"$PY" manage.py migrate --noinput
if "$PY" manage.py help seed_demo >/dev/null 2>&1; then
  "$PY" manage.py seed_demo
else
  echo "run: WARNING: the seed_demo command does not exist yet; starting without demo data" >&2
fi

web_pid=""
worker_pid=""

stop_children() {
  trap - INT TERM EXIT
  local pid
  # TERM to the leaders lets celery shut its pool and beat down warmly; KILL the groups if they linger.
  for pid in $web_pid $worker_pid; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 100); do
    local alive=0
    for pid in $web_pid $worker_pid; do kill -0 -- "-$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  for pid in $web_pid $worker_pid; do kill -KILL -- "-$pid" 2>/dev/null || true; done
  rm -f "$RUN_DIR/web.pid" "$RUN_DIR/worker.pid"
}
on_signal() {
  echo
  echo "run: stopping the web server and the worker"
  stop_children
  exit 0
}
trap on_signal INT TERM
trap stop_children EXIT

# runserver serves the static files itself in DEBUG (django.contrib.staticfiles), no collectstatic.
"$PY" manage.py runserver "127.0.0.1:$PORT" --noreload &
web_pid=$!
echo "$web_pid" >"$RUN_DIR/web.pid"

# Every queue of CELERY_TASK_ROUTES (servicedesk/settings/base.py: TASK_QUEUES): one worker serves them all.
.venv/bin/celery -A servicedesk worker -B -Q sweep,notifications,intake,reports,default --without-mingle \
  --without-gossip -l info --concurrency 2 &
worker_pid=$!
echo "$worker_pid" >"$RUN_DIR/worker.pid"

for _ in $(seq 600); do
  kill -0 "$web_pid" 2>/dev/null || { echo "run: the web server exited (is port $PORT taken?)" >&2; exit 1; }
  if "$PY" - "${URL}healthz" <<'PY' 2>/dev/null
import sys, urllib.request
sys.exit(0 if urllib.request.urlopen(sys.argv[1], timeout=2).status == 200 else 1)
PY
  then break; fi
  sleep 0.2
done

cat <<MSG

  The service desk is running at $URL

  Demo logins (password: demo-password)
    agent        service desk agent (tier 1)
    tech         technical support (tier 2)
    netops       network team (tier 3)
    dba          database team (tier 3)
    incidentmgr  incident manager
    manager      manager
    admin        administrator
    alice, bob   end users

  Data lives in $SERVICEDESK_VAR_DIR (mail in $SERVICEDESK_VAR_DIR/mail). Press Ctrl-C to stop.

MSG

# Whichever child dies first takes the other down with it. A short `wait` on a sleep, not `wait -n` on
# the children: while run.sh sat in `wait -n`, Ctrl-C was sometimes not acted on for over 35 s (twice in
# full runs of tests/test_infra_make_run.py; cause not pinned down). A trapped signal ends `wait` at once,
# and at the latest the trap runs when the second's sleep ends.
set +e
while kill -0 "$web_pid" 2>/dev/null && kill -0 "$worker_pid" 2>/dev/null; do
  sleep 1 &
  wait "$!"
done
set -e
kill -0 "$web_pid" 2>/dev/null && exited=worker || exited="web server"
echo "run: the $exited exited; stopping" >&2
exit 1
