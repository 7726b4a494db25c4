"""The roadmap in a real browser. The client's part: the public roadmap with "me too", the request page's
roadmap panel, the changelog and its feed link — at desk and phone width, in English and in French.
The product owner's part (link from the triage detail, move on the board with the keyboard, decide,
publish, record the outcome) follows the same item through the staff pages."""

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from feedback.models import Feedback, Vote
from roadmap import services
from tests.e2e.conftest import sign_in
from tests.factories import feedback_for

pytestmark = [pytest.mark.e2e]

TEXT = {
    "en": {
        "roadmap": "Roadmap",
        "me_too": "Me too — vote",
        "voted": "You voted: Critical",
        "shipped": "Shipped",
        "changelog": "Changelog",
    },
    "fr": {
        "roadmap": "Feuille de route",
        "me_too": "Moi aussi — voter",
        "voted": "Critique",
        "shipped": "Livrée",
        "changelog": "Journal des modifications",
    },
}


def assert_fits_the_screen(page: Page) -> None:
    """Nothing wider than the viewport: no sideways scrolling on a phone."""
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the screen"


@pytest.fixture
def public_roadmap(product_owner, admin_a, member_a):
    """Acme's requests behind two planned items and one shipped in a published release; one private item."""
    offline_request = feedback_for(author=admin_a, title="Acme wants offline work", visibility="public")
    offline = services.item_create(
        actor=product_owner,
        title="INTERNAL offline sync rewrite",
        description="INTERNAL: Acme renews in March",
        status="now",
        target_quarter="2027-Q1",
        is_public=True,
        public_title="Work without a connection",
        public_text="Keep working in **basements** and trains.",
    )
    services.item_link_feedback(item=offline, feedback=offline_request, actor=product_owner)
    services.decision_record(
        actor=product_owner,
        kind="accepted",
        item=offline,
        rationale="INTERNAL: biggest account",
        public_message="We are building it this quarter.",
        expected_outcome="Technicians stop losing their notes.",
    )
    export_request = feedback_for(author=member_a, title="Acme wants PDF export", visibility="public")
    export = services.item_create(
        actor=product_owner,
        title="INTERNAL pdf engine",
        status="now",
        is_public=True,
        public_title="Export your reports to PDF",
    )
    services.item_link_feedback(item=export, feedback=export_request, actor=product_owner)
    release = services.release_save(
        actor=product_owner,
        title="Spring release",
        release_date=timezone.localdate(),
        body="PDF, at last.",
        items=[export],
    )
    services.release_publish(release=release, actor=product_owner)
    secret = services.item_create(actor=product_owner, title="INTERNAL secret pricing", status="now")
    for item in (offline, export):
        item.refresh_from_db()
    return {
        "offline": offline,
        "export": export,
        "export_request": export_request,
        "release": release,
        "secret": secret,
    }


