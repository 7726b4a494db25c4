"""The access policy for the roadmap, on the model of feedback.policy: who sees which item, release and
decision, in which wording, and who may do what. Pages, the API and tasks ask here.

Seeing: staff see everything. A client user sees public items only, and only their client-facing
title and text, never which organizations asked; published releases only; and, of the decisions,
only those on requests they may see, with their public message (never the internal rationale).
"""

from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import User
from core.lookups import object_or_404
from feedback.models import Feedback
from feedback.policy import feedback_is_visible_to, feedback_visible_q
from roadmap.models import Decision, Release, RoadmapItem


class Action(StrEnum):
    VIEW = "view"  # the staff roadmap, item pages, the decision log
    EDIT = "edit"  # create and edit items, move them on the board
    LINK = "link"  # link and unlink requests
    DECIDE = "decide"  # record decisions and outcomes
    RELEASE = "release"  # write and publish releases


_PO = frozenset({User.StaffRole.PRODUCT_OWNER})
_STAFF = frozenset({User.StaffRole.PRODUCT_OWNER, User.StaffRole.CONTRIBUTOR})

# Contributors read the roadmap and link the requests they log; the roadmap itself is decided by
# the product owners ("cannot decide roadmap matters", DESIGN.md).
ROADMAP_ACTIONS: dict[Action, frozenset[str]] = {
    Action.VIEW: _STAFF,
    Action.EDIT: _PO,
    Action.LINK: _STAFF,
    Action.DECIDE: _PO,
    Action.RELEASE: _PO,
}


def roadmap_may(*, user: User, action: Action) -> bool:
    return bool(user.is_authenticated and user.staff_role in ROADMAP_ACTIONS[action])


def roadmap_require(*, user: User, action: Action) -> None:
    if not roadmap_may(user=user, action=action):
        raise PermissionDenied(_("Only product owners decide roadmap matters."))


def roadmap_actions_for(*, user: User) -> frozenset[str]:
    return frozenset(str(a) for a in Action if roadmap_may(user=user, action=a))


def item_visible_q(*, user: User) -> Q:
    if not user.is_authenticated:
        return Q(pk__in=[])
    if user.is_staff_member:
        return Q()
    if user.organization is None:
        return Q(pk__in=[])
    return Q(is_public=True)


def item_get_visible_to(*, user: User, pk) -> RoadmapItem:
    return object_or_404(RoadmapItem.objects.filter(item_visible_q(user=user)), pk)


def item_is_visible_to(*, user: User, item: RoadmapItem) -> bool:
    if user.is_staff_member:
        return True
    return user.organization is not None and item.is_public


def item_title_for(*, user: User, item: RoadmapItem) -> str:
    """The wording this user may read: the internal title for staff, the public one for clients."""
    if user.is_staff_member:
        return item.title
    return item.public_title if item.is_public else ""  # never the internal title, even if left empty


def item_text_for(*, user: User, item: RoadmapItem) -> str:
    return item.description if user.is_staff_member else (item.public_text if item.is_public else "")


def release_visible_q(*, user: User) -> Q:
    if user.is_authenticated and user.is_staff_member:
        return Q()
    return Q(status=Release.Status.PUBLISHED)


def release_get_visible_to(*, user: User, pk) -> Release:
    return object_or_404(Release.objects.filter(release_visible_q(user=user)), pk)


def decision_visible_q(*, user: User) -> Q:
    """Staff: every decision. Clients: decisions on requests they may see, or on public items."""
    if not user.is_authenticated:
        return Q(pk__in=[])
    if user.is_staff_member:
        return Q()
    if user.organization is None:
        return Q(pk__in=[])
    visible_requests = Feedback.objects.filter(feedback_visible_q(user=user)).values("pk")
    return Q(feedback__in=visible_requests) | Q(item__is_public=True, feedback__isnull=True)


def decision_get_visible_to(*, user: User, pk) -> Decision:
    return object_or_404(Decision.objects.filter(decision_visible_q(user=user)), pk)


def main_request_for_me_too(*, user: User, item: RoadmapItem) -> Feedback | None:
    """The request a client's "me too" on the public roadmap votes for, if they may see it."""
    request = item.main_request
    if request is None or request.status == Feedback.Status.MERGED:
        return None
    return request if feedback_is_visible_to(user=user, feedback=request) else None
