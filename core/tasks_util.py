"""Publishing Celery tasks from a request without ever failing the request.

The database is the source of truth: every task published through here is backed by a row that a
periodic sweep finds again (an outbox row still `pending`, a feedback event not yet fanned out).
So when the broker is unreachable at commit time, losing the message is safe, and failing the
already-committed HTTP request would only mislead the user.
"""

import logging

import kombu.exceptions
import redis.exceptions
from celery import current_app
from django.db import transaction

logger = logging.getLogger(__name__)

# What publishing raises when Redis is down or unreachable.
BROKER_ERRORS = (kombu.exceptions.OperationalError, redis.exceptions.RedisError, OSError)


def task_send(name: str, *args) -> bool:
    """Publish the task `name` now, by name (no import of the task module). False if the broker is down."""
    app = current_app._get_current_object()
    if app.conf.task_always_eager:
        # Tests and local runs without a worker: run the task in-process, as `.delay()` would.
        if name not in app.tasks:
            app.loader.import_default_modules()
        app.tasks[name].apply_async(args=args)
        return True
    try:
        app.send_task(name, args=args)
    except BROKER_ERRORS as exc:
        logger.warning("task %s%r not published, the sweep will pick it up: %s", name, args, exc)
        return False
    return True


def enqueue_on_commit(name: str, *args) -> None:
    """Publish the task after the surrounding transaction commits; a broker outage is logged, not raised."""
    transaction.on_commit(lambda: task_send(name, *args))
