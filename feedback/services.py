"""Writes for feedback. Each service owns its transaction, validates, locks what it reads then writes,
keeps the denormalized counters exact and records a FeedbackEvent for every change."""

import math

from django.contrib.postgres.search import SearchVector
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Sum, Value
from django.db.models.functions import Extract
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organization, User
from feedback.models import (
    Attachment,
    Comment,
    Feedback,
    FeedbackEvent,
    Follow,
    NotificationPreference,
    ProductArea,
    Tag,
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


def feedback_submit(
    *,
    author: User,
    organization: Organization,
    title: str,
    description: str = "",
    kind: str = Feedback.Kind.IDEA,
    product_area: ProductArea | None = None,
    importance: str = Feedback.Importance.IMPORTANT,
    visibility: str = Feedback.Visibility.PRIVATE,
    language: str | None = None,
    source: str = Feedback.Source.PORTAL,
    submitted_by: User | None = None,
    attachments: list | None = None,
) -> Feedback:
    """A client's request, from the portal or logged by staff on their behalf.
    The author's own vote and follow come with it, so demand counts include the requester."""
    if author.organization is None or author.organization.pk != organization.pk:
        raise ValidationError({"author": _("The requester must be a user of the requesting organization.")})
    if submitted_by is not None and not submitted_by.is_staff_member:
        raise PermissionDenied
    title = " ".join((title or "").split())
    errors = {}
    if len(title) < 5:
        errors["title"] = _("Give your request a title of at least 5 characters.")
    if kind not in Feedback.Kind.values:
        errors["kind"] = _("Choose a valid kind.")
    if importance not in Feedback.Importance.values:
        errors["importance"] = _("Choose a valid importance.")
    if visibility not in Feedback.Visibility.values:
        errors["visibility"] = _("Choose a valid visibility.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        language = language or author.language
        config = "retour_fr" if language == "fr" else "retour_en"
        description = (description or "").strip()
        # Counters and search vector are known at creation: the INSERT carries them.
        feedback = Feedback.objects.create(
            title=title[:200],
            description=description,
            kind=kind,
            product_area=product_area,
            importance=importance,
            visibility=visibility,
            language=language,
            source=source,
            organization=organization,
            author=author,
            submitted_by=submitted_by,
            assignee=product_area.default_owner if product_area else None,
            vote_count=1,
            organization_count=1,
            revenue=organization.annual_contract_value,
            hot_score=hot_score_value(vote_count=1, created=timezone.now()),
            search_vector=SearchVector(Value(title[:200]), weight="A", config=config)
            + SearchVector(Value(description), weight="B", config=config),
        )
        del feedback.search_vector  # the instance holds the expression; leave the field deferred
        Vote.objects.create(
            feedback=feedback,
            user=author,
            organization=organization,
            importance=importance,
            provenance=Vote.Provenance.ON_BEHALF if submitted_by else Vote.Provenance.DIRECT,
            cast_by=submitted_by,
        )
        Follow.objects.create(feedback=feedback, user=author)
        for upload in attachments or []:
            Attachment.objects.create(
                feedback=feedback,
                organization=organization,
                file=upload,
                original_name=upload.name[:255],
                content_type=upload.sniffed_type,
                size=upload.size,
                uploaded_by=submitted_by or author,
            )
        _event(feedback, submitted_by or author, FeedbackEvent.Kind.CREATED, new=feedback.status)
    return feedback


def vote_cast(
    *,
    feedback: Feedback,
    user: User,
    importance: str = Feedback.Importance.IMPORTANT,
    provenance: str = Vote.Provenance.DIRECT,
    cast_by: User | None = None,
) -> Vote:
    """One vote per user; voting again changes the importance."""
    if user.organization is None:
        raise ValidationError(_("Only client users can vote: staff vote on behalf of a client."))
    if importance not in Feedback.Importance.values:
        raise ValidationError({"importance": _("Choose a valid importance.")})
    if provenance == Vote.Provenance.ON_BEHALF and (cast_by is None or not cast_by.is_staff_member):
        raise PermissionDenied
    with transaction.atomic():
        feedback = _lock(feedback)
        if feedback.status == Feedback.Status.MERGED:
            raise ValidationError(_("This request was merged: vote on the request it was merged into."))
        vote, created = Vote.objects.get_or_create(
            feedback=feedback,
            user=user,
            defaults={
                "organization": user.organization,
                "importance": importance,
                "provenance": provenance,
                "cast_by": cast_by,
            },
        )
        if not created and vote.importance != importance:
            vote.importance = importance
            vote.save(update_fields=["importance"])
        if created:
            feedback_recount(feedback_id=feedback.pk)
            Follow.objects.get_or_create(feedback=feedback, user=user)  # voting subscribes, as in peer tools
    return vote


def vote_remove(*, feedback: Feedback, user: User) -> None:
    with transaction.atomic():
        feedback = _lock(feedback)
        deleted, _detail = Vote.objects.filter(feedback=feedback, user=user).delete()
        if deleted:
            feedback_recount(feedback_id=feedback.pk)


def follow_set(*, feedback: Feedback, user: User, following: bool) -> None:
    if following:
        Follow.objects.get_or_create(feedback=feedback, user=user)
    else:
        Follow.objects.filter(feedback=feedback, user=user).delete()


def comment_add(*, feedback: Feedback, author: User, body: str, is_internal: bool = False) -> Comment:
    """A public reply or, for staff only, an internal note. A requester's answer to a question
    puts the item back under review."""
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write something first.")})
    if is_internal and not author.is_staff_member:
        raise PermissionDenied
    with transaction.atomic():
        feedback = _lock(feedback)
        comment = Comment.objects.create(feedback=feedback, author=author, body=body, is_internal=is_internal)
        if is_internal:
            _event(feedback, author, FeedbackEvent.Kind.NOTE)
        elif author.is_staff_member:
            _mark_first_response(feedback)
            event = _event(feedback, author, FeedbackEvent.Kind.REPLY, message=body, public=True)
            _notify_after_commit(event)
        elif feedback.status == Feedback.Status.NEEDS_INFO and author.organization == feedback.organization:
            feedback.status = Feedback.Status.UNDER_REVIEW
            feedback.snoozed_until = None
            feedback.save(update_fields=["status", "snoozed_until", "updated_at"])
            _event(
                feedback,
                author,
                FeedbackEvent.Kind.INFO_PROVIDED,
                old=Feedback.Status.NEEDS_INFO,
                new=Feedback.Status.UNDER_REVIEW,
                public=True,
            )
    return comment


def feedback_change_status(*, feedback: Feedback, actor: User, status: str, public_message: str = "") -> Feedback:
    """A decision on a request. Declining needs a public reason; asking for details needs the question."""
    _require_product_owner(actor)
    public_message = (public_message or "").strip()
    if status not in Feedback.Status.values or status == Feedback.Status.MERGED:
        raise ValidationError({"status": _("Choose a valid status (merging has its own action).")})
    if status == Feedback.Status.DECLINED and not public_message:
        raise ValidationError({"public_message": _("Tell the clients why this request is declined.")})
    if status == Feedback.Status.NEEDS_INFO and not public_message:
        raise ValidationError({"public_message": _("Write the question for the requester.")})
    with transaction.atomic():
        feedback = _lock(feedback)
        if feedback.status == Feedback.Status.MERGED:
            raise ValidationError({"status": _("This request was merged; change the request it was merged into.")})
        if feedback.status == status and not public_message:
            return feedback
        old = feedback.status
        feedback.status = status
        feedback.save(update_fields=["status", "updated_at"])
        _mark_first_response(feedback)
        event = _event(
            feedback, actor, FeedbackEvent.Kind.STATUS, old=old, new=status, message=public_message, public=True
        )
        _notify_after_commit(event)
    return feedback


def feedback_assign(*, feedback: Feedback, actor: User, assignee: User | None) -> Feedback:
    _require_staff(actor)
    if assignee is not None and not assignee.is_staff_member:
        raise ValidationError({"assignee": _("Only staff can be assigned.")})
    with transaction.atomic():
        feedback = _lock(feedback)
        old = feedback.assignee
        feedback.assignee = assignee
        feedback.save(update_fields=["assignee", "updated_at"])
        _event(feedback, actor, FeedbackEvent.Kind.ASSIGNED, old=old or "", new=assignee or "")
    return feedback


def feedback_set_product_area(*, feedback: Feedback, actor: User, product_area: ProductArea | None) -> Feedback:
    _require_staff(actor)
    with transaction.atomic():
        feedback = _lock(feedback)
        old = feedback.product_area
        feedback.product_area = product_area
        feedback.save(update_fields=["product_area", "updated_at"])
        _event(feedback, actor, FeedbackEvent.Kind.AREA, old=old or "", new=product_area or "")
    return feedback


def feedback_set_tags(*, feedback: Feedback, actor: User, tags: list[Tag]) -> Feedback:
    _require_staff(actor)
    with transaction.atomic():
        feedback = _lock(feedback)
        old = ", ".join(sorted(t.name for t in feedback.tags.all()))
        feedback.tags.set(tags)
        _event(feedback, actor, FeedbackEvent.Kind.TAGS, old=old, new=", ".join(sorted(t.name for t in tags)))
    return feedback


def feedback_snooze(*, feedback: Feedback, actor: User, until) -> Feedback:
    _require_staff(actor)
    if until is not None and until <= timezone.now():
        raise ValidationError({"snoozed_until": _("Snooze until a moment in the future.")})
    with transaction.atomic():
        feedback = _lock(feedback)
        feedback.snoozed_until = until
        feedback.save(update_fields=["snoozed_until", "updated_at"])
        _event(feedback, actor, FeedbackEvent.Kind.SNOOZED, new=until.isoformat() if until else "")
    return feedback


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


def notification_preferences_set(*, user: User, choices: dict[str, bool]) -> None:
    with transaction.atomic():
        for event, email in choices.items():
            NotificationPreference.objects.update_or_create(user=user, event=event, defaults={"email": email})
