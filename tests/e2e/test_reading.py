"""What the client and the product owner read, in a real browser, on a phone and on a desk, in French and
in English: the team's question on top and in the conversation, answered there; the history in the
reader's words; news with each event's own status; suggestions that offer no vote on a declined request;
a sign-in page without a dead-end sign-up link. No page is wider than the screen.

Screenshots go to a temporary folder, or to RETOUR_READING_SCREENSHOTS when set (to look at them)."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from feedback.services import comment_add, feedback_change_status
from tests.e2e.conftest import TIMEOUT_MS, sign_in
from tests.factories import feedback_for

pytestmark = [pytest.mark.e2e]

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 800}

WORDS = {
    "fr": {"declined": "Refusée", "needs_info": "Informations demandées", "merged_into": "Fusionnée dans"},
    "en": {"declined": "Declined", "needs_info": "Needs information", "merged_into": "Merged into"},
}

# The elements sticking out past the right edge of the window, outside any scrolling box.
OVERFLOW_JS = """() => {
  const width = document.documentElement.clientWidth;
  const scrolls = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (o === 'auto' || o === 'scroll' || o === 'hidden') return true;
    }
    return false;
  };
  const out = [...document.querySelectorAll('body *')].filter((el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.right > width + 1 && !scrolls(el);
  }).map((el) => `${el.tagName.toLowerCase()}.${el.className} ${el.getAttribute('data-testid') || ''}`.trim());
  return {page: document.documentElement.scrollWidth - width, elements: out.slice(0, 10)};
}"""


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("RETOUR_READING_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _fits(page: Page, label: str) -> None:
    result = page.evaluate(OVERFLOW_JS)
    assert result["page"] <= 0 and not result["elements"], f"{label} is wider than the window: {result}"


def _new_context_page(browser, console, *, viewport, locale):
    context = browser.new_context(locale=locale, viewport=viewport)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.on("console", lambda message: console.messages.append((page.url, message.type, message.text)))
    page.on("pageerror", lambda error: console.page_errors.append((page.url, str(error))))
    return context, page


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("viewport", [PHONE, DESK], ids=["phone", "desk"])
def test_client_reads_and_answers_the_question(
    browser, console, transactional_db, live_server, shots, viewport, language, member_a, admin_b, product_owner
):
    words = WORDS[language]
    size = f"{viewport['width']}x{viewport['height']}-{language}"
    member_a.language = language
    member_a.save(update_fields=["language"])

    item = feedback_for(
        author=member_a,
        title="Exporter les factures mensuelles vers le logiciel de comptabilité",
        description="Chaque mois, nous ressaisissons toutes les factures à la main : " + "très long. " * 20,
    )
    comment_add(feedback=item, author=product_owner, body="Thank you, we are looking at it.")
    question = "Which accounting software do you use, and which file format does it import?"
    feedback_change_status(feedback=item, actor=product_owner, status="needs_info", public_message=question)
    declined = feedback_for(author=admin_b, title="Exporter les factures en PDF signé", visibility="public")
    feedback_change_status(
        feedback=declined, actor=product_owner, status="declined", public_message="Not in our plans."
    )
    open_one = feedback_for(author=admin_b, title="Exporter les factures vers Excel", visibility="public")

    context, page = _new_context_page(browser, console, viewport=viewport, locale=language)
    try:
        sign_in(page, live_server, member_a)

        # The request: the team's question on top, then the conversation where it is answered.
        page.goto(f"{live_server.url}/portal/feedback/{item.pk}/")
        top = page.locator("[data-testid='latest-answer']")
        expect(top).to_contain_text(question)
        expect(top).to_contain_text("Paula Owner")
        page.screenshot(path=str(shots / f"reading-detail-{size}.png"), full_page=True)
        _fits(page, f"request page {size}")

        page.locator("textarea[name='body']").fill("Sage 100; it imports CSV files.")
        page.locator("form:has(input[name='action'][value='comment']) button[type='submit']").click()
        expect(page.locator(".message-success")).to_be_visible()
        entries = page.locator("[data-testid='decision'], [data-testid='comment']")
        expect(entries).to_have_count(3)
        expect(entries.nth(1)).to_contain_text(question)
        expect(entries.nth(2)).to_contain_text("Sage 100")
        for index in range(3):
            expect(entries.nth(index).locator("[data-testid='message-date']")).to_be_visible()
        history = page.locator(".timeline [data-testid='event-status']")
        expect(history.first).to_contain_text(words["needs_info"])
        _fits(page, f"request page after answering {size}")

        # My activity: the question's news keeps its own status though the request moved on.
        page.goto(f"{live_server.url}/portal/activity/")
        expect(page.locator("[data-testid='notification-status']").filter(has_text=words["needs_info"])).to_have_count(
            1
        )
        page.screenshot(path=str(shots / f"reading-activity-{size}.png"), full_page=True)
        _fits(page, f"activity {size}")

        # Suggestions while typing: vote for the open one; the declined one shows its status instead.
        page.goto(f"{live_server.url}/portal/feedback/new/")
        title = page.locator("#id_title")
        title.fill("exporter les factures")
        title.press_sequentially("s")
        items = page.locator("[data-testid='similar-item']")
        expect(items.filter(has_text=open_one.title).locator("[data-testid='vote-instead']")).to_be_visible()
        closed = items.filter(has_text=declined.title)
        expect(closed).to_contain_text(words["declined"])
        expect(closed.locator("[data-testid='vote-instead']")).to_have_count(0)
        page.screenshot(path=str(shots / f"reading-similar-{size}.png"), full_page=True)
        _fits(page, f"submit with suggestions {size}")
    finally:
        context.close()
    console.assert_clean()


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("viewport", [PHONE, DESK], ids=["phone", "desk"])
def test_sign_in_page_without_sign_up_and_staff_history(
    browser, console, transactional_db, live_server, shots, settings, viewport, language, product_owner, member_a
):
    settings.RETOUR_OPEN_SIGNUP = False
    size = f"{viewport['width']}x{viewport['height']}-{language}"
    product_owner.language = language
    product_owner.save(update_fields=["language"])
    item = feedback_for(author=member_a, title="Un export très demandé")
    feedback_change_status(feedback=item, actor=product_owner, status="declined", public_message="Pas cette année.")

    context, page = _new_context_page(browser, console, viewport=viewport, locale=language)
    try:
        page.goto(f"{live_server.url}/accounts/login/")  # the browser's language: French or English
        expect(page.locator("main input[name='password']")).to_be_visible()
        expect(page.locator("main a[href^='/accounts/signup/']")).to_have_count(0)
        page.screenshot(path=str(shots / f"reading-login-{size}.png"), full_page=True)
        _fits(page, f"sign-in page {size}")

        sign_in(page, live_server, product_owner, totp_secret=product_owner.totp_secret)
        page.goto(f"{live_server.url}/triage/feedback/{item.pk}/")
        expect(page.locator(".timeline [data-testid='event-status']").last).to_contain_text(WORDS[language]["declined"])
        page.screenshot(path=str(shots / f"reading-triage-{size}.png"), full_page=True)
        _fits(page, f"triage detail {size}")
    finally:
        context.close()
    console.assert_clean()
