"""The feedback loop in a real browser: a client finds the duplicate and votes instead, the product owner
triages with the keyboard and declines with a reason, the requester reads it and gets the email.
Also takes the README's screenshots of the portal and of the inbox, with realistic data in them: into a
temporary folder, or into docs/ with RETOUR_SCREENSHOTS=1 (`make screenshots`) — tests never write into the tree."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from core.models import OutboundEmail
from feedback.models import Feedback, Vote
from feedback.services import feedback_change_status, vote_cast
from tests.e2e.conftest import DESKTOP_VIEWPORT, _new_page, sign_in
from tests.factories import feedback_for

pytestmark = [pytest.mark.e2e]

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture
def second_page(browser, console):
    """Another person's browser (a separate context: own cookies), logging into the same console record."""
    context, page = _new_page(browser, console, DESKTOP_VIEWPORT)
    yield page
    context.close()


def test_client_votes_for_the_duplicate_instead_of_submitting(page: Page, live_server, admin_a, member_b, console):
    dark_mode = feedback_for(
        author=admin_a,
        title="Dark mode for the dashboard",
        description="Our support team works nights; the white dashboard is tiring.",
        visibility="public",
    )
    assert dark_mode.vote_count == 1  # the requester's own vote
    feedback_before = Feedback.objects.count()

    sign_in(page, live_server, member_b)  # Globex: sees Acme's public request, not its private ones
    page.goto(f"{live_server.url}/portal/feedback/new/")
    title = page.locator("#id_title")
    title.fill("dashboard dark them")
    title.press_sequentially("e")  # a real keystroke too: htmx listens to input and keyup

    item = page.locator("[data-testid='similar-item']").filter(has_text="Dark mode for the dashboard")
    expect(item).to_be_visible()
    item.locator("[data-testid='vote-instead']").click()
    page.wait_for_url(f"{live_server.url}/portal/feedback/{dark_mode.pk}/#vote")
    expect(page.locator("h1")).to_have_text("Dark mode for the dashboard")

    vote_section = page.locator("#vote")
    vote_section.locator("select[name='importance']").select_option("critical")
    with page.expect_navigation():
        vote_section.locator("[data-testid='vote-button']").click()
    # Back on the request (the redirect keeps the #vote of the form's page, as browsers do).
    assert page.url.split("#")[0] == f"{live_server.url}/portal/feedback/{dark_mode.pk}/"
    expect(page.locator(".message-success")).to_be_visible()
    expect(vote_section.locator("select[name='importance']")).to_have_value("critical")

    vote = Vote.objects.get(feedback=dark_mode, user=member_b)
    assert vote.importance == Feedback.Importance.CRITICAL
    assert vote.organization_id == member_b.organization.pk
    dark_mode.refresh_from_db()
    assert dark_mode.vote_count == 2
    assert dark_mode.organization_count == 2
    assert not Feedback.objects.filter(author=member_b).exists()
    assert Feedback.objects.count() == feedback_before

    console.assert_clean()


def test_product_owner_triages_with_the_keyboard_and_declines_with_a_reason(
    page: Page, second_page: Page, live_server, product_owner, member_a, admin_b, console
):
    oldest = feedback_for(author=admin_b, title="Bulk import of contacts from CSV")
    middle = feedback_for(author=admin_b, title="Single sign-on with Okta", visibility="public")
    newest = feedback_for(author=member_a, title="Export the dashboard to PowerPoint")
    reason = "Not in our vision for this year."

    sign_in(page, live_server, product_owner, totp_secret=product_owner.totp_secret)
    page.wait_for_url(f"{live_server.url}/triage/")
    rows = page.locator("[data-testid='inbox-row']")
    expect(rows).to_have_count(3)
    # Newest first.
    for index, feedback in enumerate([newest, middle, oldest]):
        expect(rows.nth(index)).to_have_attribute("data-id", str(feedback.pk))

    help_panel = page.locator("#shortcuts")
    expect(help_panel).to_be_hidden()
    page.keyboard.press("?")
    expect(help_panel).to_be_visible()

    page.keyboard.press("j")
    expect(rows.nth(0)).to_have_class("current")
    page.keyboard.press("j")
    expect(rows.nth(1)).to_have_class("current")
    expect(rows.nth(0)).not_to_have_class("current")
    page.keyboard.press("k")
    expect(rows.nth(0)).to_have_class("current")
    expect(page.locator("[data-testid='inbox-row'].current")).to_have_count(1)

    page.keyboard.press("o")
    page.wait_for_url(f"{live_server.url}/triage/feedback/{newest.pk}/")
    expect(page.locator("h1")).to_contain_text("Export the dashboard to PowerPoint")

    # Declining without a reason is refused, and says why.
    status_form = page.locator("#status-form")
    status_form.locator("select[name='status']").select_option("declined")
    status_form.locator("button[type='submit']").click()
    page.wait_for_url(f"{live_server.url}/triage/feedback/{newest.pk}/")
    expect(page.locator("#status-form .errorlist")).to_contain_text("Tell the clients why")
    newest.refresh_from_db()
    assert newest.status == Feedback.Status.NEW

    status_form.locator("select[name='status']").select_option("declined")
    status_form.locator("textarea[name='public_message']").fill(reason)
    status_form.locator("button[type='submit']").click()
    expect(page.locator(".message-success")).to_be_visible()
    expect(page.locator("[data-testid='event']").filter(has_text=reason)).to_be_visible()
    newest.refresh_from_db()
    assert newest.status == Feedback.Status.DECLINED

    # The requester, in their own browser, reads the reason on the request.
    sign_in(second_page, live_server, member_a)
    second_page.goto(f"{live_server.url}/portal/feedback/{newest.pk}/")
    expect(second_page.locator("[data-testid='public-message']")).to_have_text(reason)
    expect(second_page.locator(".fb-status-declined").first).to_be_visible()

    # And the email telling them went out: the product owner sees it in the log.
    page.goto(f"{live_server.url}/emails/")
    email_row = page.locator("[data-testid='email-row']").filter(has_text=member_a.email)
    expect(email_row).to_have_count(1)
    expect(email_row.locator(".status-sent")).to_be_visible()
    email = OutboundEmail.objects.get(to_email=member_a.email, template="feedback/emails/status")
    assert email.status == OutboundEmail.Status.SENT
    assert reason in email.text_body
    # Nobody else follows this request, and the product owner is not told of their own decision.
    assert not OutboundEmail.objects.exclude(to_email=member_a.email).exists()

    console.assert_clean()


