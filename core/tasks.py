from celery import shared_task

from core import delivery


@shared_task(name="core.outbox_send", acks_late=True)
def outbox_send(email_id: int) -> str | None:
    email = delivery.email_deliver(email_id=email_id)
    if email is not None and email.status == email.Status.FAILED and email.next_attempt_at:
        # If this publish is lost, the sweep finds the row once it is due.
        outbox_send.apply_async((email_id,), eta=email.next_attempt_at)
    return email.status if email else None


@shared_task(name="core.outbox_sweep", acks_late=True)
def outbox_sweep() -> int:
    """Re-queue what was left behind (lost task, dead worker, due retry)."""
    delivery.outbox_release_stuck()
    ids = delivery.outbox_due_ids()
    for email_id in ids:
        outbox_send.delay(email_id)
    return len(ids)
