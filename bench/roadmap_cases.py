"""The roadmap's benchmark cases, each with the proof that it measured what it claims: the page
shows the rows the same ranking and filters select straight from the table (so an ignored sort or
filter, or an empty page, fails the run instead of producing a flattering number).

And publishing a release whose items have about 10,000 voters: the HTTP request (timed; the fan-out
task it queues is captured instead of published), then the fan-out itself, timed in this process.
"""

import re
import time
from collections.abc import Callable
from unittest import mock

from django.db import connection
from django.db.models import Count, F, Q
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from feedback.models import Feedback, Vote
from roadmap.models import Release, RoadmapItem
from roadmap.notifications import release_fanout

OPEN_STATUSES = ["candidate", "now", "next", "later"]
INTERNAL_MARK = re.compile(r"\(R\d+\)")  # generated internal titles end with (R<n>), public ones with (P<n>)
PUBLIC_MARK = re.compile(r"\(P\d+\)")


class ProofFailed(Exception):
    pass


class QueryCounter:
    """Counts queries without keeping them (CaptureQueriesContext keeps only the last 9,000)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def _html(response) -> str:
    return response.content.decode()


def in_order(titles: list[str], *, absent: list[str] = ()) -> Callable:
    """The page shows these titles in this order (the first rows of the ranking), and not those."""

    def proof(response) -> str:
        if not titles:
            raise ProofFailed("no rows match: the case would measure an empty page")
        html = _html(response)
        positions = [html.find(escape(title)) for title in titles]
        if -1 in positions:
            raise ProofFailed(f"missing from the page: {titles[positions.index(-1)]!r}")
        if positions != sorted(positions):
            raise ProofFailed(f"rows out of order: {titles}")
        for title in absent:
            if escape(title) in html:
                raise ProofFailed(f"the filter was ignored: {title!r} is on the page")
        return f"first {len(titles)} rows as ranked in SQL" + (f", {len(absent)} excluded row absent" if absent else "")

    return proof


def board_proof(response) -> str:
    html = _html(response)
    shown = 0
    for status in OPEN_STATUSES:
        top = (
            RoadmapItem.objects.filter(status=status)
            .order_by("-revenue_at_risk", "-rice_score", "-id")
            .values_list("title", flat=True)
            .first()
        )
        if top is None:
            continue
        if escape(top) not in html:
            raise ProofFailed(f"the top card of {status!r} is missing: {top!r}")
        shown += 1
    if not shown:
        raise ProofFailed("no open items: the board would be empty")
    return f"top card of {shown} open columns present"


def item_proof(item: RoadmapItem) -> Callable:
    top_request = (
        Feedback.objects.filter(roadmap_link__item=item)
        .exclude(status=Feedback.Status.MERGED)
        .order_by("-vote_count", "-pk")  # the item page's order (roadmap.selectors.staff.item_links_shown)
        .values_list("title", flat=True)
        .first()
    )

    def proof(response) -> str:
        html = _html(response)
        for title in (item.title, top_request):
            if title and escape(title) not in html:
                raise ProofFailed(f"missing from the item page: {title!r}")
        return f"item of {item.request_count:,} requests, {item.vote_count:,} votes, its top request shown"

    return proof


def portal_proof(response) -> str:
    html = _html(response)
    public = len(set(PUBLIC_MARK.findall(html)))
    leaked = INTERNAL_MARK.findall(html)
    if leaked:
        raise ProofFailed(f"internal wording on the portal: {leaked[:3]}")
    if public == 0 and RoadmapItem.objects.filter(is_public=True, public_title__regex=r"\(P\d+\)$").exists():
        raise ProofFailed("no public item shown")
    return f"{public} public items shown, no internal title"


def roadmap_cases(*, staff_client: Client, portal_client: Client, rng) -> list[tuple]:
    """(area, label, client, url maker, proof) for the benchmark's loop."""

    def top(order: list[str], queryset=None, n: int = 3) -> list[str]:
        queryset = RoadmapItem.objects.all() if queryset is None else queryset
        return list(queryset.order_by(*order).values_list("title", flat=True)[:n])

    area = (
        RoadmapItem.objects.exclude(product_area=None)
        .filter(revenue_at_risk__gt=0, segments__has_key="enterprise")
        .values("product_area")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("product_area", flat=True)
        .first()
    )
    filtered = RoadmapItem.objects.filter(product_area=area, revenue_at_risk__gt=0, segments__has_key="enterprise")
    excluded = [t for t in top(["-rice_score", "-id"], n=1) if not filtered.filter(title=t).exists()]
    largest = RoadmapItem.objects.order_by("-request_count", "-id").first()
    sample = list(RoadmapItem.objects.order_by("?").values_list("pk", flat=True)[:50])
    return [
        ("roadmap", "board (first cards of each column)", staff_client, lambda: "/roadmap/", board_proof),
        (
            "roadmap",
            "ranked by revenue at risk",
            staff_client,
            lambda: "/roadmap/ranked/?sort=at_risk",
            in_order(top(["-revenue_at_risk", "-id"])),
        ),
        (
            "roadmap",
            "ranked by RICE",
            staff_client,
            lambda: "/roadmap/ranked/?sort=rice",
            in_order(top(["-rice_score", "-id"])),
        ),
        (
            "roadmap",
            "ranked by RICE, area + enterprise + at risk",
            staff_client,
            lambda: f"/roadmap/ranked/?sort=rice&product_area={area}&segment=enterprise&at_risk=on",
            in_order(top(["-rice_score", "-id"], filtered), absent=excluded),
        ),
        (
            "roadmap",
            "item page, largest business case",
            staff_client,
            lambda: f"/roadmap/items/{largest.pk}/",
            item_proof(largest),
        ),
        (
            "roadmap",
            "item page, random item",
            staff_client,
            lambda: f"/roadmap/items/{rng.choice(sample)}/",
            lambda response: "status 200",
        ),
        ("roadmap", "portal roadmap (client)", portal_client, lambda: "/portal/roadmap/", portal_proof),
    ]


