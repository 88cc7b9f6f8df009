#!/usr/bin/env bash
# The whole check: lint, then every test against real PostgreSQL, Redis, Celery and Chromium.
# Extra arguments go to pytest (scripts/test.sh -k healthz).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install.sh
# shellcheck source=scripts/services.sh
. scripts/services.sh

export DJANGO_SETTINGS_MODULE=servicedesk.settings.test
# pytest-playwright runs an event loop in the test thread; the ORM calls in browser tests are synchronous.
export DJANGO_ALLOW_ASYNC_UNSAFE=true
export CHROMIUM_PATH="${CHROMIUM_PATH:-$(command -v chromium || echo /usr/bin/chromium)}"

.venv/bin/ruff check .
.venv/bin/lint-imports
# mypy (half a minute of one core without a cache, as on a clean clone) type-checks while pytest sets up and
# waits on browsers and workers; its verdict counts as much as before, it is only read at the end.
mypy_log="$(mktemp)"
.venv/bin/mypy . >"$mypy_log" 2>&1 &
mypy_pid=$!
trap 'kill "$mypy_pid" 2>/dev/null || true; rm -f "$mypy_log"' EXIT

# Two phases. First every test but those marked `serial`, under pytest-xdist: one process per logical core
# (`logical`, not `auto`: with psutil installed `auto` counts physical cores, 1 on some 2-vCPU machines; at most
# 4; each process has its own test database, Redis database, live server and Chromium). Then the `serial`
# tests, which time their own load, alone. `worksteal`: a process that runs out of tests takes the ones queued
# on another (with `load`, the browser tests queued on one process ran on alone for minutes while the other
# idled). `scripts/test.sh -n 0 ...` runs the first phase in one process.
set +e
.venv/bin/python -m pytest -n logical --maxprocesses=4 --dist worksteal --durations=20 --serial-phase=exclude "$@"
status=$?
serial_status=5
if [ "$status" -eq 0 ] || [ "$status" -eq 5 ]; then
  .venv/bin/python -m pytest --serial-phase=only "$@" -n 0
  serial_status=$?
fi
wait "$mypy_pid"
mypy_status=$?
set -e
cat "$mypy_log"
if [ "$mypy_status" -ne 0 ]; then
  echo "test: mypy failed" >&2
  exit "$mypy_status"
fi
if [ "$status" -eq 5 ] && [ "$serial_status" -eq 5 ]; then
  echo "test: pytest collected no tests; that is a failure" >&2
  exit 1
fi
if [ "$status" -ne 0 ] && [ "$status" -ne 5 ]; then exit "$status"; fi
if [ "$serial_status" -ne 0 ] && [ "$serial_status" -ne 5 ]; then exit "$serial_status"; fi
exit 0
