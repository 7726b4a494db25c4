"""The clubs' part of the benchmark: a small generated data set is shaped and consistent (denormalized
counts, tallies, club priority as the services compute them), and the clubs' cases measure what they claim."""

import pytest
from django.core.management import call_command
from django.db.models import Count, Q, Sum
from django.utils import timezone

from bench.clubs_cases import suggestions_case
from bench.roadmap_cases import ProofFailed
from clubs import services
from clubs.models import (
    ActionItem,
    AgendaItem,
    Ballot,
    BallotPoints,
    Club,
    ClubMembership,
    Invitation,
    Meeting,
    MeetingVote,
    Minutes,
    VoteResult,
)
from clubs.selectors import OPEN_STATUSES, agenda_suggestions
from feedback.models import Feedback, Vote
from roadmap.models import RoadmapItem

SMALL = {"feedback": 2000, "organizations": 40, "users": 400, "votes_per_item": 4, "roadmap_items": 20}


@pytest.fixture
def seeded(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", password="bench-pass-123")


def test_generated_clubs_are_shaped_and_consistent(seeded):
    call_command("generate_dataset", clubs=4, meetings=40, **SMALL)
    clubs = Club.objects.filter(name__startswith="Bench club")
    assert clubs.count() == 4
    large = clubs.get(name="Bench club 1 (the large one)")
    active = ClubMembership.objects.filter(club=large, status=ClubMembership.Status.ACTIVE)
    # 300 members from every company with two users: the 40 generated ones, Acme and Globex (at full
    # size, two users of each of 150 companies).
    assert large.member_count == active.count() == 300
    assert active.values("organization_id").distinct().count() == 42
    for club in clubs:
        assert club.member_count == club.memberships.filter(status="active").count() > 0
    assert ClubMembership.objects.filter(club__in=clubs, status="left").exclude(left_at=None).exists()

    meetings = Meeting.objects.filter(club__in=clubs)
    assert meetings.count() == 40
    assert meetings.filter(club=large).count() == 10
    assert not meetings.filter(ical_uid="").exists()
    assert meetings.values("ical_uid").distinct().count() == 40
    assert {"held", "planned"} <= set(meetings.values_list("status", flat=True))
    assert (
        meetings.filter(club=large, status="held").exists() and meetings.filter(club=large, status="planned").exists()
    )
    assert Minutes.objects.filter(meeting__in=meetings).count() == 40
    assert not Minutes.objects.filter(meeting__status="held", published_at=None, meeting__in=meetings).exists()

    topics = AgendaItem.objects.filter(meeting__in=meetings)
    assert (
        topics.count() == 200 and topics.exclude(feedback=None).exists() and topics.exclude(roadmap_item=None).exists()
    )
    # A private request never lends its title to the agenda.
    for topic in topics.exclude(feedback=None).select_related("feedback"):
        assert (topic.title == topic.feedback.title) == (topic.feedback.visibility == Feedback.Visibility.PUBLIC)

    invitations = Invitation.objects.filter(meeting__in=meetings)
    assert {"yes", "no", "maybe", "pending"} <= set(invitations.values_list("rsvp", flat=True))
    assert not invitations.filter(attended=True).exclude(meeting__status="held").exists()
    assert invitations.filter(attended=True, invited_at=None).exists()  # came without an invitation

    votes = MeetingVote.objects.filter(meeting__in=meetings)
    assert votes.count() == meetings.filter(status="held").count() > 0
    assert not votes.exclude(status="closed").exists()
    for vote in votes.annotate(n=Count("ballots")):
        assert vote.ballot_count == vote.n
        cast = BallotPoints.objects.filter(vote=vote).aggregate(t=Sum("points"))["t"] or 0
        assert (VoteResult.objects.filter(vote=vote).aggregate(t=Sum("points"))["t"] or 0) == cast
        assert (Ballot.objects.filter(vote=vote).aggregate(t=Sum("total"))["t"] or 0) == cast
    assert votes.filter(ballot_count__gt=0).exists()
    assert not Ballot.objects.filter(vote__in=votes, total__gt=5).exists()
    # Results per (topic, organization) are the ballots' sums, voters their number.
    result = VoteResult.objects.filter(vote__in=votes).exclude(organization=None).order_by("pk").first()
    points = BallotPoints.objects.filter(topic=result.topic, ballot__organization=result.organization)
    assert result.points == points.aggregate(t=Sum("points"))["t"] and result.voters == points.count()

    actions = ActionItem.objects.filter(club__in=clubs)
    assert set(actions.values_list("status", flat=True)) >= {"open", "done"}
    assert actions.filter(status="open", due_date__lt=timezone.localdate()).exists()  # some are late

    # The club priority written in SQL is what the service computes.
    items = list(RoadmapItem.objects.filter(club_priority__gt=0).values_list("pk", "club_priority"))
    assert items
    services.club_priority_refresh(item_ids=[pk for pk, _p in items])
    assert list(RoadmapItem.objects.filter(pk__in=[pk for pk, _p in items]).values_list("pk", "club_priority")) == items

    # Clubs alone, on the data set already there: 4 more clubs, fresh calendar UIDs.
    call_command("generate_dataset", only_clubs=True, clubs=4, meetings=40)
    assert Club.objects.filter(name__startswith="Bench club").count() == 8
    assert Meeting.objects.values("ical_uid").distinct().count() == Meeting.objects.count() >= 80


def test_suggestions_case_fails_when_it_would_measure_nothing(seeded):
    call_command("generate_dataset", clubs=2, meetings=10, **SMALL)
    row, proof = suggestions_case(runs=2)
    assert row[1] == "agenda suggestions, largest club" and row[4] > 0
    assert "300 members from 42 companies" in proof and "requests suggested" in proof
    Vote.objects.all().delete()
    with pytest.raises(ProofFailed, match="no request suggested"):
        suggestions_case(runs=1)


def test_suggested_demand_is_the_plain_ranking(seeded):
    """The suggestions' hand-written ranking gives the rows of the plain ORM query it replaced, for clubs
    with and without a product scope, a short list and one long enough to walk the whole ranking."""
    call_command("generate_dataset", clubs=6, meetings=30, **SMALL)
    checked = 0
    for club in Club.objects.filter(name__startswith="Bench club"):
        meeting = club.meetings.filter(status="planned").first()
        on_agenda = [pk for pk in (meeting.agenda.values_list("feedback_id", flat=True) if meeting else []) if pk]
        companies = club.memberships.filter(status="active").exclude(organization=None).values("organization_id")
        votes = Vote.objects.filter(organization_id__in=companies, feedback__status__in=OPEN_STATUSES).exclude(
            feedback_id__in=on_agenda
        )
        areas = list(club.product_areas.values_list("pk", flat=True))
        if areas:
            votes = votes.filter(feedback__product_area_id__in=areas)
        for limit in (8, 400):
            expected = list(
                votes.values("feedback_id")
                .annotate(n=Count("id"), o=Count("organization_id", distinct=True))
                .order_by("-n", "-o", "-feedback_id")
                .values_list("feedback_id", "n", "o")[:limit]
            )
            demand = agenda_suggestions(club=club, meeting=meeting, limit=limit)["demand"]
            assert [(d["feedback"].pk, d["club_votes"], d["club_organizations"]) for d in demand] == expected
            checked += len(expected)
    assert checked > 400
    # Requests with three club votes or more from several companies (counted by the index lookup) were among them.
    large = Club.objects.get(name="Bench club 1 (the large one)")
    top = agenda_suggestions(club=large)["demand"][0]
    assert top["club_votes"] >= 3 and top["club_organizations"] >= 2


# Real commits: the voters' threads have their own connections and must see the meeting.
@pytest.mark.django_db(transaction=True)
def test_clubs_benchmark_measures_what_it_claims(seeded, capsys):
    call_command("generate_dataset", clubs=3, meetings=30, **SMALL)
    call_command("benchmark", only="clubs", runs=2, voters=24)
    out = capsys.readouterr().out
    assert "clubs: agenda suggestions, largest club" in out
    assert "300 members from 42 companies" in out
    assert "meeting-day page" in out  # measured, or skipped with its reason while the page is not there
    assert "vote tally: 24 attendees" in out and "24 threads with their own connections" in out
    assert "ballot_count 24 == 24 ballots" in out and "120 points stored == 120 cast == 24 x 5" in out
    vote = MeetingVote.objects.get(meeting__title__startswith="Benchmark vote")
    assert vote.status == "closed" and vote.ballot_count == 24
    assert vote.meeting.status == "cancelled"  # never the club's "previous meeting" for the next run
    assert VoteResult.objects.filter(vote=vote).aggregate(t=Sum("points"))["t"] == 120
    # The linked public request got the attendees' votes, with provenance "meeting".
    linked = AgendaItem.objects.filter(meeting=vote.meeting).exclude(feedback=None).get()
    assert (
        Vote.objects.filter(feedback=linked.feedback, provenance="meeting")
        .filter(Q(user__club_memberships__club=vote.meeting.club))
        .exists()
    )
