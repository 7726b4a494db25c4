"""Writes for clubs. Each service owns its transaction, validates with translated messages, asks
clubs.policy, and leaves nothing half-written. Emails are rows of a `Mailing` ledger written in the
same transaction and rendered by a task (clubs.notifications), so none is lost if the broker is down.

Lock order: the vote row (shared while casting, exclusive while closing), then the ballot, then
feedback rows (vote_cast), then roadmap items (club priority).
"""

import logging
import zoneinfo
from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Language, User
from clubs.models import (
    ActionItem,
    AgendaItem,
    Ballot,
    BallotPoints,
    CapturedRequest,
    Club,
    ClubMembership,
    Invitation,
    Mailing,
    Meeting,
    MeetingVote,
    Minutes,
    VoteResult,
)
from clubs.policy import Action, club_require, is_organizer
from core.tasks_util import enqueue_on_commit
from feedback import services as feedback_services
from feedback.models import Feedback, ProductArea, Vote
from feedback.policy import feedback_is_visible_to
from roadmap import services as roadmap_services
from roadmap.models import RoadmapItem

logger = logging.getLogger(__name__)

NAME_MAX, TITLE_MAX, TEXT_MAX, COMMENT_MAX = 120, 200, 20_000, 500
MAILING_TASK = "clubs.mailing_send"
IMPORTANCE_ORDER = list(Feedback.Importance.values)  # nice_to_have < important < critical


def _check_length(errors: dict, field: str, value: str, limit: int) -> None:
    if len(value) > limit:
        errors[field] = _("Keep this under %(limit)s characters (it has %(count)s).") % {
            "limit": limit,
            "count": len(value),
        }


def _clean(value) -> str:
    return " ".join(str(value or "").replace("\x00", "").split())


def _clean_text(value) -> str:
    return str(value or "").replace("\x00", "").strip()


# Clubs ----------------------------------------------------------------------------------------


def _validate_club(values: dict) -> dict:
    errors: dict = {}
    name = _clean(values.get("name", ""))
    if "name" in values:
        if len(name) < 2:
            errors["name"] = _("Give the club a name.")
        _check_length(errors, "name", name, NAME_MAX)
        values["name"] = name
    for field, limit in (("description", TEXT_MAX), ("region", 120)):
        if field in values:
            values[field] = _clean_text(values[field]) if field == "description" else _clean(values[field])
            _check_length(errors, field, values[field], limit)
    if "language" in values and values["language"] not in Language.values:
        errors["language"] = _("Choose a valid language.")
    if "visibility" in values and values["visibility"] not in Club.Visibility.values:
        errors["visibility"] = _("Choose invitation only or open.")
    organizers = values.get("organizers")
    if organizers is not None and any(not u.is_staff_member for u in organizers):
        errors["organizers"] = _("Organizers are members of the publisher's staff.")
    if errors:
        raise ValidationError(errors)
    return values


def club_create(*, actor: User, name: str, organizers=None, product_areas=None, **fields) -> Club:
    if not actor.is_authenticated or not actor.is_product_owner:
        raise PermissionDenied(_("Only product owners create clubs."))
    values = _validate_club({"name": name, **fields, "organizers": organizers})
    organizers = values.pop("organizers") or [actor]
    with transaction.atomic():
        club = Club.objects.create(created_by=actor, **values)
        club.organizers.set(organizers)
        club.product_areas.set(product_areas or [])
    return club


