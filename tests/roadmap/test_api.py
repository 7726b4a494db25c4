"""The roadmap API: /api/v1/roadmap-items/, /api/v1/decisions/, /api/v1/releases/."""

import base64
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from core.models import OutboundEmail
from feedback import services as feedback_services
from feedback.models import Feedback, Notification, ProductArea
from roadmap import services
from roadmap.models import Decision, Release, RoadmapEvent, RoadmapItem
from tests.factories import feedback_for

INTERNAL_TITLE = "Quartz churn-saver for Globex renewal"
INTERNAL_DESCRIPTION = "Internal: Globex threatens to leave in March"
PRIVATE_TITLE = "Secret acquisition integration"
RATIONALE = "Internal rationale: Globex pays for this"
CLIENT_ITEM_FIELDS = {
    "id",
    "title",
    "text",
    "status",
    "target_quarter",
    "organization_count",
    "main_request",
    "updated_at",
}
ONLY_PRODUCT_OWNERS = "Only product owners decide roadmap matters."


def _refusal_in_the_language_of(user) -> str:
    """The policy's reason, as the API says it: in the user's language."""
    with translation.override(user.language):
        return translation.gettext(ONLY_PRODUCT_OWNERS)


CLIENT_DECISION_FIELDS = {"id", "kind", "public_message", "decided_at", "feedback", "item"}


@pytest.fixture
def world(everyone, org_a, org_b):
    po = everyone["product_owner"]
    area = ProductArea.objects.create(name="Field work", slug="field-work")
    acme_request = feedback_for(author=everyone["member_a"], title="Work offline in basements")
    globex_private = feedback_for(author=everyone["member_b"], title="Globex private wish for offline")
    globex_public = feedback_for(author=everyone["admin_b"], title="Globex public offline idea", visibility="public")
    public = services.item_create(
        actor=po,
        title=INTERNAL_TITLE,
        description=INTERNAL_DESCRIPTION,
        is_public=True,
        public_title="Offline mode",
        public_text="Work without a connection.",
        product_area=area,
        target_quarter="2027-Q1",
        owner=po,
    )
    for request in (globex_private, acme_request, globex_public):
        services.item_link_feedback(item=public, feedback=request, actor=po)
    private = services.item_create(actor=po, title=PRIVATE_TITLE, description="Not for clients")
    return {
        **everyone,
        "area": area,
        "acme_request": acme_request,
        "globex_private": globex_private,
        "globex_public": globex_public,
        "public": public,
        "private": private,
    }


def _assert_error(response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:400])
    error = response.json()["error"]
    assert error["status"] == status and error["message"]
    if field is not None:
        assert field in error["fields"], error
    return error


def _assert_no_organization(body: bytes, *organizations) -> None:
    for organization in organizations:
        assert organization.name.encode() not in body and organization.slug.encode() not in body


# Roadmap items --------------------------------------------------------------------------------


def test_clients_list_public_items_in_their_wording_only(api_client, world, org_a, org_b):
    response = api_client(world["member_a"]).get("/api/v1/roadmap-items/")
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["id"] for r in results] == [world["public"].pk]
    item = results[0]
    assert set(item) == CLIENT_ITEM_FIELDS
    assert (item["title"], item["text"], item["organization_count"]) == (
        "Offline mode",
        "Work without a connection.",
        2,
    )
    # The main request (Globex's private one, linked first) is not Acme's to see: no "me too" target.
    assert item["main_request"] is None
    for secret in (INTERNAL_TITLE, INTERNAL_DESCRIPTION, PRIVATE_TITLE):
        assert secret.encode() not in response.content
    _assert_no_organization(response.content, org_a, org_b)


def test_a_client_gets_the_main_request_they_may_see(api_client, world):
    services.item_update(item=world["public"], actor=world["product_owner"], main_request=world["globex_public"])
    item = api_client(world["member_a"]).get(f"/api/v1/roadmap-items/{world['public'].pk}/").json()
    assert item["main_request"] == world["globex_public"].pk


