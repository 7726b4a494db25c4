"""The email outbox, delivery half: claim a due row, hand it to SMTP, record what happened.

Guarantee: **at least once, with a stable Message-ID**. A row is claimed by one worker only
(`pending`/`failed` → `sending` in one UPDATE), and marked `sent` in one small UPDATE right after
the SMTP server accepted the message, before the connection is even closed. If the worker dies in
the tiny window between the server's "250 OK" and that UPDATE, the row is found `sending` by the
sweep and sent again: the recipient may then get a second copy, carrying the *same* Message-ID
(stored on the row at creation), which many servers and clients use to drop duplicates.
Only a permanent refusal (an SMTP 5xx) is final at once; everything else is retried with a
capped backoff until `give_up_at` (OUTBOX_RETRY_HORIZON_HOURS after creation), then `dead`.
"""

import contextlib
import logging
import smtplib
import socket
import uuid
from datetime import timedelta
from email.mime.text import MIMEText

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from core import outbox
from core.models import OutboundEmail

logger = logging.getLogger(__name__)

# Errors worth another try. Anything else (a malformed address, a bug) is final at once.
TRANSIENT_ERRORS = (smtplib.SMTPException, OSError, socket.timeout, TimeoutError, SoftTimeLimitExceeded)


def smtp_error_is_permanent(exc: BaseException) -> bool:
    """True only for a permanent refusal of this message: an SMTP 5xx reply, or an error we cannot retry.

    4xx replies (450 greylisting, 421 service unavailable, 451 local error...) are transient.
    A refused login (535) or a refused connection greeting says nothing about this message: the
    setup is broken for every email, so they are retried while an operator fixes it.
    """
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in exc.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    if isinstance(exc, smtplib.SMTPAuthenticationError | smtplib.SMTPConnectError):
        return False
    if isinstance(exc, smtplib.SMTPResponseException):  # SMTPSenderRefused, SMTPDataError, SMTPHeloError...
        return exc.smtp_code >= 500
    return not isinstance(exc, TRANSIENT_ERRORS)


