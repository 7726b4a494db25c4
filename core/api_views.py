"""API view pieces shared by the apps. Apart from core.api, which DRF imports while loading its own
views (the exception handler), so this module may import rest_framework.views."""

import django_filters
from django import forms
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.views import APIView

from core.api import StrictCursorPagination


class BodyFirstApiView(APIView):
    """A malformed body is refused (400) before any lookup or role question: the answer to a broken
    body never depends on the object its address names."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method in ("POST", "PUT", "PATCH", "DELETE"):
            request.data  # noqa: B018  (parses now: StrictJSONParser refuses what is not one JSON object)


def service_call(function, **kwargs):
    """Run a service or a policy check; a role refusal becomes the API's 403 with the policy's reason."""
    try:
        return function(**kwargs)
    except PermissionDenied as exc:
        raise exceptions.PermissionDenied(str(exc) or None) from exc


STAFF_ONLY_FILTER = _("This filter is for the publisher's staff only.")


class IdFilter(django_filters.Filter):
    """An id: a whole number (forms.IntegerField), not a decimal silently truncated."""

    field_class = forms.IntegerField


def filtered_queryset(request, filter_class, queryset, staff_only=()):
    """Apply a FilterSet strictly: a staff-only filter from a client, or an invalid value, is a 400."""
    if not request.user.is_staff_member:
        refused = sorted(set(request.query_params) & set(staff_only))
        if refused:
            raise exceptions.ValidationError({name: [STAFF_ONLY_FILTER] for name in refused})
    filtered = filter_class(request.query_params, queryset=queryset, request=request)
    if not filtered.is_valid():
        raise exceptions.ValidationError(filtered.errors)
    return filtered.qs


def page_schema(name: str, serializer) -> serializers.Serializer:
    """The documented shape of a cursor page of `serializer`."""
    return inline_serializer(
        name,
        {
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": serializer(many=True),
        },
    )


class IdCursorPagination(StrictCursorPagination):
    """Newest first by id: cursor pages for lists whose rows only grow."""

    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


CURSOR_PARAMETERS = [OpenApiParameter("cursor", str), OpenApiParameter("page_size", int)]
