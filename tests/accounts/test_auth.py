"""Sign-in flows through allauth's real pages: password, emailed code, MFA for staff, reset, language."""

import re

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core import mail
from django.urls import reverse

from accounts.models import User
from core.models import OutboundEmail
from tests.factories import DEFAULT_PASSWORD, StaffFactory


def current_totp(secret: str) -> str:
    import time

    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def test_client_user_signs_in_with_password_and_lands_on_portal(client, member_a):
    response = client.post(reverse("account_login"), {"login": member_a.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert client.get(response.url).url == reverse("feedback:portal_home")


def test_wrong_password_is_refused_with_a_message(client, member_a):
    response = client.post(reverse("account_login"), {"login": member_a.email, "password": "nope"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert b"not correct" in response.content


def test_login_attempts_are_rate_limited_on_the_real_cache(client, member_a):
    for _attempt in range(5):
        client.post(reverse("account_login"), {"login": member_a.email, "password": "wrong"})
    response = client.post(reverse("account_login"), {"login": member_a.email, "password": DEFAULT_PASSWORD})
    assert "_auth_user_id" not in client.session
    assert b"Too many failed login attempts" in response.content


def test_login_by_emailed_code(client, member_a):
    response = client.post(reverse("account_request_login_code"), {"email": member_a.email})
    assert response.status_code == 302
    email = OutboundEmail.objects.get(to_email=member_a.email, template="account/email/login_code")
    assert "Retour" in email.text_body and "testserver" not in email.text_body
    code = re.search(r"^([A-Z0-9]{4}-[A-Z0-9]{4})$", email.secret_text_body, re.M).group(1)
    assert code not in email.text_body and "[redacted]" in email.text_body
    response = client.post(reverse("account_confirm_login_code"), {"code": code})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == member_a.pk


def test_login_code_for_unknown_address_reveals_nothing(client, db):
    response = client.post(reverse("account_request_login_code"), {"email": "ghost@nowhere.test"})
    # Same answer as for a real account: enumeration is prevented.
    assert response.status_code == 302
    assert not OutboundEmail.objects.filter(template="account/email/login_code").exists()


def test_staff_must_pass_totp_after_password(client, product_owner):
    response = client.post(reverse("account_login"), {"login": product_owner.email, "password": DEFAULT_PASSWORD})
    assert response.url == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    response = client.post(reverse("mfa_authenticate"), {"code": current_totp(product_owner.totp_secret)})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == product_owner.pk
    assert client.get(reverse("feedback:triage_inbox")).status_code == 200


def test_staff_without_totp_is_sent_to_set_it_up(login, db):
    staff = StaffFactory(totp=False, staff_role=User.StaffRole.CONTRIBUTOR)
    response = login(staff).get(reverse("feedback:triage_inbox"))
    assert response.status_code == 302
    assert response.url == reverse("mfa_activate_totp")
    api = login(staff).get("/api/v1/me/")
    assert api.status_code == 403
    assert api.json()["error"]["code"] == "mfa_required"


def test_client_users_are_not_forced_into_mfa(login, member_a):
    assert login(member_a).get(reverse("feedback:portal_home")).status_code == 200


def test_password_reset_email_is_in_the_outbox_in_the_users_language(
    client, admin_a, django_capture_on_commit_callbacks
):
    assert admin_a.language == "fr"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_reset_password"), {"email": admin_a.email})
    assert response.status_code == 302
    email = OutboundEmail.objects.get(to_email=admin_a.email)
    assert email.language == "fr"
    assert "mot de passe" in email.subject.lower()
    assert email.status == OutboundEmail.Status.SENT
    # The reset link reached the person; the log keeps only a redacted copy, and the secret is wiped.
    assert "/accounts/password/reset/key/" in mail.outbox[0].body
    assert "/accounts/password/reset/key/" not in email.text_body and email.secret_text_body == ""


def test_password_reset_for_unknown_address_looks_the_same(client, db):
    response = client.post(reverse("account_reset_password"), {"email": "ghost@nowhere.test"})
    assert response.status_code == 302
    # No reset link is ever produced, and with sign-up closed no "create an account" email either.
    assert not OutboundEmail.objects.filter(text_body__contains="/password/reset/key/").exists()
    assert not OutboundEmail.objects.filter(to_email="ghost@nowhere.test").exists()


def test_language_switch_for_anonymous_sets_cookie(client, db):
    response = client.post(reverse("set_language"), {"language": "fr", "next": "/accounts/login/"})
    assert response.status_code == 302
    page = client.get("/accounts/login/")
    assert page.headers["Content-Language"] == "fr"
    assert b'lang="fr"' in page.content


def test_language_switch_for_signed_in_user_is_saved(login, member_a):
    client = login(member_a)
    client.post(reverse("set_language"), {"language": "fr", "next": "/portal/"})
    member_a.refresh_from_db()
    assert member_a.language == "fr"
    assert b'lang="fr"' in client.get("/portal/").content


def test_language_switch_ignores_unknown_language_and_foreign_next(login, member_a):
    response = login(member_a).post(reverse("set_language"), {"language": "xx", "next": "https://evil.test/"})
    assert response.status_code == 302
    assert "evil" not in response.url
    member_a.refresh_from_db()
    assert member_a.language == "en"


def test_admin_login_goes_through_allauth(client, db):
    response = client.get("/admin/login/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_public_signup_is_closed_by_default(client, db):
    response = client.get(reverse("account_signup"))
    assert b"closed" in response.content.lower()
