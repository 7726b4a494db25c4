"""Measure DESIGN.md §6's operations through the real views (server time and query count).

    DATABASE_URL=postgres://…/retour_bench python manage.py benchmark --runs 30

Run it on the data set made by `generate_dataset`. Times are wall-clock in this process
(URL routing, middleware, queries, template rendering), without the network.
"""

import os
import random
import resource
import statistics
import time
from json import dumps
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.middleware import MFA_SESSION_FLAG
from accounts.models import User
from bench.clubs_cases import meeting_run_case, suggestions_case, tally_case
from bench.feedback_cases import feedback_cases
from bench.http_cases import gunicorn, page_case, session_cookie, settings_module, submission_case
from bench.reporting_cases import dashboard_case, digest_build_case, dossier_case, due_digests_case
from bench.roadmap_cases import ProofFailed, release_publish_case, roadmap_cases
from feedback.models import Feedback

BARS_MS = {
    "inbox": 50,
    "counts": 20,
    "search": 100,
    "similar": 50,
    "detail": 50,
    "portal": 50,
    "roadmap": 50,
    "clubs": 50,
    "reporting": 200,
    "submit": None,
}
BARS_QUERIES = {"inbox": 10, "roadmap": 10, "clubs": 10}
# Bars of single cases, where their area's differs: (area, label) -> (ms, queries or None).
CASE_BARS = {
    ("clubs", "agenda suggestions, largest club"): (100, None),
    ("reporting", "company dossier, largest organization"): (50, None),
}


