from datetime import timedelta

from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import ApiToken, hash_secret
from accounts.selectors import staff_mfa_missing


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Token <key>` with a named, revocable, hashed personal token."""

    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        _refuse_if_throttled(request)
        if len(header) != 2:
            _count_failure(request)
            raise exceptions.AuthenticationFailed(_("Invalid token header."))
        try:
            key = header[1].decode()
        except UnicodeError as exc:
            _count_failure(request)
            raise exceptions.AuthenticationFailed(_("Invalid token header.")) from exc
        token = (
            ApiToken.objects.select_related("user__client_membership__organization")
            .filter(key_hash=hash_secret(key), revoked_at__isnull=True)
            .first()
        )
        if token is None or not token.user.is_active:
            _count_failure(request)
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
        if staff_mfa_missing(user=token.user):
            # Enrolment removed after the token was made: the token stops working until it is back.
            raise exceptions.AuthenticationFailed(
                _("Staff API tokens need two-factor authentication: set it up in your profile first.")
            )
        now = timezone.now()
        if token.last_used_at is None or token.last_used_at < now - timedelta(minutes=5):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        # Middleware could not know this user: answer in their language from here on.
        translation.activate(token.user.language)
        return token.user, token

    def authenticate_header(self, request) -> str:
        return self.keyword


class BadTokenThrottle(SimpleRateThrottle):
    """Failed token attempts per client address: guessing keys is throttled like everything else."""

    scope = "bad_token"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def _refuse_if_throttled(request) -> None:
    throttle = BadTokenThrottle()
    key = throttle.get_cache_key(request, None)
    history = throttle.cache.get(key, [])
    now = throttle.timer()
    recent = [t for t in history if t > now - throttle.duration]
    if len(recent) >= throttle.num_requests:
        raise exceptions.Throttled(wait=max(1, int(throttle.duration - (now - recent[-1]))))


def _count_failure(request) -> None:
    throttle = BadTokenThrottle()
    key = throttle.get_cache_key(request, None)
    now = throttle.timer()
    history = [t for t in throttle.cache.get(key, []) if t > now - throttle.duration]
    throttle.cache.set(key, [now, *history], throttle.duration)
