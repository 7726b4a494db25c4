"""Tags for the sign-in pages (allauth's templates): what the entrance may offer."""

from allauth.account.adapter import get_adapter
from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def signup_is_open(context) -> bool:
    """Asks the account adapter (accounts.adapters.AccountAdapter), the one place that decides."""
    request = context.get("request")
    return bool(request is not None and get_adapter(request).is_open_for_signup(request))
