#!/usr/bin/env bash
# Create .venv and install the Python and npm dependencies. Quick when nothing changed: a stamp
# keyed on pyproject.toml and package-lock.json (and the interpreter) skips the work.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
stamp=".venv/.installed"
key="$(cat pyproject.toml package-lock.json | sha256sum | cut -d' ' -f1) $("$PYTHON" --version 2>&1)"

if [ -x .venv/bin/python ] && [ -d node_modules ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$key" ]; then
  exit 0
fi

if [ ! -x .venv/bin/python ]; then
  echo "install: creating .venv with $PYTHON"
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet -e '.[dev]'

if ! command -v npm >/dev/null 2>&1; then
  echo "install: npm is missing; installing Node.js from Debian" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
fi
npm ci --no-audit --no-fund --loglevel=error

echo "$key" >"$stamp"
echo "install: done"
