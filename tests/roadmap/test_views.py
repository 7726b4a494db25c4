"""Staff roadmap pages through HTTP: success, validation, 404 for clients, 403 for contributors on
what only product owners do, the board's fetch moves, drill-downs that match the figures, the
decision log (filters, success rate, CSV), releases, and pinned query counts."""

import csv
import io
import json
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from feedback import services as feedback_services
from feedback.models import Feedback
from roadmap import services
from roadmap.models import Decision, Release, RoadmapEvent, RoadmapItem, RoadmapLink
from tests.factories import feedback_for


@pytest.fixture
def case(product_owner, member_a, admin_a, more_members_a, member_b, admin_b, org_a, org_b):
    """An item with requests from both companies (Acme: 2 requests, 5 votes; Globex: 1 request,
    2 votes), Acme renewing within 90 days and Globex just outside, and a second, empty item."""
    org_a.renewal_date = timezone.localdate() + timedelta(days=90)
    org_a.segment = "enterprise"
    org_a.save(update_fields=["renewal_date", "segment"])
    org_b.renewal_date = timezone.localdate() + timedelta(days=91)
    org_b.segment = "small_business"
    org_b.save(update_fields=["renewal_date", "segment"])
    item = services.item_create(
        actor=product_owner,
        title="Offline mode",
        status="next",
        impact="2",
        confidence=80,
        effort=2,
        owner=product_owner,
        target_quarter="2027-Q1",
    )
    a1 = feedback_for(author=member_a, title="Work offline in basements", visibility="public")
    a2 = feedback_for(author=admin_a, title="Offline forms on site")
    b1 = feedback_for(author=member_b, title="Offline sync for tablets")
    for request in (a1, a2, b1):
        services.item_link_feedback(item=item, feedback=request, actor=product_owner)
    for voter in more_members_a:
        feedback_services.vote_cast(feedback=a1, user=voter, importance="critical")
    feedback_services.vote_cast(feedback=b1, user=admin_b, importance="nice_to_have")
    other = services.item_create(actor=product_owner, title="Dark theme", status="candidate")
    item.refresh_from_db()
    return {"item": item, "other": other, "requests": [a1, a2, b1]}


def _count_queries(client, url) -> int:
    client.get(url)  # the first request of a session warms caches (sessions, MFA state); count the next
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


# Access ---------------------------------------------------------------------------------------


def _get_urls(case, decision=None, release=None):
    item = case["item"]
    urls = [
        reverse("roadmap:index"),
        reverse("roadmap:ranked"),
        reverse("roadmap:item_new"),
        reverse("roadmap:item_search") + "?q=offline",
        reverse("roadmap:item", args=[item.pk]),
        reverse("roadmap:item_sheet", args=[item.pk]),
        reverse("roadmap:item_figure", args=[item.pk, "votes"]),
        reverse("roadmap:decisions"),
        reverse("roadmap:decisions_export"),
        reverse("roadmap:releases"),
        reverse("roadmap:release_new"),
    ]
    if decision is not None:
        urls.append(reverse("roadmap:decision_outcome", args=[decision.pk]))
    if release is not None:
        urls.append(reverse("roadmap:release", args=[release.pk]))
    return urls


def test_staff_pages_answer_404_to_clients_and_send_strangers_to_sign_in(client, login, case, product_owner, admin_a):
    decision = services.decision_record(
        actor=product_owner, kind="accepted", item=case["item"], expected_outcome="Fewer tickets"
    )
    release = services.release_save(actor=product_owner, title="Spring", release_date=timezone.localdate())
    urls = _get_urls(case, decision, release)
    for url in urls:
        assert client.get(url).status_code == 302, url
    signed_in = login(admin_a)
    for url in urls:
        assert signed_in.get(url).status_code == 404, url
    posts = [
        reverse("roadmap:item_move", args=[case["item"].pk]),
        reverse("roadmap:feedback_link", args=[case["requests"][0].pk]),
        reverse("roadmap:item", args=[case["item"].pk]),
    ]
    for url in posts:
        assert signed_in.post(url, {"status": "now", "action": "unlink"}).status_code == 404, url
    assert RoadmapItem.objects.get(pk=case["item"].pk).status == "next"
    assert RoadmapLink.objects.filter(feedback=case["requests"][0]).exists()


