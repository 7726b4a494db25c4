"""The product owner's decisions and triage fields."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from feedback.models import (
    Feedback,
    FeedbackEvent,
    NotificationPreference,
    ProductArea,
    Tag,
)
from feedback.services._common import (
    _event,
    _lock,
    _mark_first_response,
    _notify_after_commit,
    _require_product_owner,
    _require_staff,
)


def feedback_change_status(*, feedback: Feedback, actor: User, status: str, public_message: str = "") -> Feedback:
    """A decision on a request. Declining needs a public reason; asking for details needs the question."""
    _require_product_owner(actor)
    public_message = (public_message or "").strip()
    if status not in Feedback.Status.values or status == Feedback.Status.MERGED:
        raise ValidationError({"status": _("Choose a valid status (merging has its own action).")})
    if status == Feedback.Status.DECLINED and not public_message:
        raise ValidationError({"public_message": _("Tell the clients why this request is declined.")})
    if status == Feedback.Status.NEEDS_INFO and not public_message:
        raise ValidationError({"public_message": _("Write the question for the requester.")})
    with transaction.atomic():
        feedback = _lock(feedback)
        if feedback.status == Feedback.Status.MERGED:
            raise ValidationError({"status": _("This request was merged; change the request it was merged into.")})
        if feedback.status == status and not public_message:
            return feedback
        old = feedback.status
        feedback.status = status
        feedback.save(update_fields=["status", "updated_at"])
        _mark_first_response(feedback)
        event = _event(
            feedback, actor, FeedbackEvent.Kind.STATUS, old=old, new=status, message=public_message, public=True
        )
        _notify_after_commit(event)
    return feedback


def feedback_assign(*, feedback: Feedback, actor: User, assignee: User | None) -> Feedback:
    _require_staff(actor)
    if assignee is not None and not assignee.is_staff_member:
        raise ValidationError({"assignee": _("Only staff can be assigned.")})
    with transaction.atomic():
        feedback = _lock(feedback)
        old = feedback.assignee
        feedback.assignee = assignee
        feedback.save(update_fields=["assignee", "updated_at"])
        _event(feedback, actor, FeedbackEvent.Kind.ASSIGNED, old=old or "", new=assignee or "")
    return feedback


def feedback_set_product_area(*, feedback: Feedback, actor: User, product_area: ProductArea | None) -> Feedback:
    _require_staff(actor)
    with transaction.atomic():
        feedback = _lock(feedback)
        old = feedback.product_area
        feedback.product_area = product_area
        feedback.save(update_fields=["product_area", "updated_at"])
        _event(feedback, actor, FeedbackEvent.Kind.AREA, old=old or "", new=product_area or "")
    return feedback


def feedback_set_tags(*, feedback: Feedback, actor: User, tags: list[Tag]) -> Feedback:
    _require_staff(actor)
    with transaction.atomic():
        feedback = _lock(feedback)
        old = ", ".join(sorted(t.name for t in feedback.tags.all()))
        feedback.tags.set(tags)
        _event(feedback, actor, FeedbackEvent.Kind.TAGS, old=old, new=", ".join(sorted(t.name for t in tags)))
    return feedback


def feedback_snooze(*, feedback: Feedback, actor: User, until) -> Feedback:
    _require_staff(actor)
    if until is not None and until <= timezone.now():
        raise ValidationError({"snoozed_until": _("Snooze until a moment in the future.")})
    with transaction.atomic():
        feedback = _lock(feedback)
        feedback.snoozed_until = until
        feedback.save(update_fields=["snoozed_until", "updated_at"])
        _event(feedback, actor, FeedbackEvent.Kind.SNOOZED, new=until.isoformat() if until else "")
    return feedback


def notification_preferences_set(*, user: User, choices: dict[str, bool]) -> None:
    with transaction.atomic():
        for event, email in choices.items():
            NotificationPreference.objects.update_or_create(user=user, event=event, defaults={"email": email})
