"""The client portal's roadmap, "me too", changelog and Atom feed, through the pages: a client reads
public items in their public wording only, never which organizations asked, never a draft."""

from datetime import timedelta

import feedparser
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from feedback.models import Feedback, Vote
from roadmap import services
from roadmap.models import RoadmapItem
from roadmap.selectors import portal as portal_selectors
from tests.factories import feedback_for

INTERNAL = "INTERNAL-WORDING"  # in every internal title and description: it must never reach a client


def _item(product_owner, *, title, status="now", public=True, requests=(), **fields):
    item = services.item_create(
        actor=product_owner,
        title=f"{INTERNAL} {title}",
        description=f"{INTERNAL}: churn risk at the big accounts",
        status=status,
        is_public=public,
        public_title=f"Public {title}" if public else "",
        public_text=f"We will **{title.lower()}** for everyone." if public else "",
        **fields,
    )
    for request in requests:
        services.item_link_feedback(item=item, feedback=request, actor=product_owner)
    item.refresh_from_db()
    return item


@pytest.fixture
def roadmap(product_owner, member_a, admin_a, more_members_a, member_b):
    """Acme asks for more than Globex: 2 public items with Acme requests, 1 with both, 1 private."""
    offline_a = feedback_for(author=member_a, title="Acme: work offline in basements", visibility="public")
    offline_b = feedback_for(author=member_b, title="Globex: offline sync for tablets")
    pdf_a = feedback_for(author=admin_a, title="Acme: export to PDF")  # private to Acme
    dark_a = feedback_for(author=more_members_a[0], title="Acme: dark mode", visibility="public")
    pricing_a = feedback_for(author=more_members_a[1], title="Acme: new pricing tiers")
    items = {
        "offline": _item(
            product_owner, title="Offline mode", status="now", target_quarter="2027-Q1", requests=[offline_a, offline_b]
        ),
        "pdf": _item(product_owner, title="PDF export", status="next", requests=[pdf_a]),
        "dark": _item(product_owner, title="Dark mode", status="later", requests=[dark_a]),
        "pricing": _item(product_owner, title="Pricing overhaul", status="now", public=False, requests=[pricing_a]),
        "candidate": _item(product_owner, title="Maybe someday", status="candidate"),
        "cancelled": _item(product_owner, title="Abandoned idea", status="cancelled"),
    }
    return items


# The public roadmap ---------------------------------------------------------------------------------


def test_client_reads_public_items_in_public_wording_only(login, roadmap, admin_b, org_a, org_b):
    page = login(admin_b).get(reverse("roadmap:public"))
    assert page.status_code == 200
    html = page.content.decode()
    for name in ("offline", "pdf", "dark"):
        assert f'id="item-{roadmap[name].pk}"' in html
        assert roadmap[name].public_title in html
    assert "We will <strong>offline mode</strong> for everyone." in html  # Markdown rendered
    assert "Target: 2027-Q1" in html
    assert "2 organizations asked" in html
    assert html.count('data-testid="roadmap-item"') == 3
    assert INTERNAL not in html  # no internal title or description
    for hidden in ("pricing", "candidate", "cancelled"):
        assert f'id="item-{roadmap[hidden].pk}"' not in html
    assert "Public Pricing" not in html
    # Never which organizations asked, nor their requests' titles.
    assert org_a.name not in html and "Acme:" not in html and "Globex:" not in html


def test_the_roadmap_in_french(login, roadmap, member_b):
    html = login(member_b).get(reverse("roadmap:public")).content.decode()
    assert '<html lang="fr">' in html and "Feuille de route" in html
    assert "Public Offline mode" in html and INTERNAL not in html


def test_sections_in_order_and_shipped_recently_only(login, roadmap, product_owner, member_a):
    shipped = _item(product_owner, title="Bulk import", status="now")
    services.item_move(item=shipped, actor=product_owner, status="shipped")
    old = _item(product_owner, title="Old thing", status="now")
    services.item_move(item=old, actor=product_owner, status="shipped")
    old.events.filter(kind="status").update(created_at=timezone.now() - timedelta(days=200))
    html = login(member_a).get(reverse("roadmap:public")).content.decode()
    positions = [html.index(f'data-testid="roadmap-section-{s}"') for s in ("now", "next", "later", "shipped")]
    assert positions == sorted(positions)
    assert html.index(f'id="item-{shipped.pk}"') > positions[3]
    assert "Public Bulk import" in html and "Shipped on" in html
    assert "Public Old thing" not in html  # shipped 200 days ago: history, told in the changelog


