"""The email outbox: every email is a row first, then a Celery task delivers it."""

import logging
import smtplib
import socket
import uuid
from datetime import timedelta

import css_inline
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from core.models import OutboundEmail

logger = logging.getLogger(__name__)

_inliner = css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)
# Errors worth another try; anything else (a malformed address, say) is final at once.
TRANSIENT_ERRORS = (smtplib.SMTPException, OSError, socket.timeout, TimeoutError)
FINAL_ERRORS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused)


def render_email(*, template: str, context: dict, language: str) -> tuple[str, str, str]:
    """Render `<template>_subject.txt`, `<template>.txt` and `<template>.html` in `language`."""
    with translation.override(language):
        ctx = {"site_url": settings.SITE_URL, "language": language, **context}
        subject = " ".join(render_to_string(f"{template}_subject.txt", ctx).split())
        text = render_to_string(f"{template}.txt", ctx).strip() + "\n"
        html = _inliner.inline(render_to_string(f"{template}.html", ctx))
    return subject, text, html


def email_enqueue(
    *,
    to: str,
    template: str,
    context: dict,
    language: str,
    idempotency_key: str,
    recipient=None,
) -> OutboundEmail | None:
    """Render and store one email; it is sent after the surrounding transaction commits.

    Returns None when an email with this idempotency key already exists.
    """
    subject, text, html = render_email(template=template, context=context, language=language)
    return email_enqueue_rendered(
        to=to,
        subject=subject,
        text_body=text,
        html_body=html,
        template=template,
        language=language,
        idempotency_key=idempotency_key,
        recipient=recipient,
    )


def email_enqueue_rendered(
    *,
    to: str,
    subject: str,
    text_body: str,
    html_body: str,
    template: str,
    language: str,
    idempotency_key: str,
    recipient=None,
) -> OutboundEmail | None:
    try:
        with transaction.atomic():
            email = OutboundEmail.objects.create(
                to_email=to,
                recipient=recipient,
                subject=subject[:300],
                text_body=text_body,
                html_body=html_body,
                template=template,
                language=language,
                idempotency_key=idempotency_key,
            )
    except IntegrityError:
        if OutboundEmail.objects.filter(idempotency_key=idempotency_key).exists():
            logger.info("outbox duplicate key=%s skipped", idempotency_key)
            return None
        raise
    _send_after_commit(email.pk)
    return email


def _send_after_commit(email_id: int) -> None:
    from core.tasks import outbox_send

    transaction.on_commit(lambda: outbox_send.delay(email_id))


def _backoff(attempts: int) -> timedelta:
    seconds = min(settings.OUTBOX_BACKOFF_CAP_SECONDS, settings.OUTBOX_BACKOFF_BASE_SECONDS * 2 ** (attempts - 1))
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


def email_deliver(*, email_id: int) -> OutboundEmail | None:
    """Claim and send one email. Returns the row as left, or None if it was not ours to send.

    On a transient error the row goes back to `failed` with a backoff; after the last attempt, `dead`.
    """
    email = email_claim(email_id=email_id)
    if email is None:
        return None
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.text_body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to_email],
        headers={"Message-ID": f"<outbox-{email.pk}-{uuid.uuid4().hex[:8]}@retour>"},
        connection=get_connection(timeout=settings.EMAIL_TIMEOUT),
    )
    if email.html_body:
        message.attach_alternative(email.html_body, "text/html")
    try:
        message.send()
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:2000]
        final = isinstance(exc, FINAL_ERRORS) or not isinstance(exc, TRANSIENT_ERRORS)
        if final or email.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
            email.status = OutboundEmail.Status.DEAD
            email.next_attempt_at = None
        else:
            email.status = OutboundEmail.Status.FAILED
            email.next_attempt_at = timezone.now() + _backoff(email.attempts)
        email.last_error = error
        email.save(update_fields=["status", "next_attempt_at", "last_error", "updated_at"])
        logger.warning("outbox email=%s attempt=%s status=%s error=%s", email.pk, email.attempts, email.status, error)
        return email
    email.status = OutboundEmail.Status.SENT
    email.sent_at = timezone.now()
    email.last_error = ""
    email.next_attempt_at = None
    email.save(update_fields=["status", "sent_at", "last_error", "next_attempt_at", "updated_at"])
    logger.info("outbox email=%s sent to=%s template=%s", email.pk, email.to_email, email.template)
    return email


def email_retry(*, email: OutboundEmail) -> OutboundEmail:
    """Put a failed or dead email back in the queue now (an admin's action)."""
    with transaction.atomic():
        email = OutboundEmail.objects.select_for_update().get(pk=email.pk)
        if email.status not in (OutboundEmail.Status.FAILED, OutboundEmail.Status.DEAD):
            return email
        email.status = OutboundEmail.Status.PENDING
        email.next_attempt_at = None
        # A manual retry earns a fresh set of attempts.
        email.attempts = 0
        email.save(update_fields=["status", "next_attempt_at", "attempts", "updated_at"])
        _send_after_commit(email.pk)
    return email


def email_send_test(*, to: str, actor, language: str) -> OutboundEmail:
    """Queue a test email and try to deliver it at once so the admin sees the SMTP answer."""
    with transaction.atomic():
        email = email_enqueue(
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
    """A worker that died mid-send leaves `sending`; give those rows back as failed (due now)."""
    now = now or timezone.now()
    stuck_after = timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT * 2)
    return OutboundEmail.objects.filter(
        status=OutboundEmail.Status.SENDING, sending_started_at__lte=now - stuck_after
    ).update(status=OutboundEmail.Status.FAILED, next_attempt_at=now, last_error="worker lost while sending")
