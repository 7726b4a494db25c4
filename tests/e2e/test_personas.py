"""One walk through the foundation per persona, in a real browser."""

import pytest
from allauth.mfa.models import Authenticator
from playwright.sync_api import Page, expect

from accounts.models import User
from core.models import OutboundEmail
from tests.e2e.conftest import sign_in, totp_code
from tests.factories import DEFAULT_PASSWORD, StaffFactory

pytestmark = [pytest.mark.e2e]

STAFF_NAV = ["inbox", "roadmap", "clubs", "reports", "organizations", "emails"]
CLIENT_NAV = ["portal", "submit", "public_roadmap", "changelog", "my_clubs", "company"]


def nav(page: Page, key: str):
    return page.locator(f"[data-nav='{key}']")


def switch_language(page: Page, code: str) -> None:
    """Use the header's language switch; it posts and sends the browser back to the same page."""
    url_before = page.url
    switch = page.locator("form.language-switch")
    switch.locator("select#language-select").select_option(code)
    with page.expect_navigation():
        switch.locator("button[type='submit']").click()
    expect(page.locator("html")).to_have_attribute("lang", code)
    assert page.url == url_before, "the language switch should come back to the page it was used on"


def test_client_user_walk(page: Page, live_server, member_a, console):
    sign_in(page, live_server, member_a)
    page.wait_for_url(f"{live_server.url}/portal/")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    for key in ("portal", "submit", "company"):
        expect(nav(page, key)).to_be_visible()
    expect(nav(page, "portal")).to_have_attribute("aria-current", "page")
    expect(nav(page, "company")).to_have_attribute("href", "/organizations/acme/")
    for key in STAFF_NAV:
        if key not in CLIENT_NAV:
            expect(nav(page, key)).to_have_count(0)
    expect(page.locator("[data-testid='profile-link']")).to_have_text("Bob")

    switch_language(page, "fr")
    expect(page.locator("select#language-select")).to_have_value("fr")
    member_a.refresh_from_db()
    assert member_a.language == "fr"

    # Another page, and no cookie-only trick: the preference is the user's, saved in the database.
    nav(page, "submit").click()
    page.wait_for_url(f"{live_server.url}/portal/feedback/new/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.context.clear_cookies(name="django_language")
    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    assert User.objects.get(pk=member_a.pk).language == "fr"

    # Client users have no email log: it does not exist for them.
    response = page.goto(f"{live_server.url}/emails/")
    assert response is not None
    assert response.status == 404
    expect(page.locator("main a[href='/']")).to_be_visible()  # the app's own 404 page: "back to the home page"
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("[data-testid='email-row']")).to_have_count(0)
    expect(page.locator("[data-testid='test-email-form']")).to_have_count(0)

    console.assert_clean()


