"""The menu comes from the apps' registrations (core.navigation): same entries, order and links per role,
and the home page sends each role to the landing page its app registered."""

import re

import pytest
from django.urls import reverse

NAV_LINK = re.compile(r'<li><a href="([^"]+)" data-nav="([^"]+)"[^>]*>([^<]+)</a></li>')
STAFF_NAV = [
    ("/triage/", "inbox", "Inbox"),
    ("/roadmap/", "roadmap", "Roadmap"),
    ("/clubs/", "clubs", "Clubs"),
    ("/reports/", "reports", "Reports"),
    ("/organizations/", "organizations", "Organizations"),
]
CLIENT_NAV = [
    ("/portal/", "portal", "Portal"),
    ("/portal/feedback/new/", "submit", "Submit a request"),
    ("/portal/roadmap/", "public_roadmap", "Roadmap"),
    ("/portal/changelog/", "changelog", "Changelog"),
    ("/portal/clubs/", "my_clubs", "My clubs"),
]


def rendered_nav(response) -> list[tuple[str, str, str]]:
    return NAV_LINK.findall(response.content.decode())


@pytest.mark.parametrize(
    ("role", "page", "expected"),
    [
        ("product_owner", "feedback:triage_inbox", [*STAFF_NAV, ("/emails/", "emails", "Email log")]),
        ("contributor", "feedback:triage_inbox", STAFF_NAV),
        ("member_a", "feedback:portal_home", [*CLIENT_NAV, ("/organizations/acme/", "company", "My company")]),
        ("admin_b", "feedback:portal_home", [*CLIENT_NAV, ("/organizations/globex/", "company", "My company")]),
    ],
)
def test_the_menu_of_each_role(login, everyone, role, page, expected):
    user = everyone[role]
    if role == "contributor":
        user.language = "en"  # the labels are checked in English
        user.save(update_fields=["language"])
    response = login(user).get(reverse(page))
    assert response.status_code == 200
    assert rendered_nav(response) == expected
    assert 'href="/profile/" class="user-link" data-testid="profile-link"' in response.content.decode()


def test_signed_out_pages_have_no_menu(client, db):
    response = client.get(reverse("account_login"))
    assert response.status_code == 200
    assert rendered_nav(response) == []
    assert 'data-testid="profile-link"' not in response.content.decode()


@pytest.mark.parametrize(
    ("role", "landing"),
    [("product_owner", "/triage/"), ("contributor", "/triage/"), ("member_a", "/portal/"), ("admin_b", "/portal/")],
)
def test_home_sends_each_role_to_its_landing_page(login, everyone, role, landing):
    response = login(everyone[role]).get(reverse("home"))
    assert response.status_code == 302
    assert response.url == landing


def test_home_sends_a_visitor_to_sign_in(client, db):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url == reverse("account_login")
