"""Closing the loop: one notification (portal or triage) and one outbox email per recipient of an event.

Public events (status, public reply, merge) go to the clients who asked for, voted for or follow
the request. A client's answer to a question (INFO_PROVIDED) goes to the staff who handle it: the
assignee, or every product owner when nobody is assigned. Internal notes never notify anyone.

The fan-out is idempotent by a database fact: `FeedbackEvent.fanned_out_at` is set in the same
transaction as the notifications and emails, under a lock of the event row; the sweep re-queues
public events whose fan-out never ran (the broker may have been down when the change committed).
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from core.outbox import email_enqueue
from feedback.models import Comment, Feedback, FeedbackEvent, Follow, Notification, NotificationPreference, Vote
from feedback.policy import feedback_audience

EVENT_PREFERENCE = {
    FeedbackEvent.Kind.STATUS: NotificationPreference.Event.STATUS,
    FeedbackEvent.Kind.REPLY: NotificationPreference.Event.REPLY,
    FeedbackEvent.Kind.MERGED: NotificationPreference.Event.MERGED,
    FeedbackEvent.Kind.INFO_PROVIDED: NotificationPreference.Event.ANSWERED,
}
# Events told to the staff handling the request rather than to the clients following it.
STAFF_EVENTS = {FeedbackEvent.Kind.INFO_PROVIDED}


def event_recipients(*, event: FeedbackEvent) -> list[User]:
    """Who hears of this event; never the actor."""
    feedback = event.feedback
    if event.kind in STAFF_EVENTS:
        assignee = User.objects.staff().filter(pk=feedback.assignee_id, is_active=True)
        ids = set(assignee.values_list("pk", flat=True)) or set(
            User.objects.filter(staff_role=User.StaffRole.PRODUCT_OWNER, is_active=True).values_list("pk", flat=True)
        )
    else:
        ids = {feedback.author_id}
        ids.update(Vote.objects.filter(feedback=feedback).values_list("user_id", flat=True))
        ids.update(Follow.objects.filter(feedback=feedback).values_list("user_id", flat=True))
    ids.discard(event.actor_id)
    users = User.objects.filter(pk__in=ids, is_active=True).select_related("client_membership__organization")
    # Whatever path led them here (an old vote, a merge), only people who may see the request hear of it.
    return feedback_audience(feedback=feedback, users=users.order_by("pk"))


def event_needs_fanout_q() -> Q:
    return Q(is_public=True, kind__in=list(EVENT_PREFERENCE), fanned_out_at__isnull=True)


def event_notify(*, event_id: int) -> int:
    """Create the notifications and queue the emails of one event, once. Returns the emails queued."""
    with transaction.atomic():
        event = (
            FeedbackEvent.objects.select_for_update(of=("self",))
            .select_related("feedback__merged_into", "actor")
            .get(pk=event_id)
        )
        if event.fanned_out_at is not None:
            return 0  # another run did it
        sent = 0
        if event.is_public and event.kind in EVENT_PREFERENCE:
            sent = _fan_out(event)
        event.fanned_out_at = timezone.now()
        event.save(update_fields=["fanned_out_at"])
    return sent


def _fan_out(event: FeedbackEvent) -> int:
    preference = EVENT_PREFERENCE[event.kind]
    recipients = event_recipients(event=event)
    if event.kind == FeedbackEvent.Kind.MERGED and event.feedback.merged_into is not None:
        # The email names and links the target: only to people who may see it (feedback_merge ensures all may).
        recipients = feedback_audience(feedback=event.feedback.merged_into, users=recipients)
    muted = set(
        NotificationPreference.objects.filter(user__in=recipients, event=preference, email=False).values_list(
            "user_id", flat=True
        )
    )
    feedback: Feedback = event.feedback
    Notification.objects.bulk_create(
        [Notification(user=user, feedback=feedback, event=event) for user in recipients], ignore_conflicts=True
    )
    target = feedback.merged_into if event.kind == FeedbackEvent.Kind.MERGED else feedback
    answer = _answer_of(event) if event.kind == FeedbackEvent.Kind.INFO_PROVIDED else None
    sent = 0
    for user in recipients:
        if user.pk in muted:
            continue
        email_enqueue(
            to=user.email,
            template=f"feedback/emails/{event.kind}",
            context={
                "recipient": user,
                "feedback": feedback,
                "event": event,
                "target": target,
                "answer": answer,
                "url": settings.SITE_URL + feedback_url_for(user=user, feedback=target),
            },
            language=user.language,
            idempotency_key=f"feedback-event:{event.pk}:user:{user.pk}",
            recipient=user,
        )
        sent += 1
    return sent


def _answer_of(event: FeedbackEvent) -> Comment | None:
    """The client's public comment that answered the question (written just before the event)."""
    return (
        Comment.objects.filter(
            feedback_id=event.feedback_id,
            author_id=event.actor_id,
            is_internal=False,
            created_at__lte=event.created_at,
        )
        .order_by("-created_at", "-id")
        .first()
    )


def fanout_due_ids(*, now=None, limit: int = 500) -> list[int]:
    """Events that should have been fanned out by now and were not (a lost task, the broker down)."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.OUTBOX_FANOUT_STALE_SECONDS)
    queryset = FeedbackEvent.objects.filter(event_needs_fanout_q(), created_at__lte=stale).order_by("id")
    return list(queryset.values_list("id", flat=True)[:limit])


def feedback_url_for(*, user: User, feedback: Feedback) -> str:
    if user.is_staff_member:
        return reverse("feedback:triage_detail", args=[feedback.pk])
    return reverse("feedback:portal_detail", args=[feedback.pk])


def recipients_by_feedback(*, feedbacks: list[Feedback], exclude_user_id: int | None = None) -> dict[int, list[User]]:
    """event_recipients for many requests at once (a release): author, voters and followers of each,
    among those who may see it; a fixed number of queries whatever the number of requests."""
    ids = [f.pk for f in feedbacks]
    wanted: dict[int, set[int]] = {f.pk: {f.author_id} for f in feedbacks}
    for model in (Vote, Follow):
        for feedback_id, user_id in model.objects.filter(feedback_id__in=ids).values_list("feedback_id", "user_id"):
            wanted[feedback_id].add(user_id)
    every = set().union(*wanted.values()) if wanted else set()
    every.discard(exclude_user_id)
    users = {
        u.pk: u
        for u in User.objects.filter(pk__in=every, is_active=True).select_related("client_membership__organization")
    }
    return {
        f.pk: feedback_audience(feedback=f, users=[users[uid] for uid in sorted(wanted[f.pk]) if uid in users])
        for f in feedbacks
    }
