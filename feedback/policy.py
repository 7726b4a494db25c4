"""The one access policy for feedback: who may see which request and what hangs off it, and who
may do what. Pages, the API, services, tasks and email builders ask here and never re-decide.

Seeing: staff see everything. A client user sees their company's requests ("private" means private
to the company) and public ones. What hangs off a request is narrower for other companies: they
never see its attachments, internal notes, internal events, staff-only tags, or which company asked.
Anything not visible answers 404, exactly like something that does not exist.

Doing: each action is declared once with the staff roles allowed to do it (`FEEDBACK_ACTIONS`);
views and API classes name the action, `feedback_require` decides.
"""

from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Organization, User
from core.lookups import object_or_404
from feedback.models import Attachment, Comment, Feedback, FeedbackEvent, Tag


class Action(StrEnum):
    TRIAGE = "triage"  # read the inbox and every request
    DECIDE = "decide"  # change the status
    MERGE = "merge"
    ASSIGN = "assign"
    SET_AREA = "area"
    SET_TAGS = "tags"
    SNOOZE = "snooze"
    NOTE = "note"  # internal note
    REPLY = "reply"  # public reply to the clients
    VOTE_ON_BEHALF = "vote_on_behalf"
    LOG_ON_BEHALF = "log_on_behalf"


_PO = frozenset({User.StaffRole.PRODUCT_OWNER})
_STAFF = frozenset({User.StaffRole.PRODUCT_OWNER, User.StaffRole.CONTRIBUTOR})

# Contributors (sales, support, R&D) log requests and votes for clients, write internal notes and
# keep the triage fields tidy; deciding, merging and speaking to the clients are the product owner's.
FEEDBACK_ACTIONS: dict[Action, frozenset[str]] = {
    Action.TRIAGE: _STAFF,
    Action.DECIDE: _PO,
    Action.MERGE: _PO,
    Action.ASSIGN: _STAFF,
    Action.SET_AREA: _STAFF,
    Action.SET_TAGS: _STAFF,
    Action.SNOOZE: _STAFF,
    Action.NOTE: _STAFF,
    Action.REPLY: _PO,
    Action.VOTE_ON_BEHALF: _STAFF,
    Action.LOG_ON_BEHALF: _STAFF,
}
# Nothing is decided or discussed on a merged request: it lives on in the request it was merged into.
_CLOSED_ON_MERGE = frozenset({Action.DECIDE, Action.MERGE, Action.NOTE, Action.REPLY, Action.VOTE_ON_BEHALF})

# Lazy: translated when refused, in the reader's language (not at import, always in English).
_REFUSALS = {
    Action.DECIDE: gettext_lazy("Only product owners can decide on requests."),
    Action.MERGE: gettext_lazy("Only product owners can merge requests."),
    Action.REPLY: gettext_lazy("Only product owners reply to the clients; write an internal note instead."),
}


def feedback_may(*, user: User, action: Action, feedback: Feedback | None = None) -> bool:
    if not user.is_authenticated or user.staff_role not in FEEDBACK_ACTIONS[action]:
        return False
    return not (feedback is not None and feedback.status == Feedback.Status.MERGED and action in _CLOSED_ON_MERGE)


def feedback_require(*, user: User, action: Action, feedback: Feedback | None = None) -> None:
    """Raises PermissionDenied (403 for staff, who know the request exists) with a translated reason."""
    if feedback_may(user=user, action=action, feedback=feedback):
        return
    if feedback is not None and feedback.status == Feedback.Status.MERGED and action in _CLOSED_ON_MERGE:
        raise PermissionDenied(_("This request was merged: act on the request it was merged into."))
    raise PermissionDenied(str(_REFUSALS.get(action, _("You are not allowed to do this."))))


def feedback_actions_for(*, user: User, feedback: Feedback | None = None) -> frozenset[str]:
    """The actions a page may offer this user (templates show only these controls)."""
    return frozenset(str(a) for a in Action if feedback_may(user=user, action=a, feedback=feedback))


# Seeing -------------------------------------------------------------------------------------


