"""Replies, internal notes and a requester's answers."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from feedback.limits import COMMENT_MAX
from feedback.models import (
    Comment,
    Feedback,
    FeedbackEvent,
)
from feedback.policy import Action, feedback_is_visible_to, feedback_require
from feedback.services._common import _check_length, _event, _lock, _mark_first_response, _notify_after_commit


def comment_add(*, feedback: Feedback, author: User, body: str, is_internal: bool = False) -> Comment:
    """A public reply or, for staff only, an internal note. A requester's answer to a question
    puts the item back under review."""
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write something first.")})
    errors: dict = {}
    _check_length(errors, "body", body, COMMENT_MAX)
    if errors:
        raise ValidationError(errors)
    if author.is_staff_member:
        feedback_require(user=author, action=Action.NOTE if is_internal else Action.REPLY, feedback=feedback)
    elif is_internal or not feedback_is_visible_to(user=author, feedback=feedback):
        raise PermissionDenied
    elif feedback.status == Feedback.Status.MERGED:
        raise ValidationError({"body": _("This request was merged: write on the request it was merged into.")})
    with transaction.atomic():
        feedback = _lock(feedback)
        comment = Comment.objects.create(feedback=feedback, author=author, body=body, is_internal=is_internal)
        if is_internal:
            _event(feedback, author, FeedbackEvent.Kind.NOTE)
        elif author.is_staff_member:
            _mark_first_response(feedback)
            event = _event(feedback, author, FeedbackEvent.Kind.REPLY, message=body, public=True)
            _notify_after_commit(event)
        elif feedback.status == Feedback.Status.NEEDS_INFO and author.organization == feedback.organization:
            feedback.status = Feedback.Status.UNDER_REVIEW
            feedback.snoozed_until = None
            feedback.save(update_fields=["status", "snoozed_until", "updated_at"])
            event = _event(
                feedback,
                author,
                FeedbackEvent.Kind.INFO_PROVIDED,
                old=Feedback.Status.NEEDS_INFO,
                new=Feedback.Status.UNDER_REVIEW,
                public=True,
            )
            _notify_after_commit(event)  # tells the assignee (or the product owners) the client answered
    return comment