def test_staff_go_to_the_board_and_anonymous_to_sign_in(client, login, product_owner, roadmap):
    response = client.get(reverse("roadmap:public"))
    assert response.status_code == 302 and "/accounts/login/" in response.url
    response = login(product_owner).get(reverse("roadmap:public"))
    assert response.status_code == 302 and response.url == reverse("roadmap:index")


def test_you_asked_and_you_voted(login, roadmap, member_a, member_b):
    offline = roadmap["offline"]
    html = login(member_a).get(reverse("roadmap:public")).content.decode()
    card = html[html.index(f'id="item-{offline.pk}"') :]
    card = card[: card.index("</li>")]
    assert 'data-testid="you-asked"' in card and 'data-testid="me-too-form"' not in card

    client = login(member_b)
    client.post(reverse("roadmap:me_too", args=[offline.pk]), {"importance": "critical"})
    html = client.get(reverse("roadmap:public")).content.decode()
    card = html[html.index(f'id="item-{offline.pk}"') :]
    card = card[: card.index("</li>")]
    # Globex also asked (a private request of its own on this item): "you asked" wins.
    assert 'data-testid="you-asked"' in card

    dark = roadmap["dark"]
    client.post(reverse("roadmap:me_too", args=[dark.pk]), {"importance": "critical"})
    html = client.get(reverse("roadmap:public")).content.decode()
    card = html[html.index(f'id="item-{dark.pk}"') :]
    card = card[: card.index("</li>")]
    assert 'data-testid="you-voted"' in card and "Critique" in card and "Modifier mon vote" in card  # French


def test_me_too_only_where_the_main_request_is_visible(login, roadmap, member_b):
    html = login(member_b).get(reverse("roadmap:public")).content.decode()
    pdf = roadmap["pdf"]  # its main request is private to Acme
    card = html[html.index(f'id="item-{pdf.pk}"') :]
    card = card[: card.index("</li>")]
    assert 'data-testid="me-too-form"' not in card
    dark = roadmap["dark"]
    card = html[html.index(f'id="item-{dark.pk}"') :]
    assert 'data-testid="me-too-form"' in card[: card.index("</li>")]


def test_me_too_votes_on_the_main_request_and_counts_in_the_business_case(login, roadmap, admin_b, org_b):
    dark = roadmap["dark"]
    assert dark.organization_count == 1
    client = login(admin_b)
    response = client.post(reverse("roadmap:me_too", args=[dark.pk]), {"importance": "critical"})
    assert response.status_code == 302
    assert response.url == f"{reverse('roadmap:public')}#item-{dark.pk}"
    vote = Vote.objects.get(user=admin_b, feedback=dark.main_request)
    assert (vote.importance, vote.provenance, vote.organization, vote.cast_by) == (
        Feedback.Importance.CRITICAL,
        Vote.Provenance.DIRECT,
        org_b,
        None,
    )
    dark.refresh_from_db()
    assert (dark.organization_count, dark.votes_critical, dark.votes_direct) == (2, 1, 2)
    page = client.get(response.url)
    assert "Your vote is counted" in page.content.decode()
    assert "2 organizations asked" in page.content.decode()


def test_me_too_again_changes_the_importance_in_the_business_case(login, roadmap, admin_b):
    dark = roadmap["dark"]
    client = login(admin_b)
    client.post(reverse("roadmap:me_too", args=[dark.pk]), {"importance": "critical"})
    client.post(reverse("roadmap:me_too", args=[dark.pk]), {"importance": "nice_to_have"})
    assert Vote.objects.get(user=admin_b, feedback=dark.main_request).importance == "nice_to_have"
    dark.refresh_from_db()
    assert (dark.vote_count, dark.votes_critical, dark.votes_nice_to_have) == (2, 0, 1)