def feedback_visible_q(*, user: User) -> Q:
    """Staff: everything. A client user: their company's requests and public ones. Anyone else: nothing."""
    if not user.is_authenticated:
        return Q(pk__in=[])
    if user.is_staff_member:
        return Q()
    organization = user.organization
    if organization is None:
        return Q(pk__in=[])
    return Q(organization_id=organization.pk) | Q(visibility=Feedback.Visibility.PUBLIC)


def feedback_is_visible_to(*, user: User, feedback: Feedback) -> bool:
    if not user.is_active:
        return False
    if user.is_staff_member:
        return True
    organization = user.organization
    if organization is None:
        return False
    return feedback.organization_id == organization.pk or feedback.visibility == Feedback.Visibility.PUBLIC


def feedback_get_visible_to(*, user: User, pk) -> Feedback:
    queryset = Feedback.objects.filter(feedback_visible_q(user=user)).select_related(
        "organization", "author", "product_area", "assignee", "merged_into", "submitted_by"
    )
    return object_or_404(queryset, pk)


def feedback_audience(*, feedback: Feedback, users) -> list[User]:
    """Of `users`, those who may see `feedback` (a fan-out never reaches anyone else)."""
    return [u for u in users if feedback_is_visible_to(user=u, feedback=feedback)]


def feedback_is_own_company(*, user: User, feedback: Feedback) -> bool:
    """Staff, or a user of the company that asked."""
    if user.is_staff_member:
        return True
    organization = user.organization
    return organization is not None and feedback.organization_id == organization.pk


def organization_shown_to(*, user: User, feedback: Feedback) -> Organization | None:
    """Which company asked: staff and the company itself know; other companies never do."""
    return feedback.organization if feedback_is_own_company(user=user, feedback=feedback) else None


def person_name_shown_to(*, user: User, person: User | None) -> str:
    """A person's name as `user` may read it. Staff and the person's colleagues see the name, or the
    address when there is none; another company never sees an address (a client wrote without a
    name on a public request: "A client")."""
    if person is None:
        return ""
    if user.is_staff_member or (person.organization is not None and person.organization == user.organization):
        return person.get_full_name()
    if person.is_staff_member:
        return person.name or _("Team")
    return person.name or _("A client")


def comments_visible_to(*, user: User, feedback: Feedback) -> QuerySet[Comment]:
    comments = (
        Comment.objects.filter(feedback=feedback)
        .select_related("author__client_membership__organization")  # person_name_shown_to reads it
        .order_by("created_at", "id")
    )
    return comments if user.is_staff_member else comments.filter(is_internal=False)


def events_visible_to(*, user: User, feedback: Feedback) -> QuerySet[FeedbackEvent]:
    events = (
        FeedbackEvent.objects.filter(feedback=feedback)
        .select_related("actor__client_membership__organization")  # person_name_shown_to reads it
        .order_by("created_at", "id")
    )
    return events if user.is_staff_member else events.filter(is_public=True)


def tag_visible_q(*, user: User) -> Q:
    """Staff see every tag; clients only tags marked public."""
    return Q() if user.is_staff_member else Q(is_public=True)


def tags_visible_to(*, user: User, feedback: Feedback) -> list[Tag]:
    """From the prefetched tags when there are any, so lists stay at one query."""
    tags = feedback.tags.all()
    return list(tags) if user.is_staff_member else [t for t in tags if t.is_public]


def attachments_visible_to(*, user: User, feedback: Feedback) -> QuerySet[Attachment]:
    """Screenshots carry client data: the requesting company and staff only."""
    if feedback_is_own_company(user=user, feedback=feedback):
        return feedback.attachments.all()
    return Attachment.objects.none()


def attachment_get_visible_to(*, user: User, pk) -> Attachment:
    attachment = object_or_404(Attachment.objects.select_related("feedback"), pk)
    if not user.is_authenticated or not feedback_is_own_company(user=user, feedback=attachment.feedback):
        raise Http404
    if not feedback_is_visible_to(user=user, feedback=attachment.feedback):
        raise Http404
    return attachment