def club_update(*, club: Club, actor: User, organizers=None, product_areas=None, **fields) -> Club:
    club_require(user=actor, action=Action.MANAGE, club=club)
    allowed = {"name", "description", "language", "region", "visibility", "is_archived"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError({name: _("This field cannot be changed.") for name in sorted(unknown)})
    values = _validate_club({**fields, "organizers": organizers})
    organizers = values.pop("organizers")
    if organizers is not None and not organizers:
        raise ValidationError({"organizers": _("A club needs at least one organizer.")})
    with transaction.atomic():
        club = Club.objects.select_for_update().get(pk=club.pk)
        for field, value in values.items():
            setattr(club, field, value)
        club.save()
        if organizers is not None:
            club.organizers.set(organizers)
        if product_areas is not None:
            club.product_areas.set(product_areas)
    return club


# Members --------------------------------------------------------------------------------------


def _recount_members(club_id: int) -> None:
    Club.objects.filter(pk=club_id).update(
        member_count=ClubMembership.objects.filter(club_id=club_id, status=ClubMembership.Status.ACTIVE).count()
    )


def member_add(*, club: Club, actor: User, user: User, role: str = ClubMembership.Role.MEMBER) -> ClubMembership:
    """Add a client user of any company, or a staff member; bring back someone who left."""
    club_require(user=actor, action=Action.MANAGE, club=club)
    if role not in ClubMembership.Role.values:
        raise ValidationError({"role": _("Choose a valid role.")})
    if not user.is_active or not (user.is_staff_member or user.organization is not None):
        raise ValidationError({"user": _("Only active client users and staff can join a club.")})
    now = timezone.now()
    with transaction.atomic():
        membership, created = ClubMembership.objects.select_for_update().get_or_create(
            club=club,
            user=user,
            defaults={
                "organization": user.organization,
                "role": role,
                "status": ClubMembership.Status.ACTIVE,
                "joined_at": now,
                "added_by": actor,
            },
        )
        if not created:
            if membership.status != ClubMembership.Status.ACTIVE:
                membership.joined_at, membership.left_at = now, None
            membership.status = ClubMembership.Status.ACTIVE
            membership.role = role
            membership.organization = user.organization
            membership.save()
        _recount_members(club.pk)
        if created or membership.joined_at == now:
            _mailing(club=club, kind=Mailing.Kind.WELCOME, membership=membership)
    return membership


def member_add_by_email(*, club: Club, actor: User, email: str, role: str = ClubMembership.Role.MEMBER):
    """ "Invite by email": the person must have an account (their company invites them first)."""
    email = _clean(email).lower()
    user = User.objects.filter(email__iexact=email).first() if email else None
    if user is None:
        raise ValidationError(
            {
                "email": _(
                    "Nobody has an account with this address. Invite them to their company first "
                    "(Organizations), then add them here."
                )
            }
        )
    return member_add(club=club, actor=actor, user=user, role=role)


def member_update(*, membership: ClubMembership, actor: User, role: str | None = None, status: str | None = None):
    """Change a member's role, or end the membership (status "left"), or answer a request to join."""
    club_require(user=actor, action=Action.MANAGE, club=membership.club)
    errors = {}
    if role is not None and role not in ClubMembership.Role.values:
        errors["role"] = _("Choose a valid role.")
    if status is not None and status not in ClubMembership.Status.values:
        errors["status"] = _("Choose a valid status.")
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    with transaction.atomic():
        membership = ClubMembership.objects.select_for_update().get(pk=membership.pk)
        was = membership.status
        if role is not None:
            membership.role = role
        if status is not None and status != was:
            membership.status = status
            if status == ClubMembership.Status.ACTIVE:
                membership.joined_at, membership.left_at = now, None
            elif status == ClubMembership.Status.LEFT:
                membership.left_at = now
        membership.save()
        _recount_members(membership.club_id)
        if was == ClubMembership.Status.REQUESTED and membership.status == ClubMembership.Status.ACTIVE:
            _mailing(club=membership.club, kind=Mailing.Kind.WELCOME, membership=membership)
    return membership


def member_leave(*, club: Club, user: User) -> None:
    with transaction.atomic():
        updated = ClubMembership.objects.filter(club=club, user=user, status=ClubMembership.Status.ACTIVE).update(
            status=ClubMembership.Status.LEFT, left_at=timezone.now()
        )
        if updated:
            _recount_members(club.pk)


def join_request(*, club: Club, user: User) -> ClubMembership:
    """A client user asks to join an open club; an organizer approves."""
    if user.is_staff_member or user.organization is None:
        raise PermissionDenied
    if club.visibility != Club.Visibility.OPEN or club.is_archived:
        raise ValidationError(_("This club is by invitation only."))
    with transaction.atomic():
        membership, created = ClubMembership.objects.select_for_update().get_or_create(
            club=club,
            user=user,
            defaults={"organization": user.organization, "status": ClubMembership.Status.REQUESTED},
        )
        if not created and membership.status in (ClubMembership.Status.LEFT, ClubMembership.Status.REFUSED):
            membership.status = ClubMembership.Status.REQUESTED
            membership.organization = user.organization
            membership.save(update_fields=["status", "organization"])
    return membership


# Meetings -------------------------------------------------------------------------------------

MEETING_FIELDS = {"title", "description", "starts_at", "ends_at", "timezone", "place", "video_url"}
# A change to one of these, after invitations went out, sends an update (SEQUENCE + 1).
CALENDAR_FIELDS = {"title", "starts_at", "ends_at", "timezone", "place", "video_url"}


def _validate_meeting(values: dict, current: Meeting | None = None) -> dict:
    errors: dict = {}
    if "title" in values:
        values["title"] = _clean(values["title"])
        if len(values["title"]) < 2:
            errors["title"] = _("Give the meeting a title.")
        _check_length(errors, "title", values["title"], TITLE_MAX)
    if "description" in values:
        values["description"] = _clean_text(values["description"])
        _check_length(errors, "description", values["description"], TEXT_MAX)
    if "place" in values:
        values["place"] = _clean(values["place"])
        _check_length(errors, "place", values["place"], 300)
    if values.get("video_url"):
        values["video_url"] = _clean(values["video_url"])
        try:
            URLValidator(schemes=["https", "http"])(values["video_url"])
        except ValidationError:
            errors["video_url"] = _("Enter a link starting with https://.")
        _check_length(errors, "video_url", values["video_url"], 500)
    if "timezone" in values:
        try:
            zoneinfo.ZoneInfo(str(values["timezone"]))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            errors["timezone"] = _("Choose a valid time zone.")
    for field in ("starts_at", "ends_at"):
        if field in values and not isinstance(values[field], datetime):
            errors[field] = _("Enter a valid date and time.")
    if not errors:
        starts = values.get("starts_at", current.starts_at if current else None)
        ends = values.get("ends_at", current.ends_at if current else None)
        if starts is None:
            errors["starts_at"] = _("Say when the meeting starts.")
        elif ends is None:
            errors["ends_at"] = _("Say when the meeting ends.")
        elif ends <= starts:
            errors["ends_at"] = _("The meeting must end after it starts.")
    if errors:
        raise ValidationError(errors)
    return values


def meeting_create(*, club: Club, actor: User, **fields) -> Meeting:
    club_require(user=actor, action=Action.MANAGE, club=club)
    unknown = set(fields) - MEETING_FIELDS
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in sorted(unknown)})
    fields.setdefault("timezone", actor.timezone or "Europe/Paris")
    values = _validate_meeting(dict(fields))
    with transaction.atomic():
        meeting = Meeting.objects.create(club=club, created_by=actor, **values)
        Minutes.objects.create(meeting=meeting)
    return meeting


