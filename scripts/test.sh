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
.venv/bin/mypy .
.venv/bin/lint-imports

set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "test: pytest collected no tests; that is a failure" >&2
  exit 1
fi
exit "$status"
