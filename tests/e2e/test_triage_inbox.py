"""The triage inbox in a real browser, on a desk (1280 px) and on a phone (390 px): the list starts on the
first screen and nothing is wider than it; the command palette opens with Ctrl-K; the quick key "d" declines
the row under the cursor with a reason typed in the palette — refused without one — and the row's status
changes in place, without reloading the page, the cursor still on it. On the phone, ticking a row shows the
bulk bar, whose "Plan" acts the same way.

Screenshots go to a temporary folder, or to RETOUR_INBOX_SCREENSHOTS when set (to look at them)."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from feedback.models import Feedback
from tests.e2e.conftest import _new_page, sign_in
from tests.factories import feedback_for

pytestmark = [pytest.mark.e2e]

DESK = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
REASON = "Not in our plans for this year: the export covers it."

# The elements sticking out past the right edge of the window, outside any box that scrolls by itself.
OVERFLOW_JS = """() => {
  const width = document.documentElement.clientWidth;
  const scrolls = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (o === 'auto' || o === 'scroll' || o === 'hidden') return true;
    }
    return false;
  };
  return [...document.querySelectorAll('body *')]
    .filter((el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.right > width + 1 && !scrolls(el); })
    .map((el) => el.tagName + '.' + el.className);
}"""


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("RETOUR_INBOX_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _fits(page: Page, what: str) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth"), what
    assert page.evaluate(OVERFLOW_JS) == [], what


def _starts_on_the_first_screen(page: Page, viewport: dict) -> None:
    top = page.locator("[data-testid='inbox-row']").first.bounding_box()["y"]
    assert top < viewport["height"] * 0.6, f"the list starts {top:.0f} px down a {viewport['height']} px screen"


def _mark_the_page(page: Page) -> None:
    """A value that a full page load would wipe out."""
    page.evaluate("window.__stillTheSamePage = true")


def _still_the_same_page(page: Page) -> bool:
    return page.evaluate("window.__stillTheSamePage === true")


@pytest.mark.parametrize("viewport", [DESK, PHONE], ids=["desk", "phone"])
def test_decline_the_current_row_from_the_keyboard_without_a_reload(
    browser, console, transactional_db, live_server, shots, viewport, product_owner, member_a, admin_b
):
    oldest = feedback_for(author=admin_b, title="Bulk import of contacts from CSV")
    middle = feedback_for(author=admin_b, title="Single sign-on with Okta")
    newest = feedback_for(author=member_a, title="Export the dashboard to PowerPoint")
    size = f"{viewport['width']}x{viewport['height']}"

    context, page = _new_page(browser, console, viewport)
    try:
        sign_in(page, live_server, product_owner, totp_secret=product_owner.totp_secret)
        page.goto(f"{live_server.url}/triage/")
        rows = page.locator("[data-testid='inbox-row']")
        expect(rows).to_have_count(3)
        expect(page.locator("[data-testid='bulk-bar']")).to_be_hidden()  # nothing ticked: no bulk form
        page.screenshot(path=str(shots / f"inbox-{size}.png"), full_page=True)
        _starts_on_the_first_screen(page, viewport)
        _fits(page, f"inbox {size}")
        _mark_the_page(page)

        # Ctrl-K: the palette, every action and view, filtered as one types.
        palette = page.locator("[data-testid='palette']")
        page.keyboard.press("Control+k")
        expect(palette).to_be_visible()
        expect(page.locator("#palette-input")).to_be_focused()
        page.keyboard.type("filter: needs")
        options = palette.locator("[data-palette-list] [role=option]:visible")
        expect(options).to_have_count(1)
        expect(options.first).to_contain_text("Needs a decision")
        page.screenshot(path=str(shots / f"palette-{size}.png"))
        page.keyboard.press("Escape")
        expect(palette).to_be_hidden()

        # The cursor on the second row, then "d": the palette asks for the public reason.
        page.keyboard.press("j")
        page.keyboard.press("j")
        expect(page.locator("[data-testid='inbox-row'].current")).to_have_attribute("data-id", str(middle.pk))
        row = rows.nth(1)
        expect(row).to_have_class("current")
        page.keyboard.press("d")
        expect(palette).to_be_visible()
        expect(palette.locator("[data-palette-prompt]")).to_contain_text("Why is it declined?")
        page.keyboard.press("Enter")  # no reason: refused, and said so
        expect(palette.locator("[data-palette-error]")).to_contain_text("Write it first")
        middle.refresh_from_db()
        assert middle.status == Feedback.Status.NEW

        page.keyboard.type(REASON)
        page.keyboard.press("Enter")
        expect(palette).to_be_hidden()
        expect(page.locator("[data-testid='inbox-notice']")).to_have_text("1 request updated.")
        expect(row.locator("[data-testid='row-status']")).to_have_text("Declined")
        expect(row).to_have_class("current")  # the cursor stayed where it was
        assert _still_the_same_page(page)
        middle.refresh_from_db()
        assert middle.status == Feedback.Status.DECLINED
        assert middle.events.filter(kind="status", public_message=REASON).exists()
        expect(rows.nth(0).locator("[data-testid='row-status']")).to_have_text("New")
        page.screenshot(path=str(shots / f"declined-{size}.png"), full_page=True)
        _fits(page, f"inbox after declining {size}")

        # Ticking rows shows the bulk bar (Shift-click ticks the range); its "Plan" acts in place too.
        boxes = page.locator("[data-testid='inbox-row'] .row-select")
        boxes.nth(0).click()
        boxes.nth(2).click(modifiers=["Shift"])
        bar = page.locator("[data-testid='bulk-bar']")
        expect(bar).to_be_visible()
        expect(bar.locator("[data-bulk-count]")).to_have_text("3 requests selected")
        boxes.nth(1).click()  # the declined one stays as it is
        expect(bar.locator("[data-bulk-count]")).to_have_text("2 requests selected")
        page.screenshot(path=str(shots / f"bulk-bar-{size}.png"))
        _fits(page, f"inbox with the bulk bar {size}")
        bar.locator("[data-run='plan']").click()
        expect(rows.nth(0).locator("[data-testid='row-status']")).to_have_text("Planned")
        expect(rows.nth(2).locator("[data-testid='row-status']")).to_have_text("Planned")
        expect(bar).to_be_hidden()  # done: the selection is cleared
        assert _still_the_same_page(page)
        assert {f.status for f in Feedback.objects.filter(pk__in=[oldest.pk, newest.pk])} == {Feedback.Status.PLANNED}
    finally:
        context.close()
    console.assert_clean()


def test_merge_into_a_request_found_by_its_title(page: Page, live_server, product_owner, member_b, admin_b, console):
    target = feedback_for(author=admin_b, title="Single sign-on with Okta")
    duplicate = feedback_for(author=member_b, title="Okta login for our team")  # the same company's

    sign_in(page, live_server, product_owner, totp_secret=product_owner.totp_secret)
    page.goto(f"{live_server.url}/triage/")
    _mark_the_page(page)
    page.keyboard.press("j")  # the newest: the duplicate
    expect(page.locator("[data-testid='inbox-row'].current")).to_have_attribute("data-id", str(duplicate.pk))
    page.keyboard.press("m")
    page.keyboard.type("single okta")
    pick = page.locator("[data-testid='merge-pick']")
    expect(pick).to_have_count(1)
    expect(pick).to_contain_text(f"#{target.pk} Single sign-on with Okta")
    page.keyboard.press("Enter")
    row = page.locator(f"[data-testid='inbox-row'][data-id='{duplicate.pk}']")
    expect(row.locator("[data-testid='row-status']")).to_have_text("Merged")
    assert _still_the_same_page(page)
    duplicate.refresh_from_db()
    assert duplicate.merged_into_id == target.pk

    # On the request's page, the same palette and keys: "p" plans it.
    page.goto(f"{live_server.url}/triage/feedback/{target.pk}/")
    page.locator("h1").click()
    with page.expect_navigation():
        page.keyboard.press("p")
    expect(page.locator(".message-success")).to_be_visible()
    target.refresh_from_db()
    assert target.status == Feedback.Status.PLANNED
    console.assert_clean()