def test_staff_read_the_business_case(api_client, world, org_a, org_b):
    response = api_client(world["contributor"]).get(f"/api/v1/roadmap-items/{world['public'].pk}/")
    assert response.status_code == 200
    item = response.json()
    assert (item["title"], item["description"], item["public_title"]) == (
        INTERNAL_TITLE,
        INTERNAL_DESCRIPTION,
        "Offline mode",
    )
    assert (item["request_count"], item["vote_count"], item["organization_count"]) == (3, 3, 2)
    assert item["votes_by_importance"] == {"nice_to_have": 0, "important": 3, "critical": 0}
    assert item["votes_by_provenance"] == {"direct": 3, "on_behalf": 0, "meeting": 0}
    assert Decimal(item["revenue"]) == org_a.annual_contract_value + org_b.annual_contract_value
    assert item["product_area"] == "field-work" and item["owner"] == world["product_owner"].pk
    assert "text" not in item
    listed = api_client(world["contributor"]).get("/api/v1/roadmap-items/").json()["results"]
    assert {r["id"] for r in listed} == {world["public"].pk, world["private"].pk}


def test_staff_filters(api_client, world):
    api = api_client(world["product_owner"])

    def ids(query: str) -> set[int]:
        response = api.get(f"/api/v1/roadmap-items/?{query}")
        assert response.status_code == 200, response.content
        return {r["id"] for r in response.json()["results"]}

    public, private = world["public"].pk, world["private"].pk
    assert ids("is_public=true") == {public}
    assert ids("is_public=false") == {private}
    assert ids(f"owner={world['product_owner'].pk}") == {public}
    assert ids("quarter=2027-Q1") == {public}
    assert ids("product_area=field-work") == {public}
    assert ids("status=candidate&status=now") == {public, private}
    assert ids("status=now") == set()
    _assert_error(api.get("/api/v1/roadmap-items/?status=bogus"), 400, "status")
    _assert_error(api.get("/api/v1/roadmap-items/?owner=1.5"), 400, "owner")
    assert ids("owner=99999999999999999999") == set()


def test_clients_cannot_filter_or_sort_by_what_they_may_not_read(api_client, world):
    api = api_client(world["member_a"])
    _assert_error(api.get(f"/api/v1/roadmap-items/?owner={world['product_owner'].pk}"), 400, "owner")
    _assert_error(api.get("/api/v1/roadmap-items/?is_public=false"), 400, "is_public")
    _assert_error(api.get("/api/v1/roadmap-items/?ordering=revenue_at_risk"), 400, "ordering")
    assert api.get("/api/v1/roadmap-items/?ordering=organization_count").status_code == 200
    assert api.get("/api/v1/roadmap-items/?status=candidate&quarter=2027-Q1").json()["results"][0]["id"] == (
        world["public"].pk
    )


def test_each_ordering_pages_through_every_item_once(api_client, world):
    po = world["product_owner"]
    extra = [services.item_create(actor=po, title=f"Ranked item {i}") for i in range(5)]
    # Uneven figures with ties, so that the cursor must break them by id.
    for index, item in enumerate(extra):
        RoadmapItem.objects.filter(pk=item.pk).update(
            revenue_at_risk=1000 * (index % 3), rice_score=index / 3, revenue=500 * index, vote_count=index % 2
        )
    api = api_client(po)
    expected = RoadmapItem.objects.count()
    for ordering, field in (
        ("revenue_at_risk", "revenue_at_risk"),
        ("rice_score", "rice_score"),
        ("revenue", "revenue"),
        ("vote_count", "vote_count"),
        ("organization_count", "organization_count"),
        ("newest", "id"),
    ):
        seen, url = [], f"/api/v1/roadmap-items/?ordering={ordering}&page_size=2"
        while url:
            data = api.get(url).json()
            seen += data["results"]
            url = data["next"]
        assert len({r["id"] for r in seen}) == len(seen) == expected, ordering
        values = [(Decimal(str(r[field])), r["id"]) for r in seen]
        assert values == sorted(values, reverse=True), ordering
    _assert_error(api.get("/api/v1/roadmap-items/?ordering=title"), 400, "ordering")


