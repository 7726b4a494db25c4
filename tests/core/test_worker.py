"""A real Celery worker process, the real Redis broker and a real SMTP server on loopback."""

import os
import signal
from datetime import timedelta
from email import message_from_bytes

import pytest
from django.db import transaction
from django.utils import timezone

from core import outbox
from core.models import OutboundEmail
from core.tasks import outbox_sweep
from tests.core.conftest import wait_for

pytestmark = pytest.mark.worker


def enqueue(key: str) -> OutboundEmail:
    with transaction.atomic():
        return outbox.email_enqueue(
            to="reader@example.org",
            template="core/emails/test",
            context={"actor": None, "to": "reader@example.org"},
            language="en",
            idempotency_key=key,
        )


def test_worker_sends_an_outbox_email_end_to_end(worker, smtp_server):
    _controller, inbox = smtp_server
    email = enqueue("worker-e2e")
    assert wait_for(
        lambda: OutboundEmail.objects.get(pk=email.pk).status == "sent" and inbox.messages, workers=[worker]
    )
    email.refresh_from_db()
    assert email.attempts == 1
    assert len(inbox.messages) == 1
    assert inbox.messages[0].rcpt_tos == ["reader@example.org"]
    assert b"Retour test email" in inbox.messages[0].content


def test_worker_retries_a_greylisted_email_and_sends_it(worker, smtp_server):
    """450 is greylisting: the worker schedules a retry itself (backoff 1 s in this worker) and it goes out."""
    _controller, inbox = smtp_server
    inbox.rcpt_replies = ["450 4.2.0 Greylisted, come back later"]
    email = enqueue("worker-greylisted")
    assert wait_for(lambda: OutboundEmail.objects.get(pk=email.pk).status == "sent", workers=[worker])
    email.refresh_from_db()
    assert email.attempts == 2  # the 450 cost one attempt, not the email
    assert len(inbox.messages) == 1


def test_worker_killed_after_the_server_accepted_resends_with_the_same_message_id(start_worker, smtp_server):
    """The one duplicate left (at least once): the worker dies between the server's accept and the
    `sent` UPDATE. The sweep sends again, with the Message-ID stored on the row, so the copies match."""
    _controller, inbox = smtp_server
    inbox.hold = True  # the server records the message, then keeps the worker waiting for its 250
    first = start_worker()
    email = enqueue("worker-killed")
    assert wait_for(inbox.received.is_set, workers=[first])
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=10)
    inbox.hold = False
    inbox.release.set()
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENDING
    # Later: the sweep finds the row stuck in `sending` (backdated here instead of waiting minutes).
    OutboundEmail.objects.filter(pk=email.pk).update(sending_started_at=timezone.now() - timedelta(hours=1))
    second = start_worker()
    outbox_sweep.delay()
    assert wait_for(lambda: OutboundEmail.objects.get(pk=email.pk).status == "sent", workers=[second])
    email.refresh_from_db()
    assert email.attempts == 2
    assert len(inbox.messages) == 2
    ids = [message_from_bytes(envelope.original_content)["Message-ID"] for envelope in inbox.messages]
    assert ids == [email.message_id, email.message_id]
