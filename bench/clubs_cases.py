"""The clubs' benchmark cases (DESIGN.md §6), each with the proof that it measured what it claims.

- Agenda suggestions for the largest club (300 members from 150 companies at full size), over all the
  requests: the selector timed in this process, with its query count; the proof is the club's size,
  and the first suggested request with its club vote count recomputed straight from the votes table.
- The meeting-day page (`clubs:meeting_run`) of that club's latest held meeting, through the real
  view; the proof is the meeting's title and an attendee's name on the page.
- The vote tally with `voters` attendees voting in the same minute: one thread per attendee, each
  with its own database connection, calls clubs.services.ballot_cast on one open vote; then the vote
  is closed and the stored results must add up to exactly what was cast (no point lost, none counted
  twice), with `ballot_count` the number of ballots.
"""

import statistics
import threading
import time
from datetime import timedelta

from django.db import connection, connections
from django.db.models import Count, Exists, OuterRef, Sum
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import escape

from accounts.models import User
from bench.roadmap_cases import ProofFailed
from clubs import services
from clubs.models import Ballot, BallotPoints, Club, ClubMembership, Invitation, Meeting, VoteResult
from clubs.selectors import OPEN_STATUSES, agenda_suggestions, club_organization_ids
from feedback.models import Feedback, Vote

# Connections kept free for everything else on the server while the voters are connected.
CONNECTION_MARGIN = 10


def largest_club() -> Club | None:
    return Club.objects.filter(is_archived=False).order_by("-member_count", "id").first()


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def suggestions_case(*, runs: int) -> tuple[tuple, str]:
    """((area, label, p50, p95, queries), proof line) for the agenda suggestions of the largest club."""
    club = largest_club()
    if club is None:
        raise ProofFailed("no club: run generate_dataset (or --only-clubs) first")
    meeting = (
        Meeting.objects.filter(club=club, status=Meeting.Status.PLANNED, starts_at__gte=timezone.now())
        .order_by("starts_at", "id")
        .first()
    )
    members = ClubMembership.objects.filter(club=club, status=ClubMembership.Status.ACTIVE)
    companies = members.exclude(organization=None).values("organization_id").distinct().count()
    suggestions = agenda_suggestions(club=club, meeting=meeting)  # warm-up, and the proof
    demand = suggestions["demand"]
    if not demand:
        raise ProofFailed(f"no request suggested for {club.name!r}: the case would measure an empty list")
    top = demand[0]
    votes = Vote.objects.filter(
        organization_id__in=club_organization_ids(club=club), feedback_id=top["feedback"].pk
    ).count()
    if votes != top["club_votes"] or top["feedback"].status not in OPEN_STATUSES:
        raise ProofFailed(f"the top suggestion says {top['club_votes']} club votes, the votes table {votes}")
    on_agenda = [pk for pk in (meeting.agenda.values_list("feedback_id", flat=True) if meeting else []) if pk]
    ranked = Vote.objects.filter(
        organization_id__in=club_organization_ids(club=club), feedback__status__in=OPEN_STATUSES
    ).exclude(feedback_id__in=on_agenda)
    areas = list(club.product_areas.values_list("pk", flat=True))
    if areas:
        ranked = ranked.filter(feedback__product_area_id__in=areas)
    best = ranked.values("feedback_id").annotate(n=Count("id")).order_by("-n").values_list("n", flat=True).first()
    if best != top["club_votes"]:
        raise ProofFailed(f"the most voted open request has {best} club votes, the first suggestion {votes}")
    club_votes = Vote.objects.filter(organization_id__in=club_organization_ids(club=club)).count()
    times, queries = [], []
    for _run in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            agenda_suggestions(club=club, meeting=meeting)
            times.append((time.perf_counter() - started) * 1000)
        queries.append(len(captured))
    proof = (
        f"{club.member_count} members from {companies} companies, {club_votes:,} votes of theirs over "
        f"{Feedback.objects.count():,} requests; {len(demand)} requests suggested (top: {votes} club votes, "
        f"checked in SQL), {len(suggestions['changed'])} changed, {len(suggestions['awaiting'])} awaiting, "
        f"{len(suggestions['actions'])} action items "
        f"({sum(1 for a in suggestions['actions'] if a['late'])} late)"
    )
    row = ("clubs", "agenda suggestions, largest club", statistics.median(times), _p95(times), max(queries))
    return row, proof


