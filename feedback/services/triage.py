"""The product owner's decisions and triage fields."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from feedback.limits import PUBLIC_MESSAGE_MAX, SAVED_VIEW_NAME_MAX
from feedback.models import (
    Feedback,
    FeedbackEvent,
    NotificationPreference,
    ProductArea,
    SavedView,
    Tag,
)
from feedback.policy import Action, feedback_require
from feedback.services._common import (
    _check_length,
    _event,
    _lock,
    _mark_first_response,
    _notify_after_commit,
)


def feedback_change_status(
    *, feedback: Feedback, actor: User, status: str, public_message: str = "", notify: bool = True
) -> Feedback:
    """A decision on a request. Declining needs a public reason; asking for details needs the question.
    `notify=False` when the caller tells the people concerned itself (a release announces once per person)."""
    feedback_require(user=actor, action=Action.DECIDE, feedback=feedback)
    public_message = (public_message or "").strip()
    if status not in Feedback.Status.values or status == Feedback.Status.MERGED:
        raise ValidationError({"status": _("Choose a valid status (merging has its own action).")})
    if status == Feedback.Status.DECLINED and not public_message:
        raise ValidationError({"public_message": _("Tell the clients why this request is declined.")})
    if status == Feedback.Status.NEEDS_INFO and not public_message:
        raise ValidationError({"public_message": _("Write the question for the requester.")})
    errors: dict = {}
    _check_length(errors, "public_message", public_message, PUBLIC_MESSAGE_MAX)
    if errors:
        raise ValidationError(errors)
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
        if notify:
            _notify_after_commit(event)
        else:
            event.fanned_out_at = timezone.now()  # the sweep must not fan it out either
            event.silent = True  # nobody was told: the loop-closure rate counts it as not told
            event.save(update_fields=["fanned_out_at", "silent"])
    return feedback


def feedback_assign(*, feedback: Feedback, actor: User, assignee: User | None) -> Feedback:
    feedback_require(user=actor, action=Action.ASSIGN, feedback=feedback)
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
    feedback_require(user=actor, action=Action.SET_AREA, feedback=feedback)
    with transaction.atomic():
        feedback = _lock(feedback)
        old = feedback.product_area
        feedback.product_area = product_area
        feedback.save(update_fields=["product_area", "updated_at"])
        _event(feedback, actor, FeedbackEvent.Kind.AREA, old=old or "", new=product_area or "")
    return feedback


def feedback_set_tags(*, feedback: Feedback, actor: User, tags: list[Tag]) -> Feedback:
    feedback_require(user=actor, action=Action.SET_TAGS, feedback=feedback)
    with transaction.atomic():
        feedback = _lock(feedback)
        old = ", ".join(sorted(t.name for t in feedback.tags.all()))
        feedback.tags.set(tags)
        _event(feedback, actor, FeedbackEvent.Kind.TAGS, old=old, new=", ".join(sorted(t.name for t in tags)))
    return feedback


def feedback_snooze(*, feedback: Feedback, actor: User, until) -> Feedback:
    feedback_require(user=actor, action=Action.SNOOZE, feedback=feedback)
    if until is not None and until <= timezone.now():
        raise ValidationError({"snoozed_until": _("Snooze until a moment in the future.")})
    with transaction.atomic():
        feedback = _lock(feedback)
        feedback.snoozed_until = until
        feedback.save(update_fields=["snoozed_until", "updated_at"])
        _event(feedback, actor, FeedbackEvent.Kind.SNOOZED, new=until.isoformat() if until else "")
    return feedback


def notification_preferences_set(*, user: User, choices: dict[str, bool]) -> None:
    with transaction.atomic():
        for event, email in choices.items():
            NotificationPreference.objects.update_or_create(user=user, event=event, defaults={"email": email})


_UNSET = object()


def feedback_update(
    *,
    feedback: Feedback,
    actor: User,
    status: str | None = None,
    public_message: str = "",
    assignee=_UNSET,
    product_area=_UNSET,
    tags: list[Tag] | None = None,
) -> Feedback:
    """Several triage fields in one call (the API's PATCH): all of them or none."""
    if public_message and status is None:
        raise ValidationError({"public_message": _("A message to the clients goes with a status change.")})
    with transaction.atomic():
        if assignee is not _UNSET:
            feedback = feedback_assign(feedback=feedback, actor=actor, assignee=assignee)
        if product_area is not _UNSET:
            feedback = feedback_set_product_area(feedback=feedback, actor=actor, product_area=product_area)
        if tags is not None:
            feedback = feedback_set_tags(feedback=feedback, actor=actor, tags=tags)
        if status is not None:  # last: a refused decision undoes the fields set above
            feedback = feedback_change_status(
                feedback=feedback, actor=actor, status=status, public_message=public_message
            )
    return feedback


BULK_LIMIT = 200


def feedback_bulk_apply(
    *,
    actor: User,
    ids: list[int],
    action: str,
    status: str = "",
    public_message: str = "",
    assignee: User | None = None,
    product_area: ProductArea | None = None,
    tag: Tag | None = None,
    target_id: int | None = None,
    until=None,
) -> int:
    """One triage action on many requests, all or nothing. Returns how many requests were changed.
    `snooze` with `until` None wakes them up."""
    from feedback.services.merge import feedback_merge

    items = list(Feedback.objects.filter(pk__in=ids[:BULK_LIMIT]).order_by("pk"))
    if not items:
        raise ValidationError(_("Select at least one request."))
    target = None
    if action == "status" and not status:
        raise ValidationError({"status": _("Choose a status.")})
    if action == "tag" and tag is None:
        raise ValidationError({"tag": _("Choose a tag.")})
    if action == "merge":
        target = Feedback.objects.filter(pk=target_id or 0).first()
        if target is None:
            raise ValidationError({"target": _("There is no request with that number.")})
    if action not in {"status", "assign", "area", "tag", "merge", "snooze"}:
        raise ValidationError({"action": _("Choose an action.")})
    with transaction.atomic():
        for feedback in items:
            if action == "status":
                feedback_change_status(feedback=feedback, actor=actor, status=status, public_message=public_message)
            elif action == "assign":
                feedback_assign(feedback=feedback, actor=actor, assignee=assignee)
            elif action == "area":
                feedback_set_product_area(feedback=feedback, actor=actor, product_area=product_area)
            elif action == "tag":
                feedback_set_tags(feedback=feedback, actor=actor, tags=[*feedback.tags.all(), tag])
            elif action == "merge" and feedback.pk != target.pk:
                feedback_merge(source=feedback, target=target, actor=actor)
            elif action == "snooze":
                feedback_snooze(feedback=feedback, actor=actor, until=until)
    return len(items)


def _view_name(name: str) -> tuple[str, dict]:
    """A saved view's name, spaces collapsed, and what is wrong with it."""
    name = " ".join((name or "").split())
    errors: dict = {}
    if not name:
        errors["name"] = _("Give the view a name.")
    _check_length(errors, "name", name, SAVED_VIEW_NAME_MAX)
    return name, errors


def saved_view_save(*, user: User, name: str, query: str) -> SavedView:
    feedback_require(user=user, action=Action.TRIAGE)
    name, errors = _view_name(name)
    if len(query) > 1000:
        errors["query"] = _("These filters are too long to be saved.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        view, _created = SavedView.objects.update_or_create(user=user, name=name, defaults={"query": query})
    return view


def saved_view_delete(*, user: User, pk: int) -> None:
    """Only the user's own views: another user's view is not found."""
    SavedView.objects.filter(user=user, pk=pk).delete()


def saved_view_rename(*, user: User, pk: int, name: str) -> SavedView:
    """Only the user's own views: another user's raises SavedView.DoesNotExist, as a missing one does."""
    feedback_require(user=user, action=Action.TRIAGE)
    name, errors = _view_name(name)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        view = SavedView.objects.select_for_update().get(user=user, pk=pk)
        if view.name == name:
            return view
        if SavedView.objects.filter(user=user, name=name).exclude(pk=pk).exists():
            raise ValidationError({"name": _("You already have a view named “%(name)s”.") % {"name": name}})
        view.name = name
        view.save(update_fields=["name"])
    return view


SHIP_BATCH = 500


def feedback_ship_many(*, feedback_ids: list[int], actor: User) -> int:
    """Move many open requests to `shipped` at once (a release): one locked batch at a time, a public
    status event for each, no per-request notification — the caller announces it once per person.
    Requests already closed are left as they are; running it again ships nothing more."""
    feedback_require(user=actor, action=Action.DECIDE)
    closed = [Feedback.Status.SHIPPED, Feedback.Status.DECLINED, Feedback.Status.MERGED]
    shipped = 0
    ids = sorted(set(feedback_ids))
    for start in range(0, len(ids), SHIP_BATCH):
        with transaction.atomic():
            rows = list(
                Feedback.objects.select_for_update()
                .filter(pk__in=ids[start : start + SHIP_BATCH])
                .exclude(status__in=closed)
                .order_by("pk")
                .values_list("pk", "status")
            )
            if not rows:
                continue
            now = timezone.now()
            FeedbackEvent.objects.bulk_create(
                [
                    FeedbackEvent(
                        feedback_id=pk,
                        actor=actor,
                        kind=FeedbackEvent.Kind.STATUS,
                        old_value=old,
                        new_value=Feedback.Status.SHIPPED,
                        is_public=True,
                        fanned_out_at=now,  # told by the caller, not by the per-event fan-out
                    )
                    for pk, old in rows
                ]
            )
            pks = [pk for pk, _old in rows]
            Feedback.objects.filter(pk__in=pks).update(status=Feedback.Status.SHIPPED, updated_at=now)
            Feedback.objects.filter(pk__in=pks, first_response_at__isnull=True).update(first_response_at=now)
            shipped += len(pks)
    return shipped
