"""What a user does with their own notifications."""

from django.utils import timezone

from accounts.models import User
from feedback.models import Notification


def notifications_mark_all_read(*, user: User) -> int:
    """Marks every unread notification of `user` (and only theirs) as read; returns how many.
    One UPDATE: atomic by itself, and a notification created meanwhile stays unread."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())