def meeting_run_case(*, staff_client: Client) -> tuple[tuple | None, str]:
    """(the HTTP case for the benchmark loop, or None, and why): the meeting-day page."""
    club = largest_club()
    meeting = (
        Meeting.objects.filter(club=club, status=Meeting.Status.HELD).order_by("-starts_at", "-id").first()
        if club
        else None
    )
    if meeting is None:
        return None, "meeting-day page: no held meeting, not measured"
    try:
        url = reverse("clubs:meeting_run", args=[meeting.pk])
    except NoReverseMatch:
        return None, "meeting-day page: SKIPPED, the URL clubs:meeting_run does not exist yet"
    attendee = (
        Invitation.objects.filter(meeting=meeting, attended=True)
        .select_related("user")
        .order_by("user__name", "user_id")
        .first()
    )
    attendees = Invitation.objects.filter(meeting=meeting, attended=True).count()

    def proof(response) -> str:
        html = response.content.decode()
        if escape(meeting.title) not in html:
            raise ProofFailed(f"the meeting's title is not on the page: {meeting.title!r}")
        if attendee is not None and escape(attendee.user.name) not in html:
            raise ProofFailed(f"an attendee is missing from the page: {attendee.user.name!r}")
        return (
            f"meeting of {club.member_count} members, {attendees} present, "
            f"{meeting.agenda.count()} topics, {meeting.votes.count()} vote(s); title and an attendee shown"
        )

    return ("clubs", "meeting-day page (clubs:meeting_run)", staff_client, lambda: url, proof), ""


