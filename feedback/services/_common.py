"""Shared pieces of the feedback services: row locks, events, counters, role checks."""

import math

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Sum, Value
from django.db.models.functions import Extract
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organization, User
from feedback.models import (
    Feedback,
    FeedbackEvent,
    Vote,
)

IMPORTANCE_RANK = {value: rank for rank, value in enumerate(Feedback.Importance.values)}


CLOSED_STATUSES = {Feedback.Status.SHIPPED, Feedback.Status.DECLINED, Feedback.Status.MERGED}


def feedback_recount(*, feedback_id: int) -> None:
    """Votes, distinct organizations and their contract value, from the votes themselves.
    Callers hold the feedback row lock, so concurrent votes cannot lose an update."""
    votes = Vote.objects.filter(feedback_id=feedback_id)
    totals = votes.aggregate(n=Count("id"), orgs=Count("organization", distinct=True))
    revenue = Organization.objects.filter(pk__in=votes.values("organization_id")).aggregate(
        total=Sum("annual_contract_value")
    )["total"]
    Feedback.objects.filter(pk=feedback_id).update(
        vote_count=totals["n"],
        organization_count=totals["orgs"],
        revenue=revenue or 0,
        hot_score=hot_score_expression(totals["n"]),
    )


HOT_SCORE_PERIOD_SECONDS = 7 * 24 * 3600


def hot_score_value(*, vote_count: int, created) -> float:
    return math.log10(max(vote_count, 1)) + created.timestamp() / HOT_SCORE_PERIOD_SECONDS


def hot_score_expression(vote_count: int):
    return Value(math.log10(max(vote_count, 1))) + Extract("created_at", "epoch") / float(HOT_SCORE_PERIOD_SECONDS)


def _lock(feedback: Feedback) -> Feedback:
    return Feedback.objects.select_for_update().get(pk=feedback.pk)


def _event(
    feedback: Feedback, actor: User | None, kind: str, old="", new="", message="", public=False
) -> FeedbackEvent:
    return FeedbackEvent.objects.create(
        feedback=feedback,
        actor=actor,
        kind=kind,
        old_value=str(old)[:200],
        new_value=str(new)[:200],
        public_message=message,
        is_public=public,
    )


def _notify_after_commit(event: FeedbackEvent) -> None:
    from feedback.tasks import notify_event

    transaction.on_commit(lambda: notify_event.delay(event.pk))


def _mark_first_response(feedback: Feedback) -> None:
    if feedback.first_response_at is None:
        feedback.first_response_at = timezone.now()
        feedback.save(update_fields=["first_response_at", "updated_at"])


def _require_staff(actor: User) -> None:
    if not actor.is_staff_member:
        raise PermissionDenied


def _require_product_owner(actor: User) -> None:
    if not actor.is_product_owner:
        raise PermissionDenied(_("Only product owners can decide on requests."))