def test_every_page_opens_for_a_product_owner(login, case, product_owner):
    decision = services.decision_record(
        actor=product_owner, kind="accepted", item=case["item"], expected_outcome="Fewer tickets"
    )
    release = services.release_save(actor=product_owner, title="Spring", release_date=timezone.localdate())
    client = login(product_owner)
    for url in _get_urls(case, decision, release):
        assert client.get(url).status_code == 200, url
    for figure in ("requests", "votes", "organizations", "revenue", "at_risk", "segments"):
        assert client.get(reverse("roadmap:item_figure", args=[case["item"].pk, figure])).status_code == 200
    assert client.get(reverse("roadmap:item_figure", args=[case["item"].pk, "nonsense"])).status_code == 404
    assert client.get(reverse("roadmap:item", args=[999999])).status_code == 404


def test_contributors_read_and_link_but_see_no_other_control_and_get_403(login, case, contributor, product_owner):
    item = case["item"]
    decision = services.decision_record(actor=product_owner, kind="accepted", item=item, expected_outcome="Fewer")
    release = services.release_save(
        actor=product_owner, title="Spring", release_date=timezone.localdate(), items=[item]
    )
    client = login(contributor)
    board = client.get(reverse("roadmap:index")).content.decode()
    assert "Offline mode" in board and "data-move-form" not in board and "data-can-move" not in board
    page = client.get(reverse("roadmap:item", args=[item.pk])).content.decode()
    assert 'data-testid="edit-form"' not in page and 'data-testid="decision-form"' not in page
    assert 'name="action" value="move"' not in page and "record-outcome" not in page
    assert 'data-testid="item-link-form"' in page  # contributors link requests
    releases = client.get(reverse("roadmap:releases")).content.decode()
    assert "release-new" not in releases
    detail = client.get(reverse("roadmap:release", args=[release.pk])).content.decode()
    assert "publish-form" not in detail and "release-form" not in detail

    forbidden = [
        (reverse("roadmap:item_move", args=[item.pk]), {"status": "now"}),
        (reverse("roadmap:item", args=[item.pk]), {"action": "move", "status": "now"}),
        (reverse("roadmap:item", args=[item.pk]), {"action": "edit", "title": "Hijacked"}),
        (reverse("roadmap:item", args=[item.pk]), {"action": "decide", "kind": "declined", "public_message": "No"}),
        (reverse("roadmap:item_new"), {"title": "Contributor idea", "status": "now"}),
        (reverse("roadmap:decision_outcome", args=[decision.pk]), {}),
        (reverse("roadmap:release_new"), {"title": "Sneaky", "release_date": "2027-01-01"}),
        (reverse("roadmap:release", args=[release.pk]), {"action": "publish", "confirm": "yes"}),
    ]
    for url, data in forbidden:
        assert client.post(url, data).status_code == 403, url
    assert client.get(reverse("roadmap:item_new")).status_code == 403
    assert client.get(reverse("roadmap:release_new")).status_code == 403
    item.refresh_from_db()
    release.refresh_from_db()
    assert (item.status, item.title, release.status) == ("next", "Offline mode", "draft")
    assert RoadmapItem.objects.count() == 2 and Decision.objects.count() == 1 and Release.objects.count() == 1

    # ...but linking is theirs.
    extra = feedback_for(author=case["requests"][0].author, title="Offline photos")
    response = client.post(reverse("roadmap:item", args=[item.pk]), {"action": "link", "feedback": extra.pk})
    assert response.status_code == 302
    assert RoadmapLink.objects.get(feedback=extra).item == item


# Board ----------------------------------------------------------------------------------------


def test_board_columns_cards_and_business_case_headline(login, case, product_owner):
    response = login(product_owner).get(reverse("roadmap:index"))
    columns = {column.status: column for column in response.context["columns"]}
    assert list(columns) == ["candidate", "now", "next", "later", "shipped", "cancelled"]
    assert [i.title for i in columns["next"].items] == ["Offline mode"]
    assert [i.title for i in columns["candidate"].items] == ["Dark theme"]
    html = response.content.decode()
    card = html[html.index(f'data-id="{case["item"].pk}"') :]
    card = card[: card.index("</li>")]
    assert "2 organizations" in card and "120,000 at risk" in card and "RICE 1.6" in card and "2027-Q1" in card
    assert "Paula" in card


