"""The portal's request cards through HTTP: one-click vote (htmx and plain form), what a card shows
(public comment count, excerpt, who asked) and "mark all as read" on the notifications."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from feedback import services
from feedback.models import Comment, Notification, Vote
from tests.factories import feedback_for

HTMX = {"HX-Request": "true"}


@pytest.fixture
def cards(everyone):
    """Acme has 4 requests (1 public), Globex 2 (1 public)."""
    acme = [
        feedback_for(
            author=everyone["member_a"],
            title=f"Acme request number {i}",
            description="We **export** every [invoice](https://example.org/x) by hand.\n\n" + "Long text. " * 60,
        )
        for i in range(3)
    ]
    acme.append(feedback_for(author=everyone["admin_a"], title="Acme public idea", visibility="public"))
    globex = [
        feedback_for(author=everyone["member_b"], title="Globex private wish"),
        feedback_for(author=everyone["admin_b"], title="Globex public idea", visibility="public"),
    ]
    return {"acme": acme, "globex": globex}


def _vote_url(feedback) -> str:
    return reverse("feedback:portal_vote", args=[feedback.pk])


def _card(response, feedback):
    return next(item for item in response.context["page"] if item.pk == feedback.pk)


# One-click vote ------------------------------------------------------------------------------


def test_one_click_vote_with_htmx_returns_the_card_vote_area(login, member_a, cards):
    public_b = cards["globex"][1]
    client = login(member_a)
    response = client.post(_vote_url(public_b), {"action": "vote", "next": "/portal/?sort=newest"}, headers=HTMX)
    assert response.status_code == 200
    assert response.templates[0].name == "feedback/_item_row.html"  # the card, swapped in place
    vote = Vote.objects.get(feedback=public_b, user=member_a)
    assert vote.importance == "important"  # the default importance
    html = response.content.decode()
    assert 'data-testid="card-vote-count">2<' in html  # Gina's vote and Bob's
    assert "Voted" in html and 'name="importance"' in html  # the voted state, and the importance to refine
    assert 'value="/portal/?sort=newest"' in html  # the no-JS fallback still comes back to the same list
    public_b.refresh_from_db()
    assert public_b.vote_count == 2 and public_b.organization_count == 2

    # Then the importance, the same way; a second click withdraws.
    client.post(_vote_url(public_b), {"action": "vote", "importance": "critical"}, headers=HTMX)
    assert Vote.objects.get(feedback=public_b, user=member_a).importance == "critical"
    client.post(_vote_url(public_b), {"action": "vote"}, headers=HTMX)  # a stale "Vote" click keeps it
    assert Vote.objects.get(feedback=public_b, user=member_a).importance == "critical"
    response = client.post(_vote_url(public_b), {"action": "unvote"}, headers=HTMX)
    assert 'data-testid="card-vote-count">1<' in response.content.decode()
    assert not Vote.objects.filter(feedback=public_b, user=member_a).exists()
    public_b.refresh_from_db()
    assert public_b.vote_count == 1


def test_one_click_vote_without_javascript_redirects_back_to_the_list(login, member_a, cards):
    mine = cards["acme"][0]
    client = login(member_a)
    response = client.post(_vote_url(mine), {"action": "unvote", "next": "/portal/?sort=newest"})
    assert response.status_code == 302 and response.url == f"/portal/?sort=newest#card-{mine.pk}"
    page = client.get(reverse("feedback:portal_home"), {"sort": "newest"})
    assert "Your vote is withdrawn." in page.content.decode()
    assert _card(page, mine).my_vote is None and _card(page, mine).vote_count == 0

    response = client.post(_vote_url(mine), {"action": "vote", "next": "https://evil.example/phish"})
    assert response.url == f"{reverse('feedback:portal_home')}#card-{mine.pk}"  # no open redirect
    page = client.get(reverse("feedback:portal_home"))
    assert _card(page, mine).my_vote == "important" and _card(page, mine).vote_count == 1
    assert "Your vote is counted." in page.content.decode()


def test_one_click_vote_refuses_a_bad_importance_and_writes_nothing(login, member_b, cards):
    public_a = cards["acme"][3]
    client = login(member_b)
    response = client.post(_vote_url(public_a), {"action": "vote", "importance": "urgent"}, headers=HTMX)
    assert response.status_code == 200 and 'data-testid="card-vote-error"' in response.content.decode()
    response = client.post(_vote_url(public_a), {"action": "vote", "importance": "urgent"})
    assert response.status_code == 302
    assert not Vote.objects.filter(feedback=public_a, user=member_b).exists()


def test_one_click_vote_on_a_request_merged_meanwhile_says_where_to_vote(login, member_b, product_owner, cards):
    source, target = cards["acme"][3], cards["globex"][1]
    services.feedback_merge(source=source, target=target, actor=product_owner)
    response = login(member_b).post(_vote_url(source), {"action": "vote"}, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and 'data-testid="card-vote-error"' in html
    assert "fusionnée" in html  # Hugo reads French: "vote on the request it was merged into"
    assert not Vote.objects.filter(feedback=source, user=member_b).exists()


def test_one_click_vote_on_another_companys_private_request_is_404(login, admin_a, contributor, cards):
    private_b = cards["globex"][0]
    client = login(admin_a)
    assert client.post(_vote_url(private_b), {"action": "vote"}).status_code == 404
    assert client.post(_vote_url(private_b), {"action": "vote"}, headers=HTMX).status_code == 404
    assert client.post(reverse("feedback:portal_vote", args=[999999]), {"action": "vote"}).status_code == 404
    assert client.get(_vote_url(cards["globex"][1])).status_code == 405  # a vote is a POST, never a link
    assert login(contributor).post(_vote_url(cards["globex"][1]), {"action": "vote"}).status_code == 404
    assert not Vote.objects.filter(feedback=private_b).exclude(user__client_membership__organization__slug="globex")


def test_one_click_vote_keeps_csrf(member_a, cards):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(member_a)
    response = client.post(_vote_url(cards["globex"][1]), {"action": "vote"}, headers=HTMX)
    assert response.status_code == 403
    assert not Vote.objects.filter(feedback=cards["globex"][1], user=member_a).exists()


def test_the_list_offers_the_vote_button_with_its_state(login, member_a, cards):
    html = login(member_a).get(reverse("feedback:portal_home")).content.decode()
    assert html.count('data-testid="card-vote-button"') == 5  # 4 of Acme + Globex's public one
    assert f'hx-post="{_vote_url(cards["globex"][1])}"' in html
    assert html.count('name="csrfmiddlewaretoken"') >= 5


# What a card shows ---------------------------------------------------------------------------


def test_comment_count_is_public_comments_only(login, member_a, member_b, product_owner, cards):
    public_a = cards["acme"][3]
    services.comment_add(feedback=public_a, author=product_owner, body="INTERNAL: churn risk", is_internal=True)
    services.comment_add(feedback=public_a, author=product_owner, body="Thanks, we are on it.")
    services.comment_add(feedback=public_a, author=member_b, body="Same for us")
    assert Comment.objects.filter(feedback=public_a).count() == 3
    for user in (member_a, member_b):
        page = login(user).get(reverse("feedback:portal_home"))
        assert _card(page, public_a).public_comment_count == 2
        html = page.content.decode()
        assert ("2 comments" if user.language == "en" else "2 commentaires") in html and "churn risk" not in html


def test_card_shows_a_plain_excerpt_and_who_asked_only_to_the_same_company(login, member_a, member_b, cards):
    html = login(member_a).get(reverse("feedback:portal_home")).content.decode()
    assert "We export every invoice by hand. Long text." in html  # Markdown to plain text
    assert "**export**" not in html and "example.org/x" not in html
    assert "by Bob Stone" in html and "by Alice Martin" in html
    html_b = login(member_b).get(reverse("feedback:portal_home")).content.decode()
    # Globex sees Acme's public idea, never who asked for it (as on the request's own page).
    assert (
        "Acme public idea" in html_b
        and "Alice Martin" not in html_b
        and "Acme" not in html_b.replace("Acme public idea", "")
    )
    assert "d'une autre entreprise" in html_b and "par Hugo Lefèvre" in html_b  # Hugo reads French
    detail = login(member_b).get(reverse("feedback:portal_detail", args=[cards["acme"][3].pk])).content.decode()
    assert "Alice Martin" not in detail and 'data-testid="detail-author"' not in detail
    own = login(member_a).get(reverse("feedback:portal_detail", args=[cards["acme"][3].pk])).content.decode()
    assert "by Alice Martin" in own


def test_portal_home_query_count_is_pinned(
    login, member_a, admin_a, product_owner, cards, django_assert_max_num_queries, django_assert_num_queries
):
    """Session, user (and company), product areas of the filter form, the cards, the unread badge: at most
    7, and exactly as many whatever the cards hold (votes, public comments, internal notes)."""
    client = login(member_a)
    client.get(reverse("feedback:portal_home"))
    with django_assert_max_num_queries(PORTAL_HOME_MAX_QUERIES) as few:
        client.get(reverse("feedback:portal_home"))
    for i in range(12):
        more = feedback_for(author=member_a, title=f"More requests {i}", description=f"Text {i}")
        services.comment_add(feedback=more, author=product_owner, body="Reply", is_internal=bool(i % 2))
        if i % 3 == 0:
            services.vote_cast(feedback=more, user=admin_a if i % 2 else member_a)
    with django_assert_num_queries(len(few)):
        page = client.get(reverse("feedback:portal_home"))
    assert len(page.context["page"]) == 17  # 4 + 12 of Acme, Globex's public one
    assert {item.public_comment_count for item in page.context["page"] if item.title.startswith("More")} == {0, 1}


PORTAL_HOME_MAX_QUERIES = 7


# Notifications -------------------------------------------------------------------------------


@pytest.fixture
def decide(product_owner, django_capture_on_commit_callbacks):
    """`decide(feedback, status)`: a product owner's decision, fanned out as after a real commit."""

    def _decide(feedback, status, message=""):
        with django_capture_on_commit_callbacks(execute=True):
            services.feedback_change_status(
                feedback=feedback, actor=product_owner, status=status, public_message=message
            )

    return _decide


