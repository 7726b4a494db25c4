"""A real Celery worker process, the real Redis broker and a real SMTP server on loopback."""

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller
from django.db import connection, transaction

from config.celery import app as celery_app
from core import outbox
from core.models import OutboundEmail

pytestmark = pytest.mark.worker
ROOT = Path(__file__).resolve().parents[2]


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield controller, inbox
    controller.stop()


@pytest.fixture
def worker(transactional_db, smtp_server, settings):
    controller, _inbox = smtp_server
    queue = f"retour-test-{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://{quote(db['USER'])}:{quote(db['PASSWORD'] or '')}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
        "EMAIL_URL": f"smtp://127.0.0.1:{controller.port}",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    previous = celery_app.conf.task_always_eager, celery_app.conf.task_default_queue
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = queue
    try:
        yield process
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = previous
        process.terminate()
        try:
            output, _ = process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        print(output)  # shown by pytest when the test fails


def test_worker_sends_an_outbox_email_end_to_end(worker, smtp_server):
    _controller, inbox = smtp_server
    with transaction.atomic():
        email = outbox.email_enqueue(
            to="reader@example.org",
            template="core/emails/test",
            context={"actor": None, "to": "reader@example.org"},
            language="en",
            idempotency_key="worker-e2e",
        )
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline:
        email.refresh_from_db()
        if email.status == OutboundEmail.Status.SENT and inbox.messages:
            break
        assert worker.poll() is None, "the worker exited early"
        time.sleep(0.25)
    assert email.status == OutboundEmail.Status.SENT, email.last_error
    assert email.attempts == 1
    assert len(inbox.messages) == 1
    assert inbox.messages[0].rcpt_tos == ["reader@example.org"]
    assert b"Retour test email" in inbox.messages[0].content
