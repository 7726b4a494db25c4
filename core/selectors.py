from django.db.models import Count, Q, QuerySet
from django.http import Http404

from core.models import OutboundEmail


def email_list(*, status: str = "", q: str = "") -> QuerySet[OutboundEmail]:
    queryset = OutboundEmail.objects.defer("html_body", "text_body", "secret_text_body", "secret_html_body")
    if status:
        queryset = queryset.filter(status=status)
    if q:
        queryset = queryset.filter(Q(to_email__icontains=q) | Q(subject__icontains=q))
    return queryset.order_by("-created_at", "-id")


def email_status_counts() -> dict[str, int]:
    rows = OutboundEmail.objects.values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}


def email_get(*, pk: int) -> OutboundEmail:
    try:
        return OutboundEmail.objects.get(pk=pk)
    except OutboundEmail.DoesNotExist as exc:
        raise Http404 from exc