def test_mark_all_read_marks_only_my_notifications(login, member_a, admin_a, cards, decide):
    public_a = cards["acme"][3]
    services.vote_cast(feedback=public_a, user=member_a)
    decide(public_a, "planned", "Soon")
    decide(cards["acme"][0], "under_review")
    mine = Notification.objects.filter(user=member_a)
    theirs = Notification.objects.filter(user=admin_a)
    assert mine.filter(read_at__isnull=True).count() == 2 and theirs.filter(read_at__isnull=True).count() == 1
    client = login(member_a)
    page = client.get(reverse("feedback:portal_activity")).content.decode()
    assert 'data-testid="mark-all-read"' in page and page.count('class="unread"') == 2
    response = client.post(reverse("feedback:portal_notifications_read"))
    assert response.status_code == 302 and response.url == reverse("feedback:portal_activity")
    assert not mine.filter(read_at__isnull=True).exists()
    assert theirs.filter(read_at__isnull=True).count() == 1  # Alice's stays unread
    page = client.get(response.url).content.decode()
    assert "All notifications are marked as read." in page and 'data-testid="mark-all-read"' not in page
    assert 'class="unread"' not in page


def test_mark_all_read_with_htmx_returns_the_list_in_the_users_language(login, admin_a, cards, decide):
    decide(cards["acme"][3], "planned")
    assert Notification.objects.filter(user=admin_a, read_at__isnull=True).count() == 1
    client = login(admin_a)  # Alice reads French
    response = client.post(reverse("feedback:portal_notifications_read"), {"page": "1"}, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and html.startswith('<section class="panel" id="notifications"')
    assert "Toutes les notifications sont marquées comme lues." in html
    assert 'class="unread"' not in html and html.count('data-testid="notification"') == 1
    assert not Notification.objects.filter(user=admin_a, read_at__isnull=True).exists()
    # Nothing is queued for the next page: the message was shown in the swapped list.
    assert "Toutes les notifications" not in client.get(reverse("feedback:portal_activity")).content.decode()


def test_mark_all_read_is_a_post_and_for_clients_only(login, member_a, contributor):
    assert login(member_a).get(reverse("feedback:portal_notifications_read")).status_code == 405
    assert login(contributor).post(reverse("feedback:portal_notifications_read")).status_code == 404


def test_mark_all_read_keeps_the_time_already_read(login, member_a, cards, decide):
    decide(cards["acme"][0], "under_review")
    decide(cards["acme"][1], "planned")
    earlier = timezone.now() - timedelta(days=3)
    first = Notification.objects.filter(user=member_a).order_by("pk").first()
    Notification.objects.filter(pk=first.pk).update(read_at=earlier)
    login(member_a).post(reverse("feedback:portal_notifications_read"))
    first.refresh_from_db()
    assert first.read_at == earlier
    assert not Notification.objects.filter(user=member_a, read_at__isnull=True).exists()
