"""Closing the loop: one portal notification and one outbox email per recipient of a public event."""

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from accounts.models import User
from core.outbox import email_enqueue
from feedback.models import Feedback, FeedbackEvent, Follow, Notification, NotificationPreference, Vote

EVENT_PREFERENCE = {
    FeedbackEvent.Kind.STATUS: NotificationPreference.Event.STATUS,
    FeedbackEvent.Kind.REPLY: NotificationPreference.Event.REPLY,
    FeedbackEvent.Kind.MERGED: NotificationPreference.Event.MERGED,
}


def event_recipients(*, event: FeedbackEvent) -> list[User]:
    """Author, voters and followers of the item; never the actor."""
    feedback = event.feedback
    ids = {feedback.author_id}
    ids.update(Vote.objects.filter(feedback=feedback).values_list("user_id", flat=True))
    ids.update(Follow.objects.filter(feedback=feedback).values_list("user_id", flat=True))
    ids.discard(event.actor_id)
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("pk"))


def event_notify(*, event_id: int) -> int:
    """Idempotent: a notification is unique per (user, event), an email per idempotency key."""
    event = FeedbackEvent.objects.select_related("feedback__merged_into", "actor").get(pk=event_id)
    if not event.is_public or event.kind not in EVENT_PREFERENCE:
        return 0
    preference = EVENT_PREFERENCE[event.kind]
    recipients = event_recipients(event=event)
    muted = set(
        NotificationPreference.objects.filter(user__in=recipients, event=preference, email=False).values_list(
            "user_id", flat=True
        )
    )
    feedback: Feedback = event.feedback
    sent = 0
    with transaction.atomic():
        Notification.objects.bulk_create(
            [Notification(user=user, feedback=feedback, event=event) for user in recipients], ignore_conflicts=True
        )
        for user in recipients:
            if user.pk in muted:
                continue
            target = feedback.merged_into if event.kind == FeedbackEvent.Kind.MERGED else feedback
            email_enqueue(
                to=user.email,
                template=f"feedback/emails/{event.kind}",
                context={
                    "recipient": user,
                    "feedback": feedback,
                    "event": event,
                    "target": target,
                    "url": settings.SITE_URL + feedback_url_for(user=user, feedback=target),
                },
                language=user.language,
                idempotency_key=f"feedback-event:{event.pk}:user:{user.pk}",
                recipient=user,
            )
            sent += 1
    return sent


def feedback_url_for(*, user: User, feedback: Feedback) -> str:
    if user.is_staff_member:
        return reverse("feedback:triage_detail", args=[feedback.pk])
    return reverse("feedback:portal_detail", args=[feedback.pk])
