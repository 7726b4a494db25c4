"""Reads for clubs: the agenda suggestions, the meeting history ("what we promised, what happened
since"), the portal's lists. Bounded queries on indexed columns; callers pass what the policy
already scoped, and what a member may read of a linked object is asked of clubs.policy."""

from datetime import timedelta

from django.db.models import Case, Exists, Min, OuterRef, Q, Sum, When
from django.utils import timezone

from accounts.models import Organization, User
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
from clubs.policy import club_visible_q, meeting_visible_q, topic_link_for
from core.lookups import object_or_404
from feedback.models import Feedback, FeedbackEvent, Vote
from roadmap.models import RoadmapEvent, RoadmapItem

OPEN_STATUSES = [
    Feedback.Status.NEW,
    Feedback.Status.UNDER_REVIEW,
    Feedback.Status.NEEDS_INFO,
    Feedback.Status.PLANNED,
    Feedback.Status.IN_PROGRESS,
]
SUGGESTION_LIMIT = 8
DEFAULT_LOOKBACK = timedelta(days=90)
SUGGESTED_REQUEST_FIELDS = ("id", "title", "visibility", "status", "vote_count", "organization_id")
SUGGESTED_ITEM_FIELDS = (
    "id",
    "title",
    "public_title",
    "is_public",
    "status",
    "organization_count",
    "vote_count",
    "revenue",
    "product_area_id",
)


def club_organization_ids(*, club: Club):
    return ClubMembership.objects.filter(
        club=club, status=ClubMembership.Status.ACTIVE, organization__isnull=False
    ).values("organization_id")


def previous_meeting(*, meeting: Meeting | None, club: Club) -> Meeting | None:
    """The last meeting held (or past and not cancelled) before this one."""
    before = meeting.starts_at if meeting else timezone.now()
    return (
        Meeting.objects.filter(club=club, starts_at__lt=before)
        .exclude(status=Meeting.Status.CANCELLED)
        .exclude(pk=meeting.pk if meeting else None)
        .order_by("-starts_at", "-id")
        .first()
    )


def _public_wording(*, feedback: Feedback | None = None, item: RoadmapItem | None = None) -> str:
    """The title a club may read, or "" when the organizer must write a summary."""
    if feedback is not None:
        return feedback.title if feedback.visibility == Feedback.Visibility.PUBLIC else ""
    if item is not None:
        return item.public_title if item.is_public else ""
    return ""


