"""Reporting's benchmark cases (issue 9, Scale), each with the proof that it measured what it claims.

- Building one weekly digest for the broadest scope (every request, every section) for the last
  complete week: `reporting.digests.digest_build` itself (lock, figures, rendering in both formats,
  save), its figures and rendering caches emptied before each run. The proof: the requests and votes it counted
  equal SQL counts over the same instants; and a digest of the same week over one product area and
  one segment (ten times fewer requests or less) runs exactly as many queries.
- 1,000 due digests: every generated subscription (generate_dataset, all due at one instant) is
  made due now-ish, `digests_due_create` runs at that instant, and a real `celery -A config worker`
  (prefork, 2 processes, on a queue of its own, emails discarded by Django's dummy backend) builds
  and sends them; timed from the due instant's beat to the last digest sent (its outbox rows are
  written in the same transaction). The proof: every subscription's digest sent, none failed; one
  delivery and one outbox row per expected recipient, counted in SQL from the teams; no duplicate.
- The dashboard for the last 12 weeks through the real view (`/reports/?from=&to=`), its figures
  cache emptied before each run (a reader choosing a period computes it); the proof: the incoming
  total on the page equals a SQL count. Until the view exists, `figures_compute` over the same
  window is timed instead, and said so.
- The company dossier of the largest organization (most requests and votes) through the real view;
  the proof: the open, decided, shipped and vote counts on the page equal SQL counts. Skipped with
  its reason while the page is not there.
"""

import datetime as dt
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import uuid
import zoneinfo
from pathlib import Path
from unittest import mock
from urllib.parse import quote

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, F
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organization, User
from bench.dataset_reporting import SUBSCRIPTION_PREFIX, align_sql, due_instant
from bench.roadmap_cases import ProofFailed
from core.models import OutboundEmail
from feedback.models import ProductArea
from reporting import digests, schedule
from reporting.models import ALL_SECTIONS, Digest, DigestDelivery, DigestSubscription

ROOT = Path(__file__).resolve().parents[1]
AREA = "reporting"
BUILD_BROAD = "Benchmark build: everything"
BUILD_NARROW = "Benchmark build: one area, enterprise"


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _scalar(sql: str, params: list) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def cache_forget(prefix: str) -> int:
    """Delete the cached entries whose key starts with `prefix` (figures of a digest or dashboard)."""
    backend = getattr(cache, "_cache", None)
    get_client = getattr(backend, "get_client", None)
    if get_client is None:  # not Redis: forget everything
        cache.clear()
        return -1
    client = get_client(write=True)
    keys = list(client.scan_iter(match=cache.make_key(prefix) + "*", count=1000))
    if keys:
        client.delete(*keys)
    return len(keys)


# One digest, broadest scope ---------------------------------------------------------------------


def last_complete_week(tz: zoneinfo.ZoneInfo) -> tuple[dt.date, dt.date]:
    today = timezone.localdate(timezone=tz)
    monday = today - dt.timedelta(days=today.weekday())
    return monday - dt.timedelta(days=7), monday


def _week_with_requests(tz: zoneinfo.ZoneInfo) -> tuple[dt.date, dt.date]:
    """The last complete week, or (on a small data set) the latest of the 8 before it with requests."""
    start, end = last_complete_week(tz)
    for back in range(8):
        s, e = start - dt.timedelta(weeks=back), end - dt.timedelta(weeks=back)
        bounds = schedule.local_bounds(tz, s, e)
        if _scalar("SELECT count(*) FROM feedback_feedback WHERE created_at >= %s AND created_at < %s", list(bounds)):
            return s, e
    return start, end


