"""A user club meeting in a real browser. The organizer builds the agenda from the suggestions (a
private request needs a summary) and sends the invitations; a client member accepts in the portal;
the organizer opens a vote; the member votes from a phone (390x844), the page updating by itself;
the organizer closes it, writes and publishes the minutes; the member reads them. And one page in
French."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from clubs import services
from clubs.models import Ballot, Invitation
from feedback import services as feedback_services
from tests.e2e.conftest import TIMEOUT_MS, sign_in
from tests.factories import feedback_for

pytestmark = [pytest.mark.e2e]

PHONE = {"width": 390, "height": 844}
SECRET = "Globex payroll secret e2e"


def assert_fits_the_screen(page: Page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the screen"


@pytest.fixture
def club_world(product_owner, member_a, admin_a, member_b):
    club = services.club_create(actor=product_owner, name="Finance club", description="Finance users", language="en")
    for user in (member_a, admin_a, member_b):
        services.member_add(club=club, actor=product_owner, user=user)
    start = (timezone.now() + timedelta(days=7)).replace(microsecond=0)
    meeting = services.meeting_create(
        club=club, actor=product_owner, title="Spring meeting", starts_at=start, ends_at=start + timedelta(hours=2)
    )
    private_b = feedback_for(author=member_b, title=SECRET)
    public_a = feedback_for(author=admin_a, title="Export the ledger to Excel", visibility="public")
    feedback_services.vote_cast(feedback=private_b, user=member_b, importance="critical")
    feedback_services.vote_cast(feedback=public_a, user=admin_a, importance="important")
    feedback_services.vote_cast(feedback=public_a, user=member_a, importance="critical")
    return {"club": club, "meeting": meeting, "private_b": private_b, "public_a": public_a}


def test_a_club_meeting_from_agenda_to_minutes(browser, live_server, club_world, product_owner, member_a, console):
    meeting = club_world["meeting"]
    staff_context = browser.new_context(locale="en", viewport={"width": 1280, "height": 800})
    staff_context.set_default_timeout(TIMEOUT_MS)
    staff = staff_context.new_page()
    staff.on("console", lambda m: console.messages.append((staff.url, m.type, m.text)))
    staff.on("pageerror", lambda e: console.page_errors.append((staff.url, str(e))))
    phone_context = browser.new_context(locale="en", viewport=PHONE, is_mobile=True, has_touch=True)
    phone_context.set_default_timeout(TIMEOUT_MS)
    phone = phone_context.new_page()
    phone.on("console", lambda m: console.messages.append((phone.url, m.type, m.text)))
    phone.on("pageerror", lambda e: console.page_errors.append((phone.url, str(e))))
    try:
        # The organizer builds the agenda from the suggestions.
        sign_in(staff, live_server, product_owner, totp_secret=product_owner.totp_secret)
        staff.goto(f"{live_server.url}/clubs/meetings/{meeting.pk}/")
        demand = staff.locator("[data-testid='suggestions-demand'] [data-testid='suggestion']")
        expect(demand).to_have_count(2)
        public_row = demand.filter(has_text="Export the ledger to Excel")
        with staff.expect_navigation():
            public_row.locator("[data-testid='suggestion-add']").click()
        private_row = staff.locator("[data-testid='suggestions-demand'] [data-testid='suggestion']").filter(
            has_text=SECRET
        )
        private_row.locator("[data-testid='suggestion-summary']").fill("Payroll reconciliation across entities")
        with staff.expect_navigation():
            private_row.locator("[data-testid='suggestion-add']").click()
        topics = staff.locator("[data-testid='agenda'] [data-testid='topic']")
        expect(topics).to_have_count(2)
        expect(topics.nth(1)).to_contain_text("Payroll reconciliation across entities")
        with staff.expect_navigation():
            staff.locator("[data-testid='invitations-send']").click()
        expect(staff.locator(".message-success")).to_contain_text("3 members")
        expect(staff.locator("[data-testid='invitations'] tbody tr")).to_have_count(3)

        # The member accepts in the portal, on a phone.
        sign_in(phone, live_server, member_a)
        phone.goto(f"{live_server.url}/portal/clubs/")
        expect(phone.locator("[data-testid='upcoming-meeting']")).to_contain_text("Spring meeting")
        phone.locator("[data-testid='upcoming-meeting'] a").first.click()
        phone.locator("[data-testid='rsvp-form'] input[value='yes']").check()
        phone.locator("[data-testid='rsvp-form'] input[name='comment']").fill("I'll bring the numbers")
        with phone.expect_navigation():
            phone.locator("[data-testid='rsvp-save']").click()
        expect(phone.locator("[data-testid='my-rsvp']").first).to_have_text("Yes")
        expect(phone.locator("main")).not_to_contain_text(SECRET)
        expect(phone.locator("[data-testid='vote-waiting']")).to_be_visible()
        assert_fits_the_screen(phone)
        assert Invitation.objects.get(meeting=meeting, user=member_a).rsvp == "yes"

        # The organizer takes attendance and opens a vote on the meeting day.
        staff.goto(f"{live_server.url}/clubs/meetings/{meeting.pk}/run/")
        staff.locator(f"[data-testid='present-{member_a.pk}']").check()
        with staff.expect_navigation():
            staff.locator("[data-testid='attendance-save']").click()
        vote_form = staff.locator("[data-testid='vote-form']")
        for box in vote_form.locator("input[name='topics']").all():
            box.check()
        vote_form.locator("input[name='budget']").fill("5")
        with staff.expect_navigation():
            staff.locator("[data-testid='vote-create']").click()
        expect(staff.locator("[data-testid='vote-status']")).to_have_text("Open")

        # The member's page shows the ballot without reloading; the counter follows the points.
        ballot = phone.locator("[data-testid='ballot-form']")
        expect(ballot).to_be_visible(timeout=8_000)
        expect(phone.locator("[data-testid='points-left']")).to_have_text("Points left: 5")
        inputs = ballot.locator("input[data-points]")
        inputs.nth(0).fill("3")
        expect(phone.locator("[data-testid='points-left']")).to_have_text("Points left: 2")
        inputs.nth(1).fill("4")
        expect(phone.locator("[data-testid='points-left']")).to_contain_text("Too many points: 2 over")
        expect(phone.locator("[data-testid='ballot-submit']")).to_be_disabled()
        inputs.nth(1).fill("2")
        assert_fits_the_screen(phone)
        phone.locator("[data-testid='ballot-submit']").click()
        expect(phone.locator("[data-testid='vote-done']")).to_be_visible()
        assert Ballot.objects.get(user=member_a).total == 5

        # The organizer sees the tally refresh by itself, then closes the vote.
        expect(staff.locator("[data-testid='tally-points']").first).to_have_text("3", timeout=8_000)
        with staff.expect_navigation():
            staff.locator("[data-testid='vote-close']").click()
        expect(staff.locator("[data-testid='vote-status']")).to_have_text("Closed")

        # The member's fragment turns into the results by itself.
        expect(phone.locator("[data-testid='vote-results']")).to_be_visible(timeout=8_000)

        # Minutes: written, published.
        staff.locator("[data-testid='minutes-form'] textarea").fill("## Decisions\n\n- **Excel export** first")
        with staff.expect_navigation():
            staff.locator("[data-testid='minutes-publish']").click()
        expect(staff.locator("[data-testid='minutes-published']")).to_be_visible()
        # The meeting-day page is usable on the organizer's phone too.
        staff.set_viewport_size(PHONE)
        staff.reload()
        expect(staff.locator("[data-testid='attendance-save']")).to_be_visible()
        assert_fits_the_screen(staff)

        # The member reads them in the portal.
        phone.goto(f"{live_server.url}/portal/clubs/meetings/{meeting.pk}/")
        minutes = phone.locator("[data-testid='minutes']")
        expect(minutes).to_contain_text("Decisions")
        expect(minutes.locator("strong")).to_have_text("Excel export")
        expect(phone.locator("main")).not_to_contain_text(SECRET)
        assert_fits_the_screen(phone)
        console.assert_clean()
    finally:
        staff_context.close()
        phone_context.close()


def test_my_clubs_in_french(page: Page, live_server, club_world, member_b, console):
    member_b.language = "fr"
    member_b.save(update_fields=["language"])
    sign_in(page, live_server, member_b)
    page.goto(f"{live_server.url}/portal/clubs/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("h1")).to_have_text("Mes clubs")
    expect(page.locator("[data-testid='my-clubs']")).to_contain_text("Finance club")
    console.assert_clean()
