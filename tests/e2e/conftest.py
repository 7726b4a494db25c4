"""Browser tests: headless Chromium driven by Playwright (sync API) against pytest-django's live server.

Playwright cannot download its own browser here, so the tests use Debian's Chromium at CHROMIUM_PATH.
Without it the tests are skipped, except on CI (`CI` set), where a missing browser is a failure.
"""

import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

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


MISSING_CHROMIUM = (
    f"End-to-end tests need Chromium at {CHROMIUM_PATH}: install Debian's `chromium` package, "
    "or point RETOUR_E2E_CHROMIUM at a Chromium binary."
)


def pytest_collection_modifyitems(config, items):
    """Without Chromium, skip the browser tests locally; on CI (`CI` set) let them fail (see `browser`)."""
    if _chromium_available() or os.environ.get("CI"):
        return
    skip = pytest.mark.skip(reason=f"{MISSING_CHROMIUM} Skipped because CI is not set.")
    for item in items:
        if item.get_closest_marker("e2e"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser():
    if not _chromium_available():
        pytest.fail(f"{MISSING_CHROMIUM} CI is set, so they fail instead of being skipped.", pytrace=False)
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM_PATH, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# Known CSP console errors of the application, each with where it comes from. Listed here so the walks can pass
# while the bug is open; delete the entry once it is fixed. Anything else mentioning CSP fails the test.
KNOWN_CSP_ERRORS: list[re.Pattern] = []  # none: every CSP error fails a walk


def _mentions_csp(text: str) -> bool:
    return "content security policy" in text.lower().replace("-", " ")


@dataclass
class ConsoleLog:
    """Console messages and uncaught page errors seen during one test, with the page they came from."""

    messages: list[tuple[str, str, str]] = field(default_factory=list)  # (url, type, text)
    page_errors: list[tuple[str, str]] = field(default_factory=list)  # (url, message)

    def csp_errors(self, *, include_known: bool = False) -> list[str]:
        return [
            f"{url}: {text}"
            for url, kind, text in self.messages
            if kind == "error"
            and _mentions_csp(text)
            and (include_known or not any(known.search(text) for known in KNOWN_CSP_ERRORS))
        ]

    def assert_no_csp_violation(self) -> None:
        errors = self.csp_errors()
        assert not errors, "Content Security Policy errors in the browser console:\n" + "\n".join(errors)

    def assert_clean(self) -> None:
        """No (unknown) CSP error and no uncaught JavaScript error so far."""
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
    """A fresh browser context (English, 1280x800) per test. CSP errors fail the test at teardown too."""
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
    """The authenticator app's current code for `secret` (allauth accepts only the current 30 s step)."""
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    # Never hand out a code in the last moments of its window: it could expire on its way to the server.
    if 30 - time.time() % 30 < 1.5:
        time.sleep(1.5)
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def sign_in(page, live_server, user, totp_secret: str | None = None, password: str | None = None) -> None:
    """Sign in through allauth's real login page (and its TOTP step for staff), as a person would."""
    from tests.factories import DEFAULT_PASSWORD

    page.goto(f"{live_server.url}/accounts/login/")
    form = page.locator("main form:has(input[name='login'])")
    form.locator("input[name='login']").fill(user.email)
    form.locator("input[name='password']").fill(password or DEFAULT_PASSWORD)
    form.locator("button[type='submit']").click()
    if totp_secret is None:
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
        expect(page.locator("[data-testid='profile-link']")).to_be_visible()
        return
    page.wait_for_url("**/accounts/2fa/authenticate/")
    code_form = page.locator("main form:has(input[name='code'])")
    code_form.locator("input[name='code']").fill(totp_code(totp_secret))
    code_form.locator("button[type='submit']:not([form])").click()
    page.wait_for_url(lambda url: "/accounts/2fa/authenticate/" not in url)
    expect(page.locator("[data-testid='profile-link']")).to_be_visible()
