from celery import shared_task

from roadmap import notifications, services


# A release may reach thousands of people: more time than the default limits allow.
@shared_task(name="roadmap.release_fanout", acks_late=True, soft_time_limit=1200, time_limit=1500)
def release_fanout(release_id: int) -> int:
    return notifications.release_fanout(release_id=release_id)


@shared_task(name="roadmap.release_fanout_sweep", acks_late=True)
def release_fanout_sweep() -> int:
    """Re-queue the announcement of a published release that never finished (broker down, worker lost)."""
    ids = notifications.release_fanout_due_ids()
    for release_id in ids:
        release_fanout.delay(release_id)
    return len(ids)


@shared_task(name="roadmap.business_case_refresh_all", acks_late=True, soft_time_limit=1800, time_limit=2000)
def business_case_refresh_all() -> int:
    """Nightly: a renewal entering the 90-day window changes the revenue at risk."""
    return services.business_case_refresh_all()