def test_me_too_refuses_a_bad_importance(login, roadmap, admin_b):
    dark = roadmap["dark"]
    client = login(admin_b)
    response = client.post(reverse("roadmap:me_too", args=[dark.pk]), {"importance": "urgent!!"}, follow=True)
    assert "Choose how important it is for you." in response.content.decode()
    assert not Vote.objects.filter(user=admin_b, feedback=dark.main_request).exists()


def test_me_too_answers_404_where_the_client_may_not_vote(login, roadmap, member_b, member_a, product_owner):
    votes_before = Vote.objects.count()
    client = login(member_b)
    for name in ("pricing", "pdf", "candidate", "cancelled"):  # private; main request private to Acme; unpublished
        url = reverse("roadmap:me_too", args=[roadmap[name].pk])
        assert client.post(url, {"importance": "important"}).status_code == 404, name
    assert client.post(reverse("roadmap:me_too", args=[999999]), {"importance": "important"}).status_code == 404
    assert client.get(reverse("roadmap:me_too", args=[roadmap["dark"].pk])).status_code == 405
    no_main = _item(product_owner, title="Nothing linked", status="next")
    assert client.post(reverse("roadmap:me_too", args=[no_main.pk]), {"importance": "important"}).status_code == 404
    staff = login(product_owner)
    assert (
        staff.post(reverse("roadmap:me_too", args=[roadmap["dark"].pk]), {"importance": "important"}).status_code == 404
    )
    assert Vote.objects.count() == votes_before


def test_see_all_lists_one_section_page_by_page(login, roadmap, product_owner, member_b, monkeypatch):
    monkeypatch.setattr(portal_selectors, "SECTION_LIMIT", 1)
    monkeypatch.setattr(portal_selectors, "SECTION_PAGE", 1)
    extra = _item(product_owner, title="Second now", status="now")
    client = login(member_b)
    html = client.get(reverse("roadmap:public")).content.decode()
    assert html.count('data-testid="see-all"') == 1  # only "now" has two public items
    first = client.get(reverse("roadmap:public"), {"status": "now"}).content.decode()
    second = client.get(reverse("roadmap:public"), {"status": "now", "page": 2}).content.decode()
    assert first.count('data-testid="roadmap-item"') == second.count('data-testid="roadmap-item"') == 1
    shown = {pk for pk in (roadmap["offline"].pk, extra.pk) if f'id="item-{pk}"' in first + second}
    assert shown == {roadmap["offline"].pk, extra.pk}
    assert 'rel="next"' in first and "Public Pricing" not in first + second


def _count_queries(client, url) -> int:
    client.get(url)  # warm: session, language, etc.
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_portal_roadmap_query_count_is_pinned(login, roadmap, product_owner, member_b):
    client = login(member_b)
    few = _count_queries(client, reverse("roadmap:public"))
    for i in range(12):
        request = feedback_for(author=member_b, title=f"Globex idea {i}", visibility="public")
        item = _item(product_owner, title=f"Idea {i}", status=["now", "next", "later"][i % 3], requests=[request])
        if i % 4 == 0:
            services.item_move(item=item, actor=product_owner, status="shipped")
    many = _count_queries(client, reverse("roadmap:public"))
    # Session, user, membership, organization; the items of every section; "you asked"; "you voted".
    assert few == many == 5  # the bar is 10
    assert _count_queries(client, reverse("roadmap:public") + "?status=now") == 5


# The changelog and its feed --------------------------------------------------------------------------


@pytest.fixture
def releases(roadmap, product_owner):
    today = timezone.localdate()
    older = services.release_save(
        actor=product_owner,
        title="Winter release",
        release_date=today - timedelta(days=30),
        body="Faster *search*.\n\n<script>alert(1)</script>",
        items=[roadmap["dark"]],
    )
    newer = services.release_save(
        actor=product_owner,
        title="Spring release",
        release_date=today,
        body="Work **offline**.",
        items=[roadmap["offline"], roadmap["pricing"]],  # the private item is never named to a client
    )
    draft = services.release_save(
        actor=product_owner, title="Secret summer draft", release_date=today, items=[roadmap["pdf"]]
    )
    services.release_publish(release=older, actor=product_owner)
    services.release_publish(release=newer, actor=product_owner)
    return {"older": older, "newer": newer, "draft": draft}


