import socket

from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from accounts.models import Membership, Organization, User


def test_healthz_ok(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "redis": "ok"}


def test_healthz_names_redis_when_down(client, db):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with override_settings(CELERY_BROKER_URL=f"redis://127.0.0.1:{port}/0"):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "redis": "down"}


def test_seed_demo_is_idempotent_and_prints_logins(db, capsys):
    call_command("seed_demo", password="demo-pass-123")
    call_command("seed_demo", password="demo-pass-123")
    out = capsys.readouterr().out
    assert "po@retour.example" in out and "admin@globex.example" in out
    assert User.objects.count() == 6
    assert Organization.objects.count() == 2
    assert User.objects.get(email="po@retour.example").staff_role == User.StaffRole.PRODUCT_OWNER
    assert User.objects.get(email="member@acme.example").organization.slug == "acme"
    assert Membership.objects.get(user__email="admin@globex.example").role == "admin"
    assert User.objects.filter(language="fr").exists()
    assert User.objects.get(email="member@acme.example").check_password("demo-pass-123")


def test_pages_carry_security_headers(client, db):
    response = client.get(reverse("account_login"))
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Request-ID"]
    assert b"<script>" not in response.content  # no inline script anywhere


def test_error_pages_are_translated(client, db):
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    response = client.get("/does-not-exist/")
    assert response.status_code == 404
    assert b"Page introuvable" in response.content


def test_navigation_by_role(login, everyone):
    staff = login(everyone["product_owner"]).get(reverse("feedback:triage_inbox"))
    keys = [item["key"] for item in staff.context["nav_items"]]
    assert keys == ["inbox", "roadmap", "clubs", "reports", "organizations", "emails"]
    contributor = login(everyone["contributor"]).get(reverse("feedback:triage_inbox"))
    assert "emails" not in [item["key"] for item in contributor.context["nav_items"]]
    client_page = login(everyone["member_a"]).get(reverse("feedback:portal_home"))
    assert [item["key"] for item in client_page.context["nav_items"]] == [
        "portal",
        "submit",
        "public_roadmap",
        "changelog",
        "my_clubs",
        "company",
    ]


def test_staff_pages_are_404_for_client_users(login, member_a):
    client = login(member_a)
    for name in [
        "feedback:triage_inbox",
        "roadmap:index",
        "clubs:index",
        "reporting:index",
        "accounts:organization_list",
    ]:
        assert client.get(reverse(name)).status_code == 404


def test_logs_carry_request_and_user_ids(login, member_a, caplog):
    import logging

    with caplog.at_level(logging.INFO, logger="retour.request"):
        login(member_a).get(reverse("feedback:portal_home"), HTTP_X_REQUEST_ID="abc123")
    record = next(r for r in caplog.records if r.name == "retour.request")
    assert record.request_id == "abc123"
    assert record.user_id == str(member_a.pk)
    assert "GET /portal/ 200" in record.getMessage()
