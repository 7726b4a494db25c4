"""Votes and follows."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from feedback import extensions
from feedback.models import (
    Feedback,
    Follow,
    Vote,
)
from feedback.policy import Action, feedback_is_visible_to, feedback_require
from feedback.services._common import _lock, feedback_recount


def vote_cast(
    *,
    feedback: Feedback,
    user: User,
    importance: str = Feedback.Importance.IMPORTANT,
    provenance: str = Vote.Provenance.DIRECT,
    cast_by: User | None = None,
) -> Vote:
    """One vote per user; voting again changes the importance."""
    if user.organization is None:
        raise ValidationError(_("Only client users can vote: staff vote on behalf of a client."))
    if importance not in Feedback.Importance.values:
        raise ValidationError({"importance": _("Choose a valid importance.")})
    if provenance == Vote.Provenance.ON_BEHALF:
        if cast_by is None:
            raise PermissionDenied
        feedback_require(user=cast_by, action=Action.VOTE_ON_BEHALF, feedback=feedback)
    if not feedback_is_visible_to(user=user, feedback=feedback):
        # On behalf: a client may only be counted on a request they can see (a private request of
        # another company would reach them by email). Directly: the request does not exist for them.
        if cast_by is not None:
            raise ValidationError(
                {"user": _("This client cannot see this request (it is private to another company).")}
            )
        raise PermissionDenied
    with transaction.atomic():
        feedback = _lock(feedback)
        if feedback.status == Feedback.Status.MERGED:
            raise ValidationError(_("This request was merged: vote on the request it was merged into."))
        vote, created = Vote.objects.get_or_create(
            feedback=feedback,
            user=user,
            defaults={
                "organization": user.organization,
                "importance": importance,
                "provenance": provenance,
                "cast_by": cast_by,
            },
        )
        if not created and vote.importance != importance:
            vote.importance = importance
            vote.save(update_fields=["importance"])
            extensions.demand_changed(feedback_id=feedback.pk)  # votes by importance changed
        if created:
            feedback_recount(feedback_id=feedback.pk)
            Follow.objects.get_or_create(feedback=feedback, user=user)  # voting subscribes, as in peer tools
    return vote


def vote_remove(*, feedback: Feedback, user: User) -> None:
    with transaction.atomic():
        feedback = _lock(feedback)
        deleted, _detail = Vote.objects.filter(feedback=feedback, user=user).delete()
        if deleted:
            feedback_recount(feedback_id=feedback.pk)


def follow_set(*, feedback: Feedback, user: User, following: bool) -> None:
    if following and not feedback_is_visible_to(user=user, feedback=feedback):
        raise PermissionDenied
    if following:
        Follow.objects.get_or_create(feedback=feedback, user=user)
    else:
        Follow.objects.filter(feedback=feedback, user=user).delete()
