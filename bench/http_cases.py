"""The benchmark over HTTP: gunicorn started with this process's settings and database (production
settings: DEBUG off), pages fetched with a signed-in session, and submissions through the API with
personal tokens from several client companies, over keep-alive connections, load generated on the
same machine. Figures are client-side: what a browser or an integration waits for."""

import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.test import Client

from accounts.models import ApiToken, User
from accounts.services import api_token_create
from bench.roadmap_cases import ProofFailed
from feedback.models import Feedback

TOKEN_NAME = "benchmark load"  # noqa: S105 - the tokens' label, not a secret


def settings_module() -> str:
    return settings.SETTINGS_MODULE or os.environ.get("DJANGO_SETTINGS_MODULE", "")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(*, workers: int):
    """gunicorn serving this installation (the same settings module and environment) on a free port."""
    port = _free_port()
    db = connection.settings_dict  # the database this process uses (a test's own, too)
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings_module(),
        "DATABASE_URL": f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
    }
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--keep-alive",
            "30",
            "--log-level",
            "warning",
        ],
        cwd=Path(settings.BASE_DIR),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise ProofFailed(f"gunicorn did not start: {process.stderr.read().decode()[-500:]}") from None
                time.sleep(0.2)
        yield port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def session_cookie(user: User) -> str:
    from accounts.middleware import MFA_SESSION_FLAG

    browser = Client(HTTP_HOST="localhost")
    browser.force_login(user)
    session = browser.session
    session[MFA_SESSION_FLAG] = True
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def _run(port: int, *, connections: int, seconds: float, request) -> tuple[list[float], int, float]:
    """`connections` threads, each on its own keep-alive connection, calling request(conn, i) until
    the time is up. Returns the latencies (ms) of the successes, the failures and the wall time."""
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def worker(n: int):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        i = 0
        mine, bad = [], 0
        while time.monotonic() < stop:
            started = time.perf_counter()
            ok = request(conn, n, i)
            elapsed = (time.perf_counter() - started) * 1000
            if ok:
                mine.append(elapsed)
            else:
                bad += 1
            i += 1
        conn.close()
        with lock:
            latencies.extend(mine)
            failures[0] += bad

    threads = [threading.Thread(target=worker, args=[n]) for n in range(connections)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, failures[0], time.monotonic() - started


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] if ordered else 0.0


def submission_case(*, port: int, connections: int, seconds: float, companies: int = 8) -> dict:
    """Clients of `companies` companies each submit through the API with their token (one user per
    connection pair): requests created per second, and their latency."""
    users = list(
        User.objects.filter(client_membership__isnull=False, email__endswith="@bench.example", is_active=True)
        .select_related("client_membership__organization")
        .order_by("pk")[:companies]
    )
    if len(users) < companies:
        raise ProofFailed("not enough client users: run generate_dataset first")
    ApiToken.objects.filter(name=TOKEN_NAME).delete()
    keys = [api_token_create(user=user, name=TOKEN_NAME)[1] for user in users]
    before = Feedback.objects.filter(title__startswith="HTTP load ").count()
    errors: list[str] = []

    def submit(conn, n, i):
        body = json.dumps({"title": f"HTTP load {n}-{i} about exporting reports", "description": "From the load."})
        headers = {
            "Authorization": f"Token {keys[n % len(keys)]}",
            "Content-Type": "application/json",
            "Host": "localhost",
        }
        conn.request("POST", "/api/v1/feedback/", body=body, headers=headers)
        response = conn.getresponse()
        payload = response.read()
        if response.status != 201 and len(errors) < 3:
            errors.append(f"{response.status}: {payload[:200]!r}")
        return response.status == 201

    latencies, failures, wall = _run(port, connections=connections, seconds=seconds, request=submit)
    created = Feedback.objects.filter(title__startswith="HTTP load ").count() - before
    ApiToken.objects.filter(name=TOKEN_NAME).delete()
    if failures:
        raise ProofFailed(f"{failures} submissions failed, e.g. {errors}")
    if created != len(latencies):
        raise ProofFailed(f"{len(latencies)} answered 201 but {created} requests were created")
    return {
        "case": f"submission through the API, {connections} connections, {companies} companies",
        "per_second": round(len(latencies) / wall, 1),
        "created": created,
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(_p95(latencies), 1),
    }


def page_case(*, port: int, label: str, cookie: str, make_url, connections: int, seconds: float) -> dict:
    def get(conn, n, i):
        conn.request("GET", make_url(), headers={"Cookie": cookie, "Host": "localhost"})
        response = conn.getresponse()
        response.read()
        return response.status in (200, 404)

    _run(port, connections=4, seconds=1, request=get)  # every worker past its first request (imports, templates)
    latencies, failures, wall = _run(port, connections=connections, seconds=seconds, request=get)
    if failures or not latencies:
        raise ProofFailed(f"{label}: {failures} requests failed over HTTP")
    return {
        "case": label,
        "connections": connections,
        "per_second": round(len(latencies) / wall, 1),
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(_p95(latencies), 1),
    }
