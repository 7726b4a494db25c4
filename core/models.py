from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class OutboundEmail(TimeStampedModel):
    """One email the system sends: written in the transaction of its cause, sent by Celery."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        DEAD = "dead", _("Dead")

    to_email = models.EmailField(_("recipient"))
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    subject = models.CharField(_("subject"), max_length=300)
    # For a security email (sign-in code, reset link, invitation) these are the log's redacted copy;
    # the real bodies live in the secret_* fields until the email is sent or dead.
    text_body = models.TextField(_("text body"))
    html_body = models.TextField(_("HTML body"), blank=True)
    is_sensitive = models.BooleanField(_("holds a secret"), default=False)
    secret_text_body = models.TextField(_("secret text body"), blank=True)
    secret_html_body = models.TextField(_("secret HTML body"), blank=True)
    # The same Message-ID on every attempt, so a receiving server can drop a redelivered copy.
    message_id = models.CharField(_("Message-ID"), max_length=255, blank=True)
    # Files sent with the email (a calendar invitation): [{"filename", "content_type", "content"}], text only.
    attachments = models.JSONField(_("attachments"), default=list, blank=True)
    # Extra headers, such as List-Unsubscribe and List-Unsubscribe-Post (RFC 8058) on a digest.
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    template = models.CharField(_("template"), max_length=200)
    language = models.CharField(_("language"), max_length=8)
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    # Transient failures are retried until then; a manual retry moves it forward.
    give_up_at = models.DateTimeField(_("give up at"), null=True, blank=True)
    sending_started_at = models.DateTimeField(_("sending started at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbound email")
        verbose_name_plural = _("outbound emails")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_status_next_idx"),
            models.Index(fields=["-created_at", "-id"], name="outbox_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.to_email}: {self.subject}"

    @property
    def secret_erased(self) -> bool:
        """A security email whose real body was wiped: it can never be sent again."""
        return self.is_sensitive and not self.secret_text_body
