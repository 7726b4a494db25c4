"""The outbox: idempotency, exactly-once sending, failures recorded, retries, the sweeper."""

import socket
from datetime import timedelta

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from core import outbox
from core.models import OutboundEmail
from core.tasks import outbox_send, outbox_sweep


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens there once the socket closes


def smtp_down():
    return override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1", EMAIL_PORT=closed_port()
    )


def enqueue(key="k1", to="someone@example.org", language="en"):
    return outbox.email_enqueue(
        to=to,
        template="core/emails/test",
        context={"actor": None, "to": to},
        language=language,
        idempotency_key=key,
    )


def test_email_is_rendered_in_the_recipients_language_with_inlined_css(db):
    email = enqueue(language="fr")
    assert email.status == OutboundEmail.Status.PENDING
    assert email.subject == "E-mail de test Retour"
    assert "<style" not in email.html_body
    assert 'style="' in email.html_body
    assert "<table" in email.html_body
    assert email.text_body.startswith("Bonjour")


def test_idempotency_key_prevents_a_second_row(db):
    assert enqueue(key="same") is not None
    assert enqueue(key="same") is None
    assert OutboundEmail.objects.count() == 1


def test_email_is_sent_after_commit_only(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        email = enqueue()
    assert len(mail.outbox) == 0
    assert len(callbacks) == 1
    callbacks[0]()
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["someone@example.org"]
    assert message.alternatives[0][1] == "text/html"


def test_a_task_run_twice_sends_once(db):
    email = enqueue()
    outbox_send.apply(args=[email.pk])
    outbox_send.apply(args=[email.pk])
    email.refresh_from_db()
    assert len(mail.outbox) == 1
    assert email.status == OutboundEmail.Status.SENT
    assert email.attempts == 1


def test_a_row_being_sent_cannot_be_claimed_again(db):
    email = enqueue()
    assert outbox.email_claim(email_id=email.pk) is not None
    assert outbox.email_claim(email_id=email.pk) is None


def test_smtp_failure_leaves_the_row_failed_with_its_error_then_retry_sends(db, django_capture_on_commit_callbacks):
    email = enqueue()
    with smtp_down():
        outbox.email_deliver(email_id=email.pk)
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.FAILED
    assert "ConnectionRefusedError" in email.last_error
    assert email.attempts == 1
    assert email.next_attempt_at > timezone.now()
    # Not due yet: a stray task does nothing.
    assert outbox.email_deliver(email_id=email.pk) is None
    with django_capture_on_commit_callbacks(execute=True):
        outbox.email_retry(email=email)
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert email.last_error == ""
    assert len(mail.outbox) == 1


def test_backoff_grows_and_is_capped_then_the_email_is_dead(db, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    email = enqueue()
    delays = []
    with smtp_down():
        for _attempt in range(3):
            OutboundEmail.objects.filter(pk=email.pk).update(next_attempt_at=None)
            before = timezone.now()
            outbox.email_deliver(email_id=email.pk)
            email.refresh_from_db()
            if email.next_attempt_at:
                delays.append((email.next_attempt_at - before).total_seconds())
    assert email.status == OutboundEmail.Status.DEAD
    assert email.attempts == 3
    assert 29 <= delays[0] <= 31 and 59 <= delays[1] <= 61
    assert outbox._backoff(30).total_seconds() == settings.OUTBOX_BACKOFF_CAP_SECONDS


def test_a_refused_recipient_is_final_at_once(db, monkeypatch):
    import smtplib

    def refuse(self):
        raise smtplib.SMTPRecipientsRefused({"x@example.org": (550, b"No such user")})

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
    email = enqueue()
    outbox.email_deliver(email_id=email.pk)
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.DEAD
    assert "No such user" in email.last_error


def test_the_sweeper_requeues_a_pending_row_left_behind(db):
    email = enqueue()  # its on-commit task never ran (as if Redis had been down)
    OutboundEmail.objects.filter(pk=email.pk).update(created_at=timezone.now() - timedelta(minutes=10))
    fresh = enqueue(key="fresh")
    assert outbox_sweep.apply().get() == 1
    email.refresh_from_db()
    fresh.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert fresh.status == OutboundEmail.Status.PENDING  # young rows are left to their own task


def test_the_sweeper_releases_a_row_stuck_in_sending(db, settings):
    email = enqueue()
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=OutboundEmail.Status.SENDING, sending_started_at=timezone.now() - timedelta(hours=1), attempts=1
    )
    outbox_sweep.apply()
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert email.attempts == 2


def test_send_test_email_reports_the_smtp_error(db, product_owner):
    with smtp_down():
        email = outbox.email_send_test(to="ops@example.org", actor=product_owner, language="en")
    assert email.status == OutboundEmail.Status.FAILED
    assert "Connection refused" in email.last_error


@pytest.mark.parametrize("language,word", [("en", "Hello"), ("fr", "Bonjour")])
def test_test_email_language(db, product_owner, language, word):
    email = outbox.email_send_test(to="ops@example.org", actor=product_owner, language=language)
    assert email.status == OutboundEmail.Status.SENT
    assert word in mail.outbox[0].body
