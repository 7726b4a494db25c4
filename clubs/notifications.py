"""Club emails: invitations, updates and cancellations with their calendar file, the day-before
reminder, the minutes and the welcome. Each goes through the outbox, in the recipient's language
and time zone, with one idempotency key per person and cause: a task run twice writes nothing twice.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from clubs import ics
from clubs.models import Invitation, Mailing, Meeting
from clubs.policy import topic_link_for
from core.models import OutboundEmail
from core.outbox import email_enqueue

logger = logging.getLogger(__name__)

TEMPLATES = {
    Mailing.Kind.INVITATION: "clubs/emails/invitation",
    Mailing.Kind.UPDATE: "clubs/emails/update",
    Mailing.Kind.CANCEL: "clubs/emails/cancel",
    Mailing.Kind.MINUTES: "clubs/emails/minutes",
    Mailing.Kind.WELCOME: "clubs/emails/welcome",
}


def _meeting_url(user: User, meeting: Meeting) -> str:
    name = "clubs:meeting" if user.is_staff_member else "clubs:portal_meeting"
    return settings.SITE_URL + reverse(name, kwargs={"pk": meeting.pk})


def agenda_for(*, user: User, meeting: Meeting) -> list[dict]:
    """The agenda as this person may read it: the organizer's wording, a link only where the policy allows."""
    topics = []
    for topic in meeting.agenda.select_related("feedback", "roadmap_item").order_by("position", "id"):
        link = topic_link_for(user=user, topic=topic)
        url = ""
        if link and link["kind"] == "feedback":
            url = reverse(
                "feedback:triage_detail" if user.is_staff_member else "feedback:portal_detail", args=[link["pk"]]
            )
        elif link and link["kind"] == "roadmap":
            url = reverse("roadmap:item", args=[link["pk"]]) if user.is_staff_member else reverse("roadmap:public")
        topics.append(
            {"title": topic.title, "minutes": topic.minutes_allotted, "url": settings.SITE_URL + url if url else ""}
        )
    return topics


def _send_one(*, kind: str, meeting: Meeting | None, user: User, key: str, extra: dict | None = None) -> bool:
    context = {"recipient": user, "meeting": meeting, **(extra or {})}
    attachments = None
    if meeting is not None:
        agenda = agenda_for(user=user, meeting=meeting)
        context.update(agenda=agenda, meeting_url=_meeting_url(user, meeting), club=meeting.club)
        if kind in (Mailing.Kind.INVITATION, Mailing.Kind.UPDATE, Mailing.Kind.CANCEL, "reminder"):
            method = ics.CANCEL if kind == Mailing.Kind.CANCEL else ics.REQUEST
            content = ics.meeting_ics(
                meeting=meeting,
                attendee_email=user.email,
                attendee_name=user.name,
                topics=[t["title"] for t in agenda],
                method=method,
            )
            attachments = [ics.ics_attachment(content=content, method=method)]
    with timezone.override(user.timezone or settings.TIME_ZONE):
        return bool(
            email_enqueue(
                to=user.email,
                template=TEMPLATES.get(kind, "clubs/emails/reminder"),
                context=context,
                language=user.language,
                idempotency_key=key,
                recipient=user,
                attachments=attachments,
            )
        )


def mailing_send(*, mailing_id: int) -> int:
    """Write the emails of one ledger line; returns how many were queued by this run."""
    mailing = Mailing.objects.select_related("club", "meeting__club", "membership__user").filter(pk=mailing_id).first()
    if mailing is None:
        return 0  # done_at is only for the sweep: a run after new invitations must still write theirs
    meeting = mailing.meeting
    queued = 0
    with transaction.atomic():
        if mailing.kind == Mailing.Kind.WELCOME:
            membership = mailing.membership
            if membership.is_active and membership.user.is_active:
                stamp = int(membership.joined_at.timestamp()) if membership.joined_at else 0
                queued += _send_one(
                    kind=mailing.kind,
                    meeting=None,
                    user=membership.user,
                    key=f"club-welcome:{membership.pk}:{stamp}",
                    extra={"club": mailing.club, "club_url": settings.SITE_URL + reverse("clubs:mine")},
                )
        else:
            invitations = Invitation.objects.filter(meeting=meeting, user__is_active=True).select_related("user")
            if mailing.kind == Mailing.Kind.MINUTES:
                invitations = invitations.filter(attended=True)
                extra = {"minutes": meeting.minutes}
            else:
                invitations = invitations.filter(invited_at__isnull=False)
                if mailing.kind != Mailing.Kind.INVITATION:
                    invitations = invitations.exclude(rsvp=Invitation.Rsvp.NO)
                extra = {}
            keyed = {}
            for invitation in invitations.order_by("user_id"):
                user = invitation.user
                key = (
                    f"club-minutes:{meeting.pk}:{user.pk}"
                    if mailing.kind == Mailing.Kind.MINUTES
                    else f"club-{mailing.kind}:{meeting.pk}:{mailing.sequence}:{user.pk}"
                )
                keyed[key] = user
            # Skip (without rendering) the people a previous run already wrote to.
            done = set(
                OutboundEmail.objects.filter(idempotency_key__in=list(keyed)).values_list("idempotency_key", flat=True)
            )
            for key, user in keyed.items():
                if key not in done:
                    queued += _send_one(kind=mailing.kind, meeting=meeting, user=user, key=key, extra=extra)
        Mailing.objects.filter(pk=mailing.pk, done_at__isnull=True).update(done_at=timezone.now())
    logger.info("club mailing=%s kind=%s queued=%s", mailing.pk, mailing.kind, queued)
    return queued


def mailing_due_ids(*, stale_after: timedelta = timedelta(minutes=1)) -> list[int]:
    return list(
        Mailing.objects.filter(done_at__isnull=True, created_at__lte=timezone.now() - stale_after)
        .order_by("id")
        .values_list("pk", flat=True)[:100]
    )


def reminders_send(*, now=None) -> int:
    """The day before: one reminder to each person who said yes. `reminded_at` is set in the
    transaction that queues the email, and the outbox key is per invitation: a second beat, a
    retried task or two workers racing send it once."""
    now = now or timezone.now()
    sent = 0
    candidates = Invitation.objects.filter(
        rsvp=Invitation.Rsvp.YES,
        reminded_at__isnull=True,
        invited_at__isnull=False,
        meeting__status=Meeting.Status.PLANNED,
        meeting__starts_at__gt=now,
        meeting__starts_at__lte=now + timedelta(days=1),
    ).values_list("pk", flat=True)
    for invitation_id in list(candidates[:1000]):
        with transaction.atomic():
            invitation = (
                Invitation.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("user", "meeting__club")
                .filter(pk=invitation_id, reminded_at__isnull=True)
                .first()
            )
            if invitation is None:
                continue
            Invitation.objects.filter(pk=invitation.pk).update(reminded_at=now)
            if invitation.user.is_active:
                sent += _send_one(
                    kind="reminder",
                    meeting=invitation.meeting,
                    user=invitation.user,
                    key=f"club-reminder:{invitation.pk}",
                )
    return sent
