"""Digests through a real Celery worker (and a real beat), the real Redis broker and a real SMTP server:
a due digest is sent once end to end; a worker killed in the middle of a send leaves no email and the
sweep sends each one once after a restart; a send task published twice sends each email once."""

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import zoneinfo
from email import message_from_bytes, policy

import pytest
from django.db import connection, transaction
from django.utils import timezone

from config.celery import app as celery_app
from core.models import OutboundEmail
from reporting import services
from reporting.digests import SEND_TASK, digest_build
from reporting.models import Digest, DigestSubscription
from reporting.tasks import digests_sweep
from tests.core.conftest import ROOT, wait_for
from tests.reporting.conftest import OUTSIDE

pytestmark = pytest.mark.worker

# The beat of config.celery with one entry, every second: `celery beat` run on the project's app.
BEAT = """
import sys
from config.celery import app
app.conf.beat_schedule = {"digests-due": {"task": "reporting.digests_due", "schedule": 1.0}}
app.start(["beat", "--schedule", sys.argv[1], "--max-interval", "1", "--loglevel", "INFO"])
"""


def due_now(product_owner, team) -> DigestSubscription:
    """A daily Kolkata subscription whose send time was two minutes ago, created the day before."""
    local = timezone.now().astimezone(zoneinfo.ZoneInfo("Asia/Kolkata")) - dt.timedelta(minutes=2)
    subscription = services.subscription_save(
        actor=product_owner,
        data={
            "name": "Sales daily",
            "team": team,
            "frequency": "daily",
            "hour": local.hour,
            "minute": local.minute,
            "timezone": "Asia/Kolkata",
        },
    )
    DigestSubscription.objects.filter(pk=subscription.pk).update(created_at=timezone.now() - dt.timedelta(days=1))
    return subscription


def received(inbox) -> list:
    return [message_from_bytes(envelope.original_content, policy=policy.default) for envelope in inbox.messages]


def queue_length() -> int:
    with celery_app.connection_for_write() as conn:
        return conn.default_channel.client.llen(celery_app.conf.task_default_queue)


def built_digest(subscription) -> Digest:
    """The beat's row, built in this process; its send task is published to the (idle) queue."""
    today = timezone.now().astimezone(zoneinfo.ZoneInfo(subscription.timezone)).date()
    digest = Digest.objects.create(
        subscription=subscription,
        period_start=today - dt.timedelta(days=1),
        period_end=today,
        due_at=timezone.now(),
        language=subscription.language,
    )
    digest_build(digest_id=digest.pk)
    digest.refresh_from_db()
    assert digest.status == Digest.Status.BUILT
    return digest


def test_a_due_digest_is_sent_once_by_the_real_beat_and_worker(
    worker, smtp_server, product_owner, team, contributor, reader, tmp_path
):
    _controller, inbox = smtp_server
    subscription = due_now(product_owner, team)
    beat = subprocess.Popen(
        [sys.executable, "-c", BEAT, str(tmp_path / "beat-schedule")],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            # Publish to the worker's queue (the test settings would run the task in the beat itself).
            "RETOUR_TEST_CELERY_EAGER": "0",
            "CELERY_TASK_DEFAULT_QUEUE": celery_app.conf.task_default_queue,
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert wait_for(lambda: len(inbox.messages) >= 3, workers=[worker, beat], timeout=90)
        # Several more beats: each finds the period's digest there and creates nothing.
        beats_before = Digest.objects.count()
        wait_for(lambda: False, workers=[worker, beat], timeout=4)
    finally:
        beat.terminate()
        output, _ = beat.communicate(timeout=15)
        print(output)
    assert output.count("Scheduler: Sending due task digests-due") >= 3
    digest = Digest.objects.get()
    assert beats_before == 1 and digest.subscription == subscription
    assert digest.status == Digest.Status.SENT
    assert sorted(e.rcpt_tos[0] for e in inbox.messages) == sorted([contributor.email, reader.email, OUTSIDE])
    messages = received(inbox)
    assert {m["Subject"] for m in messages} == {digest.subject}
    assert all(m["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click" for m in messages)
    assert len({m["List-Unsubscribe"] for m in messages}) == 3
    assert OutboundEmail.objects.filter(status="sent").count() == 3


def test_a_worker_killed_during_the_send_leaves_no_email_and_the_sweep_sends_each_once(
    start_worker, smtp_server, product_owner, team, contributor, reader
):
    _controller, inbox = smtp_server
    subscription = due_now(product_owner, team)
    digest = built_digest(subscription)  # its send task waits in the queue
    # Another connection holds the digest's row: the worker's send will wait inside its transaction.
    locked, release = threading.Event(), threading.Event()

    def hold_the_row():
        try:
            with transaction.atomic():
                Digest.objects.select_for_update().get(pk=digest.pk)
                locked.set()
                release.wait(timeout=120)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_row)
    holder.start()
    try:
        assert locked.wait(timeout=10)
        first = start_worker()

        def worker_waits_on_the_lock():
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
                return cursor.fetchone()[0] > 0

        assert wait_for(worker_waits_on_the_lock, workers=[first], timeout=60)
        os.kill(first.pid, signal.SIGKILL)  # killed in the middle of its send, before its commit
        first.wait(timeout=10)
    finally:
        release.set()
        holder.join(timeout=30)
    digest.refresh_from_db()
    assert digest.status == Digest.Status.BUILT
    assert not OutboundEmail.objects.exists()
    assert inbox.messages == []
    # Later: the sweep finds the digest built and not sent (backdated here instead of waiting).
    Digest.objects.filter(pk=digest.pk).update(updated_at=timezone.now() - dt.timedelta(minutes=10))
    second = start_worker()
    digests_sweep.delay()
    assert wait_for(lambda: len(inbox.messages) >= 3, workers=[second])
    assert wait_for(lambda: OutboundEmail.objects.filter(status="sent").count() == 3, workers=[second])
    digests_sweep.delay()  # a second sweep finds it sent: nothing twice
    assert wait_for(lambda: queue_length() == 0, workers=[second])
    wait_for(lambda: False, workers=[second], timeout=2)
    assert Digest.objects.get(pk=digest.pk).status == Digest.Status.SENT
    assert sorted(e.rcpt_tos[0] for e in inbox.messages) == sorted([contributor.email, reader.email, OUTSIDE])
    assert OutboundEmail.objects.count() == 3


def test_a_send_task_published_twice_sends_each_email_once(
    start_worker, smtp_server, product_owner, team, contributor, reader
):
    _controller, inbox = smtp_server
    subscription = due_now(product_owner, team)
    digest = built_digest(subscription)  # one send task in the queue
    celery_app.send_task(SEND_TASK, args=[digest.pk])  # and a second (a retry, a second publisher)
    assert queue_length() == 2
    worker = start_worker()
    assert wait_for(lambda: len(inbox.messages) >= 3, workers=[worker])
    assert wait_for(lambda: queue_length() == 0, workers=[worker])
    assert wait_for(lambda: OutboundEmail.objects.filter(status="sent").count() == 3, workers=[worker])
    wait_for(lambda: False, workers=[worker], timeout=2)
    assert sorted(e.rcpt_tos[0] for e in inbox.messages) == sorted([contributor.email, reader.email, OUTSIDE])
    assert OutboundEmail.objects.count() == 3
    assert Digest.objects.get(pk=digest.pk).status == Digest.Status.SENT