def test_changelog_shows_published_releases_newest_first(login, releases, roadmap, member_b, org_a):
    page = login(member_b).get(reverse("roadmap:changelog"))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.index("Spring release") < html.index("Winter release")
    assert f'id="release-{releases["newer"].pk}"' in html
    assert "Work <strong>offline</strong>." in html and "<script>alert" not in html
    assert "Public Offline mode" in html and "Public Dark mode" in html
    assert "Secret summer draft" not in html and "Public PDF export" not in html
    assert "Pricing" not in html and INTERNAL not in html and org_a.name not in html
    assert f'href="{reverse("roadmap:changelog_feed")}" rel="alternate" type="application/atom+xml"' in html


def test_changelog_for_staff_and_anonymous(client, login, product_owner, releases):
    response = client.get(reverse("roadmap:changelog"))
    assert response.status_code == 302 and "/accounts/login/" in response.url
    response = login(product_owner).get(reverse("roadmap:changelog"))
    assert response.status_code == 302 and response.url == reverse("roadmap:releases")


def test_changelog_query_count_is_pinned(login, releases, product_owner, roadmap, member_b):
    client = login(member_b)
    few = _count_queries(client, reverse("roadmap:changelog"))
    for i in range(8):
        release = services.release_save(
            actor=product_owner, title=f"Release {i}", release_date=timezone.localdate(), items=[roadmap["dark"]]
        )
        services.release_publish(release=release, actor=product_owner)
    # Session, user, membership, organization; the page of releases; their public items.
    assert _count_queries(client, reverse("roadmap:changelog")) == few == 4


def test_atom_feed_is_valid_and_public_content_only(client, releases, roadmap, org_a, org_b):
    response = client.get(reverse("roadmap:changelog_feed"))  # no sign-in: feed readers cannot
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    body = response.content.decode()
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert [entry.title for entry in feed.entries] == ["Spring release", "Winter release"]
    spring = feed.entries[0]
    assert spring.link.endswith(f"{reverse('roadmap:changelog')}#release-{releases['newer'].pk}")
    assert spring.id and spring.updated_parsed
    assert "<strong>offline</strong>" in spring.summary and "Public Offline mode" in spring.summary
    assert "script" not in feed.entries[1].summary
    assert "Secret summer draft" not in body and "Public PDF export" not in body
    assert INTERNAL not in body and "Pricing" not in body
    assert org_a.name not in body and org_b.name not in body


def test_atom_feed_without_releases_is_valid(client, db):
    feed = feedparser.parse(client.get(reverse("roadmap:changelog_feed")).content)
    assert feed.bozo == 0 and feed.entries == []


# The roadmap panel on a request's portal page ----------------------------------------------------------


def test_request_page_shows_the_item_public_title_and_decisions(login, roadmap, product_owner, member_a):
    offline = roadmap["offline"]
    services.decision_record(
        actor=product_owner,
        kind="accepted",
        item=offline,
        rationale=f"{INTERNAL}: Acme renews in March",
        public_message="We are building it this quarter.",
        expected_outcome="Technicians stop losing data.",
    )
    html = login(member_a).get(reverse("feedback:portal_detail", args=[offline.main_request_id])).content.decode()
    assert 'data-testid="roadmap-panel"' in html
    assert f'href="{reverse("roadmap:public")}#item-{offline.pk}">Public Offline mode</a>' in html
    assert "We are building it this quarter." in html
    assert INTERNAL not in html and "Technicians stop losing data." not in html


def test_request_page_never_shows_a_private_item(login, roadmap, more_members_a):
    pricing = roadmap["pricing"]
    html = login(more_members_a[1]).get(reverse("feedback:portal_detail", args=[pricing.main_request_id]))
    html = html.content.decode()
    assert "Public Pricing" not in html and INTERNAL not in html
    assert f"item-{pricing.pk}" not in html


def test_request_page_names_no_item_to_another_company(login, roadmap, member_b):
    """Globex sees Acme's public request on the offline item, in the item's public wording only."""
    offline = roadmap["offline"]
    html = login(member_b).get(reverse("feedback:portal_detail", args=[offline.main_request_id])).content.decode()
    assert "Public Offline mode" in html and INTERNAL not in html
    assert RoadmapItem.objects.get(pk=offline.pk).title not in html