def test_board_limits_each_column_and_links_to_the_ranked_list(login, product_owner, monkeypatch):
    from roadmap.selectors import staff as selectors

    for i in range(4):
        services.item_create(actor=product_owner, title=f"Candidate number {i}")
    monkeypatch.setattr(selectors, "BOARD_LIMIT", 3)
    response = login(product_owner).get(reverse("roadmap:index"))
    columns = {c.status: c for c in response.context["columns"]}
    assert (len(columns["candidate"].items), columns["candidate"].total, columns["candidate"].has_more) == (3, 4, True)
    html = response.content.decode()
    assert html.count('data-testid="board-card"') == 3
    assert 'href="/roadmap/ranked/?status=candidate"' in html and "See all 4" in html


def test_board_query_count_is_pinned(login, case, product_owner, django_assert_max_num_queries):
    client = login(product_owner)
    url = reverse("roadmap:index")
    few = _count_queries(client, url)
    for i in range(12):
        item = services.item_create(actor=product_owner, title=f"More item {i}", owner=product_owner)
        services.item_move(item=item, actor=product_owner, status=["now", "later", "shipped", "cancelled"][i % 4])
    # session, user, counts per status, open cards, closed cards
    assert _count_queries(client, url) == few == 5
    with django_assert_max_num_queries(10):
        client.get(url)


def test_move_without_javascript_posts_the_card_form_and_redirects(login, case, product_owner):
    item = case["item"]
    response = login(product_owner).post(
        reverse("roadmap:item_move", args=[item.pk]), {"status": "now", "next": "/roadmap/"}
    )
    assert response.status_code == 302 and response.url == "/roadmap/"
    item.refresh_from_db()
    assert item.status == "now"
    event = RoadmapEvent.objects.filter(item=item, kind="status").last()
    assert (event.old_value, event.new_value, event.actor) == ("next", "now", product_owner)


def test_move_with_fetch_answers_json(login, case, product_owner):
    item = case["item"]
    client = login(product_owner)
    url = reverse("roadmap:item_move", args=[item.pk])
    response = client.post(
        url, {"status": "later"}, headers={"X-Requested-With": "fetch", "Accept": "application/json"}
    )
    assert response.status_code == 200
    body = json.loads(response.content)
    assert body["ok"] is True and body["status"] == "later" and body["label"] == "Later"
    assert "Offline mode" in body["message"]
    item.refresh_from_db()
    assert item.status == "later"
    refused = client.post(url, {"status": "nowhere"}, headers={"Accept": "application/json"})
    assert refused.status_code == 400 and json.loads(refused.content)["ok"] is False
    item.refresh_from_db()
    assert item.status == "later"


def test_board_script_is_a_static_file(login, case, product_owner):
    html = login(product_owner).get(reverse("roadmap:index")).content.decode()
    assert re.search(r'<script src="[^"]*js/roadmap\.js"', html)
    assert "<script>" not in html and " onclick=" not in html and " style=" not in html


# Ranked list ------------------------------------------------------------------------------------


def test_ranked_list_sorts_and_filters(login, case, product_owner, org_b):
    client = login(product_owner)
    small = services.item_create(actor=product_owner, title="Tablet sync only", status="later")
    services.item_link_feedback(
        item=small, feedback=feedback_for(author=case["requests"][2].author), actor=product_owner
    )
    url = reverse("roadmap:ranked")

    def titles(query):
        response = client.get(url + query)
        assert response.status_code == 200
        return [item.title for item in response.context["page"]]

    assert titles("") == ["Offline mode", "Tablet sync only", "Dark theme"]  # at risk, then newest
    assert titles("?sort=newest")[0] == "Tablet sync only"
    assert titles("?sort=votes")[0] == "Offline mode"
    assert titles("?at_risk=on") == ["Offline mode"]
    assert set(titles("?segment=small_business")) == {"Offline mode", "Tablet sync only"}
    assert titles("?segment=enterprise") == ["Offline mode"]
    assert titles("?status=later") == ["Tablet sync only"]
    assert set(titles("?status=later&status=next")) == {"Offline mode", "Tablet sync only"}
    assert titles(f"?owner={product_owner.pk}") == ["Offline mode"]
    assert titles("?quarter=2027-q1") == ["Offline mode"]
    bad = client.get(url + "?quarter=2027Q1")
    assert "Write the quarter as 2027-Q1." in bad.content.decode()