def meeting_update(*, meeting: Meeting, actor: User, **fields) -> Meeting:
    """Edit a planned meeting; once invitations went out, a calendar change sends an update."""
    club_require(user=actor, action=Action.MANAGE, club=meeting.club)
    unknown = set(fields) - MEETING_FIELDS
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in sorted(unknown)})
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().select_related("club").get(pk=meeting.pk)
        if meeting.status == Meeting.Status.CANCELLED:
            raise ValidationError(_("This meeting was cancelled."))
        values = _validate_meeting(dict(fields), current=meeting)
        changed = {f for f, v in values.items() if getattr(meeting, f) != v}
        for field, value in values.items():
            setattr(meeting, field, value)
        calendar_changed = bool(changed & CALENDAR_FIELDS) and meeting.invitations_sent_at is not None
        if calendar_changed:
            meeting.sequence += 1
        meeting.save()
        if calendar_changed and meeting.status == Meeting.Status.PLANNED:
            _mailing(club=meeting.club, kind=Mailing.Kind.UPDATE, meeting=meeting)
    return meeting


def meeting_cancel(*, meeting: Meeting, actor: User) -> Meeting:
    club_require(user=actor, action=Action.MANAGE, club=meeting.club)
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().select_related("club").get(pk=meeting.pk)
        if meeting.status != Meeting.Status.PLANNED:
            raise ValidationError(_("Only a planned meeting can be cancelled."))
        meeting.status = Meeting.Status.CANCELLED
        meeting.sequence += 1
        meeting.save(update_fields=["status", "sequence", "updated_at"])
        if meeting.invitations_sent_at is not None:
            _mailing(club=meeting.club, kind=Mailing.Kind.CANCEL, meeting=meeting)
    return meeting


def meeting_mark_held(*, meeting: Meeting, actor: User) -> Meeting:
    club_require(user=actor, action=Action.RUN, club=meeting.club)
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
        if meeting.status == Meeting.Status.CANCELLED:
            raise ValidationError(_("This meeting was cancelled."))
        meeting.status = Meeting.Status.HELD
        meeting.save(update_fields=["status", "updated_at"])
    return meeting


