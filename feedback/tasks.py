from celery import shared_task

from feedback.notifications import event_notify, fanout_due_ids
from feedback.services import lexicon_refresh, status_counts_compact


@shared_task(name="feedback.notify_event", acks_late=True)
def notify_event(event_id: int) -> int:
    return event_notify(event_id=event_id)


@shared_task(name="feedback.fanout_sweep", acks_late=True)
def fanout_sweep() -> int:
    """Re-queue the fan-out of public events left behind (the broker was down at commit, a task was lost)."""
    ids = fanout_due_ids()
    for event_id in ids:
        notify_event.delay(event_id)
    return len(ids)


@shared_task(name="feedback.status_counts_compact", acks_late=True)
def status_counts_compact_task() -> int:
    """Fold the inbox count rollup's appended rows (its reads stay short)."""
    return status_counts_compact()


@shared_task(name="feedback.lexicon_refresh", acks_late=True)
def lexicon_refresh_task() -> int:
    """Rebuild the vocabulary duplicate suggestions read (new words count as rare until then)."""
    return lexicon_refresh()
