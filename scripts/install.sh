#!/usr/bin/env bash
# Create .venv and install the Python and npm dependencies. Quick when nothing changed: a stamp
# keyed on pyproject.toml, the lock files and package-lock.json (and the interpreter) skips the work.
# Python packages come from requirements/dev.txt only (every one pinned with its hashes; `make lock` writes it
# from pyproject.toml), so a clean clone installs the same versions, from pip's cache when offline.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
# The translation catalogues (locale/<code>/LC_MESSAGES/django.po) are compiled here, on every run (only those
# changed), with Debian's gettext; the .mo files are not committed. makemessages (tests/test_translations.py)
# needs gettext too.
if ! command -v msgfmt >/dev/null 2>&1 || ! command -v xgettext >/dev/null 2>&1; then
  echo "install: gettext is missing; installing it from Debian" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq gettext >/dev/null
fi
for po in locale/*/LC_MESSAGES/*.po; do
  [ -e "$po" ] || continue
  mo="${po%.po}.mo"
  if [ ! -e "$mo" ] || [ "$po" -nt "$mo" ]; then
    msgfmt --check-format -o "$mo" "$po"
  fi
done

stamp=".venv/.installed"
key="$(cat pyproject.toml requirements/dev.txt package-lock.json | sha256sum | cut -d' ' -f1) $("$PYTHON" --version 2>&1)"

if [ -x .venv/bin/python ] && [ -d node_modules ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$key" ]; then
  exit 0
fi

if [ ! -x .venv/bin/python ]; then
  echo "install: creating .venv with $PYTHON"
  "$PYTHON" -m venv .venv
fi
# python-ldap (django-auth-ldap) has no wheel: it builds against OpenLDAP's and SASL's headers. The LDAP
# tests start a throw-away slapd of their own (tests/identity/ldap_server.py).
if [ ! -f /usr/include/ldap.h ] || [ ! -f /usr/include/sasl/sasl.h ] || [ ! -x /usr/sbin/slapd ]; then
  echo "install: installing OpenLDAP headers and slapd from Debian" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq libldap-dev libsasl2-dev slapd ldap-utils >/dev/null
fi
.venv/bin/python -m pip install --quiet --require-hashes -r requirements/dev.txt
# The project itself (its metadata: the version reports print) with the locked build backend, no resolving.
.venv/bin/python -m pip install --quiet --no-deps --no-build-isolation -e .

if ! command -v npm >/dev/null 2>&1; then
  echo "install: npm is missing; installing Node.js from Debian" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
fi
npm ci --no-audit --no-fund --loglevel=error

echo "$key" >"$stamp"
echo "install: done"
