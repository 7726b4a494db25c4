"""API view pieces shared by the apps. Apart from core.api, which DRF imports while loading its own
views (the exception handler), so this module may import rest_framework.views."""

from django.core.exceptions import PermissionDenied
from rest_framework import exceptions
from rest_framework.views import APIView


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
