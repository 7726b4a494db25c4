#!/usr/bin/env bash
# Smoke test of the front door: the README's `make run`, from a clean environment, then the demo
# product owner signs in over HTTP and opens the triage inbox. Stops web, worker and beat afterwards.
#
#   scripts/smoke.sh            (or `make smoke`; CI runs it after `make test`)
#
# Needs PostgreSQL and Redis running, and port 8000 free. It uses the default database `retour`
# (created and seeded with the demo data if missing), like `make run` itself.
# SMOKE_TIMEOUT (seconds, default 180) bounds the wait for the server; SMOKE_ENV adds variables to
# the clean environment, e.g. SMOKE_ENV="DATABASE_URL=postgres://postgres@127.0.0.1:5432/retour_smoke".
set -euo pipefail
cd "$(dirname "$0")/.."

base_url="http://127.0.0.1:8000"
timeout="${SMOKE_TIMEOUT:-180}"
work="$(mktemp -d)"
log="$work/make-run.log"
jar="$work/cookies.txt"
pgid=""

fail() {
    echo "smoke: FAILED: $*" >&2
    if [[ -f "$log" ]]; then
        echo "smoke: last lines of the make run log ($log):" >&2
        tail -n 60 "$log" >&2
    fi
    exit 1
}

group_alive() { [[ -n "$pgid" ]] && pgrep -g "$pgid" >/dev/null 2>&1; }

stop() {
    if group_alive; then
        kill -TERM -- "-$pgid" 2>/dev/null || true
        for _ in $(seq 1 30); do
            group_alive || break
            sleep 1
        done
        if group_alive; then
            echo "smoke: processes still running after 30 s, killing them" >&2
            kill -KILL -- "-$pgid" 2>/dev/null || true
            sleep 1
        fi
    fi
}
trap stop EXIT

if (exec 3<>/dev/tcp/127.0.0.1/8000) 2>/dev/null; then
    fail "something already listens on port 8000; stop it first"
fi

echo "smoke: make run from a clean environment (log: $log)"
# Its own session, so its process group (make, honcho, gunicorn, celery) can be stopped as a whole.
# shellcheck disable=SC2086 # SMOKE_ENV is a list of NAME=value words
setsid env -i PATH=/usr/bin:/bin HOME="$HOME" ${SMOKE_ENV:-} make run >"$log" 2>&1 </dev/null &
pgid=$!

echo "smoke: waiting up to ${timeout}s for $base_url/healthz"
deadline=$((SECONDS + timeout))
until [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$base_url/healthz" || true)" == "200" ]]; do
    group_alive || fail "make run exited before the server answered"
    ((SECONDS < deadline)) || fail "no 200 from /healthz within ${timeout}s"
    sleep 2
done
echo "smoke: /healthz answers 200"

curl -s -f -c "$jar" -b "$jar" -o "$work/login.html" "$base_url/accounts/login/" || fail "GET /accounts/login/"
csrftoken="$(awk '$6 == "csrftoken" { print $7 }' "$jar")"
[[ -n "$csrftoken" ]] || fail "no csrftoken cookie from /accounts/login/"

status="$(curl -s -c "$jar" -b "$jar" -o "$work/login-post.html" -w '%{http_code}' \
    -H "Referer: $base_url/accounts/login/" \
    --data-urlencode "csrfmiddlewaretoken=$csrftoken" \
    --data-urlencode "login=po@retour.example" \
    --data-urlencode "password=retour-demo" \
    "$base_url/accounts/login/")"
[[ "$status" == "302" ]] || fail "signing in as po@retour.example answered $status, expected a redirect"

status="$(curl -s -c "$jar" -b "$jar" -o "$work/triage.html" -w '%{http_code}' "$base_url/triage/")"
[[ "$status" == "200" ]] || fail "GET /triage/ as the product owner answered $status"
grep -q 'data-testid="profile-link">Paula<' "$work/triage.html" \
    || fail "/triage/ does not show the signed-in product owner (Paula)"
grep -q 'data-nav="emails"' "$work/triage.html" || fail "/triage/ lacks the product owner's Email log entry"
echo "smoke: signed in as the demo product owner; /triage/ answers 200"

stop
if group_alive; then
    fail "web, worker or beat still running after the stop"
fi
if (exec 3<>/dev/tcp/127.0.0.1/8000) 2>/dev/null; then
    fail "port 8000 still answers after the stop"
fi
rm -rf "$work"
echo "smoke: OK (web, worker and beat stopped)"
