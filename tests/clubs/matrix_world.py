"""The clubs part of the route matrix's world (tests/test_route_matrix.py).

- `club_shared`: Acme's member and admin with Globex's member; its planned meeting has a topic about
  Globex's private request (with the organizer's summary), a topic about Globex's public request,
  an open vote, draft minutes and an action item owned by Globex's member.
- `club_b`: Globex's members only (its name is a secret for Acme), a held meeting with published
  minutes, a closed vote and an action item.
- `club_open_b`: an open club of Globex's members only, which Acme's users may ask to join.
The contributor organizes none of them: they read, and get 403 where an organizer is needed.
"""

from datetime import timedelta

from django.utils import timezone

from clubs import services
from clubs.models import ClubMembership, Invitation

SECRET_CLUB_B = "Okapi circle of Globex only"
SECRET_MINUTES_B = "Globex-only minutes: they will leave if payroll slips"
SECRET_DRAFT_MINUTES = "Draft minutes not yet published 4e2b"
CLUB_SECRETS = (SECRET_CLUB_B, SECRET_MINUTES_B, SECRET_DRAFT_MINUTES)


def build_clubs_world(*, users: dict, private_b, public_b) -> dict:
    po = users["product_owner"]
    member_a, admin_a, member_b, admin_b = users["member_a"], users["admin_a"], users["member_b"], users["admin_b"]
    now = timezone.now().replace(microsecond=0)

    shared = services.club_create(actor=po, name="Finance users club", description="Acme and Globex")
    for user in (member_a, admin_a, member_b):
        services.member_add(club=shared, actor=po, user=user)
    meeting_shared = services.meeting_create(
        club=shared,
        actor=po,
        title="Spring session",
        starts_at=now + timedelta(days=7),
        ends_at=now + timedelta(days=7, hours=2),
        place="Lyon",
    )
    topic_private_b = services.agenda_add(
        meeting=meeting_shared, actor=po, feedback=private_b, title="Payroll reconciliation, as summarized"
    )
    topic_public_b = services.agenda_add(meeting=meeting_shared, actor=po, feedback=public_b)
    Invitation.objects.bulk_create(
        [
            Invitation(meeting=meeting_shared, user=u, organization=u.organization, invited_at=now)
            for u in (member_a, admin_a, member_b)
        ]
    )
    vote_shared = services.vote_create(
        meeting=meeting_shared, actor=po, title="Priorities", budget=5, topics=[topic_private_b, topic_public_b]
    )
    services.vote_open(vote=vote_shared, actor=po)
    services.minutes_save(meeting=meeting_shared, actor=po, body=SECRET_DRAFT_MINUTES)
    action_shared = services.action_item_create(
        club=shared,
        actor=po,
        meeting=meeting_shared,
        title="Send the payroll summary",
        owner=member_b,
        due_date=timezone.localdate() + timedelta(days=10),
        feedback=private_b,
    )

    club_b = services.club_create(actor=po, name=SECRET_CLUB_B, description=SECRET_CLUB_B)
    for user in (member_b, admin_b):
        services.member_add(club=club_b, actor=po, user=user)
    meeting_b = services.meeting_create(
        club=club_b,
        actor=po,
        title=SECRET_CLUB_B,
        starts_at=now - timedelta(days=3),
        ends_at=now - timedelta(days=3) + timedelta(hours=1),
    )
    topic_b = services.agenda_add(meeting=meeting_b, actor=po, title=SECRET_CLUB_B)
    topic_b2 = services.agenda_add(meeting=meeting_b, actor=po, feedback=public_b)
    vote_b = services.vote_create(
        meeting=meeting_b, actor=po, title=SECRET_CLUB_B, budget=3, topics=[topic_b, topic_b2]
    )
    services.vote_open(vote=vote_b, actor=po)
    services.vote_close(vote=vote_b, actor=po)
    services.minutes_save(meeting=meeting_b, actor=po, body=SECRET_MINUTES_B, publish=True)
    action_b = services.action_item_create(
        club=club_b, actor=po, meeting=meeting_b, title=SECRET_CLUB_B, owner=member_b
    )

    open_b = services.club_create(
        actor=po, name="Open club of Globex users", description="Anyone may ask", visibility="open"
    )
    services.member_add(club=open_b, actor=po, user=member_b)

    return {
        "club_shared": shared.pk,
        "club_b": club_b.pk,
        "club_open_b": open_b.pk,
        "meeting_shared": meeting_shared.pk,
        "meeting_b": meeting_b.pk,
        "topic_private_b": topic_private_b.pk,
        "topic_public_b": topic_public_b.pk,
        "topic_b": topic_b.pk,
        "vote_shared": vote_shared.pk,
        "vote_b": vote_b.pk,
        "action_shared": action_shared.pk,
        "action_b": action_b.pk,
        "membership_shared_b": ClubMembership.objects.get(club=shared, user=member_b).pk,
        "membership_b": ClubMembership.objects.get(club=club_b, user=member_b).pk,
        "user_member_b": member_b.pk,
        "user_member_a": member_a.pk,
    }
