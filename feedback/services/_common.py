"""Shared pieces of the feedback services: row locks, events, counters, role checks."""

import math

from django.db.models import Count, Sum, Value
from django.db.models.functions import Extract
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organization, User
from core.tasks_util import enqueue_on_commit
from feedback import extensions
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
    extensions.demand_changed(feedback_id=feedback_id)  # e.g. the roadmap's business case


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
    """Fan the event out after commit. If the broker is down, the request still answers and the
    sweep finds the event by its null `fanned_out_at` (feedback.fanout_sweep)."""
    enqueue_on_commit("feedback.notify_event", event.pk)


def _mark_first_response(feedback: Feedback) -> None:
    if feedback.first_response_at is None:
        feedback.first_response_at = timezone.now()
        feedback.save(update_fields=["first_response_at", "updated_at"])


def _check_length(errors: dict, field: str, value: str, limit: int) -> None:
    if len(value) > limit:
        errors[field] = _("Keep it under %(limit)s characters (this text has %(length)s).") % {
            "limit": f"{limit:,}".replace(",", "\u202f"),
            "length": f"{len(value):,}".replace(",", "\u202f"),
        }
