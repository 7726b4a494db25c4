"""The email outbox, enqueue half: every email is a row first, written in the transaction of its cause.

Delivery (claim, SMTP, retries) lives in `core.delivery`; this module never imports it nor the
tasks: a new row is published to the `core.outbox_send` task by name after commit, and the sweep
finds any row whose publication was lost. See docs/EMAIL.md for the guarantees.
"""

import logging
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from email.utils import parseaddr

import css_inline
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.models import OutboundEmail
from core.tasks_util import enqueue_on_commit

logger = logging.getLogger(__name__)

_inliner = css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)
SEND_TASK = "core.outbox_send"
# What the log shows in place of a sign-in code, a reset link or an invitation link.
REDACTED = "[redacted]"


def render_text(template_name: str, context: dict) -> str:
    """Render a plain-text template (subject or body) with autoescaping off.

    Subjects and text bodies are not HTML: a title like `L'export & <taxes>` must reach the reader
    as written. Every `*.txt` email template goes through here, so new ones get it for free.
    """
    template = get_template(template_name)
    return template.template.render(Context(context, autoescape=False))


def render_email(*, template: str, context: dict, language: str) -> tuple[str, str, str]:
    """Render `<template>_subject.txt`, `<template>.txt` (both unescaped) and `<template>.html` (escaped)."""
    with translation.override(language):
        ctx = {"site_url": settings.SITE_URL, "language": language, **context}
        subject = " ".join(render_text(f"{template}_subject.txt", ctx).split())
        text = render_text(f"{template}.txt", ctx).strip() + "\n"
        html = _inliner.inline(render_to_string(f"{template}.html", ctx))
    return subject, text, html


def inline_css(html: str) -> str:
    return _inliner.inline(html)


def redact(text: str, secrets: Iterable[str]) -> str:
    """Belt and braces after rendering with placeholders: no secret value may survive in the log copy."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    return text


def message_id_new() -> str:
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "retour"
    return f"<outbox-{uuid.uuid4().hex}@{domain}>"


def retry_horizon() -> timedelta:
    return timedelta(hours=settings.OUTBOX_RETRY_HORIZON_HOURS)


def email_enqueue(
    *,
    to: str,
    template: str,
    context: dict,
    language: str,
    idempotency_key: str,
    recipient=None,
    secret_keys: Iterable[str] = (),
    attachments: list[dict] | None = None,
) -> OutboundEmail | None:
    """Render and store one email; it is sent after the surrounding transaction commits.

    `secret_keys` name the context values that are secrets (a code, a link with a token): the log
    keeps a copy rendered with them replaced by "[redacted]", the real copy is sent then wiped.
    `attachments`: [{"filename", "content_type", "content"}] (text files, such as a calendar event).
    Returns None when an email with this idempotency key already exists.
    """
    subject, text, html = render_email(template=template, context=context, language=language)
    secret_text = secret_html = ""
    secret_keys = tuple(secret_keys)
    if secret_keys:
        secrets = [str(context[key]) for key in secret_keys if context.get(key)]
        placeholders = dict.fromkeys(secret_keys, REDACTED)
        shown_subject, shown_text, shown_html = render_email(
            template=template, context={**context, **placeholders}, language=language
        )
        secret_text, secret_html = text, html
        subject = redact(shown_subject, secrets)
        text, html = redact(shown_text, secrets), redact(shown_html, secrets)
    return email_enqueue_rendered(
        to=to,
        subject=subject,
        text_body=text,
        html_body=html,
        template=template,
        language=language,
        idempotency_key=idempotency_key,
        recipient=recipient,
        secret_text_body=secret_text,
        secret_html_body=secret_html,
        attachments=attachments,
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
    secret_text_body: str = "",
    secret_html_body: str = "",
    attachments: list[dict] | None = None,
    headers: dict[str, str] | None = None,
) -> OutboundEmail | None:
    """Store an already rendered email. With `secret_*` bodies, `text_body`/`html_body` must be redacted."""
    try:
        with transaction.atomic():
            email = OutboundEmail.objects.create(
                to_email=to,
                recipient=recipient,
                subject=subject[:300],
                text_body=text_body,
                html_body=html_body,
                is_sensitive=bool(secret_text_body),
                secret_text_body=secret_text_body,
                secret_html_body=secret_html_body,
                message_id=message_id_new(),
                give_up_at=timezone.now() + retry_horizon(),
                template=template,
                language=language,
                idempotency_key=idempotency_key,
                attachments=attachments or [],
                headers=headers or {},
            )
    except IntegrityError:
        if OutboundEmail.objects.filter(idempotency_key=idempotency_key).exists():
            logger.info("outbox duplicate key=%s skipped", idempotency_key)
            return None
        raise
    enqueue_on_commit(SEND_TASK, email.pk)
    return email


def email_retry(*, email: OutboundEmail) -> OutboundEmail:
    """Put a failed or dead email back in the queue now (an operator's action).

    A security email whose secret was wiped cannot be sent again: the person asks for a new code.
    """
    with transaction.atomic():
        email = OutboundEmail.objects.select_for_update().get(pk=email.pk)
        if email.status not in (OutboundEmail.Status.FAILED, OutboundEmail.Status.DEAD):
            return email
        if email.secret_erased:
            raise ValidationError(
                _(
                    "This email held a sign-in code or a secret link, erased once it was sent or given up. "
                    "It cannot be sent again: ask the person to request a new code or link."
                )
            )
        email.status = OutboundEmail.Status.PENDING
        email.next_attempt_at = None
        # A manual retry earns a fresh set of attempts and a fresh horizon.
        email.attempts = 0
        email.give_up_at = timezone.now() + retry_horizon()
        email.save(update_fields=["status", "next_attempt_at", "attempts", "give_up_at", "updated_at"])
        enqueue_on_commit(SEND_TASK, email.pk)
    return email


def email_retry_dead(*, since: datetime, until: datetime) -> int:
    """Queue again every dead email created in [since, until), in one go (after an outage, say).

    Security emails whose secret was wiped are left dead. Returns how many emails were queued.
    """
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            OutboundEmail.objects.select_for_update()
            .filter(status=OutboundEmail.Status.DEAD, created_at__gte=since, created_at__lt=until)
            .exclude(is_sensitive=True, secret_text_body="")
            .order_by("id")
            .values_list("id", flat=True)
        )
        OutboundEmail.objects.filter(pk__in=ids).update(
            status=OutboundEmail.Status.PENDING,
            next_attempt_at=None,
            attempts=0,
            give_up_at=now + retry_horizon(),
            updated_at=now,
        )
        for email_id in ids:
            enqueue_on_commit(SEND_TASK, email_id)
    logger.info("outbox retry of %s dead emails created in [%s, %s)", len(ids), since, until)
    return len(ids)
