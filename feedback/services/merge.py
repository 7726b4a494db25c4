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
from feedback.policy import Action, feedback_is_visible_to, feedback_require
from feedback.services._common import (
    IMPORTANCE_RANK,
    _event,
    _mark_first_response,
    _notify_after_commit,
    feedback_recount,
)


def feedback_merge(*, source: Feedback, target: Feedback, actor: User) -> Feedback:
    """Move votes (no double vote: the higher importance stays), followers and requesters of
    `source` to `target`; `source` becomes `merged` and points at `target`."""
    feedback_require(user=actor, action=Action.MERGE, feedback=source)
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
        refusal = _merge_refusal(source=source, target=target)
        if refusal:
            raise ValidationError({"target": refusal})
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


def _merge_refusal(*, source: Feedback, target: Feedback) -> str | None:
    """A merge may only lead people to a request they can see: everyone who can read the source
    (its history will name the target) and everyone with a stake in it (author, voters, followers,
    whose votes count in the target's revenue) must be able to see the target."""
    if target.is_public:
        return None
    if source.is_public or source.organization_id != target.organization_id:
        return _(
            "“%(target)s” is private to %(company)s, and “%(source)s” can be read by other companies: "
            "merging would show them a private request. Make the target public first, or merge the other way."
        ) % {"target": target.title, "source": source.title, "company": target.organization.name}
    stake = set(Vote.objects.filter(feedback=source).values_list("user_id", flat=True))
    stake |= set(Follow.objects.filter(feedback=source).values_list("user_id", flat=True))
    stake.add(source.author_id)
    outsiders = [
        user
        for user in User.objects.filter(pk__in=stake).select_related("client_membership__organization")
        if not feedback_is_visible_to(user=user, feedback=target)
    ]
    if outsiders:
        companies = sorted({str(u.organization or "—") for u in outsiders})
        return _(
            "%(count)s people of other companies (%(companies)s) follow or voted for “%(source)s” and cannot see "
            "the private request “%(target)s”. Make the target public first."
        ) % {"count": len(outsiders), "companies": ", ".join(companies), "source": source.title, "target": target.title}
    return None
