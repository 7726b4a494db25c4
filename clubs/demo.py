"""Demo clubs over the accounts, feedback and roadmap demos: a reporting club spanning Acme and Globex
and a French-speaking club.

The reporting club met three weeks ago: an agenda built from a public request, a roadmap item and a
private request summarized for the club, the attendance, a closed dot vote (its results feed the roadmap
item's club priority, and the attendees' points became meeting votes on the public request), three
action items (one late), and the published minutes. Its next meeting is in ten days: invitations sent
(the emails with their calendar file are queued through the services, as the other demos do) and some
answers in.

Everything goes through clubs.services, except the past meeting's invitations and answers, written as
rows: the services rightly refuse answers to a meeting that is over, and nobody should be emailed an
invitation to it. Idempotent: clubs, members and meetings are found again by name and title.
"""

import datetime
import zoneinfo

from django.utils import timezone

from accounts.models import User
from clubs import services
from clubs.models import ActionItem, Club, ClubMembership, Invitation, Meeting
from feedback.models import Feedback, ProductArea
from roadmap.models import RoadmapItem

REPORTING = "Reporting & dashboards club"
FRENCH = "Club des utilisateurs francophones"
PAST = "Dashboards review"
NEXT = "What comes next for reports"

MEMBERS = {
    REPORTING: [
        ("member@acme.example", ClubMembership.Role.CHAIR),
        ("admin@acme.example", ClubMembership.Role.MEMBER),
        ("admin@globex.example", ClubMembership.Role.AMBASSADOR),
        ("member@globex.example", ClubMembership.Role.MEMBER),
    ],
    FRENCH: [
        ("admin@acme.example", ClubMembership.Role.CHAIR),
        ("member@globex.example", ClubMembership.Role.MEMBER),
    ],
}
# The past meeting: (email, answer, comment, present).
PAST_ATTENDANCE = [
    ("member@acme.example", Invitation.Rsvp.YES, "", True),
    ("admin@acme.example", Invitation.Rsvp.YES, "", False),
    ("admin@globex.example", Invitation.Rsvp.YES, "", True),
    ("member@globex.example", Invitation.Rsvp.MAYBE, "Si je suis rentré de Lyon à temps.", True),
]
# (email, {topic index: points}) on a 5-point budget.
BALLOTS = [
    ("member@acme.example", {0: 3, 1: 2}),  # he had voted "important": 3 of 5 points raise it to "critical"
    ("admin@globex.example", {0: 2, 1: 3}),  # her first vote on the widgets: provenance "meeting"
    ("member@globex.example", {0: 1, 2: 4}),
]
NEXT_ANSWERS = [
    ("member@acme.example", Invitation.Rsvp.YES, ""),
    ("admin@globex.example", Invitation.Rsvp.MAYBE, "Our quarter closes that week; I will confirm on Monday."),
    ("member@globex.example", Invitation.Rsvp.NO, "En congés cette semaine-là, désolé."),
]
MINUTES = """## Present

Bob Stone (Acme), Gina Globex and Hugo Lefèvre (Globex), for the team Paula Owner.

## Discussed

- **Your own dashboard**: both companies want to choose their indicators; the widgets are planned next.
- **Faster dashboards over long histories**: the rewrite is in progress; Globex will test it on its
  five years of data.
- **Slow dashboard exports**: the team reproduced it; a fix comes with the rewrite.

## Vote

The members ranked the topics with five points each: see the results on the meeting page.

## Decided

See the action items. Next meeting in about a month.
"""


def seed(*, password: str) -> list:
    staff = User.objects.filter(email="po@retour.example").first()
    if staff is None:
        return []
    sales = User.objects.filter(email="sales@retour.example").first()
    people = {
        u.email: u
        for u in User.objects.select_related("client_membership__organization").filter(
            email__in={email for members in MEMBERS.values() for email, _role in members}
        )
    }
    reporting_area = ProductArea.objects.filter(slug="reporting").first()
    reporting = _club(
        actor=staff,
        name=REPORTING,
        description="Finance and operations managers from our client companies meet the product team "
        "every month or so to discuss reports and dashboards.",
        language="en",
        region="Europe",
        organizers=[staff],
        product_areas=[reporting_area] if reporting_area else [],
    )
    french = _club(
        actor=staff,
        name=FRENCH,
        description="Les utilisateurs francophones échangent avec l'équipe produit : traductions, formats "
        "comptables français, besoins des équipes en France et en Belgique.",
        language="fr",
        region="France, Belgique",
        visibility=Club.Visibility.OPEN,
        organizers=[u for u in (sales, staff) if u is not None],
    )
    for club in (reporting, french):
        for email, role in MEMBERS[club.name]:
            user = people.get(email)
            if user is not None and not ClubMembership.objects.filter(club=club, user=user).exists():
                services.member_add(club=club, actor=staff, user=user, role=role)
    gina = people.get("admin@globex.example")
    if gina is not None and not ClubMembership.objects.filter(club=french, user=gina).exists():
        services.join_request(club=french, user=gina)  # waits for an organizer's approval

    if not Meeting.objects.filter(club=reporting, title=PAST).exists():
        _past_meeting(club=reporting, staff=staff, sales=sales, people=people)
    if not Meeting.objects.filter(club=reporting, title=NEXT).exists():
        _next_meeting(club=reporting, staff=staff, people=people)
    return []


def _club(*, actor: User, name: str, organizers: list, product_areas=(), **fields) -> Club:
    club = Club.objects.filter(name=name).first()
    if club is None:
        club = services.club_create(
            actor=actor, name=name, organizers=organizers, product_areas=list(product_areas), **fields
        )
    return club


