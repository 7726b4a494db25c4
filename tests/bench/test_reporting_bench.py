"""Reporting's part of the benchmark: a small generated data set has a history spread over time the way
a digest reads it (first responses after creation, status events, votes arriving over a request's life,
nothing in the future, no week piled up at "now"), subscriptions all due at one instant; and the
reporting cases measure what they claim."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, F, Q
from django.utils import timezone

from bench.dataset_reporting import SUBSCRIPTION_PREFIX, due_instant
from bench.reporting_cases import digest_build_case, expected_recipients_sql
from bench.roadmap_cases import ProofFailed
from core.models import OutboundEmail
from feedback.models import Feedback, FeedbackEvent, Vote
from reporting import schedule
from reporting.models import Digest, DigestDelivery, DigestSubscription
from reporting.policy import digest_recipients
from roadmap.models import Decision, RoadmapEvent, RoadmapLink

SMALL = {"feedback": 3000, "organizations": 40, "users": 400, "votes_per_item": 4, "roadmap_items": 20}


@pytest.fixture
def seeded(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", password="bench-pass-123")


def _generated():
    return Feedback.objects.filter(title__contains="#")


def test_generated_history_is_spread_over_time(seeded):
    call_command("generate_dataset", clubs=2, meetings=10, subscriptions=24, **SMALL)
    now = timezone.now()
    requests = _generated()
    assert requests.count() == 3000

    # First responses come after the request, never in the future; a new request is mostly unanswered.
    assert not requests.filter(first_response_at__lt=F("created_at")).exists()
    assert not requests.filter(first_response_at__gt=now).exists()
    assert not requests.exclude(status="new").filter(first_response_at=None).exists()
    new = requests.filter(status="new")
    assert new.filter(first_response_at=None).count() > new.count() / 2
    # Product areas: most requests have one; a linked request has its roadmap item's.
    assert requests.exclude(product_area=None).count() > 0.8 * requests.count()
    for link in RoadmapLink.objects.filter(feedback__in=requests).select_related("feedback", "item")[:50]:
        assert link.feedback.product_area_id == link.item.product_area_id

    # Status events: new -> triage at the first response, then the decision, both in the past.
    events = FeedbackEvent.objects.filter(kind="status", feedback__in=requests)
    triaged = requests.exclude(status="new")
    assert set(events.values_list("feedback_id", flat=True).distinct()) == set(triaged.values_list("pk", flat=True))
    decided = requests.filter(status__in=["planned", "in_progress", "shipped", "declined"])
    per_request = dict(events.values("feedback_id").annotate(n=Count("id")).values_list("feedback_id", "n"))
    assert all(per_request[pk] == 2 for pk in decided.values_list("pk", flat=True))
    assert not events.filter(created_at__gt=now).exists()
    assert not events.filter(created_at__lt=F("feedback__created_at")).exists()
    first = events.filter(old_value="new")
    assert not first.exclude(created_at=F("feedback__first_response_at")).exists()
    last = events.filter(old_value="under_review")
    assert not last.exclude(new_value=F("feedback__status")).exists()
    assert not last.filter(created_at__lt=F("feedback__first_response_at")).exists()
    # Told (fan-out done) except the silent ones; nothing left for the fan-out sweep.
    assert not events.filter(fanned_out_at=None).exists()
    assert 0 < last.filter(silent=True).count() < last.count() / 4
    assert last.filter(new_value="declined").exclude(public_message="").exists()

    # Votes: after the request, before now, three in ten later than its creation instant.
    votes = Vote.objects.filter(feedback__in=requests)
    assert not votes.filter(created_at__lt=F("feedback__created_at")).exists()
    assert not votes.filter(created_at__gt=now).exists()
    later = votes.exclude(created_at=F("feedback__created_at")).count()
    assert 0.25 * votes.count() < later < 0.35 * votes.count()

    # Every kind of history reaches the last 12 weeks, about as much as any 12 weeks of the two years
    # (a digest reads an average week), and the last week does not pile up at "now".
    twelve_weeks, week = now - dt.timedelta(weeks=12), now - dt.timedelta(weeks=1)
    for rows, field in (
        (requests, "created_at"),
        (votes, "created_at"),
        (events, "created_at"),
        (requests, "first_response_at"),
    ):
        recent = rows.filter(**{f"{field}__gte": twelve_weeks}).count()
        last_week = rows.filter(**{f"{field}__gte": week}).count()
        total = rows.exclude(**{field: None}).count()
        assert 0.6 * total * 12 / 104 < recent < 1.5 * total * 12 / 104, field
        assert last_week < 2.5 * total / 104, field
    assert not RoadmapEvent.objects.filter(created_at__gt=now).exists()
    assert not Decision.objects.filter(Q(decided_at__gt=now) | Q(outcome_recorded_at__gt=now)).exists()

    # A second run adds subscriptions, and changes nothing in the history.
    before = (
        events.count(),
        list(votes.order_by("pk").values_list("created_at", flat=True)[:500]),
        list(requests.order_by("pk").values_list("first_response_at", "product_area_id")[:500]),
    )
    call_command("generate_dataset", only_reporting=True, subscriptions=12)
    after = (
        events.count(),
        list(votes.order_by("pk").values_list("created_at", flat=True)[:500]),
        list(requests.order_by("pk").values_list("first_response_at", "product_area_id")[:500]),
    )
    assert after == before
    assert DigestSubscription.objects.filter(name__startswith=SUBSCRIPTION_PREFIX).count() == 36


def test_generated_subscriptions_are_all_due_at_one_instant(seeded):
    call_command("generate_dataset", clubs=2, meetings=10, subscriptions=48, **SMALL)
    subscriptions = DigestSubscription.objects.filter(name__startswith=SUBSCRIPTION_PREFIX)
    assert subscriptions.count() == 48
    due = due_instant(timezone.now())
    assert due.weekday() == 0 and (due.hour, due.minute) == (5, 30)
    for subscription in subscriptions:
        occurrence = schedule.latest_occurrence(subscription, due)
        assert occurrence is not None and occurrence.due_at == due, subscription.name
        assert subscription.created_at < due
    # Teams and people, both languages, the three frequencies, several zones; a third see everything.
    assert subscriptions.filter(team=None).count() == subscriptions.filter(user=None).count() == 24
    assert set(subscriptions.values_list("language", flat=True)) == {"en", "fr"}
    assert set(subscriptions.values_list("frequency", flat=True)) == {"daily", "weekly", "monthly"}
    assert subscriptions.values("timezone").distinct().count() >= 4
    broad = subscriptions.filter(segments=[], product_areas=None, organizations=None, clubs=None)
    assert broad.count() == 16 and all(len(s.sections) == 6 for s in broad)
    assert subscriptions.exclude(product_areas=None).exists() and subscriptions.exclude(clubs=None).exists()
    assert subscriptions.exclude(segments=[]).exists() and subscriptions.exclude(organizations=None).exists()
    # Outside partner addresses on some teams, none at a client company; every recipient counted in SQL.
    teams = {s.team for s in subscriptions.exclude(team=None).select_related("team")}
    assert any(t.extra_emails for t in teams)
    recipients = sum(len(digest_recipients(s)) for s in subscriptions.select_related("team"))
    with connection.cursor() as cursor:
        cursor.execute(expected_recipients_sql(), [SUBSCRIPTION_PREFIX + "%"])
        assert cursor.fetchone()[0] == recipients > 48


def test_digest_build_case_fails_when_it_would_measure_nothing(seeded):
    call_command("generate_dataset", clubs=2, meetings=10, subscriptions=4, **SMALL)
    rows, proofs = digest_build_case(runs=2)
    assert [r[1] for r in rows] == ["weekly digest build, everything", "weekly digest build, one area + segment"]
    assert 0 < rows[1][4] <= rows[0][4]  # no more queries for ten times more requests
    assert "requests == SQL" in proofs[0] and "votes == SQL" in proofs[0]
    assert not Digest.objects.filter(subscription__name__startswith="Benchmark build").exists()  # cleaned up
    Feedback.objects.update(created_at=timezone.now() - dt.timedelta(days=900))
    with pytest.raises(ProofFailed, match="no request was created"):
        digest_build_case(runs=1)


# Real commits: the worker is another process and must see the subscriptions.
@pytest.mark.django_db(transaction=True)
def test_reporting_benchmark_measures_what_it_claims(seeded, capsys):
    call_command("generate_dataset", clubs=2, meetings=10, subscriptions=30, **SMALL)
    call_command("benchmark", only="reporting", runs=2)
    out = capsys.readouterr().out
    assert "reporting: weekly digest build, everything" in out
    assert "reporting: weekly digest build, one area + segment" in out
    assert "requests == SQL" in out and "votes == SQL" in out
    assert "reporting: dashboard" in out and "new requests shown == SQL" in out
    assert "company dossier" in out  # measured, or skipped with its reason while the page is not there
    assert "due digests: 30 subscriptions" in out and "a real worker (prefork, 2 processes)" in out
    assert "30 digests sent == 30 subscriptions" in out
    subscriptions = DigestSubscription.objects.filter(name__startswith=SUBSCRIPTION_PREFIX)
    digests = Digest.objects.filter(subscription__in=subscriptions)
    assert digests.count() == digests.filter(status="sent").count() == 30
    deliveries = DigestDelivery.objects.filter(digest__in=digests)
    with connection.cursor() as cursor:
        cursor.execute(expected_recipients_sql(), [SUBSCRIPTION_PREFIX + "%"])
        expected = cursor.fetchone()[0]
    assert deliveries.count() == expected
    assert f"{expected} deliveries == {expected} outbox rows == {expected} recipients" in out
    emails = OutboundEmail.objects.filter(pk__in=deliveries.values("outbound_id"))
    assert emails.count() == expected and not emails.exclude(status="sent").exists()

    # A second run starts over: the same subscriptions are due again, sent once more, nothing doubled.
    call_command("benchmark", only="reporting", runs=1)
    assert digests.count() == 30 and deliveries.count() == expected
