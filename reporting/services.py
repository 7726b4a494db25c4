"""Every write of reporting, each in its own transaction, each asking reporting.policy first."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.tasks_util import enqueue_on_commit
from reporting import schedule
from reporting.digests import BUILD_TASK, unsubscribe_read
from reporting.models import ALL_SECTIONS, Digest, DigestSubscription
from reporting.policy import Action, outside_address_refusal, reporting_require

SCALAR_FIELDS = (
    "name",
    "team",
    "user",
    "language",
    "frequency",
    "weekday",
    "day_of_month",
    "hour",
    "minute",
    "timezone",
    "segments",
    "sections",
    "waiting_days",
    "is_active",
)
M2M_FIELDS = ("product_areas", "organizations", "clubs")


def _validate(subscription: DigestSubscription) -> None:
    errors: dict[str, list[str]] = {}
    if bool(subscription.team_id) == bool(subscription.user_id):
        errors.setdefault("team", []).append(_("Choose a team or one person, not both."))
    if subscription.user_id and not subscription.user.is_staff_member:
        errors.setdefault("user", []).append(_("Only staff members receive digests."))
    if subscription.team_id:
        for email in subscription.team.extra_emails:
            refusal = outside_address_refusal(email)
            if refusal:
                errors.setdefault("team", []).append(refusal)
    # The table's check constraints, said field by field in the reader's language.
    for field, value, low, high in (
        ("hour", subscription.hour, 0, 23),
        ("minute", subscription.minute, 0, 59),
        ("day_of_month", subscription.day_of_month, 1, 28),
        ("weekday", subscription.weekday, 0, 6),
    ):
        if isinstance(value, int) and not low <= value <= high:
            errors.setdefault(field, []).append(
                _("Choose a number from %(low)s to %(high)s.") % {"low": low, "high": high}
            )
    if not subscription.sections:
        errors.setdefault("sections", []).append(_("Choose at least one section."))
    unknown = [s for s in subscription.sections if s not in ALL_SECTIONS]
    if unknown:
        errors.setdefault("sections", []).append(_("Unknown sections: %(names)s.") % {"names": ", ".join(unknown)})
    try:
        subscription.full_clean(
            exclude=["team", "user", "created_by", "sections", "unsubscribed"], validate_constraints=False
        )
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            if field not in errors:  # one message per field (weekday is also checked as a choice)
                errors[field] = list(messages)
    if errors:
        raise ValidationError(errors)


def subscription_save(*, actor: User, data: dict, subscription: DigestSubscription | None = None) -> DigestSubscription:
    """Create (no `subscription`) or update a subscription from cleaned data; all or nothing."""
    reporting_require(user=actor, action=Action.MANAGE)
    with transaction.atomic():
        if subscription is None:
            subscription = DigestSubscription(created_by=actor)
        else:
            subscription = DigestSubscription.objects.select_for_update().get(pk=subscription.pk)
        for name in SCALAR_FIELDS:
            if name in data:
                setattr(subscription, name, data[name])
        subscription.sections = [s for s in ALL_SECTIONS if s in (subscription.sections or [])] + [
            s for s in (subscription.sections or []) if s not in ALL_SECTIONS
        ]
        subscription.segments = sorted(set(subscription.segments or []))
        _validate(subscription)
        subscription.save()
        for name in M2M_FIELDS:
            if name in data:
                getattr(subscription, name).set(data[name])
    return subscription


def subscription_delete(*, actor: User, subscription: DigestSubscription) -> None:
    reporting_require(user=actor, action=Action.MANAGE)
    with transaction.atomic():
        DigestSubscription.objects.filter(pk=subscription.pk).delete()


def digest_send_now(*, actor: User, subscription: DigestSubscription, now: dt.datetime | None = None) -> Digest:
    """Build and send the digest of the period ending today (in the subscription's time zone) now.

    The period is the one a send today would cover, so the scheduled send of the same day finds it
    done and sends nothing more. A period already sent is refused: its digest is in the archive.
    """
    reporting_require(user=actor, action=Action.MANAGE)
    now = now or timezone.now()
    today = now.astimezone(schedule.zone(subscription)).date()
    occurrence = schedule.occurrence_on(subscription, today)
    with transaction.atomic():
        try:
            with transaction.atomic():
                digest = Digest.objects.create(
                    subscription=subscription,
                    period_start=occurrence.period_start,
                    period_end=occurrence.period_end,
                    due_at=now,
                    language=subscription.language,
                    requested_by=actor,
                )
        except IntegrityError:
            digest = Digest.objects.select_for_update().get(
                subscription=subscription, period_start=occurrence.period_start
            )
            if digest.status == Digest.Status.SENT:
                raise ValidationError(_("The digest of this period was already sent; it is in the archive.")) from None
            if digest.status == Digest.Status.FAILED:
                digest.status = Digest.Status.PENDING
                digest.attempts = 0
                digest.requested_by = actor
                digest.save(update_fields=["status", "attempts", "requested_by", "updated_at"])
        enqueue_on_commit(BUILD_TASK, digest.pk)
    return digest


def digest_rebuild(*, actor: User, digest: Digest) -> Digest:
    """Build a failed (or not yet sent) digest again. A sent digest is never rebuilt: it is what was told."""
    reporting_require(user=actor, action=Action.MANAGE)
    with transaction.atomic():
        digest = Digest.objects.select_for_update().get(pk=digest.pk)
        if digest.status == Digest.Status.SENT:
            raise ValidationError(_("This digest was sent: it stays as it was told."))
        digest.status = Digest.Status.PENDING
        digest.attempts = 0
        digest.error = ""
        digest.requested_by = actor
        digest.save(update_fields=["status", "attempts", "error", "requested_by", "updated_at"])
        enqueue_on_commit(BUILD_TASK, digest.pk)
    return digest


def unsubscribe(*, token: str) -> tuple[DigestSubscription, str]:
    """Stop this subscription's digests for the address in the token; no sign-in. Idempotent."""
    value = unsubscribe_read(token)
    if value is None:
        raise ValidationError(_("This unsubscribe link is not valid."))
    subscription_id, email = value
    with transaction.atomic():
        subscription = DigestSubscription.objects.select_for_update().filter(pk=subscription_id).first()
        if subscription is None:
            raise ValidationError(_("This subscription no longer exists: nothing more will be sent."))
        if email not in {e.lower() for e in subscription.unsubscribed}:
            subscription.unsubscribed = [*subscription.unsubscribed, email]
            subscription.save(update_fields=["unsubscribed", "updated_at"])
    return subscription, email


def resubscribe(*, token: str) -> tuple[DigestSubscription, str]:
    """Undo an unsubscribe from the same link (a mistaken click)."""
    value = unsubscribe_read(token)
    if value is None:
        raise ValidationError(_("This unsubscribe link is not valid."))
    subscription_id, email = value
    with transaction.atomic():
        subscription = DigestSubscription.objects.select_for_update().filter(pk=subscription_id).first()
        if subscription is None:
            raise ValidationError(_("This subscription no longer exists: nothing more will be sent."))
        subscription.unsubscribed = [e for e in subscription.unsubscribed if e.lower() != email]
        subscription.save(update_fields=["unsubscribed", "updated_at"])
    return subscription, email


def team_save(*, actor: User, data: dict, team=None):
    """Create or update a mailing team: name, staff members, outside addresses, their language."""
    from accounts.models import Team

    reporting_require(user=actor, action=Action.MANAGE)
    errors: dict[str, list[str]] = {}
    members = list(data.get("members", team.members.all() if team else []))
    not_staff = [m for m in members if not m.is_staff_member]
    if not_staff:
        errors["members"] = [
            _("Only staff members can be in a team: %(names)s.") % {"names": ", ".join(str(m) for m in not_staff)}
        ]
    emails = []
    for email in data.get("extra_emails", team.extra_emails if team else []):
        email = email.strip()
        if email and email.lower() not in {e.lower() for e in emails}:
            emails.append(email)
    refusals = [r for r in (outside_address_refusal(e) for e in emails) if r]
    if refusals:
        errors["extra_emails"] = refusals
    with transaction.atomic():
        if team is None:
            team = Team()
        else:
            team = Team.objects.select_for_update().get(pk=team.pk)
        team.name = data.get("name", team.name)
        team.language = data.get("language", team.language)
        team.extra_emails = emails
        try:
            team.full_clean(exclude=["members"])
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(field, []).extend(messages)
        if errors:
            raise ValidationError(errors)
        team.save()
        team.members.set(members)
    return team
