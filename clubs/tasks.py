from celery import shared_task

from clubs import notifications


@shared_task(name="clubs.mailing_send", acks_late=True, soft_time_limit=600, time_limit=720)
def mailing_send(mailing_id: int) -> int:
    return notifications.mailing_send(mailing_id=mailing_id)


@shared_task(name="clubs.mailing_sweep", acks_late=True)
def mailing_sweep() -> int:
    """Re-queue club emails whose task was lost (broker down at commit, worker killed)."""
    ids = notifications.mailing_due_ids()
    for mailing_id in ids:
        mailing_send.delay(mailing_id)
    return len(ids)


@shared_task(name="clubs.reminders_send", acks_late=True)
def reminders_send() -> int:
    """The day-before reminder to those who accepted; safe to run twice (each goes once)."""
    return notifications.reminders_send()
