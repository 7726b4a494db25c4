"""The one way a lookup from a request ends: the object, or 404 — whether it is missing, not the
caller's (the queryset is already scoped by an app's policy), or the id is not a number."""

from django.db.models import QuerySet
from django.http import Http404


def object_or_404(queryset: QuerySet, pk):
    try:
        return queryset.get(pk=int(pk))
    except (queryset.model.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise Http404 from exc