@pytest.mark.parametrize("position", ["abc", "1e309", "NaN", "2027-01-01"])
@pytest.mark.parametrize("ordering", ["newest", "revenue", "rice_score"])
def test_a_cursor_that_does_not_fit_the_ordering_is_never_a_500(api_client, world, ordering, position):
    cursor = base64.b64encode(f"p={position}".encode()).decode()
    response = api_client(world["product_owner"]).get(
        "/api/v1/roadmap-items/", {"ordering": ordering, "cursor": cursor}
    )
    assert response.status_code in (200, 404), response.content[:300]


def test_a_private_item_is_404_for_clients_everywhere(api_client, world):
    pk = world["private"].pk
    for user in (world["member_a"], world["admin_b"]):
        api = api_client(user)
        _assert_error(api.get(f"/api/v1/roadmap-items/{pk}/"), 404)
        _assert_error(api.patch(f"/api/v1/roadmap-items/{pk}/", {"title": "Hacked"}, format="json"), 404)
        _assert_error(api.get(f"/api/v1/roadmap-items/{pk}/feedback/"), 404)
        link = {"feedback": world["acme_request"].pk}
        _assert_error(api.post(f"/api/v1/roadmap-items/{pk}/feedback/", link, format="json"), 404)
        _assert_error(api.delete(f"/api/v1/roadmap-items/{pk}/feedback/", link, format="json"), 404)
    world["private"].refresh_from_db()
    assert world["private"].title == PRIVATE_TITLE


def test_clients_write_nothing_on_a_public_item(api_client, world):
    api = api_client(world["admin_a"])
    pk = world["public"].pk
    error = _assert_error(api.patch(f"/api/v1/roadmap-items/{pk}/", {"status": "now"}, format="json"), 403)
    assert error["message"] == _refusal_in_the_language_of(world["admin_a"])
    _assert_error(api.post("/api/v1/roadmap-items/", {"title": "Mine"}, format="json"), 403)
    # The linked requests are the business case's drill-down: not a client's, even on a public item.
    _assert_error(api.get(f"/api/v1/roadmap-items/{pk}/feedback/"), 404)
    assert RoadmapItem.objects.get(pk=pk).status == RoadmapItem.Status.CANDIDATE


def test_contributors_read_but_do_not_decide(api_client, world):
    api = api_client(world["contributor"])
    pk = world["public"].pk
    error = _assert_error(api.patch(f"/api/v1/roadmap-items/{pk}/", {"status": "now"}, format="json"), 403)
    assert error["message"] == _refusal_in_the_language_of(world["contributor"])
    _assert_error(api.post("/api/v1/roadmap-items/", {"title": "A contributor's idea"}, format="json"), 403)
    assert RoadmapItem.objects.count() == 2


def test_product_owner_creates_an_item(api_client, world):
    api = api_client(world["product_owner"])
    response = api.post(
        "/api/v1/roadmap-items/",
        {
            "title": "  Bulk   export ",
            "status": "next",
            "product_area": "field-work",
            "impact": "2",
            "confidence": 80,
            "effort": "2.0",
            "reach_override": 10,
            "target_quarter": "2027-Q3",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    item = response.json()
    assert (item["title"], item["status"], item["reach"], item["rice_score"]) == ("Bulk export", "next", 10, 8.0)
    created = RoadmapItem.objects.get(pk=item["id"])
    assert created.events.filter(kind=RoadmapEvent.Kind.CREATED).count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "ab"}, "title"),
        ({"title": "Public without a title", "is_public": True}, "public_title"),
        ({"title": "Bad quarter", "target_quarter": "Q1-27"}, "target_quarter"),
        ({"title": "Too confident", "confidence": 101}, "confidence"),
        ({"title": "No effort", "effort": 0}, "effort"),
        ({"title": "Bad impact", "impact": "4"}, "impact"),
        ({"title": "Client owner", "owner": "member_a"}, "owner"),
        ({"title": "Unknown area", "product_area": "nowhere"}, "product_area"),
        ({"title": "Typo", "descriptoin": "x"}, "descriptoin"),
        ({"title": "Sneaky", "revenue_at_risk": "1000000"}, "revenue_at_risk"),
        ({"title": "Not on create", "main_request": 1}, "main_request"),
    ],
)
def test_item_creation_is_validated(api_client, world, body, field):
    if body.get("owner") == "member_a":
        body = {**body, "owner": world["member_a"].pk}
    before = RoadmapItem.objects.count()
    error = _assert_error(
        api_client(world["product_owner"]).post("/api/v1/roadmap-items/", body, format="json"), 400, field
    )
    assert error["code"] == "invalid"
    assert RoadmapItem.objects.count() == before