def test_ranked_list_query_count_is_pinned(login, case, product_owner, django_assert_max_num_queries):
    client = login(product_owner)
    url = reverse("roadmap:ranked") + "?sort=rice"
    few = _count_queries(client, url)
    for i in range(15):
        services.item_create(
            actor=product_owner, title=f"Ranked item {i}", owner=product_owner, target_quarter="2027-Q2"
        )
    # session, user, the page of items, the quarters, owner and product area choices
    assert _count_queries(client, url) == few == 6
    with django_assert_max_num_queries(10):
        client.get(url + "&at_risk=on&segment=enterprise")


# Item page --------------------------------------------------------------------------------------


def test_item_page_shows_business_case_links_decisions_and_history(login, case, product_owner):
    item = case["item"]
    client = login(product_owner)
    url = reverse("roadmap:item", args=[item.pk])
    html = client.get(url).content.decode()
    for figure in ("requests", "votes", "organizations", "revenue", "at_risk", "segments"):
        assert reverse("roadmap:item_figure", args=[item.pk, figure]) in html
    assert html.count('data-testid="linked-request"') == 3
    assert "Offline sync for tablets" in html and "Globex" in html
    assert "Request linked" in html  # history
    assert 'data-testid="decision-form"' in html
    # The edit form is built when opened (htmx), or with ?form=edit without JavaScript.
    assert 'data-testid="edit-form"' not in html and "?form=edit" in html
    assert 'data-testid="edit-form"' in client.get(url + "?form=edit").content.decode()


def test_item_page_edit_and_its_validation_next_to_the_fields(login, case, product_owner):
    item = case["item"]
    client = login(product_owner)
    url = reverse("roadmap:item", args=[item.pk])
    base = {
        "action": "edit",
        "title": "Offline mode for field teams",
        "impact": "3",
        "confidence": "90",
        "effort": "3",
        "target_quarter": "2027-q2",
        "owner": product_owner.pk,
    }
    refused = client.post(url, {**base, "is_public": "on", "public_title": ""})
    assert refused.status_code == 200
    assert refused.context["edit_form"].errors["public_title"] == ["A public item needs a client-facing title."]
    assert RoadmapItem.objects.get(pk=item.pk).title == "Offline mode"
    bad_quarter = client.post(url, {**base, "target_quarter": "soon"})
    assert "Write the quarter as 2027-Q1." in bad_quarter.context["edit_form"].errors["target_quarter"]
    saved = client.post(url, {**base, "is_public": "on", "public_title": "Work without a connection"})
    assert saved.status_code == 302
    item.refresh_from_db()
    assert (item.title, item.target_quarter, item.is_public, item.impact) == (
        "Offline mode for field teams",
        "2027-Q2",
        True,
        "3",
    )
    assert item.rice_score == pytest.approx(2 * 3 * 0.9 / 3)


def test_item_page_link_unlink_and_their_errors(login, case, product_owner, member_a):
    item, other = case["item"], case["other"]
    client = login(product_owner)
    url = reverse("roadmap:item", args=[other.pk])
    taken = client.post(url, {"action": "link", "feedback": case["requests"][0].pk})
    assert taken.status_code == 200
    assert "already belongs to the roadmap item" in taken.context["link_form"].errors["feedback"][0]
    missing = client.post(url, {"action": "link", "feedback": 99999999})
    assert missing.context["link_form"].errors["feedback"] == ["There is no request with that number."]
    fresh = feedback_for(author=member_a, title="Print offline")
    assert client.post(url, {"action": "link", "feedback": fresh.pk}).status_code == 302
    other.refresh_from_db()
    assert other.request_count == 1 and other.main_request_id == fresh.pk
    assert client.post(url, {"action": "unlink", "feedback": fresh.pk}).status_code == 302
    other.refresh_from_db()
    assert other.request_count == 0
    item.refresh_from_db()
    assert item.request_count == 3


