# Retour image: one image for web, worker and beat (see docker/entrypoint.sh).
#   docker build -t retour .                              production image
#   docker build -t retour-dev --build-arg INSTALL_DEV=true .   + test tools and Chromium

# --- Front-end libraries (htmx, swagger-ui) from npm -------------------------------------
FROM node:20-slim AS frontend
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts

# --- Application ----------------------------------------------------------------------------
FROM python:3.11-slim AS app

LABEL org.opencontainers.image.title="Retour" \
      org.opencontainers.image.description="Self-hostable customer-feedback triage" \
      org.opencontainers.image.licenses="AGPL-3.0-or-later"

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=config.settings.prod

# gettext: msgfmt for compilemessages. psycopg[binary] bundles libpq, so no libpq5 is needed.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 retour \
    && useradd --system --uid 10001 --gid retour --create-home --home-dir /home/retour \
       --shell /usr/sbin/nologin retour

# Runtime dependencies (this layer is shared by the production and the dev image).
COPY requirements.txt /tmp/requirements/
RUN python -m venv /opt/venv \
    && pip install -r /tmp/requirements/requirements.txt

# INSTALL_DEV=true adds the test tools (pytest, Playwright, ruff...), make and Debian's
# Chromium (/usr/bin/chromium) so that `make test VENV=/opt/venv` runs inside the container.
ARG INSTALL_DEV=false
COPY requirements-dev.txt /tmp/requirements/
RUN if [ "$INSTALL_DEV" = "true" ]; then \
        apt-get update \
        && apt-get install -y --no-install-recommends make chromium fonts-liberation \
        && rm -rf /var/lib/apt/lists/* \
        && pip install -r /tmp/requirements/requirements-dev.txt; \
    fi

WORKDIR /app
COPY --from=frontend /build/node_modules ./node_modules
COPY . .

# Build-time steps. The secret key and allowed hosts are throw-away values for this RUN only
# (production settings refuse to load without them); they are not kept in the image.
# The stamps tell the Makefile that /opt/venv and node_modules are already installed,
# so `make test VENV=/opt/venv` does not reinstall anything.
RUN chmod 0755 docker/entrypoint.sh \
    && DJANGO_SECRET_KEY=build-only-not-a-secret DJANGO_ALLOWED_HOSTS=localhost \
       python manage.py compilemessages --ignore=.venv --ignore=node_modules -v0 \
    && DJANGO_SECRET_KEY=build-only-not-a-secret DJANGO_ALLOWED_HOSTS=localhost \
       python manage.py collectstatic --noinput -v0 \
    && touch node_modules/.installed \
    && mkdir -p media \
    && chown retour:retour media \
    && if [ "$INSTALL_DEV" = "true" ]; then \
           touch /opt/venv/.installed && chown -R retour:retour /app; \
       fi

# Code stays owned by root (read-only for the app); only media/ is writable.
# The dev image hands /app to the app user: `make test` compiles catalogs and writes caches.
USER retour

EXPOSE 8000

# /healthz answers 200 when PostgreSQL and Redis answer. The Host header is the first of
# DJANGO_ALLOWED_HOSTS so that production settings accept the request (X-Forwarded-Proto
# avoids the HTTPS redirect). Worker and beat containers have no web server: override or
# disable this check for them (docker-compose.yml does).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as r; h = os.environ.get('DJANGO_ALLOWED_HOSTS', '').split(',')[0].strip().lstrip('.'); h = h if h and h != '*' else 'localhost'; r.urlopen(r.Request('http://127.0.0.1:8000/healthz', headers={'Host': h, 'X-Forwarded-Proto': 'https'}), timeout=4)"]

ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["web"]