def agenda_suggestions(*, club: Club, meeting: Meeting | None = None, limit: int = SUGGESTION_LIMIT) -> dict:
    """Topics for the next meeting, for its organizer (staff): four short lists.

    - demand: the open requests the club members' companies voted for most, in the club's scope;
    - changed: requests they voted for and roadmap items in scope whose status changed since the last meeting;
    - awaiting: roadmap candidates in scope, awaiting a decision, most asked first;
    - actions: open action items of the club, late ones first.
    Topics already on this meeting's agenda are left out.
    """
    organizations = club_organization_ids(club=club)
    area_ids = list(club.product_areas.values_list("pk", flat=True))
    previous = previous_meeting(meeting=meeting, club=club)
    since = previous.starts_at if previous else timezone.now() - DEFAULT_LOOKBACK
    on_agenda_requests, on_agenda_items, on_agenda_actions = set(), set(), set()
    if meeting is not None:
        for feedback_id, item_id, action_id in meeting.agenda.values_list(
            "feedback_id", "roadmap_item_id", "action_item_id"
        ):
            on_agenda_requests.add(feedback_id)
            on_agenda_items.add(item_id)
            on_agenda_actions.add(action_id)

    # The companies as a list: a subquery here is misestimated and the votes table scanned whole.
    organization_ids = sorted(set(organizations.values_list("organization_id", flat=True)))
    # Count the club's companies' votes per request straight from the (organization, request) index,
    # in one hash aggregate: the companies behind a request are counted exactly from its lowest and
    # highest company when it has one or two club votes (nearly all), by an index lookup otherwise.
    # Then rank, and check status and scope only for the first `candidates` (a join before counting
    # would look up every voted request: ~40,000 for 150 companies); if too few of them are open and
    # in scope, the whole ranking is walked instead. Same order, same rows.
    ranked = []
    if organization_ids:
        from django.db import connection, transaction

        scope = "AND f.product_area_id = ANY(%(areas)s)" if area_ids else ""
        votes_table, requests_table = Vote._meta.db_table, Feedback._meta.db_table
        params = {
            "organizations": organization_ids,
            "excluded": sorted(pk for pk in on_agenda_requests if pk),
            "statuses": [str(status) for status in OPEN_STATUSES],
            "areas": area_ids,
            "limit": limit,
            "candidates": max(limit * 32, 256),
        }
        for candidates in ("LIMIT %(candidates)s", ""):
            sql = f"""
                WITH counted AS (
                    SELECT feedback_id, count(*)::int AS n, min(organization_id) AS lo, max(organization_id) AS hi
                    FROM {votes_table}
                    WHERE organization_id = ANY(%(organizations)s) AND NOT (feedback_id = ANY(%(excluded)s))
                    GROUP BY feedback_id
                ), ranking AS (
                    SELECT feedback_id, n AS club_votes,
                        CASE WHEN lo = hi THEN 1 WHEN n = 2 THEN 2 ELSE (
                            SELECT count(DISTINCT v.organization_id) FROM {votes_table} v
                            WHERE v.feedback_id = counted.feedback_id AND v.organization_id = ANY(%(organizations)s)
                        ) END::int AS club_organizations
                    FROM counted
                    ORDER BY club_votes DESC, club_organizations DESC, feedback_id DESC {candidates}
                )
                SELECT r.feedback_id, r.club_votes, r.club_organizations
                FROM ranking r JOIN {requests_table} f ON f.id = r.feedback_id
                WHERE f.status = ANY(%(statuses)s) {scope}
                ORDER BY r.club_votes DESC, r.club_organizations DESC, r.feedback_id DESC
                LIMIT %(limit)s"""  # noqa: S608 - table names from the models; values are parameters
            with transaction.atomic(), connection.cursor() as cursor:
                # The rarely run company count makes the plan look costly enough to be JIT-compiled,
                # which takes longer (~20 ms) than running it: off for this statement's transaction.
                cursor.execute("SET LOCAL jit = off")
                cursor.execute(sql, params)
                rows = cursor.fetchall()
            if len(rows) == limit or not candidates:
                break
        ranked = [
            {"feedback_id": pk, "club_votes": votes, "club_organizations": companies} for pk, votes, companies in rows
        ]
    # Only what a suggestion shows: never the description nor the stored search vector of 8 to 40 rows.
    requests = Feedback.objects.only(*SUGGESTED_REQUEST_FIELDS).in_bulk([row["feedback_id"] for row in ranked])
    demand = [
        {
            "origin": AgendaItem.Origin.DEMAND,
            "feedback": requests[row["feedback_id"]],
            "title": requests[row["feedback_id"]].title,
            "wording": _public_wording(feedback=requests[row["feedback_id"]]),
            "club_votes": row["club_votes"],
            "club_organizations": row["club_organizations"],
        }
        for row in ranked
        if row["feedback_id"] in requests
    ]

    voted_by_club = Vote.objects.filter(organization_id__in=organization_ids, feedback_id=OuterRef("feedback_id"))
    request_changes = (
        FeedbackEvent.objects.filter(kind=FeedbackEvent.Kind.STATUS, created_at__gte=since)
        .filter(Exists(voted_by_club))
        .exclude(feedback__status=Feedback.Status.MERGED)
        .select_related("feedback")
        .only(
            "feedback_id", "old_value", "new_value", "created_at", *(f"feedback__{f}" for f in SUGGESTED_REQUEST_FIELDS)
        )
        .order_by("-created_at", "-id")
    )
    if area_ids:
        request_changes = request_changes.filter(feedback__product_area_id__in=area_ids)
    changed, seen = [], set()
    for event in request_changes[: limit * 4]:
        if event.feedback_id in seen or event.feedback_id in on_agenda_requests:
            continue
        seen.add(event.feedback_id)
        changed.append(
            {
                "origin": AgendaItem.Origin.CHANGED,
                "feedback": event.feedback,
                "title": event.feedback.title,
                "wording": _public_wording(feedback=event.feedback),
                "old": event.old_value,
                "new": event.new_value,
                "at": event.created_at,
            }
        )
        if len(changed) >= limit:
            break
    item_changes = (
        RoadmapEvent.objects.filter(kind=RoadmapEvent.Kind.STATUS, created_at__gte=since)
        .select_related("item")
        .only("item_id", "old_value", "new_value", "created_at", *(f"item__{f}" for f in SUGGESTED_ITEM_FIELDS))
    )
    if area_ids:
        item_changes = item_changes.filter(item__product_area_id__in=area_ids)
    seen_items = set()
    for event in item_changes.order_by("-created_at", "-id")[: limit * 4]:
        if event.item_id in seen_items or event.item_id in on_agenda_items:
            continue
        seen_items.add(event.item_id)
        changed.append(
            {
                "origin": AgendaItem.Origin.CHANGED,
                "roadmap_item": event.item,
                "title": event.item.title,
                "wording": _public_wording(item=event.item),
                "old": event.old_value,
                "new": event.new_value,
                "at": event.created_at,
            }
        )
        if len(seen_items) >= limit:
            break

    candidates = RoadmapItem.objects.filter(status=RoadmapItem.Status.CANDIDATE).exclude(
        pk__in=[pk for pk in on_agenda_items if pk]
    )
    if area_ids:
        candidates = candidates.filter(product_area_id__in=area_ids)
    awaiting = [
        {
            "origin": AgendaItem.Origin.AWAITING,
            "roadmap_item": item,
            "title": item.title,
            "wording": _public_wording(item=item),
            "organizations": item.organization_count,
            "revenue": item.revenue,
        }
        for item in candidates.only(*SUGGESTED_ITEM_FIELDS).order_by("-organization_count", "-vote_count", "-id")[
            :limit
        ]
    ]

    today = timezone.localdate()
    actions = [
        {
            "origin": AgendaItem.Origin.ACTION,
            "action_item": action,
            "title": action.title,
            "wording": action.title,
            "late": bool(action.due_date and action.due_date < today),
            "due_date": action.due_date,
            "owner": action.owner,
        }
        for action in ActionItem.objects.filter(club=club, status=ActionItem.Status.OPEN)
        .exclude(pk__in=[pk for pk in on_agenda_actions if pk])
        .select_related("owner")
        .order_by("due_date", "id")[:limit]
    ]
    actions.sort(key=lambda a: (not a["late"], a["due_date"] or today + timedelta(days=36500)))
    return {
        "since": since,
        "previous": previous,
        "demand": demand,
        "changed": changed,
        "awaiting": awaiting,
        "actions": actions,
    }


