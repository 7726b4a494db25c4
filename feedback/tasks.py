from celery import shared_task

from feedback.notifications import event_notify


@shared_task(name="feedback.notify_event", acks_late=True)
def notify_event(event_id: int) -> int:
    return event_notify(event_id=event_id)
