"""The fan-out of a feedback event: recovered from the database when the broker was down, done once,
plain text unescaped, and a client's answer to a question reaching the staff who handle the request."""

import socket
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from config.celery import app as celery_app
from core.models import OutboundEmail
from feedback import services
from feedback.models import Feedback, FeedbackEvent, Notification, NotificationPreference
from feedback.tasks import fanout_sweep
from tests.factories import StaffFactory, feedback_for


@contextmanager
def broker_down():
    """Publishing goes to a closed port, as when Redis is down, and nothing runs inline."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    conf = celery_app.conf
    previous = conf.broker_url, conf.broker_write_url, conf.task_always_eager
    conf.broker_url, conf.broker_write_url, conf.task_always_eager = f"redis://127.0.0.1:{port}/0", None, False
    celery_app._pool, celery_app.amqp._producer_pool = None, None
    try:
        yield
    finally:
        conf.broker_url, conf.broker_write_url, conf.task_always_eager = previous
        celery_app._pool, celery_app.amqp._producer_pool = None, None


def age(event_ids, minutes=2):
    FeedbackEvent.objects.filter(pk__in=event_ids).update(created_at=timezone.now() - timedelta(minutes=minutes))


@pytest.mark.django_db(transaction=True)
def test_status_change_with_the_broker_down_answers_and_the_sweep_notifies_once(
    login, product_owner, member_a, org_a, caplog
):
    item = feedback_for(author=member_a, title="Export to PDF")
    with broker_down():
        response = login(product_owner).post(
            reverse("feedback:triage_detail", args=[item.pk]),
            {"action": "status", "status": "declined", "public_message": "Not in our vision."},
        )
    assert response.status_code == 302
    assert "feedback.notify_event" in caplog.text and "not published" in caplog.text
    item.refresh_from_db()
    assert item.status == Feedback.Status.DECLINED  # the change stays saved
    event = FeedbackEvent.objects.get(feedback=item, kind=FeedbackEvent.Kind.STATUS)
    assert event.fanned_out_at is None
    assert not OutboundEmail.objects.filter(template="feedback/emails/status").exists()
    assert fanout_sweep.apply().get() == 0  # too young: its own task may still be on the way
    age([event.pk])
    assert fanout_sweep.apply().get() == 1
    assert fanout_sweep.apply().get() == 0
    event.refresh_from_db()
    assert event.fanned_out_at is not None
    assert Notification.objects.filter(event=event, user=member_a).count() == 1
    email = OutboundEmail.objects.get(template="feedback/emails/status")
    assert email.to_email == member_a.email
    assert email.status == OutboundEmail.Status.SENT
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_a_new_outbox_row_with_the_broker_down_stays_pending_for_the_sweep(login, product_owner):
    from core.tasks import outbox_sweep

    with broker_down():
        response = login(product_owner).post(reverse("core:email_test"), {"to": "ops@example.org", "language": "en"})
    assert response.status_code == 302
    email = OutboundEmail.objects.get()
    # The test email is delivered at once by the view (locmem), the lost publication changes nothing.
    assert email.status == OutboundEmail.Status.SENT
    assert outbox_sweep.apply().get() == 0
    assert len(mail.outbox) == 1


def test_a_fan_out_run_twice_notifies_once(member_a, product_owner, django_capture_on_commit_callbacks):
    from feedback.notifications import event_notify

    item = feedback_for(author=member_a)
    with django_capture_on_commit_callbacks(execute=False):
        services.feedback_change_status(
            feedback=item, actor=product_owner, status=Feedback.Status.PLANNED, public_message=""
        )
    event = FeedbackEvent.objects.get(feedback=item, kind=FeedbackEvent.Kind.STATUS)
    assert event_notify(event_id=event.pk) == 1
    assert event_notify(event_id=event.pk) == 0
    assert Notification.objects.filter(event=event).count() == 1
    assert OutboundEmail.objects.filter(template="feedback/emails/status").count() == 1


def test_internal_events_are_never_swept_nor_notified(member_a, product_owner, django_capture_on_commit_callbacks):
    item = feedback_for(author=member_a)
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(feedback=item, author=product_owner, body="INTERNAL: churn risk", is_internal=True)
    age(FeedbackEvent.objects.values_list("pk", flat=True))
    assert fanout_sweep.apply().get() == 0
    assert not Notification.objects.exists()
    assert not OutboundEmail.objects.filter(text_body__contains="churn").exists()


TRICKY = "L'export d'écritures & <taxes> \"v2\""


def test_subject_and_text_keep_the_title_verbatim_and_the_html_escapes_it(
    member_a, product_owner, django_capture_on_commit_callbacks
):
    item = feedback_for(author=member_a, title=TRICKY)
    with django_capture_on_commit_callbacks(execute=True):
        services.feedback_change_status(
            feedback=item, actor=product_owner, status=Feedback.Status.PLANNED, public_message="Soon & <b>sure</b>"
        )
    email = OutboundEmail.objects.get(template="feedback/emails/status")
    assert TRICKY in email.subject
    assert TRICKY in email.text_body
    assert "Soon & <b>sure</b>" in email.text_body
    assert "&#x27;" not in email.subject + email.text_body and "&amp;" not in email.subject + email.text_body
    assert "&lt;taxes&gt;" in email.html_body and "<taxes>" not in email.html_body
    assert "&lt;b&gt;sure" in email.html_body
    assert TRICKY in mail.outbox[0].subject and TRICKY in mail.outbox[0].body


def _ask_then_answer(login, product_owner, member_a, item, callbacks):
    with callbacks(execute=True):
        services.feedback_change_status(
            feedback=item, actor=product_owner, status=Feedback.Status.NEEDS_INFO, public_message="Which format?"
        )
    mail.outbox.clear()
    with callbacks(execute=True):
        response = login(member_a).post(
            reverse("feedback:portal_detail", args=[item.pk]), {"action": "comment", "body": "CSV & <PDF>, please"}
        )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == Feedback.Status.UNDER_REVIEW


def test_a_client_answer_reaches_the_assignee_in_the_browser_and_by_email(
    login, product_owner, member_a, django_capture_on_commit_callbacks
):
    handler = StaffFactory(email="handler@retour.test", staff_role="contributor")
    other_po = StaffFactory(email="po2@retour.test", staff_role="product_owner")
    item = feedback_for(author=member_a, title=TRICKY)
    services.feedback_assign(feedback=item, actor=product_owner, assignee=handler)
    _ask_then_answer(login, product_owner, member_a, item, django_capture_on_commit_callbacks)
    event = FeedbackEvent.objects.get(feedback=item, kind=FeedbackEvent.Kind.INFO_PROVIDED)
    assert list(Notification.objects.filter(event=event).values_list("user", flat=True)) == [handler.pk]
    email = OutboundEmail.objects.get(template="feedback/emails/info_provided")
    assert email.to_email == handler.email
    assert TRICKY in email.subject and "CSV & <PDF>, please" in email.text_body
    assert f"/triage/feedback/{item.pk}/" in email.text_body
    assert [m.to for m in mail.outbox] == [[handler.email]]
    assert not Notification.objects.filter(user__in=[member_a, other_po, product_owner], event=event).exists()
    page = login(handler).get(reverse("feedback:triage_activity"))
    assert page.status_code == 200
    assert page.context["unread"] == 1
    html = page.content.decode()
    assert "answered your question" in html and "&lt;taxes&gt;" in html and "<taxes>" not in html
    login(handler).post(reverse("feedback:triage_activity"))
    assert login(handler).get(reverse("feedback:triage_activity")).context["unread"] == 0


def test_without_assignee_every_product_owner_hears_of_the_answer_per_their_preference(
    login, product_owner, member_a, django_capture_on_commit_callbacks
):
    other_po = StaffFactory(email="po2@retour.test", staff_role="product_owner")
    NotificationPreference.objects.create(user=other_po, event=NotificationPreference.Event.ANSWERED, email=False)
    item = feedback_for(author=member_a)
    _ask_then_answer(login, product_owner, member_a, item, django_capture_on_commit_callbacks)
    event = FeedbackEvent.objects.get(feedback=item, kind=FeedbackEvent.Kind.INFO_PROVIDED)
    assert set(Notification.objects.filter(event=event).values_list("user", flat=True)) == {
        product_owner.pk,
        other_po.pk,
    }
    assert [m.to for m in mail.outbox] == [[product_owner.email]]  # the other one muted these emails
    # The client is never told of their own answer, and internal notes stay internal.
    assert not Notification.objects.filter(user=member_a, event=event).exists()


def test_triage_activity_is_for_staff_only(login, member_a, member_b):
    assert login(member_a).get(reverse("feedback:triage_activity")).status_code == 404


def test_staff_switch_off_the_answered_emails_on_their_activity_page(login, product_owner):
    from feedback.models import NotificationPreference

    client = login(product_owner)
    page = client.get(reverse("feedback:triage_activity")).content.decode()
    assert 'name="answered"' in page and 'name="status"' not in page  # staff see only their own kind
    client.post(reverse("feedback:triage_activity"), {"action": "preferences"})  # unticked
    assert NotificationPreference.objects.get(user=product_owner, event="answered").email is False


def test_staff_activity_query_count_does_not_grow(login, product_owner, member_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from feedback.models import FeedbackEvent, Notification

    def count() -> int:
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        return len(queries)

    client, url = login(product_owner), reverse("feedback:triage_activity")

    def notify(i):
        item = feedback_for(author=member_a, title=f"Answered request {i}")
        event = FeedbackEvent.objects.create(feedback=item, actor=member_a, kind="info_provided", is_public=True)
        Notification.objects.create(user=product_owner, feedback=item, event=event)

    notify(0)
    few = count()
    for i in range(1, 6):
        notify(i)
    assert count() == few <= 10
