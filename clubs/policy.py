"""The access policy for clubs, on the model of feedback.policy and roadmap.policy.

Seeing: staff see every club. A client user sees the clubs they are an active member of, their
meetings, agendas,
published minutes and action items; of an open club they are not in, only its name and
description, to ask to join. Anything else answers 404.

Within a club, members see each other's names and companies. What a member reads of a linked
request or roadmap item is decided by feedback.policy / roadmap.policy: an agenda topic about a
request another company keeps private shows the organizer's summary and no link.

Doing: product owners manage every club; a contributor manages the clubs they organize and reads
the others. Members answer invitations, vote while a vote is open if they attend, and read.
"""

from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import User
from clubs.models import ActionItem, AgendaItem, Club, ClubMembership, Meeting
from core.lookups import object_or_404
from feedback.policy import feedback_is_visible_to
from roadmap.policy import item_is_visible_to, item_title_for


class Action(StrEnum):
    VIEW = "view"  # read the club, its members, meetings, agendas, minutes
    MANAGE = "manage"  # edit the club and its members, plan meetings, build agendas, send emails
    RUN = "run"  # the meeting day: attendance, votes, minutes, captured requests, action items
    RSVP = "rsvp"  # answer an invitation (members)
    VOTE = "vote"  # spend points in an open vote (attending members)


def _active_member_clubs(user: User):
    return ClubMembership.objects.filter(user=user, status=ClubMembership.Status.ACTIVE).values("club_id")


def club_visible_q(*, user: User) -> Q:
    if not user.is_authenticated:
        return Q(pk__in=[])
    if user.is_staff_member:
        return Q()
    if user.organization is None:
        return Q(pk__in=[])
    return Q(pk__in=_active_member_clubs(user))


def club_get_visible_to(*, user: User, pk) -> Club:
    return object_or_404(Club.objects.filter(club_visible_q(user=user)), pk)


def club_joinable_q(*, user: User) -> Q:
    """Open clubs a client user may ask to join (name and description only)."""
    if not user.is_authenticated or user.is_staff_member or user.organization is None:
        return Q(pk__in=[])
    return Q(visibility=Club.Visibility.OPEN, is_archived=False) & ~Q(pk__in=_active_member_clubs(user))


def club_get_joinable(*, user: User, pk) -> Club:
    return object_or_404(Club.objects.filter(club_joinable_q(user=user)), pk)


def meeting_visible_q(*, user: User) -> Q:
    if not user.is_authenticated:
        return Q(pk__in=[])
    if user.is_staff_member:
        return Q()
    if user.organization is None:
        return Q(pk__in=[])
    return Q(club__in=_active_member_clubs(user))


def meeting_get_visible_to(*, user: User, pk) -> Meeting:
    return object_or_404(Meeting.objects.select_related("club").filter(meeting_visible_q(user=user)), pk)


def action_item_visible_q(*, user: User) -> Q:
    if not user.is_authenticated:
        return Q(pk__in=[])
    if user.is_staff_member:
        return Q()
    if user.organization is None:
        return Q(pk__in=[])
    return Q(club__in=_active_member_clubs(user))


def action_item_get_visible_to(*, user: User, pk) -> ActionItem:
    return object_or_404(ActionItem.objects.filter(action_item_visible_q(user=user)), pk)


def is_organizer(*, user: User, club: Club) -> bool:
    if not (user.is_authenticated and user.is_staff_member):
        return False
    if user.is_product_owner or user.is_superuser:
        return True
    return club.organizers.filter(pk=user.pk).exists()


def club_may(*, user: User, action: Action, club: Club) -> bool:
    if not user.is_authenticated:
        return False
    if action in (Action.MANAGE, Action.RUN):
        return is_organizer(user=user, club=club)
    if action == Action.VIEW:
        return (
            user.is_staff_member
            or ClubMembership.objects.filter(club=club, user=user, status=ClubMembership.Status.ACTIVE).exists()
        )
    # RSVP and VOTE are a client member's own acts.
    return (
        not user.is_staff_member
        and ClubMembership.objects.filter(club=club, user=user, status=ClubMembership.Status.ACTIVE).exists()
    )


def club_require(*, user: User, action: Action, club: Club) -> None:
    if not club_may(user=user, action=action, club=club):
        if action in (Action.MANAGE, Action.RUN):
            raise PermissionDenied(_("Only the club's organizers and product owners can do this."))
        raise PermissionDenied(_("Only the club's members can do this."))


def club_actions_for(*, user: User, club: Club) -> frozenset[str]:
    if is_organizer(user=user, club=club):
        return frozenset({Action.VIEW, Action.MANAGE, Action.RUN})
    return frozenset(str(a) for a in Action if club_may(user=user, action=a, club=club))


# What a member reads of a linked request or roadmap item ---------------------------------------


def topic_link_for(*, user: User, topic: AgendaItem | ActionItem) -> dict | None:
    """The linked request or roadmap item this user may open, as {"kind", "pk", "title"}; else None.

    The topic's own title is always the organizer's wording; this only decides whether a link (and,
    for staff, the internal title) is shown.
    """
    if topic.feedback_id and feedback_is_visible_to(user=user, feedback=topic.feedback):
        return {"kind": "feedback", "pk": topic.feedback_id, "title": topic.feedback.title}
    if topic.roadmap_item_id and item_is_visible_to(user=user, item=topic.roadmap_item):
        return {
            "kind": "roadmap",
            "pk": topic.roadmap_item_id,
            "title": item_title_for(user=user, item=topic.roadmap_item),
        }
    return None


def members_visible_to(*, user: User, club: Club):
    """Names and companies of a club's members: for its own members and staff only."""
    if not club_may(user=user, action=Action.VIEW, club=club):
        return ClubMembership.objects.none()
    return (
        ClubMembership.objects.filter(club=club, status=ClubMembership.Status.ACTIVE)
        .select_related("user", "organization")
        .order_by("organization__name", "user__name", "id")
    )