def _headroom() -> int:
    """How many more connections the server accepts now, keeping a margin for everyone else."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('max_connections')::int - "
            "(SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')"
        )
        return max(1, cursor.fetchone()[0] - CONNECTION_MARGIN)


def tally_case(*, voters: int = 100, budget: int = 5) -> list[str]:
    """`voters` attendees of the largest club vote at once on a new open vote; then it is closed and checked."""
    club = largest_club()
    staff = User.objects.filter(staff_role=User.StaffRole.PRODUCT_OWNER).order_by("pk").first()
    if club is None or staff is None:
        raise ProofFailed("no club or no product owner")
    attendees = list(
        User.objects.filter(
            club_memberships__club=club,
            club_memberships__status=ClubMembership.Status.ACTIVE,
            club_memberships__organization__isnull=False,
            is_active=True,
        ).order_by("pk")[:voters]
    )
    if len(attendees) < 2:
        raise ProofFailed(f"{club.name!r} has {len(attendees)} client members: nobody to vote")
    shortfall = "" if len(attendees) == voters else f" (the club has only {len(attendees)} client members)"
    voters = len(attendees)
    # A public open request on no roadmap item (the tally, not a business case, is measured) that none of
    # the attendees voted for: each point on it adds a vote "from a meeting". (Raising an existing vote
    # that staff cast on a client's behalf fails in clubs.services: not what this case measures.)
    request = (
        Feedback.objects.filter(visibility=Feedback.Visibility.PUBLIC, status__in=OPEN_STATUSES, roadmap_link=None)
        .exclude(Exists(Vote.objects.filter(feedback_id=OuterRef("pk"), user__in=attendees)))
        .order_by("-pk")
        .first()
    )
    start = timezone.now().replace(microsecond=0)
    meeting = services.meeting_create(
        club=club,
        actor=staff,
        title=f"Benchmark vote {start:%Y-%m-%d %H:%M:%S}",
        starts_at=start - timedelta(minutes=30),
        ends_at=start + timedelta(minutes=90),
    )
    topics = [
        services.agenda_add(meeting=meeting, actor=staff, title=f"Topic {n}", minutes_allotted=10) for n in range(1, 4)
    ]
    if request is not None:
        topics.append(services.agenda_add(meeting=meeting, actor=staff, feedback=request))
    for user in attendees:
        services.attendance_set(meeting=meeting, actor=staff, user=user, attended=True)
    vote = services.vote_create(meeting=meeting, actor=staff, title="What first?", budget=budget, topics=topics)
    vote = services.vote_open(vote=vote, actor=staff)

    def points_of(index: int) -> dict[int, int]:
        """Every attendee spends the whole budget, spread differently: all on one topic, or 3 + 2, or 1 each."""
        first, second = topics[index % len(topics)].pk, topics[(index + 1) % len(topics)].pk
        if index % 3 == 0:
            return {first: budget}
        if index % 3 == 1:
            return {first: budget - 2, second: 2}
        spread = {t.pk: 1 for t in topics[:budget]}
        spread[topics[0].pk] += budget - len(spread)
        return spread

    # The first wave (as many as the server takes at once) casts at the same instant; each ballot done
    # lets one of the rest in, so no more than `concurrent` connections are open.
    concurrent = min(voters, _headroom())
    barrier = threading.Barrier(concurrent)
    next_in = threading.Semaphore(0)
    timings: list[float] = []
    cast: dict[int, dict[int, int]] = {}
    errors: list[str] = []
    lock = threading.Lock()

    def attendee_votes(index: int, user: User) -> None:
        if index >= concurrent:
            next_in.acquire()
        try:
            connections["default"].ensure_connection()  # this thread's own connection
            if index < concurrent:
                barrier.wait(timeout=60)
            points = points_of(index)
            started = time.perf_counter()
            services.ballot_cast(vote=vote, user=user, points=points)
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                timings.append(elapsed)
                cast[user.pk] = points
        except Exception as exc:  # every failure is reported: none may pass silently
            with lock:
                errors.append(f"{user.pk}: {exc!r}")
        finally:
            connections.close_all()
            next_in.release()

    threads = [threading.Thread(target=attendee_votes, args=(i, user)) for i, user in enumerate(attendees)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall_s = time.perf_counter() - started
    if errors:
        raise ProofFailed(f"{len(errors)} ballots failed: {errors[:3]}")
    started = time.perf_counter()
    vote = services.vote_close(vote=vote, actor=staff)
    close_ms = (time.perf_counter() - started) * 1000

    expected_total = sum(sum(points.values()) for points in cast.values())
    expected_by_topic: dict[int, int] = {}
    for points in cast.values():
        for topic_id, value in points.items():
            expected_by_topic[topic_id] = expected_by_topic.get(topic_id, 0) + value
    stored = VoteResult.objects.filter(vote=vote)
    stored_total = stored.aggregate(t=Sum("points"))["t"] or 0
    stored_by_topic = dict(stored.values("topic_id").annotate(t=Sum("points")).values_list("topic_id", "t"))
    ballots = Ballot.objects.filter(vote=vote).count()
    points_rows = BallotPoints.objects.filter(vote=vote).aggregate(t=Sum("points"))["t"] or 0
    if not (vote.ballot_count == ballots == len(cast) == voters):
        raise ProofFailed(f"ballot_count {vote.ballot_count}, ballots {ballots}, cast {len(cast)}, voters {voters}")
    if not (stored_total == points_rows == expected_total == voters * budget):
        raise ProofFailed(
            f"points: results {stored_total}, ballot rows {points_rows}, cast {expected_total}, "
            f"expected {voters * budget}"
        )
    if stored_by_topic != expected_by_topic:
        raise ProofFailed(f"per topic: results {stored_by_topic}, cast {expected_by_topic}")
    organizations = stored.exclude(organization=None).values("organization_id").distinct().count()
    # Cancelled (nobody was invited, nobody is emailed): it never becomes the club's "previous meeting",
    # which would shorten what the next run's suggestions look back on.
    services.meeting_cancel(meeting=meeting, actor=staff)
    meeting_votes = 0
    if request is not None:
        meeting_votes = Vote.objects.filter(
            feedback=request, provenance=Vote.Provenance.MEETING, user__in=attendees
        ).count()
        gave = sum(1 for points in cast.values() if topics[-1].pk in points)
        if meeting_votes != gave:
            raise ProofFailed(f"{gave} attendees gave points to the request, {meeting_votes} votes from the meeting")
    return [
        f"vote tally: {voters} attendees of {club.name!r}{shortfall} in {voters} threads with their own connections "
        f"({concurrent} connected at once, the server's limit leaving {CONNECTION_MARGIN} free): "
        f"per ballot p50 {statistics.median(timings):.0f} ms, p95 {_p95(timings):.0f} ms, "
        f"all in {wall_s:.2f} s; close {close_ms:.0f} ms",
        f"vote tally proof: ballot_count {vote.ballot_count} == {voters} ballots; {stored_total} points stored "
        f"== {expected_total} cast == {voters} x {budget}; equal per topic ({len(expected_by_topic)} topics, "
        f"{organizations} companies); the {meeting_votes} attendees who gave points to the linked request "
        f"now vote for it (provenance: meeting)",
    ]
