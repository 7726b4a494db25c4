import pytest
from django.urls import reverse

from accounts.models import ApiToken


def test_profile_updates_name_language_and_timezone(login, member_a):
    client = login(member_a)
    response = client.post(
        reverse("accounts:profile"), {"name": "Robert Stone", "language": "fr", "timezone": "America/Montreal"}
    )
    assert response.status_code == 302
    member_a.refresh_from_db()
    assert (member_a.name, member_a.language, member_a.timezone) == ("Robert Stone", "fr", "America/Montreal")


def test_profile_rejects_unknown_timezone_with_a_translated_error(login, member_a):
    member_a.language = "fr"
    member_a.save(update_fields=["language"])
    response = login(member_a).post(
        reverse("accounts:profile"), {"name": "X", "language": "fr", "timezone": "Mars/Base"}
    )
    assert response.status_code == 200
    assert "Sélectionnez un choix valide".encode() in response.content
    member_a.refresh_from_db()
    assert member_a.timezone == "Europe/Paris"


def test_api_token_create_shows_key_once_then_authenticates(login, member_a, client):
    login(member_a)
    client.post(reverse("accounts:api_token_create"), {"name": "CRM sync"})
    page = client.get(reverse("accounts:profile"))
    key = page.context["new_token_key"]
    assert key.startswith("rt_")
    assert client.get(reverse("accounts:profile")).context["new_token_key"] is None
    token = ApiToken.objects.get(user=member_a)
    assert token.name == "CRM sync"
    assert key not in token.key_hash
    client.logout()
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}").json()["email"] == member_a.email


def test_api_token_needs_a_name(login, member_a):
    login(member_a).post(reverse("accounts:api_token_create"), {"name": "  "})
    assert not ApiToken.objects.exists()


def test_revoked_token_no_longer_authenticates(login, member_a, api_client):
    api = api_client(member_a)
    token = ApiToken.objects.get(user=member_a)
    login(member_a).post(reverse("accounts:api_token_revoke", args=[token.pk]))
    assert api.get("/api/v1/me/").status_code == 401


def test_cannot_revoke_someone_elses_token(login, member_a, member_b, api_client):
    api_client(member_b)
    token = ApiToken.objects.get(user=member_b)
    response = login(member_a).post(reverse("accounts:api_token_revoke", args=[token.pk]))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.mark.parametrize("path", ["/profile/", "/emails/", "/triage/", "/portal/"])
def test_anonymous_users_are_sent_to_login(client, db, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_api_token_command_prints_a_working_token(member_a, api_client, capsys):
    from django.core.management import call_command

    call_command("api_token", member_a.email)
    key = capsys.readouterr().out.strip()
    api = api_client()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/me/").json()["id"] == member_a.pk
