"""Club emails through a real Celery worker, the real Redis broker and a real SMTP server: the
invitation arrives with its calendar part, a mailing whose task was lost is recovered by the sweep,
and the other company's member receives nothing of a club they are not in."""

from datetime import timedelta
from email import message_from_bytes, policy

import icalendar
import pytest
from django.db import transaction
from django.utils import timezone

from clubs import services
from clubs.models import Invitation, Mailing
from clubs.tasks import mailing_sweep
from core.models import OutboundEmail
from tests.core.conftest import wait_for
from tests.factories import client_user, feedback_for

pytestmark = pytest.mark.worker


def _club_with_a_meeting(product_owner, *members):
    club = services.club_create(actor=product_owner, name="Worker club")
    for member in members:
        services.member_add(club=club, actor=product_owner, user=member)
    start = timezone.now() + timedelta(days=3)
    meeting = services.meeting_create(
        club=club,
        actor=product_owner,
        title="Quarterly",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        timezone="America/Montreal",
    )
    return club, meeting


def test_an_invitation_reaches_the_inbox_with_its_calendar_part(worker, smtp_server, product_owner, member_a, org_b):
    _controller, inbox = smtp_server
    outsider = client_user(organization=org_b, email="outsider@globex.test")
    private_b = feedback_for(author=outsider, title="Globex private payroll wish")
    _club, meeting = _club_with_a_meeting(product_owner, member_a)
    with transaction.atomic():
        services.agenda_add(meeting=meeting, actor=product_owner, feedback=private_b, title="Payroll, summarized")
        services.invitations_send(meeting=meeting, actor=product_owner)
    assert wait_for(
        lambda: OutboundEmail.objects.filter(template="clubs/emails/invitation", status="sent").count() == 1,
        workers=[worker],
    )
    # The welcome email went too (member added); find the invitation among what arrived.
    assert wait_for(lambda: len(inbox.messages) >= 2, workers=[worker])
    messages = [message_from_bytes(envelope.original_content, policy=policy.default) for envelope in inbox.messages]
    invitation = next(m for m in messages if m["Subject"].startswith("Invitation"))
    assert invitation["To"] == member_a.email
    parts = [part for part in invitation.walk() if part.get_content_type() == "text/calendar"]
    assert len(parts) == 1 and parts[0].get_param("method") == "REQUEST"
    assert parts[0].get_filename() == "invite.ics"
    calendar = icalendar.Calendar.from_ical(parts[0].get_content())
    event = calendar.walk("VEVENT")[0]
    assert str(event["UID"]) == meeting.ical_uid
    assert event.decoded("DTSTART").tzinfo.key == "America/Montreal"
    # Nobody outside the club received anything; the private title travelled nowhere.
    assert all(envelope.rcpt_tos != [outsider.email] for envelope in inbox.messages)
    assert all(b"Globex private payroll wish" not in envelope.original_content for envelope in inbox.messages)


def test_a_mailing_whose_task_was_lost_is_sent_by_the_sweep(worker, smtp_server, product_owner, member_a):
    _controller, inbox = smtp_server
    club, meeting = _club_with_a_meeting(product_owner)
    # As if the broker had been down at commit: the ledger line exists, its task was never published.
    services.member_add(club=club, actor=product_owner, user=member_a)
    wait_for(lambda: Mailing.objects.filter(done_at__isnull=False).exists(), workers=[worker], timeout=10)
    Mailing.objects.all().delete()
    OutboundEmail.objects.all().delete()
    inbox.messages.clear()
    Invitation.objects.create(
        meeting=meeting, user=member_a, organization=member_a.organization, invited_at=timezone.now()
    )
    lost = Mailing.objects.create(club=club, kind=Mailing.Kind.INVITATION, meeting=meeting, sequence=0)
    Mailing.objects.filter(pk=lost.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    mailing_sweep.delay()
    assert wait_for(
        lambda: OutboundEmail.objects.filter(template="clubs/emails/invitation", status="sent").count() == 1,
        workers=[worker],
    )
    mailing_sweep.delay()  # a second sweep finds the line done: nothing twice
    assert wait_for(lambda: Mailing.objects.get(pk=lost.pk).done_at is not None, workers=[worker])
    assert OutboundEmail.objects.filter(template="clubs/emails/invitation").count() == 1
    assert len([e for e in inbox.messages if e.rcpt_tos == [member_a.email]]) == 1