def invitations_send(*, meeting: Meeting, actor: User) -> int:
    """Invite every active member not yet invited; returns how many were invited now.

    The emails (with the calendar file) are written by the mailing task, one per person and
    SEQUENCE: sending again after new members joined invites only them.
    """
    club_require(user=actor, action=Action.MANAGE, club=meeting.club)
    now = timezone.now()
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().select_related("club").get(pk=meeting.pk)
        if meeting.status != Meeting.Status.PLANNED:
            raise ValidationError(_("Invitations are sent for planned meetings only."))
        members = ClubMembership.objects.filter(club=meeting.club, status=ClubMembership.Status.ACTIVE)
        already = Invitation.objects.filter(meeting=meeting, invited_at__isnull=False).values("user_id")
        fresh = list(members.exclude(user_id__in=already).values_list("user_id", "organization_id"))
        # Someone marked present before being invited gets their invitation date now.
        Invitation.objects.filter(meeting=meeting, invited_at__isnull=True, user_id__in=[u for u, _o in fresh]).update(
            invited_at=now
        )
        Invitation.objects.bulk_create(
            [Invitation(meeting=meeting, user_id=u, organization_id=o, invited_at=now) for u, o in fresh],
            ignore_conflicts=True,
        )
        if meeting.invitations_sent_at is None:
            meeting.invitations_sent_at = now
            meeting.save(update_fields=["invitations_sent_at", "updated_at"])
        if fresh:
            _mailing(club=meeting.club, kind=Mailing.Kind.INVITATION, meeting=meeting)
    return len(fresh)


def rsvp_set(*, meeting: Meeting, user: User, rsvp: str, comment: str = "") -> Invitation:
    club_require(user=user, action=Action.RSVP, club=meeting.club)
    comment = _clean_text(comment)
    errors: dict = {}
    if rsvp not in (Invitation.Rsvp.YES, Invitation.Rsvp.NO, Invitation.Rsvp.MAYBE):
        errors["rsvp"] = _("Answer yes, no or maybe.")
    _check_length(errors, "comment", comment, COMMENT_MAX)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
        if meeting.status != Meeting.Status.PLANNED or meeting.ends_at <= timezone.now():
            raise ValidationError(_("This meeting is no longer open for answers."))
        invitation = Invitation.objects.filter(meeting=meeting, user=user, invited_at__isnull=False).first()
        if invitation is None:
            raise ValidationError(_("You have not been invited to this meeting yet."))
        invitation.rsvp, invitation.comment, invitation.responded_at = rsvp, comment, timezone.now()
        invitation.save(update_fields=["rsvp", "comment", "responded_at"])
    return invitation


def attendance_set(*, meeting: Meeting, actor: User, user: User, attended: bool) -> Invitation:
    """Mark someone present or absent; a member who came without an invitation or an answer is added."""
    club_require(user=actor, action=Action.RUN, club=meeting.club)
    if not ClubMembership.objects.filter(club=meeting.club, user=user, status=ClubMembership.Status.ACTIVE).exists():
        raise ValidationError({"user": _("Only the club's members can be marked present.")})
    with transaction.atomic():
        invitation, _created = Invitation.objects.select_for_update().get_or_create(
            meeting=meeting, user=user, defaults={"organization": user.organization}
        )
        invitation.attended = bool(attended)
        invitation.save(update_fields=["attended"])
    return invitation


# Agenda ---------------------------------------------------------------------------------------


def _topic_title(*, title: str, feedback: Feedback | None, roadmap_item: RoadmapItem | None) -> str:
    """The client-facing wording: the organizer's, or a public request's or item's public title.

    A private request or a private roadmap item never lends its title: the organizer writes a
    summary the club may read.
    """
    title = _clean(title)
    if title:
        return title
    if feedback is not None and feedback.visibility == Feedback.Visibility.PUBLIC:
        return feedback.title
    if roadmap_item is not None and roadmap_item.is_public and roadmap_item.public_title:
        return roadmap_item.public_title
    if feedback is not None or roadmap_item is not None:
        raise ValidationError(
            {
                "title": _(
                    "This is private: write a summary the club's members may read (they come from several companies)."
                )
            }
        )
    raise ValidationError({"title": _("Write the topic.")})


