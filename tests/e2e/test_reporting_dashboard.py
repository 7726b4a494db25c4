"""The reports dashboard in headless Chromium: the charts draw under the strict CSP, and at phone
width (390 px) the page never scrolls sideways (wide tables scroll inside their own box)."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import TIMEOUT_MS, sign_in
from tests.e2e.test_reading import DESK, PHONE, _fits, _new_context_page, shots  # noqa: F401
from tests.reporting.test_dashboard import world  # noqa: F401

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("viewport", [PHONE, DESK], ids=["phone", "desk"])
def test_dashboard_draws_its_charts_and_fits_the_screen(
    browser,
    console,
    transactional_db,
    live_server,
    shots,  # noqa: F811
    viewport,
    product_owner,
    world,  # noqa: F811
):
    context, page = _new_context_page(browser, console, viewport=viewport, locale="en")
    try:
        sign_in(page, live_server, product_owner, totp_secret=product_owner.totp_secret)
        page.goto(f"{live_server.url}/reports/?from=2025-03-03&to=2025-03-31")
        expect(page.locator("[data-testid='incoming-total']")).to_have_text("5")
        # Chart.js drew both charts (our script marks each canvas once it has a chart).
        expect(page.locator("#chart-trend[data-drawn='true']")).to_have_count(1, timeout=TIMEOUT_MS)
        expect(page.locator("#chart-areas[data-drawn='true']")).to_have_count(1)
        assert page.evaluate("() => !!window.Chart && Object.keys(Chart.instances).length") == 2
        expect(page.locator("[data-testid='table-incoming-area']")).to_contain_text("Billing")
        page.screenshot(path=str(shots / f"reports-dashboard-{viewport['width']}.png"), full_page=True)
        _fits(page, f"dashboard {viewport['width']}px")
        # The default period (the last 12 weeks) draws too, with its 12 weekly bars.
        page.goto(f"{live_server.url}/reports/")
        expect(page.locator("#chart-trend[data-drawn='true']")).to_have_count(1)
        assert page.evaluate("() => Chart.getChart('chart-trend').data.labels.length") == 12
        _fits(page, f"default dashboard {viewport['width']}px")
    finally:
        context.close()
    console.assert_clean()
