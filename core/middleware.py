import logging
import time
import uuid

from django.http import HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _

from core.logging import request_id_var, user_id_var

logger = logging.getLogger("retour.request")


class RequestLogContextMiddleware:
    """Gives each request an id (X-Request-ID) and logs one line when it ends."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming[:64] if incoming.isascii() and incoming.replace("-", "").isalnum() else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        user_token = user_id_var.set("-")
        started = time.monotonic()
        try:
            response = self.get_response(request)
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                user_id_var.set(str(user.pk))
            response["X-Request-ID"] = request_id
            if not request.path.startswith("/static/"):
                logger.info(
                    "%s %s %s %.1fms",
                    request.method,
                    request.path,
                    response.status_code,
                    (time.monotonic() - started) * 1000,
                )
            return response
        finally:
            request_id_var.reset(token)
            user_id_var.reset(user_token)


class RejectNulCharactersMiddleware:
    """A NUL character (\\x00) in a query or form parameter, name or value, is answered 400 before
    any view runs: PostgreSQL refuses it in text, so a filter or a form field holding one would
    otherwise end in a database error. Pages get a short translated text, the API its error shape."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        offending = self._offending_parameter(request)
        if offending is None:
            return self.get_response(request)
        message = _("The parameter “%(name)s” contains a NUL character, which is not allowed.") % {
            "name": offending.replace("\x00", "\\x00")
        }
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"error": {"status": 400, "code": "invalid", "message": message, "fields": {offending: [message]}}},
                status=400,
            )
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")

    @staticmethod
    def _offending_parameter(request) -> str | None:
        # Form bodies of pages only: an API body is its parser's (core.api.StrictJSONParser), and
        # reading it here would turn a malformed one into Django's HTML 400 instead of the API's.
        reads_form = request.method == "POST" and not request.path.startswith("/api/")
        sources = [request.GET, request.POST] if reads_form else [request.GET]
        for params in sources:
            for name, values in params.lists():
                if "\x00" in name or any("\x00" in value for value in values):
                    return name
        return None