def _narrow_scope(tz: zoneinfo.ZoneInfo, start: dt.date, end: dt.date) -> tuple[ProductArea | None, str]:
    """The product area and segment with the fewest requests in the week, ten times fewer than all or
    less (at full size about a twentieth; on a small data set maybe none)."""
    bounds = list(schedule.local_bounds(tz, start, end))
    total = _scalar("SELECT count(*) FROM feedback_feedback WHERE created_at >= %s AND created_at < %s", bounds)
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT a.id, s.segment, count(f.id) FROM feedback_productarea a
               CROSS JOIN unnest(%s::text[]) s(segment)
               LEFT JOIN accounts_organization o ON o.segment = s.segment
               LEFT JOIN feedback_feedback f ON f.organization_id = o.id AND f.product_area_id = a.id
                   AND f.created_at >= %s AND f.created_at < %s
               GROUP BY 1, 2 ORDER BY count(f.id) = 0, 3, 1, 2""",
            [list(Organization.Segment.values), *bounds],
        )
        pairs = cursor.fetchall()
    fitting = [(pk, segment) for pk, segment, n in pairs if n * 10 <= total]
    pk, segment = (fitting or pairs or [(None, "enterprise")])[0][:2]
    return ProductArea.objects.filter(pk=pk).first(), segment


def _build_subscription(
    *, name: str, owner: User, area: ProductArea | None = None, segment: str = ""
) -> DigestSubscription:
    """An inactive subscription of the benchmark's (the beat never sends it), everything in Paris."""
    subscription, _created = DigestSubscription.objects.update_or_create(
        name=name,
        defaults={
            "user": owner,
            "team": None,
            "language": "en",
            "frequency": DigestSubscription.Frequency.WEEKLY,
            "timezone": "Europe/Paris",
            "sections": list(ALL_SECTIONS),
            "segments": [segment] if segment else [],
            "waiting_days": 7,
            "is_active": False,
        },
    )
    subscription.product_areas.set([area] if area else [])
    return subscription


def _timed_builds(digest: Digest, runs: int) -> tuple[list[float], list[int]]:
    times, queries = [], []
    for _run in range(runs):
        Digest.objects.filter(pk=digest.pk).update(status=Digest.Status.PENDING, attempts=0)
        cache_forget("reporting:figures:")
        cache_forget("reporting:render:")  # each run renders too
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            built = digests.digest_build(digest_id=digest.pk)
            times.append((time.perf_counter() - started) * 1000)
        if built is None or built.status != Digest.Status.BUILT:
            raise ProofFailed(f"the digest was not built: {built and built.status} {built and built.error}")
        queries.append(len(captured))
    return times, queries


def _optional_queries(figures: dict) -> tuple[bool, ...]:
    """Which of the figures' few conditional reads ran: titles of rising requests and items, area and
    people labels. Two digests of the same shape run exactly the same number of queries."""
    rising, resp = figures["rising"], figures["responsiveness"]
    areas = [x["id"] for x in figures["incoming"]["by_area"] + resp["by_area"] + resp["waiting_by_area"]]
    people = [x["id"] for x in resp["by_assignee"] + resp["waiting_by_assignee"]]
    return (
        bool(rising["requests_by_votes"] or rising["requests_by_revenue"]),
        bool(rising["items_by_votes"] or rising["items_by_revenue"]),
        any(areas),
        any(people),
    )