def meeting_history(*, meeting: Meeting, user: User) -> dict:
    """What was promised at the previous meeting and what happened since, as `user` may read it.

    Promised: the action items decided at the previous meeting, with their status now. Happened:
    the status changes, between the two meetings, of the requests and roadmap items on the
    previous agenda or linked to those action items (a member sees only those the policy lets
    them open; the topic's wording is the organizer's).
    """
    previous = previous_meeting(meeting=meeting, club=meeting.club)
    if previous is None:
        return {"previous": None, "promised": [], "happened": []}
    until = meeting.starts_at if meeting.starts_at < timezone.now() else timezone.now()
    promised = list(
        ActionItem.objects.filter(meeting=previous)
        .select_related("owner", "feedback", "roadmap_item")
        .order_by("due_date", "id")
    )
    topics = list(previous.agenda.select_related("feedback", "roadmap_item")) + promised
    request_topics, item_topics = {}, {}
    for topic in topics:
        if topic_link_for(user=user, topic=topic) is None:
            continue
        if topic.feedback_id:
            request_topics.setdefault(topic.feedback_id, topic)
        elif topic.roadmap_item_id:
            item_topics.setdefault(topic.roadmap_item_id, topic)
    happened = []
    request_labels, item_labels = dict(Feedback.Status.choices), dict(RoadmapItem.Status.choices)
    for event in FeedbackEvent.objects.filter(
        feedback_id__in=list(request_topics),
        kind=FeedbackEvent.Kind.STATUS,
        created_at__gte=previous.starts_at,
        created_at__lte=until,
    ).order_by("created_at", "id"):
        happened.append(
            {
                "topic": request_topics[event.feedback_id],
                "kind": "feedback",
                "old": event.old_value,
                "new": event.new_value,
                "old_label": request_labels.get(event.old_value, event.old_value),
                "new_label": request_labels.get(event.new_value, event.new_value),
                "at": event.created_at,
            }
        )
    for event in RoadmapEvent.objects.filter(
        item_id__in=list(item_topics),
        kind=RoadmapEvent.Kind.STATUS,
        created_at__gte=previous.starts_at,
        created_at__lte=until,
    ).order_by("created_at", "id"):
        happened.append(
            {
                "topic": item_topics[event.item_id],
                "kind": "roadmap",
                "old": event.old_value,
                "new": event.new_value,
                "old_label": item_labels.get(event.old_value, event.old_value),
                "new_label": item_labels.get(event.new_value, event.new_value),
                "at": event.created_at,
            }
        )
    happened.sort(key=lambda row: row["at"])
    return {"previous": previous, "promised": promised, "happened": happened}


def clubs_of(*, user: User):
    """The clubs a client user is an active member of."""
    return Club.objects.filter(memberships__user=user, memberships__status=ClubMembership.Status.ACTIVE).order_by(
        "name", "id"
    )


