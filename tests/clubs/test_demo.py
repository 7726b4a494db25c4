"""seed_demo's clubs: two clubs across Acme and Globex (one in French), a past meeting with its agenda,
vote, action items and minutes, an upcoming one with invitations and answers; seeding again adds nothing."""

from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from clubs.models import (
    ActionItem,
    AgendaItem,
    Ballot,
    BallotPoints,
    Club,
    ClubMembership,
    Invitation,
    Mailing,
    Meeting,
    MeetingVote,
    Minutes,
    VoteResult,
)
from feedback.models import Vote

MODELS = [
    Club,
    ClubMembership,
    Meeting,
    AgendaItem,
    Invitation,
    MeetingVote,
    Ballot,
    BallotPoints,
    VoteResult,
    Minutes,
    ActionItem,
    Mailing,
    Vote,
]


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def test_seed_demo_adds_clubs_idempotently(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", password="demo-pass-123")
    first = counts()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", password="demo-pass-123")
    assert counts() == first

    assert Club.objects.count() == 2
    assert set(Club.objects.values_list("language", flat=True)) == {"en", "fr"}
    reporting = Club.objects.get(language="en")
    members = ClubMembership.objects.filter(club=reporting, status="active")
    assert set(members.values_list("organization__slug", flat=True)) == {"acme", "globex"}
    assert reporting.member_count == members.count() == 4
    french = Club.objects.get(language="fr")
    assert french.member_count == 2
    assert ClubMembership.objects.filter(club=french, status="requested").count() == 1

    past = Meeting.objects.get(club=reporting, status="held")
    assert past.starts_at < timezone.now()
    assert past.agenda.count() == 4
    # The private request is on the agenda under the organizer's wording, not its own title.
    private = past.agenda.exclude(feedback=None).get(feedback__visibility="private")
    assert private.title != private.feedback.title
    assert Minutes.objects.get(meeting=past).published_at is not None
    assert past.invitations.filter(attended=True).count() == 3
    vote = MeetingVote.objects.get(meeting=past)
    assert vote.status == "closed" and vote.ballot_count == 3
    cast = BallotPoints.objects.filter(vote=vote).aggregate(t=Sum("points"))["t"]
    assert cast == 15 and VoteResult.objects.filter(vote=vote).aggregate(t=Sum("points"))["t"] == cast
    # The results reached the roadmap: the item on the agenda has a club priority.
    item_topic = past.agenda.exclude(roadmap_item=None).get()
    item_topic.roadmap_item.refresh_from_db()
    assert item_topic.roadmap_item.club_priority > 0
    # The attendees' points on the public request became votes: a new one "from a meeting", a raised importance.
    public = past.agenda.exclude(feedback=None).get(feedback__visibility="public").feedback
    assert Vote.objects.get(feedback=public, user__email="admin@globex.example").provenance == "meeting"
    assert Vote.objects.get(feedback=public, user__email="member@acme.example").importance == "critical"

    actions = ActionItem.objects.filter(meeting=past)
    assert actions.count() == 3
    late = actions.filter(status="open", due_date__lt=timezone.localdate())
    assert late.count() == 1 and actions.filter(status="done").count() == 1

    upcoming = Meeting.objects.get(club=reporting, status="planned")
    assert upcoming.starts_at > timezone.now() and upcoming.invitations_sent_at is not None
    invitations = Invitation.objects.filter(meeting=upcoming)
    assert invitations.count() == 4 and not invitations.filter(invited_at=None).exists()
    assert set(invitations.values_list("rsvp", flat=True)) == {"yes", "no", "maybe", "pending"}
    assert upcoming.agenda.filter(action_item__in=late).exists()  # the late action item is carried over
    assert Mailing.objects.filter(meeting=upcoming, kind="invitation").exists()
    assert Mailing.objects.filter(meeting=past, kind="minutes").exists()
    assert not Mailing.objects.filter(meeting=past, kind="invitation").exists()
