"""Merging duplicates."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from feedback.models import (
    Feedback,
    FeedbackEvent,
    Follow,
    Vote,
)
from feedback.services._common import (
    IMPORTANCE_RANK,
    _event,
    _mark_first_response,
    _notify_after_commit,
    _require_staff,
    feedback_recount,
)


def feedback_merge(*, source: Feedback, target: Feedback, actor: User) -> Feedback:
    """Move votes (no double vote: the higher importance stays), followers and requesters of
    `source` to `target`; `source` becomes `merged` and points at `target`."""
    _require_staff(actor)
    if source.pk == target.pk:
        raise ValidationError(_("A request cannot be merged into itself."))
    with transaction.atomic():
        locked = {
            f.pk: f for f in Feedback.objects.select_for_update().filter(pk__in=[source.pk, target.pk]).order_by("pk")
        }
        source, target = locked[source.pk], locked[target.pk]
        if source.status == Feedback.Status.MERGED:
            raise ValidationError(_("This request was already merged."))
        if target.status == Feedback.Status.MERGED:
            raise ValidationError(_("The target request was itself merged; merge into the request it points to."))
        if not target.is_public and target.organization_id != source.organization_id:
            # Otherwise the source's requesters would be led to another company's private request.
            raise ValidationError(_("Make the target request public before merging another company's request into it."))
        existing = {v.user_id: v for v in Vote.objects.filter(feedback=target)}
        for vote in Vote.objects.filter(feedback=source):
            kept = existing.get(vote.user_id)
            if kept is None:
                vote.feedback = target
                vote.save(update_fields=["feedback"])
            else:
                if IMPORTANCE_RANK[vote.importance] > IMPORTANCE_RANK[kept.importance]:
                    kept.importance = vote.importance
                    kept.save(update_fields=["importance"])
                vote.delete()
        followers = set(Follow.objects.filter(feedback=target).values_list("user_id", flat=True))
        Follow.objects.bulk_create(
            [
                Follow(feedback=target, user_id=uid)
                for uid in Follow.objects.filter(feedback=source).values_list("user_id", flat=True)
                if uid not in followers
            ],
            ignore_conflicts=True,
        )
        old_status = source.status
        source.status = Feedback.Status.MERGED
        source.merged_into = target
        source.save(update_fields=["status", "merged_into", "updated_at"])
        feedback_recount(feedback_id=source.pk)
        feedback_recount(feedback_id=target.pk)
        _mark_first_response(source)
        event = _event(
            source,
            actor,
            FeedbackEvent.Kind.MERGED,
            old=old_status,
            new=target.pk,
            message=_("Merged into “%(title)s”.") % {"title": target.title},
            public=True,
        )
        _event(target, actor, FeedbackEvent.Kind.MERGED_IN, new=source.pk)
        _notify_after_commit(event)
    target.refresh_from_db()
    return target