def upcoming_meetings_for(*, user: User, limit: int = 20):
    """Planned meetings of the user's clubs, with the user's invitation (or None)."""
    meetings = list(
        Meeting.objects.filter(
            club__memberships__user=user,
            club__memberships__status=ClubMembership.Status.ACTIVE,
            status=Meeting.Status.PLANNED,
            ends_at__gte=timezone.now(),
        )
        .select_related("club")
        .order_by("starts_at", "id")[:limit]
    )
    invitations = {i.meeting_id: i for i in Invitation.objects.filter(user=user, meeting__in=meetings)}
    for meeting in meetings:
        meeting.my_invitation = invitations.get(meeting.pk)
    return meetings


def open_vote_for(*, meeting: Meeting) -> MeetingVote | None:
    return meeting.votes.filter(status=MeetingVote.Status.OPEN).order_by("-opened_at", "-id").first()


def action_items_of(*, user: User):
    return (
        ActionItem.objects.filter(
            owner=user,
            club__memberships__user=user,
            club__memberships__status=ClubMembership.Status.ACTIVE,
        )
        .select_related("club", "meeting")
        .order_by(Case(When(status=ActionItem.Status.OPEN, then=0), default=1), "due_date", "id")
    )


# The pages' reads (clubs.views) -----------------------------------------------------------------

MEMBER_SEARCH_LIMIT = 20


def club_list(*, user: User):
    """Every club for staff (the policy scopes), with its next planned meeting's date."""

    return (
        Club.objects.filter(club_visible_q(user=user))
        .annotate(
            next_meeting_at=Min(
                "meetings__starts_at",
                filter=Q(meetings__status=Meeting.Status.PLANNED, meetings__ends_at__gte=timezone.now()),
            )
        )
        .order_by("is_archived", "name", "id")
    )


def member_search(*, club: Club, query: str, limit: int = MEMBER_SEARCH_LIMIT) -> list[User]:
    """Active client users of any company, and staff, by name, email or company; not already active members."""

    query = " ".join(query.split())[:100]
    if len(query) < 2:
        return []
    active = ClubMembership.objects.filter(club=club, status=ClubMembership.Status.ACTIVE).values("user_id")
    people = (
        User.objects.filter(is_active=True)
        .filter(
            Q(staff_role__in=[User.StaffRole.PRODUCT_OWNER, User.StaffRole.CONTRIBUTOR])
            | Q(client_membership__isnull=False)
        )
        .filter(
            Q(name__icontains=query)
            | Q(email__icontains=query)
            | Q(client_membership__organization__name__icontains=query)
        )
        .exclude(pk__in=active)
        .select_related("client_membership__organization")
        .order_by("name", "email", "id")
    )
    return list(people[:limit])


def vote_get_visible_to(*, user: User, pk) -> MeetingVote:
    """A vote of a meeting the user may see (clubs.policy), or 404 either way."""

    meetings = Meeting.objects.filter(meeting_visible_q(user=user)).values("pk")
    return object_or_404(MeetingVote.objects.select_related("meeting__club").filter(meeting__in=meetings), pk)


def vote_tally_by_organization(*, vote: MeetingVote) -> list[dict]:
    """Points per topic and per company (None: staff), live while open, the stored results once closed.
    For staff pages: which companies gave the points."""

    if vote.status == MeetingVote.Status.CLOSED:
        rows = VoteResult.objects.filter(vote=vote).values_list("topic_id", "organization_id", "points")
    else:
        rows = (
            BallotPoints.objects.filter(vote=vote)
            .values("topic_id", "ballot__organization_id")
            .annotate(total=Sum("points"))
            .values_list("topic_id", "ballot__organization_id", "total")
        )
    rows = list(rows)
    names = dict(Organization.objects.filter(pk__in={o for _t, o, _p in rows if o}).values_list("pk", "name"))
    by_topic: dict[int, list] = {}
    for topic_id, organization_id, points in rows:
        by_topic.setdefault(topic_id, []).append({"organization": names.get(organization_id), "points": points})
    for breakdown in by_topic.values():
        breakdown.sort(key=lambda row: (-row["points"], row["organization"] or ""))
    return by_topic


def ballot_of(*, vote: MeetingVote, user: User):

    return Ballot.objects.filter(vote=vote, user=user).prefetch_related("points").first()


def meetings_of_club(*, club: Club, limit: int = 50):
    return list(Meeting.objects.filter(club=club).order_by("-starts_at", "-id")[:limit])


def published_minutes_of_club(*, club: Club, limit: int = 20):

    return list(
        Minutes.objects.filter(meeting__club=club, published_at__isnull=False)
        .select_related("meeting")
        .order_by("-meeting__starts_at", "-id")[:limit]
    )
