# Front-end assets come from npm at build time; nothing is fetched from a CDN at run time.
FROM node:20-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=servicedesk.settings.production \
    SERVICEDESK_VAR_DIR=/app/var
WORKDIR /app

# The pinned runtime dependencies only, in their own layer so code changes do not reinstall them.
# The project itself runs from /app (not installed) so templates/ and static/ sit beside it.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY --from=assets /app/node_modules ./node_modules
COPY . .

# collectstatic only reads settings: throw-away values satisfy the required variables here and
# are not kept in the image's environment.
RUN SECRET_KEY=collectstatic-build-only ALLOWED_HOSTS=localhost DATABASE_URL=sqlite:////tmp/build.sqlite3 \
        ALLOW_PROCESS_LOCAL_CACHE=true \
        python manage.py collectstatic --noinput \
    && useradd --system --create-home --uid 10001 servicedesk \
    && mkdir -p /app/var \
    && chown -R servicedesk: /app/var

USER servicedesk
EXPOSE 8000
CMD ["gunicorn", "servicedesk.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
