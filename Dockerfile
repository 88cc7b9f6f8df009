# Front-end assets come from npm at build time; nothing is fetched from a CDN at run time.
FROM node:20-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
# Runtime assets only: test-only packages (axe-core) are devDependencies and stay out of the image.
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=servicedesk.settings.production \
    SERVICEDESK_VAR_DIR=/app/var
WORKDIR /app

# The runtime dependencies exactly as locked (requirements/production.txt: every package, direct and indirect,
# with its hashes; `make lock` writes it), in their own layer so code changes do not reinstall them.
# The project itself runs from /app (not installed) so templates/ and static/ sit beside it.
# pg_dump and pg_restore for `manage.py backup` / `restore` (Debian's 15, the compose database's version).
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*
COPY requirements/production.txt /tmp/requirements.txt
RUN pip install --require-hashes --no-deps -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# gettext compiles the translation catalogues at build time (a catalogue edited at run time would not reach
# the other gunicorn workers).
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends gettext && rm -rf /var/lib/apt/lists/*

COPY --from=assets /app/node_modules ./node_modules
COPY . .

# collectstatic only reads settings: throw-away values satisfy the required variables here and
# are not kept in the image's environment.
RUN SECRET_KEY=collectstatic-build-only ALLOWED_HOSTS=localhost DATABASE_URL=sqlite:////tmp/build.sqlite3 \
        ALLOW_PROCESS_LOCAL_CACHE=true \
        python manage.py collectstatic --noinput \
    && python manage.py compilemessages --ignore=.venv --ignore=node_modules \
    && useradd --system --create-home --uid 10001 servicedesk \
    && mkdir -p /app/var \
    && chown -R servicedesk: /app/var

USER servicedesk
EXPOSE 8000
CMD ["gunicorn", "servicedesk.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", \
     "--worker-class", "gthread", "--threads", "100", "-c", "python:operations.gunicorn"]
