from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core import delivery
from core.models import OutboundEmail
from tests.core.test_outbox import enqueue, smtp_down


def test_product_owner_sends_a_test_email_and_sees_it_in_the_log(login, product_owner):
    client = login(product_owner)
    response = client.post(reverse("core:email_test"), {"to": "ops@example.org", "language": "en"}, follow=True)
    email = OutboundEmail.objects.get()
    assert email.status == OutboundEmail.Status.SENT
    assert response.redirect_chain[-1][0] == reverse("core:email_detail", args=[email.pk])
    assert b"Test email sent to ops@example.org" in response.content
    assert len(mail.outbox) == 1
    log = client.get(reverse("core:email_list"))
    assert b"ops@example.org" in log.content


def test_test_email_shows_the_smtp_error(login, product_owner):
    client = login(product_owner)
    with smtp_down():
        response = client.post(reverse("core:email_test"), {"to": "ops@example.org", "language": "en"}, follow=True)
    assert b"could not be sent" in response.content
    assert b"Connection refused" in response.content
    assert OutboundEmail.objects.get().status == OutboundEmail.Status.FAILED


def test_test_email_validates_the_address(login, product_owner):
    response = login(product_owner).post(reverse("core:email_test"), {"to": "nope", "language": "en"}, follow=True)
    assert b"Enter a valid email address" in response.content
    assert not OutboundEmail.objects.exists()


def test_email_log_filters_by_status(login, product_owner):
    sent = enqueue(key="a", to="sent@example.org")
    delivery.email_deliver(email_id=sent.pk)
    enqueue(key="b", to="waiting@example.org")
    client = login(product_owner)
    pending_page = client.get(reverse("core:email_list"), {"status": "pending"})
    assert b"waiting@example.org" in pending_page.content
    assert b"sent@example.org" not in pending_page.content
    assert client.get(reverse("core:email_list"), {"q": "sent@"}).context["page"].paginator.count == 1


def test_email_log_query_count_does_not_grow_with_rows(login, product_owner):
    client = login(product_owner)
    enqueue(key="first")
    client.get(reverse("core:email_list"))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("core:email_list"))
    for i in range(30):
        enqueue(key=f"k{i}")
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("core:email_list"))
    assert len(one) == len(many) <= 8


def test_failed_email_detail_shows_error_and_can_be_retried(login, product_owner, django_capture_on_commit_callbacks):
    email = enqueue()
    with smtp_down():
        delivery.email_deliver(email_id=email.pk)
    client = login(product_owner)
    detail = client.get(reverse("core:email_detail", args=[email.pk]))
    assert b"ConnectionRefusedError" in detail.content
    assert b"Retry now" in detail.content
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("core:email_retry", args=[email.pk]))
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT


def test_email_html_is_served_sandboxed(login, product_owner):
    email = enqueue()
    response = login(product_owner).get(reverse("core:email_html", args=[email.pk]))
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"<table" in response.content


def test_email_log_is_for_product_owners_only(login, everyone):
    email = enqueue()
    for who in ["contributor", "admin_a", "member_b"]:
        client = login(everyone[who])
        assert client.get(reverse("core:email_list")).status_code == 404
        assert client.get(reverse("core:email_detail", args=[email.pk])).status_code == 404
        assert client.get(reverse("core:email_html", args=[email.pk])).status_code == 404
        assert client.post(reverse("core:email_test"), {"to": "x@example.org", "language": "en"}).status_code == 404
    assert OutboundEmail.objects.count() == 1


def test_unknown_email_is_404(login, product_owner, db):
    assert login(product_owner).get(reverse("core:email_detail", args=[999999])).status_code == 404