def _backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min... doubling up to OUTBOX_BACKOFF_CAP_SECONDS (1 h)."""
    exponent = min(max(attempts - 1, 0), 20)
    seconds = min(settings.OUTBOX_BACKOFF_CAP_SECONDS, settings.OUTBOX_BACKOFF_BASE_SECONDS * 2**exponent)
    return timedelta(seconds=seconds)


def email_claim(*, email_id: int) -> OutboundEmail | None:
    """Atomically move a due row to `sending`. Only one caller can win a given row."""
    now = timezone.now()
    claimed = OutboundEmail.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
        pk=email_id,
        status__in=[OutboundEmail.Status.PENDING, OutboundEmail.Status.FAILED],
    ).update(status=OutboundEmail.Status.SENDING, attempts=F("attempts") + 1, sending_started_at=now)
    if not claimed:
        return None
    return OutboundEmail.objects.get(pk=email_id)


def _message(email: OutboundEmail, connection) -> EmailMultiAlternatives:
    text, html = email.text_body, email.html_body
    if email.is_sensitive:
        text, html = email.secret_text_body, email.secret_html_body
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to_email],
        headers={**(email.headers or {}), "Message-ID": email.message_id or f"<outbox-legacy-{email.pk}@retour>"},
        connection=connection,
    )
    if html:
        message.attach_alternative(html, "text/html")
    for attachment in email.attachments or []:
        message.attach(_mime_part(attachment))
    return message


def _mime_part(attachment: dict) -> MIMEText:
    """A text attachment; "text/calendar; method=REQUEST" keeps its parameters (calendar clients need them)."""
    main, _sep, params = attachment["content_type"].partition(";")
    part = MIMEText(attachment["content"], main.split("/", 1)[1].strip(), "utf-8")
    for param in filter(None, (p.strip() for p in params.split(";"))):
        key, _eq, value = param.partition("=")
        if key.strip().lower() != "charset":
            part.set_param(key.strip(), value.strip())
    part.add_header("Content-Disposition", "attachment", filename=attachment["filename"])
    return part


def _finish(email: OutboundEmail, **fields) -> None:
    """One small UPDATE guarded by the claim; secrets go as soon as the row is sent or dead."""
    if fields["status"] in (OutboundEmail.Status.SENT, OutboundEmail.Status.DEAD):
        fields.update(secret_text_body="", secret_html_body="")
    fields["updated_at"] = timezone.now()
    OutboundEmail.objects.filter(pk=email.pk, status=OutboundEmail.Status.SENDING).update(**fields)
    for name, value in fields.items():
        setattr(email, name, value)


def email_deliver(*, email_id: int) -> OutboundEmail | None:
    """Claim and send one email. Returns the row as left, or None if it was not ours to send.

    On a transient error the row goes back to `failed` with a backoff; past its horizon, `dead`.
    """
    email = email_claim(email_id=email_id)
    if email is None:
        return None
    if email.secret_erased:
        _finish(email, status=OutboundEmail.Status.DEAD, next_attempt_at=None, last_error="secret erased")
        return email
    connection = get_connection(timeout=settings.EMAIL_TIMEOUT)
    try:
        # Open first so that `send_messages` does not close (QUIT, a round trip) before we mark it sent.
        connection.open()
        connection.send_messages([_message(email, connection)])
    except Exception as exc:  # SoftTimeLimitExceeded included: transient
        _close_quietly(connection)
        return _record_failure(email, exc)
    _finish(email, status=OutboundEmail.Status.SENT, sent_at=timezone.now(), last_error="", next_attempt_at=None)
    _close_quietly(connection)
    logger.info("outbox email=%s sent to=%s template=%s", email.pk, email.to_email, email.template)
    return email


def _close_quietly(connection) -> None:
    # The message is already accepted (or already failed): an error on QUIT changes nothing.
    with contextlib.suppress(Exception):
        connection.close()


def _record_failure(email: OutboundEmail, exc: BaseException) -> OutboundEmail:
    now = timezone.now()
    error = f"{type(exc).__name__}: {exc}"[:2000]
    give_up_at = email.give_up_at or email.created_at + outbox.retry_horizon()
    if smtp_error_is_permanent(exc) or now >= give_up_at:
        _finish(email, status=OutboundEmail.Status.DEAD, next_attempt_at=None, last_error=error)
    else:
        next_attempt = min(now + _backoff(email.attempts), max(give_up_at, now))
        _finish(email, status=OutboundEmail.Status.FAILED, next_attempt_at=next_attempt, last_error=error)
    logger.warning("outbox email=%s attempt=%s status=%s error=%s", email.pk, email.attempts, email.status, error)
    return email


def email_send_test(*, to: str, actor, language: str) -> OutboundEmail:
    """Queue a test email and try to deliver it at once so the operator sees the SMTP answer."""
    with transaction.atomic():
        email = outbox.email_enqueue(
            to=to,
            template="core/emails/test",
            context={"actor": actor, "to": to},
            language=language,
            idempotency_key=f"test:{uuid.uuid4()}",
        )
    email.refresh_from_db()
    if email.status == OutboundEmail.Status.PENDING:
        email_deliver(email_id=email.pk)
        email.refresh_from_db()
    return email


def outbox_due_ids(*, now=None, stale_after: timedelta = timedelta(minutes=2), limit: int = 500) -> list[int]:
    """Rows a worker should (re)try: pending and left behind, or failed and due."""
    now = now or timezone.now()
    queryset = OutboundEmail.objects.filter(
        Q(status=OutboundEmail.Status.PENDING, created_at__lte=now - stale_after, next_attempt_at__isnull=True)
        | Q(status=OutboundEmail.Status.PENDING, next_attempt_at__lte=now)
        | Q(status=OutboundEmail.Status.FAILED, next_attempt_at__lte=now)
    ).order_by("id")
    return list(queryset.values_list("id", flat=True)[:limit])


def outbox_release_stuck(*, now=None) -> int:
    """A worker that died mid-send leaves `sending`; give those rows back as failed (due now).

    This is the one path to a duplicate: the server may already have accepted the message. The
    resend carries the same Message-ID.
    """
    now = now or timezone.now()
    stuck_after = timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT * 2)
    return OutboundEmail.objects.filter(
        status=OutboundEmail.Status.SENDING, sending_started_at__lte=now - stuck_after
    ).update(status=OutboundEmail.Status.FAILED, next_attempt_at=now, last_error="worker lost while sending")
