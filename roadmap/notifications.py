"""Announcing a release: every author, voter and follower of the requests it ships hears of it once,
in their language, with the list of their requests that shipped; each request's portal notification
links to its own shipped event.

Idempotent by database facts: each email has the key `release:<id>:user:<id>`, each notification is
unique per (user, event), and `Release.fanned_out_at` is set when the last batch is done; the sweep
re-queues a published release whose announcement never finished.
"""

from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from core.outbox import email_enqueue
from feedback.models import Feedback, FeedbackEvent, Notification, NotificationPreference
from feedback.notifications import feedback_url_for, recipients_by_feedback
from roadmap.models import Release
from roadmap.services import release_ship_requests

BATCH = 500


def release_events(*, release: Release) -> list[FeedbackEvent]:
    """The "shipped" events that the release wrote on its requests (all written after publishing)."""
    return list(
        FeedbackEvent.objects.filter(
            feedback__roadmap_link__item__releases=release,
            kind=FeedbackEvent.Kind.STATUS,
            new_value=Feedback.Status.SHIPPED,
            created_at__gte=release.published_at,
        )
        .select_related("feedback")
        .order_by("feedback_id", "-id")
        .distinct("feedback_id")
    )


def release_fanout(*, release_id: int) -> int:
    """Ship the release's open requests, then tell each person once. Returns the emails queued by
    this run (0 when it was already done)."""
    release = Release.objects.filter(pk=release_id, status=Release.Status.PUBLISHED).first()
    if release is None or release.fanned_out_at is not None:
        return 0
    release_ship_requests(release=release)
    events = release_events(release=release)
    audience = recipients_by_feedback(feedbacks=[e.feedback for e in events], exclude_user_id=release.published_by_id)
    per_user: dict[int, list[FeedbackEvent]] = defaultdict(list)
    users_by_id: dict[int, User] = {}
    for event in events:
        for user in audience[event.feedback_id]:  # feedback's policy decided: only people who may see it
            per_user[user.pk].append(event)
            users_by_id[user.pk] = user
    user_ids = sorted(per_user)
    muted = set(
        NotificationPreference.objects.filter(
            user_id__in=user_ids, event=NotificationPreference.Event.STATUS, email=False
        ).values_list("user_id", flat=True)
    )
    queued = 0
    for start in range(0, len(user_ids), BATCH):
        batch = user_ids[start : start + BATCH]
        users = users_by_id
        with transaction.atomic():
            Notification.objects.bulk_create(
                [
                    Notification(user_id=uid, feedback_id=event.feedback_id, event=event)
                    for uid in batch
                    for event in per_user[uid]
                ],
                ignore_conflicts=True,
            )
            for uid in batch:
                user = users.get(uid)
                if user is None or uid in muted:
                    continue
                requests = [
                    {
                        "title": e.feedback.title,
                        "url": settings.SITE_URL + feedback_url_for(user=user, feedback=e.feedback),
                    }
                    for e in per_user[uid]
                ]
                if email_enqueue(
                    to=user.email,
                    template="roadmap/emails/release",
                    context={"recipient": user, "release": release, "requests": requests},
                    language=user.language,
                    idempotency_key=f"release:{release.pk}:user:{uid}",
                    recipient=user,
                ):
                    queued += 1
    with transaction.atomic():
        Release.objects.filter(pk=release.pk, fanned_out_at__isnull=True).update(fanned_out_at=timezone.now())
    return queued


def release_fanout_due_ids(*, stale_after: timedelta = timedelta(minutes=1)) -> list[int]:
    return list(
        Release.objects.filter(
            status=Release.Status.PUBLISHED,
            fanned_out_at__isnull=True,
            published_at__lte=timezone.now() - stale_after,
        ).values_list("pk", flat=True)[:100]
    )
