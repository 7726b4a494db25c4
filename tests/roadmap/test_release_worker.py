"""Publishing a release with a real Celery worker, the real Redis broker and a real SMTP server on
loopback: each requester and voter gets exactly one release email; publishing again or re-running
the task sends nothing more; nobody of another company learns of a private request."""

import time
from email import message_from_bytes, policy
from unittest import mock

import pytest

from core.models import OutboundEmail
from feedback import services as feedback_services
from roadmap import services
from roadmap.models import Release
from roadmap.tasks import release_fanout
from tests.core.conftest import smtp_server, start_worker, wait_for, worker  # noqa: F401 - the worker fixtures
from tests.factories import feedback_for

pytestmark = pytest.mark.worker

PUBLIC_TITLE = "Work offline in basements"
PRIVATE_TITLE = "Offline sync of the Acme-only inventory tablets"


def text_of(envelope) -> str:
    message = message_from_bytes(envelope.original_content, policy=policy.default)
    parts = [message.get("Subject", "")]
    parts += [part.get_content() for part in message.walk() if part.get_content_maintype() == "text"]
    return "\n".join(parts)


def all_sent(expected: int) -> bool:
    emails = OutboundEmail.objects.filter(idempotency_key__startswith="release:")
    return emails.count() == expected and not emails.exclude(status=OutboundEmail.Status.SENT).exists()


def test_a_release_reaches_each_requester_and_voter_once(
    worker,  # noqa: F811
    smtp_server,  # noqa: F811
    product_owner,
    admin_a,
    member_a,
    admin_b,
    member_b,
):
    _controller, inbox = smtp_server
    public = feedback_for(author=member_a, title=PUBLIC_TITLE, visibility="public")
    private = feedback_for(author=admin_a, title=PRIVATE_TITLE, visibility="private")
    feedback_services.vote_cast(feedback=public, user=admin_a)
    feedback_services.vote_cast(feedback=public, user=member_b)
    feedback_services.vote_cast(feedback=public, user=admin_b)
    feedback_services.vote_cast(feedback=private, user=member_a)
    item = services.item_create(actor=product_owner, title="Offline mode (sync engine v2)")
    services.item_link_feedback(item=item, feedback=public, actor=product_owner)
    services.item_link_feedback(item=item, feedback=private, actor=product_owner)
    release = services.release_save(
        actor=product_owner, title="Spring release", release_date=public.created_at.date(), items=[item]
    )
    emails_before = OutboundEmail.objects.count()

    services.release_publish(release=release, actor=product_owner)  # queues the fan-out on commit

    people = {admin_a.email, member_a.email, admin_b.email, member_b.email}  # not the product owner
    assert wait_for(lambda: all_sent(len(people)) and len(inbox.messages) >= len(people), workers=[worker])
    recipients = sorted(address for envelope in inbox.messages for address in envelope.rcpt_tos)
    assert recipients == sorted(people)  # each person once, requests of both kinds in one email
    release.refresh_from_db()
    assert release.fanned_out_at is not None
    assert OutboundEmail.objects.count() == emails_before + len(people)  # no per-request status emails

    # Publishing again does nothing; the task re-run (a retry, a restarted worker) sends nothing more,
    # also when it runs again from the start because the end of the first run was never recorded.
    services.release_publish(release=release, actor=product_owner)
    release_fanout.delay(release.pk)
    Release.objects.filter(pk=release.pk).update(fanned_out_at=None)
    release_fanout.delay(release.pk)
    assert wait_for(
        lambda: Release.objects.filter(pk=release.pk, fanned_out_at__isnull=False).exists(), workers=[worker]
    )
    time.sleep(2)  # time for any stray email to reach the SMTP server
    assert len(inbox.messages) == len(people)
    assert OutboundEmail.objects.count() == emails_before + len(people)

    # The scan: Acme's people read both titles; Globex's people read the public one and nothing of the private one.
    by_person = {envelope.rcpt_tos[0]: text_of(envelope) for envelope in inbox.messages}
    assert PRIVATE_TITLE in by_person[member_a.email] and PUBLIC_TITLE in by_person[member_a.email]
    assert PRIVATE_TITLE in by_person[admin_a.email]
    for email in (admin_b.email, member_b.email):
        assert PUBLIC_TITLE in by_person[email]
        assert PRIVATE_TITLE not in by_person[email]
        assert "Acme-only" not in by_person[email] and f"/{private.pk}/" not in by_person[email]


def test_a_slow_publish_still_tells_the_first_requesters(
    django_capture_on_commit_callbacks, product_owner, member_a, member_b
):
    """Publishing thousands of requests takes seconds: the fan-out must still find the first ones'
    "shipped" events (it looks for those written since the release's publication time)."""
    requests = [
        feedback_for(author=member_a, title=PUBLIC_TITLE, visibility="public"),
        feedback_for(author=member_b, title="Offline sync for tablets"),
    ]
    item = services.item_create(actor=product_owner, title="Offline mode (sync engine v2)")
    for request in requests:
        services.item_link_feedback(item=item, feedback=request, actor=product_owner)
    release = services.release_save(
        actor=product_owner, title="Spring release", release_date=requests[0].created_at.date(), items=[item]
    )
    change_status = feedback_services.feedback_change_status

    def slow(**kwargs):
        result = change_status(**kwargs)
        time.sleep(1.2)  # as if thousands of requests followed
        return result

    with (
        mock.patch("feedback.services.feedback_change_status", side_effect=slow),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.release_publish(release=release, actor=product_owner)
    told = OutboundEmail.objects.filter(idempotency_key__startswith=f"release:{release.pk}:")
    assert sorted(told.values_list("to_email", flat=True)) == sorted([member_a.email, member_b.email])