def _at(days: int, hour: int) -> datetime.datetime:
    """A day from today at `hour` o'clock, Paris time."""
    day = timezone.localdate() + datetime.timedelta(days=days)
    return datetime.datetime(day.year, day.month, day.day, hour, tzinfo=zoneinfo.ZoneInfo("Europe/Paris"))


def _past_meeting(*, club: Club, staff: User, sales: User | None, people: dict) -> Meeting:
    starts = _at(-21, 16)
    meeting = services.meeting_create(
        club=club,
        actor=staff,
        title=PAST,
        description="Your dashboards: what you need, what is coming.",
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=2),
        timezone="Europe/Paris",
        place="Lyon office, 3rd floor",
        video_url="https://meet.example/reporting-club",
    )
    widgets = Feedback.objects.filter(title="Tableau de bord personnalisable").first()
    rewrite = RoadmapItem.objects.filter(title="Dashboard query rewrite for 5-year histories").first()
    slow = Feedback.objects.filter(title="Dashboard loads slowly with 5 years of data").first()
    topics = [
        services.agenda_add(meeting=meeting, actor=staff, feedback=widgets, title="", minutes_allotted=25)
        if widgets
        else services.agenda_add(meeting=meeting, actor=staff, title="Your own dashboard"),
        # Private: the roadmap item and Globex's request get the organizer's wording, never their own titles.
        services.agenda_add(
            meeting=meeting,
            actor=staff,
            roadmap_item=rewrite,
            title="Faster dashboards over long histories",
            minutes_allotted=20,
        ),
        services.agenda_add(
            meeting=meeting,
            actor=staff,
            feedback=slow,
            title="Slow dashboard exports (a member's request)",
            notes="Raised by one of the companies; the details stay with them.",
            minutes_allotted=15,
        ),
        services.agenda_add(
            meeting=meeting,
            actor=staff,
            title="Your reporting calendar: fiscal or calendar years?",
            minutes_allotted=15,
        ),
    ]
    invited = starts - datetime.timedelta(days=14)
    for email, rsvp, comment, _present in PAST_ATTENDANCE:
        user = people.get(email)
        if user is not None:
            Invitation.objects.get_or_create(
                meeting=meeting,
                user=user,
                defaults={
                    "organization": user.organization,
                    "invited_at": invited,
                    "rsvp": rsvp,
                    "comment": comment,
                    "responded_at": invited + datetime.timedelta(days=2),
                    "reminded_at": starts - datetime.timedelta(days=1) if rsvp == Invitation.Rsvp.YES else None,
                },
            )
    Meeting.objects.filter(pk=meeting.pk).update(invitations_sent_at=invited)
    for email, _rsvp, _comment, present in PAST_ATTENDANCE:
        if present and email in people:
            services.attendance_set(meeting=meeting, actor=staff, user=people[email], attended=True)

    vote = services.vote_create(
        meeting=meeting, actor=staff, title="Which topic should we work on first?", budget=5, topics=topics[:3]
    )
    vote = services.vote_open(vote=vote, actor=staff)
    for email, points in BALLOTS:
        if email in people:
            services.ballot_cast(vote=vote, user=people[email], points={topics[i].pk: p for i, p in points.items()})
    services.vote_close(vote=vote, actor=staff)

    today = timezone.localdate()
    services.action_item_create(
        club=club,
        actor=staff,
        meeting=meeting,
        title="Send the members the mock-ups of the dashboard widgets",
        owner=staff,
        due_date=today - datetime.timedelta(days=5),  # late: carried to the next meeting's suggestions
        feedback=widgets,
    )
    if "member@globex.example" in people:
        services.action_item_create(
            club=club,
            actor=staff,
            meeting=meeting,
            title="Share an anonymized copy of the five-year dashboard for the tests",
            owner=people["member@globex.example"],
            due_date=today + datetime.timedelta(days=10),
            roadmap_item=rewrite,
        )
    survey = services.action_item_create(
        club=club,
        actor=staff,
        meeting=meeting,
        title="Ask every member which calendar their reports follow",
        owner=sales or staff,
        due_date=today - datetime.timedelta(days=10),
    )
    services.action_item_update(action_item=survey, actor=staff, status=ActionItem.Status.DONE)
    services.minutes_save(meeting=meeting, actor=staff, body=MINUTES, publish=True)  # held; attendees emailed
    return meeting


def _next_meeting(*, club: Club, staff: User, people: dict) -> Meeting:
    starts = _at(10, 16)
    meeting = services.meeting_create(
        club=club,
        actor=staff,
        title=NEXT,
        description="Scheduled reports, the widgets' mock-ups, and your questions.",
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=2),
        timezone="Europe/Paris",
        video_url="https://meet.example/reporting-club",
    )
    late = (
        ActionItem.objects.filter(club=club, status=ActionItem.Status.OPEN, due_date__lt=timezone.localdate())
        .order_by("due_date", "id")
        .first()
    )
    if late is not None:
        services.agenda_add(meeting=meeting, actor=staff, action_item=late, origin="action", minutes_allotted=10)
    shipped = RoadmapItem.objects.filter(title="Dashboard PDF export + scheduled report emails").first()
    if shipped is not None:
        services.agenda_add(meeting=meeting, actor=staff, roadmap_item=shipped, origin="changed", minutes_allotted=20)
    services.agenda_add(meeting=meeting, actor=staff, title="Your questions", minutes_allotted=15)
    services.invitations_send(meeting=meeting, actor=staff)  # the emails with the .ics, through the worker
    for email, rsvp, comment in NEXT_ANSWERS:
        if email in people:
            services.rsvp_set(meeting=meeting, user=people[email], rsvp=rsvp, comment=comment)
    return meeting