class Command(BaseCommand):
    help = "Benchmark the triage inbox, search, duplicate suggestions, detail, portal home and submission."

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=30)
        parser.add_argument("--submissions", type=int, default=200)
        parser.add_argument("--only", default="", help="Only the cases of these areas, e.g. roadmap,portal.")
        parser.add_argument("--workers", type=int, default=4, help="gunicorn workers for the HTTP cases.")
        parser.add_argument("--http-seconds", type=float, default=10, help="Load duration of each HTTP case.")
        parser.add_argument("--json", default="", help="Also write the figures to this JSON file.")
        parser.add_argument(
            "--allow-debug", action="store_true", help="Run even with DEBUG on (its figures are not comparable)."
        )
        parser.add_argument(
            "--voters", type=int, default=100, help="Club attendees casting their ballots at the same time."
        )
        parser.add_argument(
            "--digest-concurrency", type=int, default=2, help="Worker processes building and sending the due digests."
        )
        parser.add_argument(
            "--release-voters", type=int, default=10_000, help="Publish a release whose items have this many voters."
        )

    def handle(
        self,
        *args,
        runs: int,
        submissions: int,
        only: str,
        json: str,
        allow_debug: bool,
        workers: int,
        http_seconds: float,
        release_voters: int,
        voters: int,
        digest_concurrency: int,
        **options,
    ):
        staff = User.objects.filter(staff_role="product_owner").order_by("pk").first()
        client_user = (
            User.objects.filter(client_membership__isnull=False, email__endswith="@bench.example")
            .order_by("pk")
            .first()
            or User.objects.filter(client_membership__isnull=False).order_by("pk").first()
        )
        if staff is None or client_user is None:
            raise CommandError("Run seed_demo and generate_dataset on this database first.")
        if settings.DEBUG and not allow_debug:
            raise CommandError("DEBUG is on: run with production settings (see docs/performance.md).")
        total = Feedback.objects.count()
        self.stdout.write(
            f"Data: {total:,} requests. Runs per case: {runs}. Settings: {settings_module()}, DEBUG {settings.DEBUG}.\n"
        )
        staff_client, portal_client = self._client(staff), self._client(client_user)
        rng = random.Random(42)  # noqa: S311 - reproducible sampling, not security

        cases = feedback_cases(staff_client=staff_client, portal_client=portal_client, client_user=client_user, rng=rng)
        cases += roadmap_cases(staff_client=staff_client, portal_client=portal_client, rng=rng)
        areas = {a for a in only.split(",") if a}
        rows, proofs, notes = [], [], []
        if not areas or "clubs" in areas:
            try:
                row, proof = suggestions_case(runs=runs)
            except ProofFailed as exc:
                raise CommandError(f"clubs: agenda suggestions: {exc}") from exc
            rows.append(row)
            proofs.append(f"{row[0] + ': ' + row[1]:<58} {proof}")
            case, note = meeting_run_case(staff_client=staff_client)  # last: the page is the newest
            if case is not None:
                cases.append(case)
            if note:
                notes.append(note)
        if not areas or "reporting" in areas:
            try:
                for make in (
                    lambda: digest_build_case(runs=runs),
                    lambda: dashboard_case(staff_client=staff_client, staff=staff, runs=runs),
                ):
                    case_rows, case_proofs = make()
                    rows += case_rows
                    proofs += case_proofs
            except ProofFailed as exc:
                raise CommandError(f"reporting: {exc}") from exc
            case, note = dossier_case(staff_client=staff_client)
            if case is not None:
                cases.append(case)
            if note:
                notes.append(note)
        if areas:
            cases = [case for case in cases if case[0] in areas]
        for area_name, label, http, make_url, proof in cases:
            response = http.get(make_url())  # warm-up
            if proof is not None:
                # The case measures what it claims: the expected rows, the filter applied.
                if response.status_code != 200:
                    raise CommandError(f"{area_name}: {label}: {make_url()} answered {response.status_code}")
                try:
                    proofs.append(f"{area_name + ': ' + label:<58} {proof(response)}")
                except ProofFailed as exc:
                    raise CommandError(f"{area_name}: {label}: {exc}") from exc
            times, queries = [], []
            for _run in range(runs):
                url = make_url()
                with CaptureQueriesContext(connection) as captured:
                    started = time.perf_counter()
                    response = http.get(url)
                    elapsed = (time.perf_counter() - started) * 1000
                if response.status_code not in (200, 404):
                    raise CommandError(f"{url} answered {response.status_code}")
                times.append(elapsed)
                queries.append(len(captured))
            rows.append((area_name, label, statistics.median(times), _p95(times), max(queries)))

        self.stdout.write(f"{'case':<58} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}  bar")
        report = {
            "requests": total,
            "runs": runs,
            "settings": settings_module(),
            "debug": settings.DEBUG,
            "cpus": os.cpu_count(),
            "cases": [],
            "proofs": proofs,
        }
        for area_name, label, p50, p95, n_queries in rows:
            bar, max_queries = CASE_BARS.get((area_name, label), (BARS_MS[area_name], BARS_QUERIES.get(area_name)))
            verdict = "ok" if p95 <= bar else f"OVER {bar} ms"
            if max_queries is not None and n_queries > max_queries:
                verdict += f", OVER {max_queries} queries"
            self.stdout.write(f"{area_name + ': ' + label:<58} {p50:8.1f} {p95:8.1f} {n_queries:8d}  {verdict}")
            report["cases"].append(
                {
                    "area": area_name,
                    "case": label,
                    "p50_ms": round(p50, 1),
                    "p95_ms": round(p95, 1),
                    "queries": n_queries,
                    "bar_ms": bar,
                    "bar_queries": max_queries,
                    "met": verdict == "ok",
                }
            )
        if json:
            Path(json).write_text(dumps(report, indent=2) + "\n")

        for note in notes:
            self.stdout.write(note)
        if proofs:
            self.stdout.write("\nWhat each proven case measured:")
            for line in proofs:
                self.stdout.write("  " + line)
        if not areas or "clubs" in areas:
            self.stdout.write("")
            try:
                for line in tally_case(voters=voters):
                    self.stdout.write(line)
            except ProofFailed as exc:
                raise CommandError(f"vote tally: {exc}") from exc
        if not areas or "reporting" in areas:
            self.stdout.write("")
            try:
                for line in due_digests_case(concurrency=digest_concurrency):
                    self.stdout.write(line)
            except ProofFailed as exc:
                raise CommandError(f"due digests: {exc}") from exc
        if not areas or "release" in areas:
            self.stdout.write("")
            try:
                for line in release_publish_case(staff_client=staff_client, voters=release_voters):
                    self.stdout.write(line)
            except ProofFailed as exc:
                raise CommandError(f"release publish: {exc}") from exc
        if not areas or "http" in areas:
            self._http(report, staff=staff, client_user=client_user, workers=workers, seconds=http_seconds, rng=rng)
            if json:
                Path(json).write_text(dumps(report, indent=2) + "\n")
        if areas and "submit" not in areas:
            return
        started = time.perf_counter()
        for i in range(submissions):
            response = portal_client.post(
                "/api/v1/feedback/",
                {"title": f"Benchmark submission {i} about exporting reports", "description": "From the benchmark."},
                content_type="application/json",
            )
            if response.status_code != 201:
                raise CommandError(f"submission answered {response.status_code}: {response.content[:200]}")
        rate = submissions / (time.perf_counter() - started)
        self.stdout.write(f"\nsubmission through the API, one process, sequential: {rate:.0f} per second")
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.stdout.write(f"peak memory of this process: {rss_mb:.0f} MB")
        if json:
            report.update(submissions_per_second_in_process=round(rate), peak_rss_mb=round(rss_mb))
            Path(json).write_text(dumps(report, indent=2) + "\n")

    def _http(self, report: dict, *, staff: User, client_user: User, workers: int, seconds: float, rng) -> None:
        """The same pages and the submission through gunicorn, as a browser or an integration sees them."""
        max_id = Feedback.objects.order_by("-pk").values_list("pk", flat=True).first()
        staff_cookie, client_cookie = session_cookie(staff), session_cookie(client_user)
        pages = [
            ("inbox default", staff_cookie, lambda: "/triage/"),
            ("inbox search 'export'", staff_cookie, lambda: "/triage/?q=export&status=new"),
            ("counts per status, segment", staff_cookie, lambda: "/triage/counts/?segment=enterprise"),
            ("duplicates while typing", client_cookie, lambda: "/portal/feedback/similar/?title=export+dashboard+pdf"),
            ("triage detail, random request", staff_cookie, lambda: f"/triage/feedback/{rng.randint(1, max_id)}/"),
            ("portal home", client_cookie, lambda: "/portal/"),
        ]
        self.stdout.write(f"\nOver HTTP (gunicorn, {workers} workers, {settings_module()}, client on this machine):")
        self.stdout.write(f"{'case':<58} {'per s':>8} {'p50 ms':>8} {'p95 ms':>8}")
        report["http"] = []
        try:
            with gunicorn(workers=workers) as port:
                for label, cookie, make_url in pages:
                    row = page_case(
                        port=port, label=label, cookie=cookie, make_url=make_url, connections=1, seconds=seconds / 2
                    )
                    report["http"].append(row)
                    self.stdout.write(f"{label:<58} {row['per_second']:8.1f} {row['p50_ms']:8.1f} {row['p95_ms']:8.1f}")
                for connections in (4, 8):
                    row = submission_case(port=port, connections=connections, seconds=seconds)
                    report["http"].append(row)
                    verdict = "ok" if row["per_second"] >= 200 else "UNDER 200 per second"
                    self.stdout.write(
                        f"{row['case']:<58} {row['per_second']:8.1f} {row['p50_ms']:8.1f} {row['p95_ms']:8.1f}  {verdict}"
                    )
        except ProofFailed as exc:
            raise CommandError(f"http: {exc}") from exc

    @staticmethod
    def _client(user: User) -> Client:
        http = Client(HTTP_HOST="localhost")
        http.force_login(user)
        session = http.session
        session[MFA_SESSION_FLAG] = True  # a benchmark measures pages, not the sign-in
        session.save()
        return http


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
