import uuid
from types import SimpleNamespace
from urllib.parse import urlparse

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from accounts.models import User
from accounts.services import membership_join_by_domain
from core.outbox import REDACTED, email_enqueue_rendered, inline_css, redact, render_text

# What allauth puts in the context of its emails that lets the reader sign in or take over the account.
SECRET_CONTEXT_KEYS = ("code", "key", "password_reset_url", "activate_url")


class AccountAdapter(DefaultAccountAdapter):
    """allauth's emails go through the outbox, in the recipient's own language."""

    def is_open_for_signup(self, request) -> bool:
        return settings.RETOUR_OPEN_SIGNUP

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Sign-in codes, reset and confirmation links are secrets: the email log keeps a copy
        with them replaced by "[redacted]"; the real body is sent, then wiped from the row."""
        user = User.objects.filter(email__iexact=email).only("id", "language").first()
        language = user.language if user else translation.get_language() or settings.LANGUAGE_CODE
        request = allauth_context.request
        with translation.override(language):
            ctx = {"email": email, **context, "current_site": self._site(request)}
            subject, text, html = self._render(template_prefix, ctx)
            present = [key for key in SECRET_CONTEXT_KEYS if ctx.get(key)]
            secret_text = secret_html = ""
            if present:
                secrets = [str(ctx[key]) for key in present]
                _subject, shown_text, shown_html = self._render(
                    template_prefix, {**ctx, **dict.fromkeys(present, REDACTED)}
                )
                secret_text, secret_html = text, html
                text, html = redact(shown_text, secrets), redact(shown_html, secrets)
        email_enqueue_rendered(
            to=email,
            subject=subject,
            text_body=text,
            html_body=html,
            template=template_prefix,
            language=language,
            idempotency_key=f"{template_prefix}:{uuid.uuid4()}",
            recipient=user,
            secret_text_body=secret_text,
            secret_html_body=secret_html,
        )

    def _render(self, template_prefix: str, ctx: dict) -> tuple[str, str, str]:
        # Plain text is rendered unescaped (core.outbox.render_text); the HTML wrapper escapes it.
        subject = self.format_email_subject(" ".join(render_text(f"{template_prefix}_subject.txt", ctx).split()))
        text = render_text(f"{template_prefix}_message.txt", ctx).strip()
        html = render_to_string("emails/allauth_wrapper.html", {"body": text, "subject": subject})
        return subject, text, inline_css(html)

    @staticmethod
    def _site(request):
        # Emails speak of "Retour", not of whatever host name the request came in on.
        domain = urlparse(settings.SITE_URL).netloc or (request.get_host() if request else "localhost")
        return SimpleNamespace(name="Retour", domain=domain)

    def confirm_email(self, request, email_address):
        super().confirm_email(request, email_address)
        membership_join_by_domain(user=email_address.user)