@pytest.fixture
def screenshots_dir(tmp_path) -> Path:
    """docs/ only when asked for (`make screenshots`)."""
    return DOCS if os.environ.get("RETOUR_SCREENSHOTS") == "1" else tmp_path


def test_readme_screenshots(
    screenshots_dir: Path,
    page: Page,
    second_page: Page,
    live_server,
    product_owner,
    admin_a,
    member_a,
    more_members_a,
    admin_b,
    member_b,
    console,
):
    """A portal and an inbox with something in them: Acme's own requests at various stages, Globex's public ones."""
    po = product_owner

    def decide(feedback, status, message=""):
        feedback_change_status(feedback=feedback, actor=po, status=status, public_message=message)

    def votes(feedback, *voters_and_importance):
        for voter, importance in voters_and_importance:
            vote_cast(feedback=feedback, user=voter, importance=importance)

    sso = feedback_for(
        author=admin_b, title="Single sign-on with Okta", kind="idea", visibility="public", importance="critical"
    )
    votes(sso, (member_b, "critical"), (admin_a, "important"), (more_members_a[0], "important"))
    decide(sso, "planned", "Scheduled for the spring release.")

    csv = feedback_for(author=admin_b, title="Export the monthly report as CSV", visibility="public")
    votes(csv, (member_a, "nice_to_have"))
    decide(csv, "under_review")

    dark = feedback_for(author=member_b, title="Dark mode for the dashboard", visibility="public")
    votes(dark, (more_members_a[1], "nice_to_have"))

    slow = feedback_for(
        author=member_a,
        title="The ticket list is slow with more than 5,000 tickets",
        kind="problem",
        importance="critical",
    )
    votes(slow, (admin_a, "critical"), (more_members_a[2], "important"))
    decide(slow, "in_progress")

    filters = feedback_for(author=admin_a, title="Save custom filters on the ticket list")
    votes(filters, (more_members_a[0], "important"))
    decide(filters, "shipped", "Available now: use “Save view” above the list.")

    feedback_for(author=more_members_a[1], title="Mention a colleague in an internal note")
    feedback_for(author=member_a, title="How do I change the language of the emails?", kind="question")
    tablet = feedback_for(author=admin_a, title="A native app for tablets")
    decide(tablet, "declined", "The web app works on tablets; we will not build a native one.")

    sign_in(page, live_server, member_a)
    page.goto(f"{live_server.url}/portal/")  # again, without the "signed in" message
    items = page.locator("[data-testid='feedback-item']")
    expect(items).to_have_count(8)
    expect(items.filter(has_text="Single sign-on with Okta")).to_be_visible()
    screenshots_dir.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(screenshots_dir / "screenshot-portal.png"), full_page=True)

    sign_in(second_page, live_server, po, totp_secret=po.totp_secret)
    second_page.goto(f"{live_server.url}/triage/")
    expect(second_page.locator("[data-testid='inbox-row']")).to_have_count(4)  # new and under review by default
    second_page.screenshot(path=str(screenshots_dir / "screenshot-inbox.png"), full_page=True)

    console.assert_clean()