@pytest.mark.parametrize(
    ("width", "language"), [("desk", "en"), ("phone", "fr"), ("desk", "fr"), ("phone", "en")], ids=str
)
def test_client_says_me_too_and_reads_the_changelog(
    request, width, language, live_server, public_roadmap, member_b, member_a, console
):
    page: Page = request.getfixturevalue("page" if width == "desk" else "mobile_page")
    text = TEXT[language]
    member_b.language = language
    member_b.save(update_fields=["language"])
    offline = public_roadmap["offline"]

    sign_in(page, live_server, member_b)  # Globex: asked for none of it
    page.goto(f"{live_server.url}/portal/roadmap/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("h1")).to_have_text(text["roadmap"])
    card = page.locator(f"#item-{offline.pk}")
    expect(card.locator("h3")).to_have_text("Work without a connection")
    expect(card).to_contain_text("2027-Q1")
    expect(page.locator("main")).not_to_contain_text("INTERNAL")
    expect(page.locator("main")).not_to_contain_text("Acme")
    assert_fits_the_screen(page)

    card.locator("select[name='importance']").select_option("critical")
    expect(card.locator("[data-testid='me-too-button']")).to_have_text(text["me_too"])
    with page.expect_navigation():
        card.locator("[data-testid='me-too-button']").click()
    assert page.url.endswith(f"/portal/roadmap/#item-{offline.pk}")
    expect(page.locator(".message-success")).to_be_visible()
    card = page.locator(f"#item-{offline.pk}")
    expect(card.locator("[data-testid='you-voted']")).to_contain_text(text["voted"])
    vote = Vote.objects.get(user=member_b, feedback_id=offline.main_request_id)
    assert (vote.importance, vote.provenance) == ("critical", Vote.Provenance.DIRECT)
    offline.refresh_from_db()
    assert offline.organization_count == 2

    # The shipped item is in "shipped recently", and the changelog names it in its public wording.
    shipped = page.locator(f"[data-testid='roadmap-section-shipped'] #item-{public_roadmap['export'].pk}")
    expect(shipped).to_contain_text("Export your reports to PDF")
    page.goto(f"{live_server.url}/portal/changelog/")
    expect(page.locator("h1")).to_have_text(text["changelog"])
    release = page.locator(f"#release-{public_roadmap['release'].pk}")
    expect(release.locator("h2")).to_have_text("Spring release")
    expect(release.locator("[data-testid='release-item']")).to_have_text(["Export your reports to PDF"])
    expect(page.locator("[data-testid='changelog-feed']")).to_have_attribute("type", "application/atom+xml")
    expect(page.locator("main")).not_to_contain_text("INTERNAL")
    assert_fits_the_screen(page)

    # The request page of the item's public request: the item's public title, status and decision.
    page.goto(f"{live_server.url}/portal/feedback/{offline.main_request_id}/")
    panel = page.locator("[data-testid='roadmap-panel']")
    expect(panel.locator("[data-testid='roadmap-panel-item'] a")).to_have_text("Work without a connection")
    expect(panel.locator("[data-testid='decision-public-message']")).to_have_text("We are building it this quarter.")
    expect(panel).not_to_contain_text("INTERNAL")
    assert_fits_the_screen(page)
    panel.locator("[data-testid='roadmap-panel-item'] a").click()
    page.wait_for_url(f"**/portal/roadmap/#item-{offline.pk}")
    expect(page.locator(f"#item-{offline.pk}")).to_be_in_viewport()
    console.assert_clean()


def test_requester_sees_the_request_shipped(page: Page, live_server, public_roadmap, member_a, console):
    """Acme's requester: the request page says shipped, with the item's public title."""
    export_request = public_roadmap["export_request"]
    assert Feedback.objects.get(pk=export_request.pk).status == Feedback.Status.SHIPPED
    sign_in(page, live_server, member_a)
    page.goto(f"{live_server.url}/portal/feedback/{export_request.pk}/")
    panel = page.locator("[data-testid='roadmap-panel']")
    expect(panel.locator("[data-testid='roadmap-panel-item']")).to_contain_text("Export your reports to PDF")
    expect(panel.locator("[data-testid='roadmap-panel-item']")).to_contain_text(TEXT["en"]["shipped"])
    expect(page.locator("main")).not_to_contain_text("INTERNAL")
    console.assert_clean()


@pytest.fixture
def second_page(browser, console):
    """The requester's own browser (separate cookies), logging into the same console record."""
    from tests.e2e.conftest import DESKTOP_VIEWPORT, _new_page

    context, other = _new_page(browser, console, DESKTOP_VIEWPORT)
    yield other
    context.close()


@pytest.mark.parametrize("width", ["desk", "phone"])
def test_product_owner_plans_ships_and_learns(
    request, width, second_page: Page, live_server, product_owner, member_a, admin_b, console
):
    page: Page = request.getfixturevalue("page" if width == "desk" else "mobile_page")
    first = feedback_for(author=member_a, title="Work offline in the basement", visibility="public")
    second = feedback_for(author=admin_b, title="Offline sync for our tablets")
    item = services.item_create(
        actor=product_owner,
        title="Offline sync engine",
        status="next",
        is_public=True,
        public_title="Work without a connection",
    )

    sign_in(page, live_server, product_owner, totp_secret=product_owner.totp_secret)
    # 1. Link both requests from the triage detail: "r" opens the picker; words of the title, then pick.
    for feedback in (first, second):
        page.goto(f"{live_server.url}/triage/feedback/{feedback.pk}/")
        page.locator("h1").click()  # focus outside any field, as a reader would be
        page.keyboard.press("r")
        picker = page.locator("#roadmap-item-search")
        expect(picker).to_be_focused()
        picker.press_sequentially("Offline sync")
        pick = page.locator("[data-testid='roadmap-search-pick']").filter(has_text=f"#{item.pk}")
        with page.expect_navigation():
            pick.click()
        expect(page.locator("[data-testid='roadmap-panel-item']")).to_contain_text("Offline sync engine")
    item.refresh_from_db()
    assert (item.request_count, item.organization_count) == (2, 2)

    # 2. Move it to "now" with the keyboard on the board.
    page.goto(f"{live_server.url}/roadmap/")
    assert_fits_the_screen(page)  # the board scrolls inside itself, not the page
    card = page.locator(f"[data-card][data-id='{item.pk}']")
    card.focus()
    page.keyboard.press("[")
    expect(page.locator(f"[data-column][data-status='now'] [data-card][data-id='{item.pk}']")).to_be_visible()
    item.refresh_from_db()
    assert item.status == "now"

    # 3. An accepted decision with its expected outcome, on the item page.
    page.goto(f"{live_server.url}/roadmap/items/{item.pk}/")
    page.locator("details.rm-form summary").filter(has_text="Record a decision").click()
    form = page.locator("[data-testid='decision-form']")
    form.locator("select[name='kind']").select_option("accepted")
    form.locator("textarea[name='public_message']").fill("We are building it this quarter.")
    form.locator("textarea[name='expected_outcome']").fill("Technicians stop losing their notes.")
    with page.expect_navigation():
        form.locator("button[type='submit']").click()
    expect(page.locator("[data-testid='decision']").first).to_contain_text("Technicians stop losing their notes.")

    # 4. A release with the item, saved as a draft, then published.
    page.goto(f"{live_server.url}/roadmap/releases/new/")
    form = page.locator("[data-testid='release-form']")
    form.locator("input[name='title']").fill("Spring release")
    form.locator("input[name='release_date']").fill(timezone.localdate().isoformat())
    form.locator("textarea[name='body']").fill("Work **offline**, at last.")
    form.locator(f"input[name='items'][value='{item.pk}']").check()
    with page.expect_navigation():
        form.locator("button[type='submit']").click()
    publish = page.locator("[data-testid='publish-form']")
    publish.locator("#publish-confirm").check()
    with page.expect_navigation():
        publish.locator("button[type='submit']").click()
    expect(page.locator("[data-testid='release-published']")).to_be_visible()
    item.refresh_from_db()
    assert item.status == "shipped"

    # 5. The requester sees the request shipped, and the release in the changelog.
    sign_in(second_page, live_server, member_a)
    second_page.goto(f"{live_server.url}/portal/feedback/{first.pk}/")
    panel = second_page.locator("[data-testid='roadmap-panel']")
    expect(panel.locator("[data-testid='roadmap-panel-item']")).to_contain_text("Work without a connection")
    expect(panel.locator("[data-testid='roadmap-panel-item']")).to_contain_text("Shipped")
    expect(second_page.locator("main")).not_to_contain_text("Offline sync engine")
    assert Feedback.objects.get(pk=first.pk).status == Feedback.Status.SHIPPED
    second_page.goto(f"{live_server.url}/portal/changelog/")
    release = second_page.locator("[data-testid='release']").first
    expect(release.locator("h2")).to_have_text("Spring release")
    expect(release.locator("[data-testid='release-item']")).to_have_text(["Work without a connection"])

    # 6. The outcome, recorded from the item page, shows in the decision log.
    page.goto(f"{live_server.url}/roadmap/items/{item.pk}/")
    with page.expect_navigation():
        page.locator("[data-testid='record-outcome']").click()
    form = page.locator("[data-testid='outcome-form']")
    form.get_by_label("Reached").check()
    form.get_by_label("What actually happened").fill("No lost notes reported since.")
    with page.expect_navigation():
        form.locator("button[type='submit']").click()
    page.goto(f"{live_server.url}/roadmap/decisions/")
    row = page.locator("[data-testid='decision-row']").filter(has_text="Offline sync engine")
    expect(row).to_contain_text("Reached")
    expect(row).to_contain_text("No lost notes reported since.")
    assert_fits_the_screen(page)
    console.assert_clean()
