import re
from datetime import timedelta

from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core import delivery, outbox
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


def _dead(key, *, hours_ago=0.0):
    email = enqueue(key=key, to=f"{key}@example.org")
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=OutboundEmail.Status.DEAD,
        attempts=30,
        last_error="SMTPServerDisconnected",
        created_at=timezone.now() - timedelta(hours=hours_ago),
    )
    return email


def test_product_owner_retries_all_dead_emails_of_the_last_24_hours_in_one_action(
    login, product_owner, django_capture_on_commit_callbacks
):
    recent = [_dead("night1", hours_ago=3), _dead("night2", hours_ago=20)]
    old = _dead("lastweek", hours_ago=24 * 5)
    client = login(product_owner)
    assert b"Retry all dead emails of this period" in client.get(reverse("core:email_list")).content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("core:email_retry_dead"), {"period": "24h"}, follow=True)
    assert b"2 dead emails are queued again." in response.content
    for email in recent:
        email.refresh_from_db()
        assert email.status == OutboundEmail.Status.SENT
        assert email.give_up_at > timezone.now() + timedelta(hours=23)  # a fresh horizon
    old.refresh_from_db()
    assert old.status == OutboundEmail.Status.DEAD
    assert sorted(m.to[0] for m in mail.outbox) == ["night1@example.org", "night2@example.org"]


def test_retry_dead_by_date_range_and_validation(login, product_owner):
    from core.outbox import email_retry_dead

    _dead("a", hours_ago=24 * 3)
    _dead("b", hours_ago=24 * 10)
    client = login(product_owner)
    response = client.post(reverse("core:email_retry_dead"), {"period": "range", "since": ""}, follow=True)
    assert b"Give both dates of the period." in response.content
    today = timezone.localdate()
    response = client.post(
        reverse("core:email_retry_dead"),
        {"period": "range", "since": today - timedelta(days=4), "until": today - timedelta(days=2)},
        follow=True,
    )
    assert b"1 dead email is queued again." in response.content
    assert OutboundEmail.objects.get(to_email="b@example.org").status == OutboundEmail.Status.DEAD
    now = timezone.now()
    assert email_retry_dead(since=now - timedelta(days=30), until=now) == 1  # only b was still dead


def test_retry_dead_needs_a_post_with_csrf(product_owner, login):
    from django.test import Client

    _dead("x", hours_ago=1)
    client = Client(enforce_csrf_checks=True)
    client.force_login(product_owner)
    assert client.post(reverse("core:email_retry_dead"), {"period": "24h"}).status_code == 403
    assert client.get(reverse("core:email_retry_dead")).status_code == 405
    assert OutboundEmail.objects.get().status == OutboundEmail.Status.DEAD


def _owner_client(user):
    """A browser of its own for the product owner (the `client` fixture is the person signing in)."""
    from django.test import Client

    browser = Client()
    browser.force_login(user)
    return browser


def _log_pages(client, email) -> bytes:
    return b"".join(
        client.get(url).content
        for url in (
            reverse("core:email_list"),
            reverse("core:email_detail", args=[email.pk]),
            reverse("core:email_html", args=[email.pk]),
        )
    )


def test_a_sign_in_code_is_delivered_but_never_shown_in_the_email_log(
    client, member_a, login, product_owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_request_login_code"), {"email": member_a.email})
    delivered = mail.outbox[0].body
    code = re.search(r"^([A-Z0-9]{4}-[A-Z0-9]{4})$", delivered, re.M).group(1)
    html = mail.outbox[0].alternatives[0][0]
    assert code in html
    email = OutboundEmail.objects.get(template="account/email/login_code")
    assert email.status == OutboundEmail.Status.SENT and email.is_sensitive
    assert email.secret_text_body == "" and email.secret_html_body == ""  # wiped once sent
    pages = _log_pages(_owner_client(product_owner), email)
    assert code.encode() not in pages
    assert b"[redacted]" in pages
    # The code still works: the person signs in with it.
    client.post(reverse("account_confirm_login_code"), {"code": code})
    assert int(client.session["_auth_user_id"]) == member_a.pk


def test_a_password_reset_link_is_delivered_but_never_shown_nor_resent_from_the_log(
    client, admin_a, login, product_owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": admin_a.email})
    link = re.search(r"http\S+/accounts/password/reset/key/(\S+)/", mail.outbox[0].body)
    key = link.group(1)
    email = OutboundEmail.objects.get(to_email=admin_a.email)
    staff = _owner_client(product_owner)
    pages = _log_pages(staff, email)
    assert key.encode() not in pages and b"/password/reset/key/" not in pages
    assert b"[redacted]" in pages
    # Even once dead, nobody can send the secret again from the browser.
    OutboundEmail.objects.filter(pk=email.pk).update(status=OutboundEmail.Status.DEAD)
    detail = staff.get(reverse("core:email_detail", args=[email.pk]))
    assert b"Retry now" not in detail.content
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(reverse("core:email_retry", args=[email.pk]), follow=True)
    assert b"ask the person to request a new code or link" in response.content
    assert OutboundEmail.objects.get(pk=email.pk).status == OutboundEmail.Status.DEAD
    assert len(mail.outbox) == 1
    # Nor through the bulk retry.
    now = timezone.now()
    assert outbox.email_retry_dead(since=now - timedelta(days=1), until=now + timedelta(seconds=1)) == 0


def test_an_invitation_link_is_redacted_in_the_log(login, admin_a, org_a, product_owner):
    from accounts.services import invitation_create

    _invitation, raw_token = invitation_create(
        inviter=admin_a, organization=org_a, email="new@acme.test", role="member", language="en"
    )
    email = OutboundEmail.objects.get(template="accounts/emails/invitation")
    assert email.is_sensitive and raw_token in email.secret_text_body and raw_token in email.secret_html_body
    pages = _log_pages(_owner_client(product_owner), email)
    assert raw_token.encode() not in pages
    assert b"[redacted]" in pages