def test_item_page_query_count_is_pinned(login, case, product_owner, member_a, django_assert_max_num_queries):
    item = case["item"]
    client = login(product_owner)
    url = reverse("roadmap:item", args=[item.pk])
    services.decision_record(actor=product_owner, kind="accepted", item=item, expected_outcome="Fewer tickets")
    few = _count_queries(client, url)
    for i in range(6):
        request = feedback_for(author=member_a, title=f"Offline need {i}")
        services.item_link_feedback(item=item, feedback=request, actor=product_owner)
    services.decision_record(actor=product_owner, kind="deferred", item=item, public_message="Later this year")
    # session, user, item, links, decisions, events, releases (the edit form's choices load when it opens)
    assert _count_queries(client, url) == few == 7
    assert _count_queries(client, url + "?form=edit") == 9
    with django_assert_max_num_queries(10):
        client.get(url)


def test_record_a_decision_from_the_item_page(login, case, product_owner):
    item = case["item"]
    client = login(product_owner)
    url = reverse("roadmap:item", args=[item.pk])
    refused = client.post(url, {"action": "decide", "kind": "declined", "rationale": "Too costly"})
    assert "Tell the clients why" in refused.context["decision_form"].errors["public_message"][0]
    refused = client.post(url, {"action": "decide", "kind": "accepted"})
    assert "State the expected outcome" in refused.context["decision_form"].errors["expected_outcome"][0]
    assert not Decision.objects.exists()
    response = client.post(
        url, {"action": "decide", "kind": "accepted", "expected_outcome": "Field teams stop losing forms"}
    )
    assert response.status_code == 302
    decision = Decision.objects.get()
    assert (decision.item, decision.kind, decision.decided_by) == (item, "accepted", product_owner)
    page = client.get(url).content.decode()
    assert "Field teams stop losing forms" in page and "Outcome not yet known." in page


# Drill-downs ------------------------------------------------------------------------------------


def test_drilldowns_list_what_each_figure_counts(login, case, product_owner, org_a, org_b):
    item = case["item"]
    client = login(product_owner)

    def rows(figure):
        response = client.get(reverse("roadmap:item_figure", args=[item.pk, figure]))
        return list(response.context["page"]), response.context["totals"]

    requests, totals = rows("requests")
    assert len(requests) == totals["count"] == item.request_count == 3
    votes, totals = rows("votes")
    assert len(votes) == totals["count"] == item.vote_count == 3 + 3 + 1  # 3 authors + 3 Acme + 1 Globex
    assert sum(v.importance == "critical" for v in votes) == item.votes_critical
    organizations, totals = rows("organizations")
    assert {o.name for o in organizations} == {"Acme", "Globex"} and totals["count"] == item.organization_count
    _revenue, totals = rows("revenue")
    assert totals["total"] == item.revenue == org_a.annual_contract_value + org_b.annual_contract_value
    at_risk, totals = rows("at_risk")
    assert [o.name for o in at_risk] == ["Acme"] and totals["total"] == item.revenue_at_risk
    segments, _totals = rows("segments")
    assert {o.segment: 1 for o in segments} == item.segments
    html = client.get(reverse("roadmap:item_figure", args=[item.pk, "votes"])).content.decode()
    assert "Critical" in html and "Bob Stone" in html and "Globex" in html


# New item ---------------------------------------------------------------------------------------


def test_new_item_form(login, product_owner):
    client = login(product_owner)
    url = reverse("roadmap:item_new")
    refused = client.post(url, {"title": "ab", "status": "now", "impact": "1", "confidence": "150", "effort": "0"})
    assert refused.status_code == 200
    errors = refused.context["form"].errors
    assert {"title", "confidence", "effort"} <= set(errors)
    assert not RoadmapItem.objects.exists()
    created = client.post(
        url, {"title": "Single sign-on", "status": "now", "impact": "2", "confidence": "70", "effort": "1.5"}
    )
    item = RoadmapItem.objects.get()
    assert created.status_code == 302 and created.url == reverse("roadmap:item", args=[item.pk])
    assert (item.title, item.status) == ("Single sign-on", "now")
    assert item.events.get().kind == "created"


