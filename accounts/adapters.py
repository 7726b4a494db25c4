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
from core.outbox import _inliner, email_enqueue_rendered


class AccountAdapter(DefaultAccountAdapter):
    """allauth's emails go through the outbox, in the recipient's own language."""

    def is_open_for_signup(self, request) -> bool:
        return settings.RETOUR_OPEN_SIGNUP

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        user = User.objects.filter(email__iexact=email).only("id", "language").first()
        language = user.language if user else translation.get_language() or settings.LANGUAGE_CODE
        request = allauth_context.request
        with translation.override(language):
            ctx = {"email": email, **context, "current_site": self._site(request)}
            message = self.render_mail(template_prefix, email, ctx)
            html = render_to_string("emails/allauth_wrapper.html", {"body": message.body, "subject": message.subject})
        email_enqueue_rendered(
            to=email,
            subject=message.subject,
            text_body=message.body,
            html_body=_inliner.inline(html),
            template=template_prefix,
            language=language,
            idempotency_key=f"{template_prefix}:{uuid.uuid4()}",
            recipient=user,
        )

    @staticmethod
    def _site(request):
        # Emails speak of "Retour", not of whatever host name the request came in on.
        domain = urlparse(settings.SITE_URL).netloc or (request.get_host() if request else "localhost")
        return SimpleNamespace(name="Retour", domain=domain)

    def confirm_email(self, request, email_address):
        super().confirm_email(request, email_address)
        membership_join_by_domain(user=email_address.user)