def digest_build_case(*, runs: int) -> tuple[list[tuple], list[str]]:
    """(rows, proof lines) for building one weekly digest of everything, and the narrow one's query count."""
    owner = User.objects.filter(staff_role=User.StaffRole.PRODUCT_OWNER, is_active=True).order_by("pk").first()
    if owner is None:
        raise ProofFailed("no product owner: run seed_demo first")
    tz = zoneinfo.ZoneInfo("Europe/Paris")
    start_date, end_date = _week_with_requests(tz)
    area, segment = _narrow_scope(tz, start_date, end_date)
    broad = _build_subscription(name=BUILD_BROAD, owner=owner)
    narrow = _build_subscription(name=BUILD_NARROW, owner=owner, area=area, segment=segment)
    made = []
    try:
        for subscription in (broad, narrow):
            Digest.objects.filter(subscription=subscription).delete()
            occurrence_due = schedule.send_instant(subscription, end_date)
            made.append(
                Digest.objects.create(
                    subscription=subscription,
                    period_start=start_date,
                    period_end=end_date,
                    due_at=occurrence_due,
                    language=subscription.language,
                )
            )
        # The send a built digest queues is not part of the build: kept here, never published.
        with mock.patch("core.tasks_util.task_send"):
            times, queries = _timed_builds(made[0], runs)
            narrow_times, narrow_queries = _timed_builds(made[1], max(2, runs // 5))
        broad_digest = Digest.objects.get(pk=made[0].pk)
        narrow_digest = Digest.objects.get(pk=made[1].pk)
    finally:
        Digest.objects.filter(pk__in=[d.pk for d in made]).delete()

    window = digests.digest_window(broad, start_date, end_date)
    figures = broad_digest.figures
    requests = _scalar(
        "SELECT count(*) FROM feedback_feedback WHERE created_at >= %s AND created_at < %s", [window.start, window.end]
    )
    votes = _scalar(
        """SELECT count(*) FROM feedback_vote v JOIN feedback_feedback f ON f.id = v.feedback_id
           WHERE v.created_at >= %s AND v.created_at < %s AND f.status <> 'merged'""",
        [window.start, window.end],
    )
    shown_requests = figures["incoming"]["total"]["current"]
    shown_votes = figures["rising"]["votes"]["current"]
    if requests == 0:
        raise ProofFailed(f"no request was created in {start_date}..{end_date}: the case would measure nothing")
    if shown_requests != requests:
        raise ProofFailed(f"the digest counts {shown_requests} requests in the week, SQL {requests}")
    if shown_votes != votes:
        raise ProofFailed(f"the digest counts {shown_votes} votes in the week, SQL {votes}")
    narrow_requests = narrow_digest.figures["incoming"]["total"]["current"]
    if narrow_requests * 10 > requests:
        raise ProofFailed(f"the narrow scope has {narrow_requests} requests, not 10x fewer than {requests}")
    same_shape = _optional_queries(narrow_digest.figures) == _optional_queries(figures)
    if (same_shape and set(narrow_queries) != set(queries)) or max(narrow_queries) > min(queries):
        raise ProofFailed(
            f"queries grow with the requests: {sorted(set(queries))} for {requests:,} requests, "
            f"{sorted(set(narrow_queries))} for {narrow_requests:,}"
        )
    decisions = figures["decisions"]
    label = "weekly digest build, everything"
    rows = [
        (AREA, label, statistics.median(times), _p95(times), max(queries)),
        (
            AREA,
            "weekly digest build, one area + segment",
            statistics.median(narrow_times),
            _p95(narrow_times),
            max(narrow_queries),
        ),
    ]
    proofs = [
        f"{AREA + ': ' + label:<46} week {start_date}..{end_date} (Paris): {requests:,} requests == SQL, "
        f"{votes:,} votes == SQL, {sum(x['current'] for x in decisions['by_status']):,} status changes, "
        f"{decisions['decided']:,} decided ({decisions['told']:,} told), "
        f"{figures['responsiveness']['answered']:,} first responses, {figures['roadmap']['moved_count']} items moved, "
        f"{len(figures['clubs']['held'])} meetings held; {len(broad_digest.html_body) // 1024} KB of HTML",
        f"{AREA + ': one area + segment':<46} {area.name if area else '-'} + {segment}: {narrow_requests:,} "
        f"requests ({requests // max(narrow_requests, 1)}x fewer), {max(narrow_queries)} queries "
        + (
            f"== {max(queries)} for everything"
            if same_shape
            else f"<= {max(queries)} for everything (some of its lists are empty: no titles or labels to read)"
        ),
    ]
    return rows, proofs


# 1,000 due digests with the real worker ---------------------------------------------------------


def _database_url() -> str:
    db = connection.settings_dict
    user, password = quote(db["USER"] or ""), quote(db["PASSWORD"] or "")
    auth = f"{user}:{password}@" if password else f"{user}@"
    return f"postgres://{auth}{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def expected_recipients_sql() -> str:
    """Staff members of each subscription's team (or its person) plus the team's outside addresses."""
    return """
        SELECT coalesce(sum(CASE WHEN s.team_id IS NULL THEN (
                SELECT count(*) FROM accounts_user u
                WHERE u.id = s.user_id AND u.is_active AND (u.staff_role <> '' OR u.is_superuser))
            ELSE (
                SELECT count(*) FROM accounts_team_members m JOIN accounts_user u ON u.id = m.user_id
                WHERE m.team_id = s.team_id AND u.is_active AND (u.staff_role <> '' OR u.is_superuser))
              + (SELECT cardinality(t.extra_emails) FROM accounts_team t WHERE t.id = s.team_id)
            END), 0)
        FROM reporting_digestsubscription s
        WHERE s.name LIKE %s AND s.is_active"""


class Worker:
    """A real `celery -A config worker` on a queue of its own; this process publishes to it."""

    def __init__(self, *, concurrency: int):
        self.queue = f"bench-reporting-{uuid.uuid4().hex[:8]}"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE") or "config.settings.dev",
            "DATABASE_URL": _database_url(),
            "CELERY_TASK_DEFAULT_QUEUE": self.queue,
            "EMAIL_URL": "dummymail://",  # the outbox sends through Django's dummy backend: nothing leaves
            "RETOUR_TEST_CELERY_EAGER": "0",
        }
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                f"--concurrency={concurrency}",
                "-Q",
                self.queue,
                "-n",
                f"{self.queue}@%h",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "--loglevel=INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self.ready = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip())
            if " ready." in line:
                self.ready.set()

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while not self.ready.is_set():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise ProofFailed("the worker did not start:\n" + "\n".join(self.lines[-20:]))
            time.sleep(0.1)

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.reader.join(timeout=5)

    def errors(self) -> list[str]:
        return [line for line in self.lines if "ERROR" in line or "Traceback" in line]


def _forget_previous_runs(subscriptions) -> None:
    """The generated subscriptions' digests of earlier runs, their deliveries and outbox rows."""
    old = Digest.objects.filter(subscription__in=subscriptions)
    outbound = DigestDelivery.objects.filter(digest__in=old).exclude(outbound=None).values("outbound_id")
    OutboundEmail.objects.filter(pk__in=outbound).delete()
    old.delete()
    cache_forget("reporting:figures:")
    cache_forget("reporting:render:")


def _distinct_figures(subscriptions) -> int:
    """Figures that differ (scope, sections, zone, frequency, waiting days): the ones computed."""
    keys = set()
    for s in subscriptions.prefetch_related("product_areas", "organizations", "clubs"):
        keys.add(
            (
                s.timezone,
                s.frequency,
                s.waiting_days,
                tuple(s.sections),
                tuple(s.segments),
                tuple(sorted(a.pk for a in s.product_areas.all())),
                tuple(sorted(o.pk for o in s.organizations.all())),
                tuple(sorted(c.pk for c in s.clubs.all())),
            )
        )
    return len(keys)


def due_digests_case(*, concurrency: int = 2, timeout: float = 600) -> list[str]:
    """All generated subscriptions due at one instant, built and sent by a real worker. Report lines."""
    from config.celery import app as celery_app

    subscriptions = DigestSubscription.objects.filter(name__startswith=SUBSCRIPTION_PREFIX, is_active=True)
    n = subscriptions.count()
    if n == 0:
        raise ProofFailed("no generated subscription: run generate_dataset (or --only-reporting) first")
    due = due_instant(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(align_sql(due))
    _forget_previous_runs(subscriptions)
    expected = _scalar(expected_recipients_sql(), [SUBSCRIPTION_PREFIX + "%"])
    distinct = _distinct_figures(subscriptions)
    teams = subscriptions.exclude(team=None).count()

    worker = Worker(concurrency=concurrency)
    previous = celery_app.conf.task_always_eager, celery_app.conf.task_default_queue
    try:
        worker.wait_ready()
        celery_app.conf.task_always_eager = False
        celery_app.conf.task_default_queue = worker.queue
        started = time.perf_counter()
        created = digests.digests_due_create(now=due)
        beat_s = time.perf_counter() - started
        ours = Digest.objects.filter(subscription__in=subscriptions)
        done_s = None
        while time.perf_counter() - started < timeout:
            counts = dict(ours.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
            if counts.get(Digest.Status.SENT, 0) + counts.get(Digest.Status.FAILED, 0) >= n:
                done_s = time.perf_counter() - started
                break
            if not worker.alive():
                raise ProofFailed("the worker died:\n" + "\n".join(worker.lines[-20:]))
            time.sleep(0.2)
        if done_s is None:
            raise ProofFailed(f"not all sent after {timeout:.0f} s: {counts}")
        # Then the outbox: the worker hands every email to the (discarding) mail backend.
        emails = OutboundEmail.objects.filter(
            pk__in=DigestDelivery.objects.filter(digest__in=ours).values("outbound_id")
        )
        delivered_s = None
        while time.perf_counter() - started < timeout:
            if not emails.exclude(status=OutboundEmail.Status.SENT).exists():
                delivered_s = time.perf_counter() - started
                break
            time.sleep(0.2)
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = previous
        worker.stop()

    sent = ours.filter(status=Digest.Status.SENT)
    failed = list(ours.filter(status=Digest.Status.FAILED).values_list("error", flat=True)[:3])
    if failed:
        raise ProofFailed(f"{ours.filter(status=Digest.Status.FAILED).count()} digests failed: {failed}")
    periods = ours.values("subscription_id").distinct().count()
    if not (sent.count() == n == periods == ours.count()):
        raise ProofFailed(f"{sent.count()} sent, {ours.count()} digests of {periods} subscriptions, {n} due")
    deliveries = DigestDelivery.objects.filter(digest__in=ours)
    n_deliveries = deliveries.count()
    pairs = deliveries.values("digest_id", "email").distinct().count()
    outbox = OutboundEmail.objects.filter(pk__in=deliveries.values("outbound_id"))
    n_outbox = outbox.count()
    keys = outbox.values("idempotency_key").distinct().count()
    if not (n_deliveries == pairs == expected):
        raise ProofFailed(f"{n_deliveries} deliveries ({pairs} distinct), {expected} recipients expected")
    if not (n_outbox == keys == expected) or deliveries.filter(outbound=None).exists():
        raise ProofFailed(f"{n_outbox} outbox rows ({keys} distinct keys), {expected} expected")
    wrong = deliveries.exclude(outbound__to_email__iexact=F("email")).count()
    if wrong:
        raise ProofFailed(f"{wrong} outbox rows are addressed to someone else than their delivery")
    others = len(created) - n
    errors = worker.errors()
    delivered = (
        f"; all {n_outbox:,} emails handed to the (discarding) mail backend at {delivered_s:.1f} s"
        if (delivered_s is not None)
        else "; the outbox was still sending at the timeout"
    )
    verdict = "ok" if done_s <= 120 else "OVER 120 s"
    return [
        f"due digests: {n:,} subscriptions ({teams} teams, {n - teams} people) due at {due:%Y-%m-%d %H:%M} UTC, "
        f"{distinct} distinct figure sets; a real worker (prefork, {concurrency} processes): beat {beat_s:.1f} s, "
        f"all built and sent in {done_s:.1f} s  {verdict}{delivered}",
        f"due digests proof: {sent.count():,} digests sent == {n:,} subscriptions (one each, none failed"
        f"{f', plus {others} other subscription(s) due' if others > 0 else ''}); {n_deliveries:,} deliveries == "
        f"{n_outbox:,} outbox rows == {expected:,} recipients counted in SQL from the teams, no duplicate key"
        f"{f'; worker log errors: {errors[:2]}' if errors else ''}",
    ]


# The dashboard ----------------------------------------------------------------------------------


def _dashboard_dates(tz) -> tuple[dt.date, dt.date]:
    end = timezone.localdate(timezone=tz) + dt.timedelta(days=1)
    return end - dt.timedelta(days=84), end


def _number(html: str, testid: str) -> int | None:
    match = re.search(rf'data-testid="{testid}"[^>]*>([^<]*)<', html)
    if match is None:
        return None
    digits = re.sub(r"\D", "", match.group(1))
    return int(digits) if digits else None


def dashboard_case(*, staff_client: Client, staff: User, runs: int) -> tuple[list[tuple], list[str]]:
    """(rows, proof lines): the dashboard's 12 weeks, through the view when it exists."""
    from reporting.dashboard import dashboard_window

    tz = zoneinfo.ZoneInfo(staff.timezone or settings.TIME_ZONE)
    start, end = _dashboard_dates(tz)
    window = dashboard_window(start, end, tz)
    requests = _scalar(
        "SELECT count(*) FROM feedback_feedback WHERE created_at >= %s AND created_at < %s", [window.start, window.end]
    )
    if requests == 0:
        raise ProofFailed(f"no request in {start}..{end}: the dashboard would show nothing")
    url = f"{reverse('reporting:index')}?from={start.isoformat()}&to={end.isoformat()}"
    cache_forget("reporting:dashboard:")
    response = staff_client.get(url)
    if response.status_code == 200:
        shown = _number(response.content.decode(), "incoming-total")
        if shown != requests:
            raise ProofFailed(f"the dashboard shows {shown} new requests over 12 weeks, SQL {requests}")
        cold, queries, warm, warm_queries = [], [], [], []
        for _run in range(runs):
            cache_forget("reporting:dashboard:")
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = staff_client.get(url)
                cold.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise ProofFailed(f"{url} answered {response.status_code}")
            queries.append(len(captured))
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                staff_client.get(url)
                warm.append((time.perf_counter() - started) * 1000)
            warm_queries.append(len(captured))
        label = "dashboard, 12 weeks (/reports/)"
        rows = [
            (AREA, label, statistics.median(cold), _p95(cold), max(queries)),
            (AREA, "dashboard, 12 weeks, figures cached", statistics.median(warm), _p95(warm), max(warm_queries)),
        ]
        how = "through the view, its figures cache emptied before each run"
    else:
        from reporting.figures import Scope, figures_compute

        cold, queries = [], []
        figures = None
        for _run in range(runs):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                figures = figures_compute(scope=Scope(), window=window, sections=ALL_SECTIONS)
                cold.append((time.perf_counter() - started) * 1000)
            queries.append(len(captured))
        shown = figures["incoming"]["total"]["current"]
        if shown != requests:
            raise ProofFailed(f"the figures count {shown} new requests over 12 weeks, SQL {requests}")
        label = "dashboard figures, 12 weeks (no view yet)"
        rows = [(AREA, label, statistics.median(cold), _p95(cold), max(queries))]
        how = f"figures_compute in this process: {url} answered {response.status_code} (the view is not there yet)"
    proof = f"{AREA + ': ' + label:<46} {start}..{end}: {requests:,} new requests shown == SQL; {how}"
    return rows, [proof]


# The company dossier ----------------------------------------------------------------------------


def largest_organization() -> int | None:
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT organization_id FROM (
                   SELECT organization_id, count(*) n FROM feedback_feedback GROUP BY 1
                   UNION ALL SELECT organization_id, count(*) FROM feedback_vote GROUP BY 1
               ) x WHERE organization_id IS NOT NULL GROUP BY 1 ORDER BY sum(n) DESC, 1 LIMIT 1"""
        )
        row = cursor.fetchone()
    return row[0] if row else None


def dossier_case(*, staff_client: Client) -> tuple[tuple | None, str]:
    """(the HTTP case for the benchmark loop, or None, and why): the largest organization's dossier."""
    try:
        import reporting.dossier  # noqa: F401 - only to know whether the dossier exists yet
    except ImportError:
        return None, "company dossier: SKIPPED, reporting/dossier.py (dossier_for) does not exist yet"
    pk = largest_organization()
    if pk is None:
        return None, "company dossier: no organization with requests or votes, not measured"
    url = reverse("reporting:organization", args=[pk])
    first = staff_client.get(url)
    if first.status_code != 200:
        return None, f"company dossier: SKIPPED, {url} answered {first.status_code} (the page is not there yet)"
    organization = Organization.objects.get(pk=pk)
    buckets = {
        "count-open": ["new", "needs_info", "under_review"],
        "count-decided": ["planned", "in_progress", "declined"],
        "count-shipped": ["shipped"],
    }
    expected = {
        testid: _scalar(
            "SELECT count(*) FROM feedback_feedback WHERE organization_id = %s AND status = ANY(%s)", [pk, statuses]
        )
        for testid, statuses in buckets.items()
    }
    expected["count-votes"] = _scalar("SELECT count(*) FROM feedback_vote WHERE organization_id = %s", [pk])

    def proof(response) -> str:
        html = response.content.decode()
        shown = {testid: _number(html, testid) for testid in expected}
        if shown != expected:
            raise ProofFailed(f"the dossier shows {shown}, SQL counts {expected}")
        requests = sum(v for k, v in expected.items() if k != "count-votes")
        return (
            f"{organization.name} (id {pk}): {requests:,} requests ({expected['count-open']:,} open, "
            f"{expected['count-decided']:,} decided, {expected['count-shipped']:,} shipped) and "
            f"{expected['count-votes']:,} votes shown == SQL"
        )

    return (AREA, "company dossier, largest organization", staff_client, lambda: url, proof), ""