# Linking from triage ----------------------------------------------------------------------------


def test_link_from_the_triage_detail_with_its_errors(login, case, product_owner, member_a):
    item, other = case["item"], case["other"]
    client = login(product_owner)
    fresh = feedback_for(author=member_a, title="Offline exports")
    url = reverse("roadmap:feedback_link", args=[fresh.pk])
    triage = reverse("feedback:triage_detail", args=[fresh.pk])

    detail = client.get(triage).content.decode()
    assert "data-roadmap-picker" in detail and "js/roadmap.js" in detail and "<kbd>r</kbd>" in detail

    response = client.post(url, {"action": "link", "item": f"#{other.pk}"}, follow=True)
    assert response.redirect_chain[-1][0] == triage
    assert "Linked to the roadmap item “Dark theme”." in response.content.decode()
    assert RoadmapLink.objects.get(feedback=fresh).item == other

    elsewhere = client.post(url, {"action": "link", "item": item.pk}, follow=True).content.decode()
    assert "already belongs to the roadmap item “Dark theme”" in elsewhere
    assert RoadmapLink.objects.get(feedback=fresh).item == other

    response = client.post(url, {"action": "unlink"}, follow=True)
    assert "Unlinked from the roadmap item “Dark theme”." in response.content.decode()
    assert not RoadmapLink.objects.filter(feedback=fresh).exists()

    assert (
        "There is no roadmap item with that number."
        in client.post(url, {"action": "link", "item": "99999999"}, follow=True).content.decode()
    )
    assert (
        "Give the item&#x27;s number"
        in client.post(url, {"action": "link", "item": "offline"}, follow=True).content.decode()
    )

    target = feedback_for(author=member_a, title="Offline exports for good")
    feedback_services.feedback_merge(source=fresh, target=target, actor=product_owner)
    merged = client.post(url, {"action": "link", "item": other.pk}, follow=True).content.decode()
    assert "This request was merged" in merged
    assert not RoadmapLink.objects.filter(feedback=fresh).exists()


def test_item_search_fragment(login, case, product_owner):
    client = login(product_owner)
    request = case["requests"][0]
    url = reverse("roadmap:item_search")
    html = client.get(url, {"q": "offline", "feedback": request.pk}).content.decode()
    assert "Offline mode" in html and "Dark theme" not in html
    assert reverse("roadmap:feedback_link", args=[request.pk]) in html
    by_number = client.get(url, {"item": f"#{case['other'].pk}"}).content.decode()
    assert "Dark theme" in by_number and "<form" not in by_number
    assert "No roadmap item matches." in client.get(url, {"q": "zzz"}).content.decode()


# Decision log -----------------------------------------------------------------------------------


@pytest.fixture
def decisions(case, product_owner, member_a):
    item, other = case["item"], case["other"]
    reached = services.decision_record(
        actor=product_owner, kind="accepted", item=item, expected_outcome="=cmd() fewer paper forms"
    )
    services.item_move(item=item, actor=product_owner, status="shipped")
    services.decision_record_outcome(
        decision=reached, actor=product_owner, outcome="reached", actual_outcome="Paper forms halved"
    )
    missed = services.decision_record(actor=product_owner, kind="accepted", item=other, expected_outcome="Night use")
    services.item_move(item=other, actor=product_owner, status="cancelled")
    services.decision_record_outcome(
        decision=missed, actor=product_owner, outcome="missed", actual_outcome="Nobody used it", lesson="Ask first"
    )
    waiting = services.decision_record(
        actor=product_owner,
        kind="accepted",
        feedback=feedback_for(author=member_a, title="Bigger fonts"),
        expected_outcome="+Readable",
    )
    declined = services.decision_record(
        actor=product_owner,
        kind="declined",
        feedback=feedback_for(author=member_a, title="Fax support"),
        public_message="@Nobody faxes anymore",
        rationale="-1 from engineering",
    )
    return {"reached": reached, "missed": missed, "waiting": waiting, "declined": declined}


