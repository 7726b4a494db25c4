"""A client on a phone (390 px), in French and in English: votes on a card of the portal in one click and
sees the count change without a page load, sets the importance, withdraws the vote; marks the news as
read; and no portal page, nor the profile with its API tokens, scrolls sideways."""

import pytest
from playwright.sync_api import expect

from accounts.services import api_token_create
from feedback.models import Vote
from feedback.services import comment_add, feedback_change_status
from tests.e2e.conftest import sign_in
from tests.e2e.test_reading import OVERFLOW_JS, PHONE, _new_context_page
from tests.e2e.test_reading import shots as shots  # the screenshots folder (RETOUR_READING_SCREENSHOTS)
from tests.factories import feedback_for

pytestmark = [pytest.mark.e2e]

WORDS = {
    "fr": {"vote": "Voter", "voted": "Voté", "read": "Toutes les notifications sont marquées comme lues."},
    "en": {"vote": "Vote", "voted": "Voted", "read": "All notifications are marked as read."},
}


def _fits(page, label: str) -> None:
    result = page.evaluate(OVERFLOW_JS)
    assert result["page"] <= 0 and not result["elements"], f"{label} is wider than the window: {result}"


@pytest.mark.parametrize("language", ["fr", "en"])
def test_client_votes_on_a_card_in_one_click_on_a_phone(
    browser, console, transactional_db, live_server, shots, language, member_a, admin_b, product_owner
):
    words = WORDS[language]
    member_a.language = language
    member_a.save(update_fields=["language"])
    idea = feedback_for(
        author=admin_b,
        title="Exporter les factures mensuelles vers le logiciel de comptabilité",
        description="Chaque mois, nous **ressaisissons** les factures : " + "très long. " * 30,
        visibility="public",
    )
    comment_add(feedback=idea, author=product_owner, body="Merci, nous regardons.")
    comment_add(feedback=idea, author=product_owner, body="INTERNAL churn risk", is_internal=True)
    mine = feedback_for(author=member_a, title="Un tableau de bord par équipe")
    feedback_change_status(feedback=mine, actor=product_owner, status="planned", public_message="Bientôt.")
    for name in ("Intégration comptable de production", "CI"):
        api_token_create(user=member_a, name=name)

    context, page = _new_context_page(browser, console, viewport=PHONE, locale=language)
    try:
        sign_in(page, live_server, member_a)
        page.goto(f"{live_server.url}/portal/")
        card = page.locator(f"#card-{idea.pk}")
        expect(card.locator("[data-testid='card-comments']")).to_contain_text("1")  # the internal note is not counted
        expect(card.locator("[data-testid='card-excerpt']")).to_contain_text("ressaisissons les factures")
        count = card.locator("[data-testid='card-vote-count']")
        expect(count).to_have_text("1")
        expect(card.locator("[data-testid='card-vote-label']")).to_have_text(words["vote"])
        _fits(page, f"portal home {language}")

        page.evaluate("window.__stillHere = true")  # gone if the page reloads
        card.locator("[data-testid='card-vote-button']").click()
        expect(count).to_have_text("2")
        expect(card.locator("[data-testid='card-vote-label']")).to_have_text(words["voted"])
        assert page.evaluate("window.__stillHere === true"), "the vote reloaded the page"
        expect(card.locator("[data-testid='card-vote-button']")).to_be_focused()  # the keyboard stays on the card
        assert Vote.objects.get(feedback=idea, user=member_a).importance == "important"
        _fits(page, f"portal home after voting {language}")
        page.screenshot(path=str(shots / f"cards-home-{language}.png"), full_page=True)

        card.locator("[data-testid='card-importance']").select_option("critical")
        with page.expect_response(lambda response: response.url.endswith(f"/portal/feedback/{idea.pk}/vote/")):
            card.locator("[data-testid='card-importance-save']").click()
        expect(card.locator("[data-testid='card-importance']")).to_have_value("critical")
        assert Vote.objects.get(feedback=idea, user=member_a).importance == "critical"

        card.locator("[data-testid='card-vote-button']").click()
        expect(count).to_have_text("1")
        expect(card.locator("[data-testid='card-vote-label']")).to_have_text(words["vote"])
        assert page.evaluate("window.__stillHere === true")
        assert not Vote.objects.filter(feedback=idea, user=member_a).exists()

        # The news: mark all as read in place.
        page.goto(f"{live_server.url}/portal/activity/")
        expect(page.locator("[data-testid='notification'].unread")).to_have_count(1)
        _fits(page, f"activity {language}")
        page.locator("[data-testid='mark-all-read']").click()
        expect(page.locator("[data-testid='notifications-notice']")).to_have_text(words["read"])
        expect(page.locator("[data-testid='notification'].unread")).to_have_count(0)
        page.screenshot(path=str(shots / f"cards-activity-{language}.png"), full_page=True)
        _fits(page, f"activity after marking read {language}")

        for path in ("/portal/preferences/", "/portal/feedback/new/", f"/portal/feedback/{idea.pk}/", "/profile/"):
            page.goto(f"{live_server.url}{path}")
            _fits(page, f"{path} {language}")
            page.screenshot(
                path=str(shots / f"cards-{path.strip('/').replace('/', '-')}-{language}.png"), full_page=True
            )
    finally:
        context.close()
    console.assert_clean()
