"""The benchmark tooling runs: a small data set, then every benchmark case through the real views."""

import pytest
from django.core.management import call_command
from django.db.models import Count

from accounts.models import Organization
from feedback.models import Feedback, Vote
from roadmap.models import Decision, DecisionOrganization, Release, RoadmapItem, RoadmapLink
from roadmap.services import business_case_refresh

FIGURES = [
    "request_count",
    "vote_count",
    "votes_nice_to_have",
    "votes_important",
    "votes_critical",
    "votes_direct",
    "votes_on_behalf",
    "votes_meeting",
    "organization_count",
    "revenue",
    "revenue_at_risk",
    "segments",
    "rice_score",
]


@pytest.fixture
def seeded(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", password="bench-pass-123")


# Real commits: publishing a release queues its fan-out when the transaction commits.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("vocabulary", [0, 600])
def test_generate_dataset_then_benchmark(seeded, capsys, vocabulary):
    call_command(
        "generate_dataset",
        feedback=300,
        organizations=10,
        users=60,
        votes_per_item=3,
        vocabulary=vocabulary,
        roadmap_items=12,
        releases=2,
    )
    bench = Feedback.objects.filter(title__contains="#")
    assert bench.count() == 300
    assert Organization.objects.filter(slug__startswith="bench-").count() == 10
    sample = bench.order_by("pk").first()
    assert sample.vote_count == Vote.objects.filter(feedback=sample).count() > 0
    assert sample.search_vector is not None and sample.hot_score > 0
    call_command("benchmark", runs=2, submissions=3, release_voters=10, http_seconds=1, workers=2)
    out = capsys.readouterr().out
    assert "rows match; first" in out and "equal to COUNT(*)" in out
    assert "search: English, frequent word" in out and "0 rows match (absent word)" in out
    assert "submission through the API, 8 connections, 8 companies" in out  # through gunicorn
    assert "inbox: default" in out and "portal: client portal home" in out
    assert "roadmap: board" in out and "roadmap: ranked by RICE, area + enterprise + at risk" in out
    assert "first 3 rows as ranked in SQL" in out and "no internal title" in out
    assert "release publish over HTTP" in out and "run again: 0 more" in out
    assert "per second" in out


def test_generated_roadmap_is_shaped_and_its_business_case_is_the_services(seeded):
    call_command("generate_dataset", feedback=2000, organizations=40, users=400, votes_per_item=4, roadmap_items=40)
    items = RoadmapItem.objects.filter(description__startswith="Generated roadmap item.")
    assert items.count() == 40
    assert set(items.values_list("status", flat=True)) == set(RoadmapItem.Status.values)
    linked = RoadmapLink.objects.filter(item__in=items).count()
    assert 300 <= linked <= 500  # about a fifth of 2,000 requests
    sizes = sorted(items.annotate(n=Count("links")).values_list("n", flat=True), reverse=True)
    assert sizes[0] >= 5 * sizes[len(sizes) // 2]  # Zipf-like: the first item gathers many times the median
    public = items.filter(is_public=True)
    assert public.exists() and not public.filter(public_title="").exists()
    assert not public.filter(main_request=None).exists()
    shipped = items.filter(status=RoadmapItem.Status.SHIPPED)
    assert not Feedback.objects.filter(roadmap_link__item__in=shipped).exclude(status="shipped").exists()
    assert Release.objects.filter(status="published", items__in=shipped).exists()
    assert not Release.objects.filter(status="published", fanned_out_at=None).exists()
    decisions = Decision.objects.filter(item__in=items)
    assert decisions.filter(kind="declined").exclude(public_message="").exists()
    assert not decisions.filter(kind="accepted", expected_outcome="").exists()
    assert decisions.filter(outcome="missed").exclude(lesson="").exists()
    assert DecisionOrganization.objects.filter(decision__in=decisions).exists()
    # The set-based business case is exactly what the service computes, for the largest and a few others.
    chosen = list(items.order_by("-request_count")[:3]) + list(items.order_by("pk")[:3])
    assert chosen[0].vote_count > 0 and chosen[0].revenue_at_risk > 0
    for item in chosen:
        generated = {name: getattr(item, name) for name in FIGURES}
        refreshed = business_case_refresh(item_id=item.pk)
        assert {name: getattr(refreshed, name) for name in FIGURES} == generated, item.title
