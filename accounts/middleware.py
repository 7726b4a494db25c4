import zoneinfo

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect
from django.utils import timezone, translation
from django.utils.translation import gettext as _

MFA_EXEMPT_PREFIXES = ("/accounts/", "/i18n/", "/static/", "/media/", "/healthz", "/jsi18n/")
MFA_SESSION_FLAG = "retour_mfa_enrolled"


class UserPreferencesMiddleware:
    """A signed-in user's own language and time zone win over the browser's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            if user.language in dict(settings.LANGUAGES):
                translation.activate(user.language)
                request.LANGUAGE_CODE = user.language
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.timezone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        return self.get_response(request)


class StaffMfaRequiredMiddleware:
    """Staff must enrol TOTP before using the application."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._must_enrol(request):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {
                        "error": {
                            "status": 403,
                            "code": "mfa_required",
                            "message": _("Set up two-factor authentication before using Retour."),
                            "fields": {},
                        }
                    },
                    status=403,
                )
            messages.warning(request, _("Staff accounts must set up two-factor authentication first."))
            return redirect("mfa_activate_totp")
        return self.get_response(request)

    def _must_enrol(self, request) -> bool:
        user = request.user
        if not settings.RETOUR_REQUIRE_STAFF_MFA or not user.is_authenticated or not user.is_staff_member:
            return False
        if request.path.startswith(MFA_EXEMPT_PREFIXES) or request.session.get(MFA_SESSION_FLAG):
            return False
        if Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            request.session[MFA_SESSION_FLAG] = True
            return False
        return True