def test_patch_moves_and_edits_together_or_not_at_all(api_client, world):
    api = api_client(world["product_owner"])
    item = world["private"]
    events = RoadmapEvent.objects.filter(item=item).count()
    # The move is valid, the main request is not one of the item's: neither happens.
    response = api.patch(
        f"/api/v1/roadmap-items/{item.pk}/",
        {"status": "now", "title": "Renamed", "main_request": world["acme_request"].pk},
        format="json",
    )
    _assert_error(response, 400, "main_request")
    item.refresh_from_db()
    assert (item.status, item.title) == (RoadmapItem.Status.CANDIDATE, PRIVATE_TITLE)
    assert RoadmapEvent.objects.filter(item=item).count() == events
    ok = api.patch(f"/api/v1/roadmap-items/{item.pk}/", {"status": "now", "title": "Renamed"}, format="json")
    assert ok.status_code == 200 and (ok.json()["status"], ok.json()["title"]) == ("now", "Renamed")
    kinds = list(RoadmapEvent.objects.filter(item=item).values_list("kind", flat=True))[events:]
    assert sorted(kinds) == [RoadmapEvent.Kind.EDITED, RoadmapEvent.Kind.STATUS]
    _assert_error(api.patch(f"/api/v1/roadmap-items/{item.pk}/", {"status": "doing"}, format="json"), 400, "status")
    _assert_error(api.patch(f"/api/v1/roadmap-items/{item.pk}/", {"stauts": "now"}, format="json"), 400, "stauts")


def test_link_and_unlink_requests(api_client, world):
    item, request = world["private"], world["acme_request"]
    api = api_client(world["contributor"])  # contributors link the requests they log
    url = f"/api/v1/roadmap-items/{item.pk}/feedback/"
    # A request belongs to one item: the public item has it.
    _assert_error(api.post(url, {"feedback": request.pk}, format="json"), 400, "feedback")
    services.item_unlink_feedback(item=world["public"], feedback=request, actor=world["product_owner"])
    linked = api.post(url, {"feedback": request.pk}, format="json")
    assert linked.status_code == 200 and linked.json()["request_count"] == 1
    assert linked.json()["main_request"] == request.pk
    listed = api.get(url).json()["results"]
    assert [(r["id"], r["title"], r["organization"]) for r in listed] == [(request.pk, request.title, "acme")]
    _assert_error(api.post(url, {"feedback": 99999999}, format="json"), 400, "feedback")
    _assert_error(api.post(url, {"feedback": request.pk, "note": "x"}, format="json"), 400, "note")
    assert api.delete(url, {"feedback": request.pk}, format="json").status_code == 204
    _assert_error(api.delete(url, {"feedback": request.pk}, format="json"), 400, "feedback")
    # The id may also travel as a parameter (a DELETE body is not every client's habit).
    api.post(url, {"feedback": request.pk}, format="json")
    assert api.delete(f"{url}?feedback={request.pk}").status_code == 204
    item.refresh_from_db()
    assert (item.request_count, item.main_request_id) == (0, None)


# Decisions ------------------------------------------------------------------------------------


@pytest.fixture
def decisions(world):
    po = world["product_owner"]
    on_globex_private = services.decision_record(
        actor=po, kind="declined", feedback=world["globex_private"], rationale=RATIONALE, public_message="Not now."
    )
    on_acme = services.decision_record(
        actor=po, kind="deferred", feedback=world["acme_request"], rationale=RATIONALE, public_message="Later."
    )
    on_public_item = services.decision_record(
        actor=po, kind="accepted", item=world["public"], rationale=RATIONALE, expected_outcome="Fewer lost visits."
    )
    on_private_item = services.decision_record(
        actor=po, kind="accepted", item=world["private"], rationale=RATIONALE, expected_outcome="Secret outcome."
    )
    return {
        "globex_private": on_globex_private,
        "acme": on_acme,
        "public_item": on_public_item,
        "private_item": on_private_item,
    }


