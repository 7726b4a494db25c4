"""The outbox: idempotency, exactly-once sending, failures recorded, retries, the sweeper."""

import socket
from datetime import timedelta

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from core import delivery, outbox
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
    assert delivery.email_claim(email_id=email.pk) is not None
    assert delivery.email_claim(email_id=email.pk) is None


def test_smtp_failure_leaves_the_row_failed_with_its_error_then_retry_sends(db, django_capture_on_commit_callbacks):
    email = enqueue()
    with smtp_down():
        delivery.email_deliver(email_id=email.pk)
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.FAILED
    assert "ConnectionRefusedError" in email.last_error
    assert email.attempts == 1
    assert email.next_attempt_at > timezone.now()
    # Not due yet: a stray task does nothing.
    assert delivery.email_deliver(email_id=email.pk) is None
    with django_capture_on_commit_callbacks(execute=True):
        outbox.email_retry(email=email)
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert email.last_error == ""
    assert len(mail.outbox) == 1


def test_transient_failures_are_retried_with_a_capped_backoff_until_the_horizon_then_dead(db, settings):
    """A night-long outage: far more than a handful of attempts, 30 s doubling up to 1 h, for 24 h."""
    email = enqueue()
    assert abs((email.give_up_at - email.created_at) - timedelta(hours=settings.OUTBOX_RETRY_HORIZON_HOURS)) < (
        timedelta(seconds=5)
    )
    delays = []
    with smtp_down():
        for _attempt in range(12):
            OutboundEmail.objects.filter(pk=email.pk).update(next_attempt_at=None)
            before = timezone.now()
            delivery.email_deliver(email_id=email.pk)
            email.refresh_from_db()
            assert email.status == OutboundEmail.Status.FAILED
            delays.append(round((email.next_attempt_at - before).total_seconds()))
        assert delays[:8] == [30, 60, 120, 240, 480, 960, 1920, 3600]
        assert set(delays[8:]) == {3600}
        # 24 hours later the outage is still there: the email is given up.
        OutboundEmail.objects.filter(pk=email.pk).update(
            next_attempt_at=None, give_up_at=timezone.now() - timedelta(seconds=1)
        )
        delivery.email_deliver(email_id=email.pk)
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.DEAD
    assert email.attempts == 13
    assert delivery._backoff(300).total_seconds() == settings.OUTBOX_BACKOFF_CAP_SECONDS


def test_the_last_retry_is_not_scheduled_past_the_horizon(db):
    email = enqueue()
    OutboundEmail.objects.filter(pk=email.pk).update(give_up_at=timezone.now() + timedelta(seconds=10))
    with smtp_down():
        delivery.email_deliver(email_id=email.pk)
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.FAILED
    assert email.next_attempt_at <= email.give_up_at


def test_a_permanent_refusal_550_is_final_at_once(db, local_smtp):
    local_smtp.rcpt_replies = ["550 5.1.1 No such user"]
    email = enqueue()
    delivery.email_deliver(email_id=email.pk)
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.DEAD
    assert "No such user" in email.last_error
    assert email.next_attempt_at is None
    assert local_smtp.messages == []


@pytest.mark.parametrize(
    "where,reply",
    [
        ("rcpt_replies", "450 4.2.0 Greylisted, try again later"),
        ("rcpt_replies", "451 4.3.0 Local error"),
        ("data_replies", "421 4.7.0 Too busy, closing"),
        ("data_replies", "452 4.3.1 Insufficient storage"),
        ("mail_replies", "451 4.3.2 Sender check deferred"),
    ],
)
def test_a_temporary_refusal_4xx_is_retried_then_sent(db, local_smtp, where, reply):
    setattr(local_smtp, where, [reply])
    email = enqueue()
    delivery.email_deliver(email_id=email.pk)
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.FAILED, email.last_error
    assert reply.split()[0] in email.last_error
    assert email.next_attempt_at > timezone.now()
    OutboundEmail.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now())
    delivery.email_deliver(email_id=email.pk)
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert len(local_smtp.messages) == 1


@pytest.mark.parametrize(
    "where,reply", [("data_replies", "554 5.7.1 Message rejected as spam"), ("mail_replies", "553 5.1.8 Bad sender")]
)
def test_a_permanent_refusal_of_sender_or_data_is_final(db, local_smtp, where, reply):
    setattr(local_smtp, where, [reply])
    email = enqueue()
    delivery.email_deliver(email_id=email.pk)
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.DEAD
    assert reply.split()[0] in email.last_error


def test_a_soft_time_limit_during_send_is_retried_not_final(db, monkeypatch):
    from celery.exceptions import SoftTimeLimitExceeded

    def slow(self, messages):
        raise SoftTimeLimitExceeded

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", slow)
    email = enqueue()
    outbox_send.apply(args=[email.pk])
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.FAILED
    assert "SoftTimeLimitExceeded" in email.last_error
    assert email.next_attempt_at > timezone.now()


def test_every_attempt_carries_the_message_id_stored_at_creation(db, local_smtp):
    local_smtp.rcpt_replies = ["450 4.2.0 Greylisted"]
    email = enqueue()
    assert email.message_id.startswith("<outbox-") and email.message_id.endswith("@localhost>")
    with smtp_down():
        delivery.email_deliver(email_id=email.pk)
    OutboundEmail.objects.filter(pk=email.pk).update(next_attempt_at=None)
    delivery.email_deliver(email_id=email.pk)  # greylisted
    OutboundEmail.objects.filter(pk=email.pk).update(next_attempt_at=None)
    delivery.email_deliver(email_id=email.pk)
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT and email.attempts == 3
    assert f"Message-ID: {email.message_id}".encode() in local_smtp.messages[0].original_content


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
        email = delivery.email_send_test(to="ops@example.org", actor=product_owner, language="en")
    assert email.status == OutboundEmail.Status.FAILED
    assert "Connection refused" in email.last_error


@pytest.mark.parametrize("language,word", [("en", "Hello"), ("fr", "Bonjour")])
def test_test_email_language(db, product_owner, language, word):
    email = delivery.email_send_test(to="ops@example.org", actor=product_owner, language=language)
    assert email.status == OutboundEmail.Status.SENT
    assert word in mail.outbox[0].body
