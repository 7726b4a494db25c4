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