def test_decision_log_filters_and_success_rate(login, decisions, product_owner, org_b):
    client = login(product_owner)
    url = reverse("roadmap:decisions")

    def log(query=""):
        response = client.get(url + query)
        assert response.status_code == 200
        return response

    everything = log()
    assert len(everything.context["page"]) == 4
    assert everything.context["success"]["rate"] == 50
    assert "Outcome reached for 50 % of the accepted decisions" in everything.content.decode()
    assert [d.pk for d in log("?kind=declined").context["page"]] == [decisions["declined"].pk]
    assert [d.pk for d in log("?outcome=missed").context["page"]] == [decisions["missed"].pk]
    assert [d.pk for d in log("?outcome=unknown").context["page"]] == [decisions["waiting"].pk]
    assert [d.pk for d in log("?q=halved").context["page"]] == [decisions["reached"].pk]
    assert log("?q=halved").context["success"]["rate"] == 100
    globex = log("?organization=globex")
    assert {d.pk for d in globex.context["page"]} == {decisions["reached"].pk}  # Globex asked for Offline mode only
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert len(log(f"?date_from={tomorrow}").context["page"]) == 0
    assert len(log(f"?date_to={tomorrow}").context["page"]) == 4
    bad = log("?organization=nobody-here")
    assert bad.context["form"].errors["organization"] == ["No organization has this slug."]
    assert bad.context["success"] is None


def test_decision_log_query_count_is_pinned(login, decisions, product_owner):
    client = login(product_owner)
    assert _count_queries(client, reverse("roadmap:decisions")) == 5  # session, user, page, rate, areas


