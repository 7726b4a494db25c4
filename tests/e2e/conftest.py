"""Browser tests: headless Chromium driven by Playwright (sync API) against pytest-django's live server.

Playwright cannot download its own browser here, so the tests use Debian's Chromium at CHROMIUM_PATH.
Without it the tests are skipped, except on CI (`CI` set), where a missing browser is a failure.
"""

import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; Django would otherwise refuse ORM calls there.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM_PATH = os.environ.get("RETOUR_E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP_VIEWPORT = {"width": 1280, "height": 800}
MOBILE_VIEWPORT = {"width": 375, "height": 740}
# Playwright's default is 30 s; a page of this app that takes more than 10 s is a failure anyway.
TIMEOUT_MS = 10_000


def _chromium_available() -> bool:
    return (Path(CHROMIUM_PATH).is_file() and os.access(CHROMIUM_PATH, os.X_OK)) or bool(shutil.which(CHROMIUM_PATH))


def pytest_collection_modifyitems(config, items):
    e2e_items = [item for item in items if item.get_closest_marker("e2e")]
    if not e2e_items or _chromium_available():
        return
    if os.environ.get("CI"):
        # Failing at collection time stops the run with this message instead of silently skipping the browser tests.
        raise pytest.UsageError(
            f"End-to-end tests need Chromium at {CHROMIUM_PATH} (install the Debian `chromium` package, "
            "or point RETOUR_E2E_CHROMIUM at a Chromium binary). CI is set, so they are not skipped."
        )
    skip = pytest.mark.skip(reason=f"Chromium not found at {CHROMIUM_PATH}; end-to-end tests skipped (set CI to fail)")
    for item in e2e_items:
        item.add_marker(skip)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM_PATH, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class ConsoleLog:
    """Console messages and uncaught page errors seen during one test, with the page they came from."""

    messages: list[tuple[str, str, str]] = field(default_factory=list)  # (url, type, text)
    page_errors: list[tuple[str, str]] = field(default_factory=list)  # (url, message)

    def csp_violations(self) -> list[str]:
        return [
            f"{url}: {text}"
            for url, kind, text in self.messages
            if kind == "error" and "content security policy" in text.lower()
        ]

    def assert_no_csp_violation(self) -> None:
        violations = self.csp_violations()
        assert not violations, "Content Security Policy violations:\n" + "\n".join(violations)

    def assert_clean(self) -> None:
        """No CSP violation and no uncaught JavaScript error so far."""
        self.assert_no_csp_violation()
        assert not self.page_errors, "Uncaught JavaScript errors:\n" + "\n".join(
            f"{url}: {error}" for url, error in self.page_errors
        )


@pytest.fixture
def console():
    return ConsoleLog()


def _new_page(browser, console: ConsoleLog, viewport: dict):
    context = browser.new_context(locale="en", viewport=viewport)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.on("console", lambda message: console.messages.append((page.url, message.type, message.text)))
    page.on("pageerror", lambda error: console.page_errors.append((page.url, str(error))))
    return context, page


@pytest.fixture
def page(browser, console, transactional_db):
    """A fresh browser context (English, 1280x800) per test. CSP violations fail the test at teardown too."""
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    context, page = _new_page(browser, console, DESKTOP_VIEWPORT)
    yield page
    context.close()
    console.assert_no_csp_violation()


@pytest.fixture
def mobile_page(browser, console, transactional_db):
    """Same as `page`, on a phone-sized viewport (375x740)."""
    context, page = _new_page(browser, console, MOBILE_VIEWPORT)
    yield page
    context.close()
    console.assert_no_csp_violation()


def totp_code(secret: str) -> str:
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def sign_in(page, live_server, user, totp_secret: str | None = None, password: str | None = None) -> None:
    """Sign in through allauth's real login page (and its TOTP step for staff), as a person would."""
    from playwright.sync_api import expect

    from tests.factories import DEFAULT_PASSWORD

    page.goto(f"{live_server.url}/accounts/login/")
    form = page.locator("main form:has(input[name='login'])")
    form.locator("input[name='login']").fill(user.email)
    form.locator("input[name='password']").fill(password or DEFAULT_PASSWORD)
    form.locator("button[type='submit']").click()
    if totp_secret is None:
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
        return
    page.wait_for_url("**/accounts/2fa/authenticate/")
    # Avoid typing a code in the last second of its 30 s window: it could expire on its way to the server.
    if 30 - time.time() % 30 < 1.5:
        time.sleep(1.5)
    code_form = page.locator("main form:has(input[name='code'])")
    code_form.locator("input[name='code']").fill(totp_code(totp_secret))
    code_form.locator("button[type='submit']:not([form])").click()
    page.wait_for_url(lambda url: "/accounts/2fa/authenticate/" not in url)
    expect(page.locator("[data-testid='profile-link']")).to_be_visible()


@pytest.fixture
def signed_in(page, live_server):
    """`signed_in(user, totp_secret=None)`: sign `user` in on this test's page."""

    def _sign_in(user, totp_secret: str | None = None):
        sign_in(page, live_server, user, totp_secret=totp_secret)
        return page

    return _sign_in