def test_clients_see_the_decisions_that_concern_what_they_may_see(api_client, world, decisions, org_a, org_b):
    response = api_client(world["member_a"]).get("/api/v1/decisions/")
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["id"] for r in results] == [decisions["public_item"].pk, decisions["acme"].pk]
    assert all(set(r) == CLIENT_DECISION_FIELDS for r in results)
    assert results[0]["item"] == world["public"].pk and results[0]["feedback"] is None
    assert results[1]["feedback"] == world["acme_request"].pk and results[1]["public_message"] == "Later."
    for secret in (RATIONALE, "Fewer lost visits", "Secret outcome", INTERNAL_TITLE):
        assert secret.encode() not in response.content
    _assert_no_organization(response.content, org_a, org_b)
    api = api_client(world["member_a"])
    for key in ("globex_private", "private_item"):
        _assert_error(api.get(f"/api/v1/decisions/{decisions[key].pk}/"), 404)
        _assert_error(api.patch(f"/api/v1/decisions/{decisions[key].pk}/", {}, format="json"), 404)
    _assert_error(api.get("/api/v1/decisions/?outcome=missed"), 400, "outcome")
    filtered = api.get(f"/api/v1/decisions/?feedback={world['globex_private'].pk}").json()["results"]
    assert filtered == []


def test_staff_read_every_decision_with_its_rationale(api_client, world, decisions):
    api = api_client(world["contributor"])
    results = api.get("/api/v1/decisions/").json()["results"]
    assert len(results) == 4 and all(r["rationale"] == RATIONALE for r in results)
    assert {r["id"] for r in api.get("/api/v1/decisions/?kind=accepted").json()["results"]} == {
        decisions["public_item"].pk,
        decisions["private_item"].pk,
    }
    assert [r["id"] for r in api.get(f"/api/v1/decisions/?item={world['private'].pk}").json()["results"]] == [
        decisions["private_item"].pk
    ]
    assert len(api.get("/api/v1/decisions/?outcome=unknown").json()["results"]) == 4
    _assert_error(api.get("/api/v1/decisions/?kind=maybe"), 400, "kind")
    detail = api.get(f"/api/v1/decisions/{decisions['globex_private'].pk}/").json()
    assert detail["rationale"] == RATIONALE and detail["feedback"] == world["globex_private"].pk


