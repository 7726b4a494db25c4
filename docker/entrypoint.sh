#!/usr/bin/env bash
# Retour container entrypoint.
#   web      migrate (+ seed_demo when RETOUR_SEED_DEMO=true), then gunicorn on 0.0.0.0:8000
#   worker   celery worker
#   beat     celery beat
#   anything else is executed as given, e.g. `python manage.py shell` or `make test`.
# Extra arguments after web/worker/beat are passed on to gunicorn/celery.
# Every command first waits for PostgreSQL and Redis with `manage.py preflight`
# (RETOUR_WAIT_ATTEMPTS x RETOUR_WAIT_DELAY seconds; RETOUR_WAIT_FOR_SERVICES=false skips it).
set -euo pipefail

cd "$(dirname "$(readlink -f "$0")")/.."

wait_for_services() {
    local attempts="${RETOUR_WAIT_ATTEMPTS:-30}" delay="${RETOUR_WAIT_DELAY:-2}" attempt output=""
    for ((attempt = 1; attempt <= attempts; attempt++)); do
        if output="$(python manage.py preflight 2>&1)"; then
            printf '%s\n' "$output"
            return 0
        fi
        if ((attempt < attempts)); then
            echo "entrypoint: PostgreSQL or Redis not ready (attempt ${attempt}/${attempts}), retrying in ${delay}s" >&2
            sleep "$delay"
        fi
    done
    printf '%s\n' "$output" >&2
    echo "entrypoint: giving up, check DATABASE_URL and REDIS_URL." >&2
    exit 1
}

if [[ $# -eq 0 ]]; then
    set -- web
fi

if [[ "${RETOUR_WAIT_FOR_SERVICES:-true}" != "false" ]]; then
    wait_for_services
fi

case "$1" in
    web)
        shift
        python manage.py migrate --noinput
        if [[ "${RETOUR_SEED_DEMO:-false}" == "true" ]]; then
            python manage.py seed_demo
        fi
        exec gunicorn config.wsgi \
            --bind 0.0.0.0:8000 \
            --workers "${WEB_CONCURRENCY:-2}" \
            --worker-tmp-dir /dev/shm \
            --access-logfile - \
            --max-requests 2000 \
            --max-requests-jitter 200 \
            "$@"
        ;;
    worker)
        shift
        exec celery -A config worker --loglevel=INFO --concurrency="${CELERY_CONCURRENCY:-2}" "$@"
        ;;
    beat)
        shift
        exec celery -A config beat --loglevel=INFO --schedule=/tmp/celerybeat-schedule "$@"
        ;;
    *)
        exec "$@"
        ;;
esac