def agenda_add(
    *,
    meeting: Meeting,
    actor: User,
    title: str = "",
    notes: str = "",
    minutes_allotted: int = 10,
    feedback: Feedback | None = None,
    roadmap_item: RoadmapItem | None = None,
    action_item: ActionItem | None = None,
    origin: str = AgendaItem.Origin.MANUAL,
) -> AgendaItem:
    club_require(user=actor, action=Action.MANAGE, club=meeting.club)
    errors: dict = {}
    notes = _clean_text(notes)
    _check_length(errors, "notes", notes, TEXT_MAX)
    if origin not in AgendaItem.Origin.values:
        errors["origin"] = _("Choose a valid origin.")
    if not isinstance(minutes_allotted, int) or not 0 <= minutes_allotted <= 600:
        errors["minutes_allotted"] = _("Allot between 0 and 600 minutes.")
    if action_item is not None and action_item.club_id != meeting.club_id:
        errors["action_item"] = _("This action item belongs to another club.")
    if feedback is not None and feedback.status == Feedback.Status.MERGED:
        errors["feedback"] = _("This request was merged: put the request it was merged into on the agenda.")
    if errors:
        raise ValidationError(errors)
    if action_item is not None and not title:
        title = action_item.title
    title = _topic_title(title=title, feedback=feedback, roadmap_item=roadmap_item)
    errors = {}
    _check_length(errors, "title", title, TITLE_MAX)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
        if meeting.status == Meeting.Status.CANCELLED:
            raise ValidationError(_("This meeting was cancelled."))
        position = (meeting.agenda.aggregate(m=Max("position"))["m"] or 0) + 1
        return AgendaItem.objects.create(
            meeting=meeting,
            position=position,
            title=title,
            notes=notes,
            minutes_allotted=minutes_allotted,
            feedback=feedback,
            roadmap_item=roadmap_item,
            action_item=action_item,
            origin=origin,
        )