def test_product_owner_records_a_decision(api_client, world):
    api = api_client(world["product_owner"])
    refused = api.post("/api/v1/decisions/", {"kind": "declined", "item": world["private"].pk}, format="json")
    _assert_error(refused, 400, "public_message")
    _assert_error(api.post("/api/v1/decisions/", {"kind": "declined"}, format="json"), 400, "item")
    _assert_error(
        api.post("/api/v1/decisions/", {"kind": "accepted", "item": world["private"].pk, "why": "x"}, format="json"),
        400,
        "why",
    )
    assert Decision.objects.count() == 0
    created = api.post(
        "/api/v1/decisions/",
        {"kind": "deferred", "item": world["private"].pk, "public_message": "Next year.", "rationale": "Budget."},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert (created.json()["kind"], created.json()["rationale"]) == ("deferred", "Budget.")
    world["private"].refresh_from_db()
    assert world["private"].status == RoadmapItem.Status.LATER


def test_clients_and_contributors_record_no_decision(api_client, world, decisions):
    body = {"kind": "accepted", "feedback": world["acme_request"].pk, "expected_outcome": "x"}
    for user in (world["member_a"], world["contributor"]):
        _assert_error(api_client(user).post("/api/v1/decisions/", body, format="json"), 403)
    outcome = {"outcome": "reached", "actual_outcome": "x"}
    _assert_error(
        api_client(world["member_a"]).patch(f"/api/v1/decisions/{decisions['acme'].pk}/", outcome, format="json"),
        403,
    )
    assert Decision.objects.count() == 4


def test_the_outcome_is_recorded_once_the_item_shipped(api_client, world, decisions):
    api = api_client(world["product_owner"])
    url = f"/api/v1/decisions/{decisions['private_item'].pk}/"
    body = {"outcome": "missed", "actual_outcome": "Still slow.", "lesson": "Measure first."}
    _assert_error(api.patch(url, body, format="json"), 400, "outcome")  # not shipped yet
    services.item_move(item=world["private"], actor=world["product_owner"], status="shipped")
    _assert_error(api.patch(url, {"outcome": "missed", "actual_outcome": "Still slow."}, format="json"), 400, "lesson")
    _assert_error(api.patch(url, {**body, "outcome": "unknown"}, format="json"), 400, "outcome")
    _assert_error(api.patch(url, {**body, "rationale": "rewritten"}, format="json"), 400, "rationale")
    response = api.patch(url, body, format="json")
    assert response.status_code == 200
    assert (response.json()["outcome"], response.json()["lesson"]) == ("missed", "Measure first.")


# Releases -------------------------------------------------------------------------------------


@pytest.fixture
def releases(world):
    po = world["product_owner"]
    today = timezone.localdate()
    published = services.release_save(
        actor=po, title="Winter release", release_date=today, items=[world["public"], world["private"]]
    )
    services.release_publish(release=published, actor=po)
    draft = services.release_save(actor=po, title="Draft for spring", release_date=today, body="Secret plans")
    return {"published": published, "draft": draft}


def test_clients_read_published_releases_with_public_items_only(api_client, world, releases):
    api = api_client(world["member_b"])
    response = api.get("/api/v1/releases/")
    results = response.json()["results"]
    assert [r["id"] for r in results] == [releases["published"].pk]
    assert results[0]["items"] == [{"id": world["public"].pk, "title": "Offline mode"}]
    assert "published_by" not in results[0]
    for secret in (PRIVATE_TITLE, INTERNAL_TITLE, "Draft for spring", "Secret plans"):
        assert secret.encode() not in response.content
    _assert_error(api.get(f"/api/v1/releases/{releases['draft'].pk}/"), 404)
    _assert_error(api.patch(f"/api/v1/releases/{releases['draft'].pk}/", {"title": "x"}, format="json"), 404)
    _assert_error(api.post(f"/api/v1/releases/{releases['draft'].pk}/publish/", {}, format="json"), 404)
    _assert_error(api.post(f"/api/v1/releases/{releases['published'].pk}/publish/", {}, format="json"), 403)
    assert api.get("/api/v1/releases/?status=draft").json()["results"] == []


def test_staff_read_every_release(api_client, world, releases):
    results = api_client(world["contributor"]).get("/api/v1/releases/").json()["results"]
    assert {r["id"] for r in results} == {releases["published"].pk, releases["draft"].pk}
    published = next(r for r in results if r["id"] == releases["published"].pk)
    assert [i["title"] for i in published["items"]] == [INTERNAL_TITLE, PRIVATE_TITLE]
    assert published["published_by"] == world["product_owner"].pk


def test_product_owner_writes_a_draft_and_publishes_it_once(
    api_client, world, member_a, django_capture_on_commit_callbacks
):
    api = api_client(world["product_owner"])
    item = world["public"]
    _assert_error(api.post("/api/v1/releases/", {"title": "No date"}, format="json"), 400, "release_date")
    _assert_error(
        api.post(
            "/api/v1/releases/",
            {"title": "Unknown item", "release_date": "2027-01-15", "items": [999999]},
            format="json",
        ),
        400,
        "items",
    )
    created = api.post(
        "/api/v1/releases/", {"title": "Offline", "release_date": "2027-01-15", "body": "Notes"}, format="json"
    )
    assert created.status_code == 201 and created.json()["status"] == "draft"
    url = f"/api/v1/releases/{created.json()['id']}/"
    publish_empty = api.post(f"{url}publish/", {}, format="json")
    _assert_error(publish_empty, 400)  # no shipped item yet
    _assert_error(api.post(f"{url}publish/", {"notify": False}, format="json"), 400, "notify")
    edited = api.patch(url, {"title": "Offline mode is here", "items": [item.pk]}, format="json")
    assert edited.status_code == 200
    assert (edited.json()["title"], edited.json()["body"], edited.json()["release_date"]) == (
        "Offline mode is here",
        "Notes",
        "2027-01-15",
    )
    with django_capture_on_commit_callbacks(execute=True):
        published = api.post(f"{url}publish/")
    assert published.status_code == 200 and published.json()["status"] == "published"
    emails, notifications = OutboundEmail.objects.count(), Notification.objects.count()
    assert OutboundEmail.objects.filter(to_email=member_a.email, template="roadmap/emails/release").count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        again = api.post(f"{url}publish/", {}, format="json")
    assert again.status_code == 200 and again.json()["published_at"] == published.json()["published_at"]
    assert (OutboundEmail.objects.count(), Notification.objects.count()) == (emails, notifications)
    item.refresh_from_db()
    world["acme_request"].refresh_from_db()
    assert item.status == RoadmapItem.Status.SHIPPED
    assert world["acme_request"].status == Feedback.Status.SHIPPED
    # A published release is history.
    _assert_error(api.patch(url, {"title": "Rewritten"}, format="json"), 400)
    assert Release.objects.get(pk=created.json()["id"]).title == "Offline mode is here"


def test_contributors_do_not_release(api_client, world, releases):
    api = api_client(world["contributor"])
    _assert_error(api.post("/api/v1/releases/", {"title": "Mine", "release_date": "2027-01-15"}, format="json"), 403)
    _assert_error(api.post(f"/api/v1/releases/{releases['draft'].pk}/publish/"), 403)
    releases["draft"].refresh_from_db()
    assert releases["draft"].status == Release.Status.DRAFT


def test_votes_feed_the_figures_the_api_shows(api_client, world):
    feedback_services.vote_cast(feedback=world["acme_request"], user=world["admin_a"], importance="critical")
    item = api_client(world["product_owner"]).get(f"/api/v1/roadmap-items/{world['public'].pk}/").json()
    assert item["vote_count"] == 4 and item["votes_by_importance"]["critical"] == 1
    client_view = api_client(world["member_a"]).get(f"/api/v1/roadmap-items/{world['public'].pk}/").json()
    assert client_view["organization_count"] == 2 and "vote_count" not in client_view


@pytest.mark.parametrize(
    ("component", "client_fields"),
    [
        ("ItemForRole", CLIENT_ITEM_FIELDS),
        ("DecisionForRole", CLIENT_DECISION_FIELDS),
        ("ReleaseForRole", {"id", "title", "body", "release_date", "status", "published_at", "items"}),
    ],
)
def test_the_schema_requires_only_what_clients_receive(component, client_fields):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"][component]
    assert set(schema["required"]) <= client_fields
    assert client_fields <= set(schema["properties"])


# The token (with its user), the page, and what the page prefetches: pinned exactly.
QUERIES = {
    ("/api/v1/roadmap-items/", "member_a"): 2,
    ("/api/v1/roadmap-items/", "product_owner"): 3,
    ("/api/v1/decisions/", "member_a"): 2,
    ("/api/v1/decisions/", "product_owner"): 3,
    ("/api/v1/releases/", "member_a"): 3,
    ("/api/v1/releases/", "product_owner"): 4,
}


@pytest.mark.parametrize("role", ["member_a", "product_owner"])
@pytest.mark.parametrize("path", ["/api/v1/roadmap-items/", "/api/v1/decisions/", "/api/v1/releases/"])
def test_list_query_count_does_not_grow_with_the_page(api_client, world, decisions, releases, role, path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    po = world["product_owner"]
    for i in range(4):
        item = services.item_create(
            actor=po, title=f"Public item {i}", is_public=True, public_title=f"Public {i}", status="next"
        )
        services.decision_record(actor=po, kind="deferred", item=item, public_message="Later.")
        services.release_save(actor=po, title=f"Release {i}", release_date=timezone.localdate(), items=[item])
    Release.objects.update(status=Release.Status.PUBLISHED, published_at=timezone.now())
    api = api_client(world[role])
    api.get(path)  # the token's first use writes its last-used time
    with CaptureQueriesContext(connection) as few:
        assert len(api.get(f"{path}?page_size=1").json()["results"]) == 1
    with CaptureQueriesContext(connection) as many:
        assert len(api.get(f"{path}?page_size=5").json()["results"]) == 5
    assert len(few) == len(many) == QUERIES[path, role], [q["sql"][:120] for q in many.captured_queries]
