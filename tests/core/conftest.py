"""A real SMTP server on loopback (aiosmtpd) whose answers a test can script, and a real Celery worker."""

import asyncio
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from django.test import override_settings

from config.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]


class Inbox:
    """Accepts everything unless told otherwise: `rcpt_replies` / `data_replies` / `mail_replies` are
    queues of SMTP replies given to the next commands (None means accept). With `hold` set, the
    server records the message and then waits before answering, until `release` is set."""

    def __init__(self):
        self.messages = []
        self.rcpt_replies: list[str | None] = []
        self.data_replies: list[str | None] = []
        self.mail_replies: list[str | None] = []
        self.hold = False
        self.received = threading.Event()
        self.release = threading.Event()

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        reply = self.mail_replies.pop(0) if self.mail_replies else None
        if reply:
            return reply
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.rcpt_replies.pop(0) if self.rcpt_replies else None
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        reply = self.data_replies.pop(0) if self.data_replies else None
        if reply:
            return reply
        self.messages.append(envelope)
        self.received.set()
        if self.hold:
            while not self.release.is_set():
                await asyncio.sleep(0.05)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    inbox.release.set()
    controller.stop()


@pytest.fixture
def local_smtp(smtp_server):
    """This process sends through the local SMTP server (not locmem); yields the inbox."""
    controller, inbox = smtp_server
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1", EMAIL_PORT=controller.port
    ):
        yield inbox


@pytest.fixture
def start_worker(transactional_db, smtp_server):
    """`start_worker()` runs a real Celery worker (solo pool) on a queue of its own, sending through
    the local SMTP server; the test process publishes to that queue. Stopped at the end."""
    controller, _inbox = smtp_server
    queue = f"retour-test-{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://{quote(db['USER'])}:{quote(db['PASSWORD'] or '')}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
        "EMAIL_URL": f"smtp://127.0.0.1:{controller.port}",
        # A real worker: retries are published with their ETA to the same queue, not run inline.
        "RETOUR_TEST_CELERY_EAGER": "0",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "OUTBOX_BACKOFF_BASE_SECONDS": "1",
    }
    processes = []

    def _start():
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
        processes.append(process)
        return process

    previous = celery_app.conf.task_always_eager, celery_app.conf.task_default_queue
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = queue
    try:
        yield _start
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = previous
        for process in processes:
            if process.poll() is None:
                process.terminate()
            try:
                output, _ = process.communicate(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                output, _ = process.communicate()
            print(output)  # shown by pytest when the test fails


@pytest.fixture
def worker(start_worker):
    return start_worker()


def wait_for(condition, *, workers=(), timeout=60.0):
    """Poll `condition` until true (or `timeout`), failing at once if a worker process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        for process in workers:
            assert process.poll() is None, "the worker exited early"
        time.sleep(0.2)
    return False