def release_publish_case(*, staff_client: Client, voters: int = 10_000) -> list[str]:
    """Publish, over HTTP, a release of the smallest open item whose requests have `voters` or more
    distinct voters (the largest one on a small data set). Returns the report's lines."""
    open_items = RoadmapItem.objects.filter(status__in=OPEN_STATUSES, request_count__gt=0)
    item, found = None, 0
    for candidate in open_items.filter(vote_count__gte=voters).order_by("vote_count", "id")[:400]:
        found = _distinct_voters(candidate)
        if found >= voters:
            item = candidate
            break
    if item is None:
        item = open_items.order_by("-vote_count", "-id").first()
        if item is None:
            return ["release publish: no open roadmap item with requests, not measured"]
        found = _distinct_voters(item)
    requests = Feedback.objects.filter(roadmap_link__item=item).exclude(status__in=["shipped", "declined", "merged"])
    n_requests = requests.count()
    release = Release.objects.create(
        title=f"Benchmark release {timezone.now():%Y%m%d%H%M%S}", release_date=timezone.localdate()
    )
    release.items.set([item])
    queued = []
    with (
        mock.patch("core.tasks_util.task_send", side_effect=lambda name, *args: queued.append((name, args))),
        connection.execute_wrapper(captured := QueryCounter()),
    ):
        started = time.perf_counter()
        response = staff_client.post(f"/roadmap/releases/{release.pk}/", {"action": "publish", "confirm": "yes"})
        publish_ms = (time.perf_counter() - started) * 1000
    release.refresh_from_db()
    if response.status_code != 302 or release.status != Release.Status.PUBLISHED:
        raise ProofFailed(f"publishing answered {response.status_code}, release {release.status}")
    if queued != [("roadmap.release_fanout", (release.pk,))]:
        raise ProofFailed(f"the fan-out was not queued once: {queued}")
    sends = []  # each queued email publishes its outbox task: counted here, not sent to a broker
    with (
        mock.patch("core.tasks_util.task_send", side_effect=lambda name, *args: sends.append(name)),
        connection.execute_wrapper(fanout_queries := QueryCounter()),
    ):
        started = time.perf_counter()
        emails = release_fanout(release_id=release.pk)
        fanout_s = time.perf_counter() - started
    release.refresh_from_db()
    if release.fanned_out_at is None or emails == 0:
        raise ProofFailed("the fan-out queued nothing")
    with mock.patch("core.tasks_util.task_send", side_effect=lambda name, *args: sends.append(name)):
        again = release_fanout(release_id=release.pk)
    return [
        f"release publish over HTTP: item of {n_requests:,} open requests, {found:,} voters who may be told: "
        f"{publish_ms:.0f} ms, {captured.count:,} queries (fan-out queued once, not run)",
        f"release fan-out in this process: {emails:,} emails queued in {fanout_s:.1f} s "
        f"({emails / max(fanout_s, 1e-9):.0f} per second, {fanout_queries.count:,} queries, "
        f"{len(sends):,} outbox tasks captured); run again: {again} more",
    ]


def _distinct_voters(item: RoadmapItem) -> int:
    """The voters who may be told: the generator also puts votes of other companies on private requests,
    which feedback's policy rightly keeps out of the announcement."""
    return (
        Vote.objects.filter(feedback__roadmap_link__item=item)
        .exclude(feedback__status="merged")
        .filter(Q(feedback__visibility="public") | Q(organization_id=F("feedback__organization_id")))
        .values("user_id")
        .distinct()
        .count()
    )