def test_decision_export_neutralizes_formulas(login, decisions, product_owner):
    response = login(product_owner).get(reverse("roadmap:decisions_export"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response.streaming
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 4
    by_id = {int(row["id"]): row for row in rows}
    assert by_id[decisions["reached"].pk]["expected_outcome"] == "'=cmd() fewer paper forms"
    assert by_id[decisions["waiting"].pk]["expected_outcome"] == "'+Readable"
    assert by_id[decisions["declined"].pk]["public_message"] == "'@Nobody faxes anymore"
    assert by_id[decisions["declined"].pk]["rationale"] == "'-1 from engineering"
    assert by_id[decisions["missed"].pk]["lesson"] == "Ask first"
    filtered = login(product_owner).get(reverse("roadmap:decisions_export") + "?kind=declined")
    assert len(list(csv.DictReader(io.StringIO(b"".join(filtered.streaming_content).decode())))) == 1


def test_record_an_outcome(login, case, product_owner):
    item = case["item"]
    decision = services.decision_record(actor=product_owner, kind="accepted", item=item, expected_outcome="Fewer")
    client = login(product_owner)
    url = reverse("roadmap:decision_outcome", args=[decision.pk])
    prefix = f"d{decision.pk}-"
    too_early = client.post(url, {prefix + "outcome": "reached", prefix + "actual_outcome": "Great"})
    assert too_early.status_code == 200
    assert "once the item has shipped" in str(too_early.context["form"].errors["outcome"])
    services.item_move(item=item, actor=product_owner, status="shipped")
    no_lesson = client.post(url, {prefix + "outcome": "missed", prefix + "actual_outcome": "Meh"})
    assert "A missed outcome needs its lesson" in str(no_lesson.context["form"].errors["lesson"])
    done = client.post(
        url,
        {
            prefix + "outcome": "missed",
            prefix + "actual_outcome": "Meh",
            prefix + "lesson": "Test earlier",
            "next": reverse("roadmap:decisions"),
        },
    )
    assert done.status_code == 302 and done.url == reverse("roadmap:decisions")
    decision.refresh_from_db()
    assert (decision.outcome, decision.lesson) == ("missed", "Test earlier")
    assert client.post(url, {"next": "https://evil.test/"}).status_code == 200


# Releases ---------------------------------------------------------------------------------------


def test_release_draft_edit_publish_then_read_only(login, case, product_owner, django_capture_on_commit_callbacks):
    item = case["item"]
    client = login(product_owner)
    refused = client.post(reverse("roadmap:release_new"), {"title": "x", "release_date": ""})
    assert {"title", "release_date"} <= set(refused.context["form"].errors)
    created = client.post(
        reverse("roadmap:release_new"),
        {"title": "Spring release", "release_date": "2027-03-01", "body": "**Offline**", "items": [item.pk]},
    )
    release = Release.objects.get()
    assert created.status_code == 302 and created.url == reverse("roadmap:release", args=[release.pk])
    assert list(release.items.all()) == [item]
    url = reverse("roadmap:release", args=[release.pk])
    edited = client.post(
        url, {"action": "save", "title": "Spring release 2027", "release_date": "2027-03-02", "body": "Notes"}
    )
    assert edited.status_code == 302
    release.refresh_from_db()
    assert release.title == "Spring release 2027" and not release.items.exists()
    empty = client.post(url, {"action": "publish", "confirm": "yes"})
    assert "Add at least one shipped item" in empty.content.decode()
    client.post(
        url, {"action": "save", "title": "Spring release 2027", "release_date": "2027-03-02", "items": [item.pk]}
    )
    unconfirmed = client.post(url, {"action": "publish"})
    assert "Tick the confirmation" in unconfirmed.content.decode()
    release.refresh_from_db()
    assert release.status == "draft"
    with django_capture_on_commit_callbacks(execute=True):
        published = client.post(url, {"action": "publish", "confirm": "yes"})
    assert published.status_code == 302
    release.refresh_from_db()
    item.refresh_from_db()
    assert release.status == "published" and item.status == "shipped"
    assert set(Feedback.objects.filter(roadmap_link__item=item).values_list("status", flat=True)) == {"shipped"}
    page = client.get(url).content.decode()
    assert 'data-testid="release-published"' in page and "release-form" not in page and "publish-form" not in page
    assert "Announced to the clients who asked on" in page
    again = client.post(url, {"action": "save", "title": "Changed", "release_date": "2027-03-02"}, follow=True)
    assert "A published release cannot be changed." in again.content.decode()
    release.refresh_from_db()
    assert release.title == "Spring release 2027"
    listing = client.get(reverse("roadmap:releases")).content.decode()
    assert "Spring release 2027" in listing


# The business-case sheet prints on one A4 page ------------------------------------------------------


def test_sheet_prints_on_one_a4_page(login, case, product_owner, settings):
    import os
    import shutil
    from pathlib import Path

    chromium = os.environ.get("RETOUR_E2E_CHROMIUM", "/usr/bin/chromium")
    if not (Path(chromium).is_file() or shutil.which(chromium)):
        pytest.skip("Chromium is needed to print the sheet")
    item = case["item"]
    services.item_update(
        item=item, actor=product_owner, description="A long description. " * 80, is_public=True, public_title="Offline"
    )
    services.decision_record(
        actor=product_owner, kind="accepted", item=item, expected_outcome="Field teams stop losing forms. " * 20
    )
    html = login(product_owner).get(reverse("roadmap:item_sheet", args=[item.pk])).content.decode()
    assert "Business case" in html and "Offline mode" in html
    css = (Path(settings.BASE_DIR) / "static" / "css" / "app.css").read_text()

    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.set_content(re.sub(r"<script[^>]*></script>", "", html))
            page.add_style_tag(content=css)
            pdf = page.pdf(format="A4", print_background=True)
        finally:
            browser.close()
    pages = re.findall(rb"/Type\s*/Page(?![s\w])", pdf)
    assert len(pages) == 1, f"the sheet prints on {len(pages)} pages"


def test_release_list_and_figure_query_counts_are_pinned(login, case, product_owner, member_a):
    """The releases list and a figure's drill-down cost the same with one row as with many."""
    client = login(product_owner)
    item = case["item"]
    releases_url = reverse("roadmap:releases")
    figure_url = reverse("roadmap:item_figure", args=[item.pk, "votes"])
    services.release_save(actor=product_owner, title="First", release_date=timezone.localdate(), items=[item])
    few = (_count_queries(client, releases_url), _count_queries(client, figure_url))
    for i in range(4):
        services.release_save(actor=product_owner, title=f"Draft {i}", release_date=timezone.localdate(), items=[item])
        request = feedback_for(author=member_a, title=f"More offline needs {i}")
        services.item_link_feedback(item=item, feedback=request, actor=product_owner)
    assert (_count_queries(client, releases_url), _count_queries(client, figure_url)) == few
    assert max(few) <= 10