def agenda_update(*, topic: AgendaItem, actor: User, **fields) -> AgendaItem:
    club_require(user=actor, action=Action.MANAGE, club=topic.meeting.club)
    unknown = set(fields) - {"title", "notes", "minutes_allotted"}
    if unknown:
        raise ValidationError({name: _("This field cannot be changed.") for name in sorted(unknown)})
    errors: dict = {}
    if "title" in fields:
        fields["title"] = _topic_title(title=fields["title"], feedback=topic.feedback, roadmap_item=topic.roadmap_item)
        _check_length(errors, "title", fields["title"], TITLE_MAX)
    if "notes" in fields:
        fields["notes"] = _clean_text(fields["notes"])
        _check_length(errors, "notes", fields["notes"], TEXT_MAX)
    if "minutes_allotted" in fields and (
        not isinstance(fields["minutes_allotted"], int) or not 0 <= fields["minutes_allotted"] <= 600
    ):
        errors["minutes_allotted"] = _("Allot between 0 and 600 minutes.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        AgendaItem.objects.filter(pk=topic.pk).update(**fields)
    topic.refresh_from_db()
    return topic


def agenda_remove(*, topic: AgendaItem, actor: User) -> None:
    club_require(user=actor, action=Action.MANAGE, club=topic.meeting.club)
    with transaction.atomic():
        if BallotPoints.objects.filter(topic=topic).exists():
            raise ValidationError(_("Points were given to this topic in a vote: it stays on the agenda."))
        topic.delete()


def agenda_move(*, topic: AgendaItem, actor: User, direction: str) -> None:
    """Swap a topic with its neighbour ("up" or "down")."""
    club_require(user=actor, action=Action.MANAGE, club=topic.meeting.club)
    if direction not in ("up", "down"):
        raise ValidationError({"direction": _("Move a topic up or down.")})
    with transaction.atomic():
        Meeting.objects.select_for_update().get(pk=topic.meeting_id)
        topics = list(AgendaItem.objects.filter(meeting_id=topic.meeting_id).order_by("position", "id"))
        index = next(i for i, t in enumerate(topics) if t.pk == topic.pk)
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(topics):
            topics[index], topics[other] = topics[other], topics[index]
        for position, item in enumerate(topics, start=1):
            if item.position != position:
                AgendaItem.objects.filter(pk=item.pk).update(position=position)


# Votes ----------------------------------------------------------------------------------------


def vote_create(*, meeting: Meeting, actor: User, title: str, budget: int, topics: list[AgendaItem]) -> MeetingVote:
    club_require(user=actor, action=Action.RUN, club=meeting.club)
    title = _clean(title)
    errors: dict = {}
    if len(title) < 2:
        errors["title"] = _("Write the question.")
    _check_length(errors, "title", title, TITLE_MAX)
    if not isinstance(budget, int) or not 1 <= budget <= 100:
        errors["budget"] = _("Give each attendee between 1 and 100 points.")
    if len(topics) < 2:
        errors["topics"] = _("Choose at least two topics of the agenda.")
    elif any(t.meeting_id != meeting.pk for t in topics):
        errors["topics"] = _("Choose topics of this meeting's agenda.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if Meeting.objects.select_for_update().get(pk=meeting.pk).status == Meeting.Status.CANCELLED:
            raise ValidationError(_("This meeting was cancelled."))
        vote = MeetingVote.objects.create(meeting=meeting, title=title, budget=budget, created_by=actor)
        vote.topics.set(topics)
    return vote


def vote_open(*, vote: MeetingVote, actor: User) -> MeetingVote:
    club_require(user=actor, action=Action.RUN, club=vote.meeting.club)
    with transaction.atomic():
        vote = MeetingVote.objects.select_for_update().get(pk=vote.pk)
        if vote.status != MeetingVote.Status.DRAFT:
            raise ValidationError(_("This vote was already opened."))
        MeetingVote.objects.filter(pk=vote.pk).update(status=MeetingVote.Status.OPEN, opened_at=timezone.now())
    vote.refresh_from_db()
    return vote


def _lock_vote_shared(vote_id: int) -> MeetingVote:
    """FOR SHARE: ballots go in side by side, while closing (FOR UPDATE) waits for them and they for it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM clubs_meetingvote WHERE id = %s FOR SHARE", [vote_id])
    return MeetingVote.objects.select_related("meeting__club").get(pk=vote_id)


def ballot_cast(*, vote: MeetingVote, user: User, points: dict[int, int]) -> Ballot:
    """An attendee spreads at most the vote's budget over its topics, once, while it is open.

    Topics linked to a request add (or raise the importance of) the attendee's vote on it, with
    provenance "club meeting" — when the attendee may see the request.
    """
    club_require(user=user, action=Action.VOTE, club=vote.meeting.club)
    cleaned: dict[int, int] = {}
    for topic_id, value in (points or {}).items():
        try:
            topic_id, value = int(topic_id), int(value)
        except (TypeError, ValueError, OverflowError) as exc:
            raise ValidationError({"points": _("Give whole numbers of points.")}) from exc
        if value < 0:
            raise ValidationError({"points": _("Points cannot be negative.")})
        if value:
            cleaned[topic_id] = value
    with transaction.atomic():
        vote = _lock_vote_shared(vote.pk)
        if vote.status != MeetingVote.Status.OPEN:
            raise ValidationError(
                _("This vote is closed.") if vote.status == "closed" else _("This vote is not open yet.")
            )
        if not Invitation.objects.filter(meeting_id=vote.meeting_id, user=user, attended=True).exists():
            raise ValidationError(
                _("Only the people present at the meeting vote: ask the organizer to mark you present.")
            )
        topics = {t.pk: t for t in vote.topics.select_related("feedback")}
        if set(cleaned) - set(topics):
            raise ValidationError({"points": _("Give points to this vote's topics only.")})
        total = sum(cleaned.values())
        if total == 0:
            raise ValidationError({"points": _("Give at least one point.")})
        if total > vote.budget:
            raise ValidationError(
                {
                    "points": ngettext(
                        "You have %(budget)s point and gave %(total)s.",
                        "You have %(budget)s points and gave %(total)s.",
                        vote.budget,
                    )
                    % {"budget": vote.budget, "total": total}
                }
            )
        try:
            with transaction.atomic():
                ballot = Ballot.objects.create(vote=vote, user=user, organization=user.organization, total=total)
        except IntegrityError as exc:
            raise ValidationError(_("You have already voted.")) from exc
        BallotPoints.objects.bulk_create(
            [BallotPoints(ballot=ballot, vote=vote, topic_id=t, points=p) for t, p in sorted(cleaned.items())]
        )
        for topic_id, value in sorted(cleaned.items(), key=lambda kv: topics[kv[0]].feedback_id or 0):
            request = topics[topic_id].feedback
            if request is not None:
                _meeting_vote_on_request(request=request, user=user, importance=_importance_for(value, vote.budget))
    return ballot


def _importance_for(points: int, budget: int) -> str:
    """Half the budget or more on one topic: critical; any point: important."""
    return Feedback.Importance.CRITICAL if points * 2 >= budget else Feedback.Importance.IMPORTANT


def _meeting_vote_on_request(*, request: Feedback, user: User, importance: str) -> None:
    if request.status == Feedback.Status.MERGED or not feedback_is_visible_to(user=user, feedback=request):
        return  # points still count in the tally; the request itself is not theirs to vote on
    existing = Vote.objects.filter(feedback=request, user=user).values_list("importance", flat=True).first()
    if existing and IMPORTANCE_ORDER.index(existing) >= IMPORTANCE_ORDER.index(importance):
        return  # never lower an importance the client gave
    # An existing vote keeps its provenance (vote_cast only raises its importance): one cast by
    # staff on the client's behalf is not re-authorized as if staff were casting it again.
    feedback_services.vote_cast(feedback=request, user=user, importance=importance, provenance=Vote.Provenance.MEETING)


def vote_tally(*, vote: MeetingVote) -> list[dict]:
    """Points per topic (live while open, the stored results once closed), highest first."""
    if vote.status == MeetingVote.Status.CLOSED:
        rows = VoteResult.objects.filter(vote=vote).values("topic_id").annotate(total=Sum("points"), n=Sum("voters"))
    else:
        rows = BallotPoints.objects.filter(vote=vote).values("topic_id").annotate(total=Sum("points"), n=Count("id"))
    by_topic = {r["topic_id"]: (r["total"] or 0, r["n"] or 0) for r in rows}
    topics = list(vote.topics.order_by("position", "id"))
    tally = [
        {"topic": t, "points": by_topic.get(t.pk, (0, 0))[0], "voters": by_topic.get(t.pk, (0, 0))[1]} for t in topics
    ]
    return sorted(tally, key=lambda row: (-row["points"], row["topic"].position, row["topic"].pk))


def vote_close(*, vote: MeetingVote, actor: User) -> MeetingVote:
    """Close the vote, store the results per topic and organization, and feed the roadmap's club priority."""
    club_require(user=actor, action=Action.RUN, club=vote.meeting.club)
    with transaction.atomic():
        vote = MeetingVote.objects.select_for_update().get(pk=vote.pk)
        if vote.status != MeetingVote.Status.OPEN:
            raise ValidationError(_("Only an open vote can be closed."))
        rows = (
            BallotPoints.objects.filter(vote=vote)
            .values("topic_id", "ballot__organization_id")
            .annotate(total=Sum("points"), n=Count("ballot_id"))
        )
        VoteResult.objects.bulk_create(
            [
                VoteResult(
                    vote=vote,
                    topic_id=r["topic_id"],
                    organization_id=r["ballot__organization_id"],
                    points=r["total"],
                    voters=r["n"],
                )
                for r in rows
            ]
        )
        MeetingVote.objects.filter(pk=vote.pk).update(
            status=MeetingVote.Status.CLOSED, closed_at=timezone.now(), ballot_count=vote.ballots.count()
        )
        club_priority_refresh(topic_ids=list(vote.topics.values_list("pk", flat=True)))
    vote.refresh_from_db()
    return vote


def club_priority_refresh(*, topic_ids: list[int] | None = None, item_ids: list[int] | None = None) -> None:
    """A roadmap item's club priority: every closed vote's points on topics about it, directly or
    through one of its requests. Recomputed from the stored results (exact, idempotent)."""
    item_ids = set(item_ids or [])
    if topic_ids:
        topics = AgendaItem.objects.filter(pk__in=topic_ids)
        item_ids |= set(topics.exclude(roadmap_item=None).values_list("roadmap_item_id", flat=True))
        item_ids |= set(
            topics.filter(feedback__roadmap_link__isnull=False).values_list(
                "feedback__roadmap_link__item_id", flat=True
            )
        )
    priorities = {}
    for item_id in sorted(item_ids):
        total = VoteResult.objects.filter(
            Q(topic__roadmap_item_id=item_id) | Q(topic__feedback__roadmap_link__item_id=item_id)
        ).aggregate(t=Sum("points"))["t"]
        priorities[item_id] = total or 0
    roadmap_services.item_set_club_priority(priorities=priorities)


# Minutes, action items, captured requests ---------------------------------------------------


def minutes_save(*, meeting: Meeting, actor: User, body: str, publish: bool = False) -> Minutes:
    """Write the minutes; publishing shows them to the members and emails the attendees (once)."""
    club_require(user=actor, action=Action.RUN, club=meeting.club)
    body = _clean_text(body)
    errors: dict = {}
    _check_length(errors, "body", body, 100_000)
    if publish and not body:
        errors["body"] = _("Write the minutes before publishing them.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().select_related("club").get(pk=meeting.pk)
        if publish and meeting.status == Meeting.Status.CANCELLED:
            raise ValidationError(_("This meeting was cancelled."))
        minutes, _created = Minutes.objects.select_for_update().get_or_create(meeting=meeting)
        minutes.body, minutes.written_by = body, actor
        first_publication = publish and minutes.published_at is None
        if first_publication:
            minutes.published_at = timezone.now()
            if meeting.status == Meeting.Status.PLANNED:
                meeting.status = Meeting.Status.HELD
                meeting.save(update_fields=["status", "updated_at"])
        minutes.save()
        if first_publication:
            _mailing(club=meeting.club, kind=Mailing.Kind.MINUTES, meeting=meeting)
    return minutes


def _validate_action(values: dict, club: Club) -> dict:
    errors: dict = {}
    if "title" in values:
        values["title"] = _clean(values["title"])
        if len(values["title"]) < 2:
            errors["title"] = _("Say what is to be done.")
        _check_length(errors, "title", values["title"], 300)
    if "status" in values and values["status"] not in ActionItem.Status.values:
        errors["status"] = _("Choose a valid status.")
    if "due_date" in values and values["due_date"] is not None and not isinstance(values["due_date"], date):
        errors["due_date"] = _("Enter a valid date.")
    owner = values.get("owner")
    if owner is not None and not (
        owner.is_staff_member
        or ClubMembership.objects.filter(club=club, user=owner, status=ClubMembership.Status.ACTIVE).exists()
    ):
        errors["owner"] = _("The owner is a member of the staff or of the club.")
    if errors:
        raise ValidationError(errors)
    return values


def action_item_create(*, club: Club, actor: User, title: str, meeting: Meeting | None = None, **fields) -> ActionItem:
    club_require(user=actor, action=Action.RUN, club=club)
    unknown = set(fields) - {"owner", "due_date", "feedback", "roadmap_item"}
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in sorted(unknown)})
    if meeting is not None and meeting.club_id != club.pk:
        raise ValidationError({"meeting": _("This meeting belongs to another club.")})
    values = _validate_action({"title": title, **fields}, club)
    with transaction.atomic():
        return ActionItem.objects.create(club=club, meeting=meeting, created_by=actor, **values)


def action_item_update(*, action_item: ActionItem, actor: User, **fields) -> ActionItem:
    club_require(user=actor, action=Action.RUN, club=action_item.club)
    unknown = set(fields) - {"title", "owner", "due_date", "status", "feedback", "roadmap_item"}
    if unknown:
        raise ValidationError({name: _("This field cannot be changed.") for name in sorted(unknown)})
    values = _validate_action(dict(fields), action_item.club)
    with transaction.atomic():
        action_item = ActionItem.objects.select_for_update().get(pk=action_item.pk)
        was_open = action_item.status == ActionItem.Status.OPEN
        for field, value in values.items():
            setattr(action_item, field, value)
        if was_open and action_item.status != ActionItem.Status.OPEN:
            action_item.closed_at = timezone.now()
        elif action_item.status == ActionItem.Status.OPEN:
            action_item.closed_at = None
        action_item.save()
    return action_item


def request_capture(
    *, meeting: Meeting, actor: User, author: User, title: str, description: str = "", **fields
) -> Feedback:
    """A request raised during the meeting: ordinary feedback, source "club meeting", in the name
    of the member who raised it, logged by the organizer."""
    club_require(user=actor, action=Action.RUN, club=meeting.club)
    if (
        author.organization is None
        or not ClubMembership.objects.filter(
            club=meeting.club, user=author, status=ClubMembership.Status.ACTIVE
        ).exists()
    ):
        raise ValidationError({"author": _("Choose the club member (a client user) who raised it.")})
    unknown = set(fields) - {"kind", "product_area", "importance", "visibility"}
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in sorted(unknown)})
    if fields.get("product_area") is not None and not isinstance(fields["product_area"], ProductArea):
        raise ValidationError({"product_area": _("Choose a valid product area.")})
    with transaction.atomic():
        feedback = feedback_services.feedback_submit(
            author=author,
            organization=author.organization,
            title=title,
            description=description,
            source=Feedback.Source.CLUB,
            submitted_by=actor,
            language=meeting.club.language,
            **fields,
        )
        CapturedRequest.objects.create(meeting=meeting, feedback=feedback, captured_by=actor)
    return feedback