def test_product_owner_walk(page: Page, live_server, product_owner, console):
    sign_in(page, live_server, product_owner, totp_secret=product_owner.totp_secret)
    page.wait_for_url(f"{live_server.url}/triage/")

    for key in STAFF_NAV:
        expect(nav(page, key)).to_be_visible()
    for key in ("portal", "submit", "company"):
        expect(nav(page, key)).to_have_count(0)

    switch_language(page, "fr")
    assert User.objects.get(pk=product_owner.pk).language == "fr"

    nav(page, "emails").click()
    page.wait_for_url(f"{live_server.url}/emails/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("[data-testid='email-row']")).to_have_count(0)

    form = page.locator("[data-testid='test-email-form']")
    # Prefilled with the product owner's own address and language.
    expect(form.locator("input[name='to']")).to_have_value(product_owner.email)
    expect(form.locator("select[name='language']")).to_have_value("fr")
    form.locator("input[name='to']").fill("someone@example.org")
    form.locator("button[type='submit']").click()

    page.wait_for_url(f"{live_server.url}/emails/*/")
    email = OutboundEmail.objects.get(to_email="someone@example.org")
    assert page.url == f"{live_server.url}/emails/{email.pk}/"
    assert email.status == OutboundEmail.Status.SENT
    assert email.language == "fr"
    assert email.attempts == 1
    status = page.locator("[data-testid='email-status']")
    expect(status).not_to_be_empty()
    expect(status).to_have_class("status status-sent")
    expect(page.locator("[data-testid='email-error']")).to_have_count(0)
    expect(page.locator(".message-success")).to_contain_text("someone@example.org")
    # The HTML version renders in its sandboxed frame (the view relaxes frame-ancestors for it).
    expect(page.frame_locator("iframe.email-preview").locator("body")).to_contain_text(product_owner.name)

    page.locator("main a[href='/emails/']").click()
    page.wait_for_url(f"{live_server.url}/emails/")
    rows = page.locator("[data-testid='email-row']")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("someone@example.org")
    expect(rows.first.locator(".status-sent")).to_be_visible()
    expect(rows.first.locator(f"a[href='/emails/{email.pk}/']")).to_be_visible()

    console.assert_clean()


def test_staff_without_totp_must_enrol(page: Page, live_server, console, transactional_db):
    staff = StaffFactory(email="newcomer@retour.test", totp=False)
    sign_in(page, live_server, staff)

    response = page.goto(f"{live_server.url}/triage/")
    assert response is not None
    chain = []
    request = response.request
    while request is not None:
        chain.insert(0, request.url.removeprefix(live_server.url))
        request = request.redirected_from
    # /triage/ sends them to TOTP activation; allauth then asks for the password again before showing it,
    # because a fresh sign-in does not count as a recent *re*authentication (allauth 65).
    assert chain[:2] == ["/triage/", "/accounts/2fa/totp/activate/"], chain
    expect(page.locator(".message-warning")).to_be_visible()
    expect(nav(page, "inbox")).to_be_visible()  # the shell is there, the pages behind it are not

    if "/accounts/reauthenticate/" in page.url:
        form = page.locator("main form:has(input[name='password'])")
        form.locator("input[name='password']").fill(DEFAULT_PASSWORD)
        form.locator("button[type='submit']").click()
    page.wait_for_url(f"{live_server.url}/accounts/2fa/totp/activate/")
    expect(page.locator("main input[name='code']")).to_be_visible()

    # The staff pages stay closed until TOTP is set up.
    page.goto(f"{live_server.url}/emails/")
    page.wait_for_url(f"{live_server.url}/accounts/2fa/totp/activate/")

    # Enrol with the secret shown on the page, as an authenticator app would.
    secret = page.locator("#authenticator_secret").input_value()
    assert secret
    form = page.locator("main form:has(input[name='code'])")
    form.locator("input[name='code']").fill(totp_code(secret))
    form.locator("button[type='submit']").click()
    page.wait_for_url(lambda url: "/accounts/2fa/totp/activate/" not in url)
    assert Authenticator.objects.filter(user=staff, type=Authenticator.Type.TOTP).exists()

    page.goto(f"{live_server.url}/triage/")
    page.wait_for_url(f"{live_server.url}/triage/")
    expect(nav(page, "inbox")).to_have_attribute("aria-current", "page")

    console.assert_clean()


def test_mobile_navigation_toggle(mobile_page: Page, live_server, member_a, console):
    page = mobile_page
    sign_in(page, live_server, member_a)
    page.wait_for_url(f"{live_server.url}/portal/")

    toggle = page.locator("[data-nav-toggle]")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_text("Menu")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(page.locator("#main-nav")).to_be_hidden()
    expect(nav(page, "portal")).to_be_hidden()

    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#main-nav")).to_be_visible()
    for key in ("portal", "submit", "company"):
        expect(nav(page, key)).to_be_visible()

    toggle.click()
    expect(page.locator("#main-nav")).to_be_hidden()

    console.assert_clean()


def test_anonymous_visitor_switches_login_page_to_french(page: Page, live_server, console):
    page.goto(f"{live_server.url}/")
    page.wait_for_url(f"{live_server.url}/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("select#language-select")).to_have_value("en")

    switch_language(page, "fr")
    expect(page.locator("select#language-select")).to_have_value("fr")
    # allauth ships its own compiled French catalog ("Password" -> "Mot de passe"): true even before Retour's is compiled.
    expect(page.locator("main input[name='password']")).to_have_attribute("placeholder", "Mot de passe")
    cookies = {cookie["name"]: cookie["value"] for cookie in page.context.cookies()}
    assert cookies.get("django_language") == "fr"

    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "fr")

    console.assert_clean()
