"""Reports in a real browser, with the real Celery worker and a real SMTP server behind the live
server. A product owner creates a team and a subscription for it (finding the company by name,
not in a list of every company), clicks "Send now"; the worker builds and sends the digest; the
archive shows it sent, with each recipient's status and the email itself. Then the dashboard's
chart for the last 12 weeks, and a company's dossier opened from the triage inbox. The
subscriptions list, the archive and a digest also fit a phone's screen (390x844)."""

import pytest
from playwright.sync_api import Page, expect

from core.models import OutboundEmail
from reporting.models import Digest, DigestSubscription
from tests.core.conftest import smtp_server, start_worker, wait_for, worker  # noqa: F401  (the real worker)
from tests.e2e.conftest import TIMEOUT_MS, sign_in
from tests.factories import feedback_for

pytestmark = [pytest.mark.e2e, pytest.mark.worker]

PHONE = {"width": 390, "height": 844}
PARTNER = "advisor@partner-consulting.example"


def assert_fits_the_screen(page: Page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the screen"


def _watch(page: Page, console) -> None:
    page.on("console", lambda m: console.messages.append((page.url, m.type, m.text)))
    page.on("pageerror", lambda e: console.page_errors.append((page.url, str(e))))


def test_a_team_digest_from_subscription_to_archive(
    browser,
    live_server,
    worker,  # noqa: F811  (the fixture imported above)
    smtp_server,  # noqa: F811
    product_owner,
    contributor,
    org_a,
    org_b,
    admin_a,
    console,
):
    _controller, inbox = smtp_server
    feedback_for(author=admin_a, title="Export the ledger to Excel", visibility="public")
    desk = browser.new_context(locale="en", viewport={"width": 1280, "height": 800})
    desk.set_default_timeout(TIMEOUT_MS)
    page = desk.new_page()
    _watch(page, console)
    phone_context = None
    try:
        sign_in(page, live_server, product_owner, totp_secret=product_owner.totp_secret)

        # A team: one staff member and a partner's address.
        page.goto(f"{live_server.url}/reports/teams/new/")
        form = page.locator("[data-testid='team-form']")
        form.locator("input[name='name']").fill("Sales EMEA")
        form.get_by_label(contributor.name).check()
        form.locator("textarea[name='extra_emails']").fill(PARTNER)
        with page.expect_navigation():
            page.locator("[data-testid='team-save']").click()
        expect(page.locator(".message-success")).to_contain_text("Sales EMEA")
        expect(page.locator("[data-testid='team-list']")).to_contain_text("Sales EMEA")

        # A subscription for it, scoped to Acme found by name.
        page.goto(f"{live_server.url}/reports/subscriptions/new/")
        form = page.locator("[data-testid='subscription-form']")
        form.locator("input[name='name']").fill("EMEA weekly")
        form.locator("input[name='recipients'][value='team']").check()
        form.locator("select[name='team']").select_option(label="Sales EMEA")
        form.locator("select[name='timezone']").select_option("Europe/Berlin")
        assert page.locator("[data-testid='org-choices'] input").count() == 0
        page.locator("[data-testid='org-search']").fill("acm")
        acme = page.locator(f"[data-testid='org-{org_a.pk}']")
        expect(acme).to_be_visible()
        expect(page.locator(f"[data-testid='org-{org_b.pk}']")).to_have_count(0)
        acme.check()
        page.locator("[data-testid='org-search']").press("Enter")  # searches again; never submits the form
        expect(page.locator("[data-testid='org-choices']")).to_contain_text("No other organization found")
        expect(acme).to_be_checked()
        assert DigestSubscription.objects.count() == 0
        with page.expect_navigation():
            page.locator("[data-testid='subscription-save']").click()
        row = page.locator("[data-testid='subscription-row']").filter(has_text="EMEA weekly")
        expect(row).to_contain_text("Sales EMEA")
        expect(row).to_contain_text("1 organization")
        expect(row.locator("[data-testid='next-send']")).not_to_have_text("—")
        subscription = DigestSubscription.objects.get(name="EMEA weekly")
        assert list(subscription.organizations.all()) == [org_a] and subscription.timezone == "Europe/Berlin"

        # Send now: the worker builds it and sends one email to each of the two recipients.
        with page.expect_navigation():
            row.locator("[data-testid='send-now']").click()
        expect(page.locator(".message-success")).to_contain_text("queued; it will be in the archive in a moment")
        assert wait_for(
            lambda: OutboundEmail.objects.filter(template="reporting/emails/digest", status="sent").count() == 2,
            workers=[worker],
        )
        assert wait_for(lambda: len(inbox.messages) == 2, workers=[worker])
        assert sorted(envelope.rcpt_tos[0] for envelope in inbox.messages) == sorted([contributor.email, PARTNER])
        digest = Digest.objects.get(subscription=subscription)
        assert digest.status == Digest.Status.SENT

        # The archive: sent, each recipient's status, the email as they saw it.
        with page.expect_navigation():
            page.locator("[data-testid='sent-digest-link']").click()
        expect(page.locator("[data-testid='digest-status']")).to_have_text("Sent")
        statuses = page.locator("[data-testid='recipient-row'] [data-testid='recipient-status']")
        expect(statuses).to_have_count(2)
        expect(statuses).to_have_text(["Sent", "Sent"])
        expect(page.locator("[data-testid='recipients']")).to_contain_text(PARTNER)
        preview = page.frame_locator("[data-testid='digest-preview']")
        expect(preview.locator("body")).to_contain_text("EMEA weekly")
        expect(page.locator("[data-testid='digest-text']")).to_contain_text("Unsubscribe in one click")
        page.goto(f"{live_server.url}/reports/digests/")
        archived = page.locator("[data-testid='digest-row']").filter(has_text="EMEA weekly")
        expect(archived.locator("[data-testid='digest-status']")).to_have_text("Sent")

        # The dashboard: the last 12 weeks, charted.
        page.goto(f"{live_server.url}/reports/")
        chart = page.locator("[data-testid='chart-trend']")
        expect(chart).to_be_visible()
        expect(chart).to_have_attribute("data-drawn", "true")
        assert (
            page.evaluate("JSON.parse(document.getElementById('dashboard-data').textContent).trend.labels.length") == 12
        )

        # A company's dossier, from the triage inbox.
        page.goto(f"{live_server.url}/triage/")
        link = page.locator("[data-testid='dossier-link']").filter(has_text="Acme").first
        with page.expect_navigation():
            link.click()
        assert page.url.rstrip("/").endswith(f"/reports/organizations/{org_a.pk}")
        expect(page.locator("h1")).to_contain_text("Acme")

        # On a phone: the subscriptions, the archive and the digest fit the screen.
        phone_context = browser.new_context(
            locale="en", viewport=PHONE, is_mobile=True, has_touch=True, storage_state=desk.storage_state()
        )
        phone_context.set_default_timeout(TIMEOUT_MS)
        phone = phone_context.new_page()
        _watch(phone, console)
        for path in ("/reports/subscriptions/", "/reports/digests/", f"/reports/digests/{digest.pk}/"):
            phone.goto(f"{live_server.url}{path}")
            expect(phone.locator("h1")).to_be_visible()
            if "digest-preview" in phone.content():
                expect(phone.frame_locator("[data-testid='digest-preview']").locator("body")).to_contain_text("EMEA")
            assert_fits_the_screen(phone)
        console.assert_clean()
    finally:
        desk.close()
        if phone_context is not None:
            phone_context.close()