# Emails ---------------------------------------------------------------------------------------


def _mailing(*, club: Club, kind: str, meeting: Meeting | None = None, membership: ClubMembership | None = None):
    """Record what must be emailed, in the caller's transaction; the task writes the emails."""
    mailing, _created = Mailing.objects.get_or_create(
        kind=kind,
        meeting=meeting,
        membership=membership,
        sequence=meeting.sequence if meeting else 0,
        defaults={"club": club},
    )
    if mailing.done_at is not None:  # sending invitations again to newcomers reopens the ledger line
        Mailing.objects.filter(pk=mailing.pk).update(done_at=None)
    enqueue_on_commit(MAILING_TASK, mailing.pk)
    return mailing


def reminders_due_ids(*, now=None) -> list[int]:
    """Invitations answered "yes" to planned meetings starting within a day, not reminded yet."""
    now = now or timezone.now()
    return list(
        Invitation.objects.filter(
            rsvp=Invitation.Rsvp.YES,
            reminded_at__isnull=True,
            meeting__status=Meeting.Status.PLANNED,
            meeting__starts_at__gt=now,
            meeting__starts_at__lte=now + timezone.timedelta(days=1),
        ).values_list("pk", flat=True)[:1000]
    )


def is_club_organizer(*, user: User, club: Club) -> bool:
    return is_organizer(user=user, club=club)
