"""Shared API pieces: one error shape, strict JSON input, pagination, role requirements."""

import json

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.parsers import JSONParser


class DefaultPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class StrictCursorPagination(CursorPagination):
    """A cursor whose position does not fit the ordering field ("p=abc", "p=1.5" on an id) is an
    invalid cursor (404), like one that does not decode — not a ValueError from the ORM (500).
    Use it instead of DRF's CursorPagination."""

    def paginate_queryset(self, queryset, request, view=None):
        self._model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request):
        cursor = super().decode_cursor(request)
        if cursor is None or cursor.position is None:
            return cursor
        ordering = self.ordering if isinstance(self.ordering, str) else self.ordering[0]
        field = self._model._meta.get_field(ordering.lstrip("-"))
        try:
            field.to_python(cursor.position)
        except DjangoValidationError as exc:
            raise exceptions.NotFound(self.invalid_cursor_message) from exc
        return cursor


MAX_JSON_DEPTH = 32


def _too_deep_or_has_nul(data, limit: int) -> tuple[bool, bool]:
    """(nests deeper than `limit`, holds a NUL character in a key or a string), without recursion."""
    stack = [(data, 1)]
    has_nul = False
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            has_nul = has_nul or "\x00" in value
        elif isinstance(value, dict | list):
            if depth > limit:
                return True, has_nul
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                has_nul = has_nul or (isinstance(key, str) and "\x00" in key)
                stack.append((item, depth + 1))
    return False, has_nul


class StrictJSONParser(JSONParser):
    """A JSON body is one object, nested at most MAX_JSON_DEPTH levels, without NUL characters;
    anything else is a 400 before a view sees it. Views and serializers expect a dict, PostgreSQL
    refuses NUL in text, and a body nested 50,000 levels deep must not reach the recursion limit."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            data = json.loads(stream.read().decode(encoding), parse_constant=self._refuse_constant)
        except RecursionError as exc:  # the C decoder stops itself at the interpreter's limit
            raise exceptions.ParseError(self._too_deep_message()) from exc
        except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError included
            raise exceptions.ParseError(_("The body is not valid JSON.")) from exc
        if not isinstance(data, dict):
            raise exceptions.ParseError(_("The body must be a JSON object."))
        too_deep, has_nul = _too_deep_or_has_nul(data, MAX_JSON_DEPTH)
        if too_deep:
            raise exceptions.ParseError(self._too_deep_message())
        if has_nul:
            raise exceptions.ParseError(_("The body contains a NUL character (\\u0000), which is not allowed."))
        return data

    @staticmethod
    def _too_deep_message() -> str:
        return _("The JSON body nests deeper than %(limit)d levels.") % {"limit": MAX_JSON_DEPTH}

    @staticmethod
    def _refuse_constant(name: str):
        raise ValueError(f"{name} is not valid JSON")  # NaN, Infinity, -Infinity


def _flatten(detail) -> str:
    if isinstance(detail, list):
        return " ".join(_flatten(d) for d in detail)
    if isinstance(detail, dict):
        return " ".join(_flatten(v) for v in detail.values())
    return str(detail)


def exception_handler(exc, context):
    """Every API error answers `{"error": {"status", "code", "message", "fields"}}`."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Not found."))
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    # Imported here: rest_framework.views reads DEFAULT_PARSER_CLASSES, which names this module.
    from rest_framework.views import exception_handler as drf_exception_handler

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    fields = {}
    if isinstance(exc, exceptions.ValidationError):
        code = "invalid"
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        fields = {
            key: [str(m) for m in (value if isinstance(value, list) else [value])] for key, value in detail.items()
        }
        message = _("The request is not valid: %(details)s") % {"details": _flatten(detail)}
    else:
        codes = exc.get_codes() if hasattr(exc, "get_codes") else "error"
        code = codes if isinstance(codes, str) else "error"
        message = _flatten(exc.detail) if hasattr(exc, "detail") else str(exc)
    response.data = {"error": {"status": response.status_code, "code": code, "message": str(message), "fields": fields}}
    return response


@csrf_exempt  # it changes nothing, and an API client sends no CSRF token: 404, not the CSRF 403 page
def api_not_found(request, path: str = ""):
    """An address under the API that no endpoint answers: 404 in the API's error shape."""
    message = str(_("Not found."))
    return JsonResponse({"error": {"status": 404, "code": "not_found", "message": message, "fields": {}}}, status=404)
