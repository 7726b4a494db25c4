from celery import shared_task

from reporting import digests


@shared_task(name="reporting.digests_due", acks_late=True)
def digests_due() -> int:
    """Beat: create the digests that are due (unique per subscription and period) and queue their builds."""
    created = digests.digests_due_create()
    return len(created)


@shared_task(name="reporting.digest_build", acks_late=True, soft_time_limit=120, time_limit=180)
def digest_build(digest_id: int) -> str | None:
    digest = digests.digest_build(digest_id=digest_id)
    return digest.status if digest else None


@shared_task(name="reporting.digest_send", acks_late=True, soft_time_limit=120, time_limit=180)
def digest_send(digest_id: int) -> int:
    return digests.digest_send(digest_id=digest_id)


@shared_task(name="reporting.digests_sweep", acks_late=True)
def digests_sweep() -> int:
    """Re-queue builds and sends whose task was lost."""
    return digests.digests_sweep()


@shared_task(name="reporting.dashboard_warm", acks_late=True, soft_time_limit=200, time_limit=230)
def dashboard_warm() -> str:
    """Keep the default dashboard's figures in the cache (see reporting.dashboard.dashboard_warm)."""
    from reporting.dashboard import dashboard_warm as warm

    return warm()
