from django.db import connection
from django.test.utils import CaptureQueriesContext

from feedback import services
from feedback.models import Feedback, Vote
from tests.factories import feedback_for


def make(everyone):
    acme = [feedback_for(author=everyone["member_a"], title=f"Acme API item {i}") for i in range(5)]
    globex_private = feedback_for(author=everyone["member_b"], title="Globex private thing")
    globex_public = feedback_for(author=everyone["admin_b"], title="Globex public thing", visibility="public")
    return acme, globex_private, globex_public


def test_list_is_scoped_and_cursor_paginated(api_client, everyone):
    _acme, globex_private, _public = make(everyone)
    data = api_client(everyone["member_a"]).get("/api/v1/feedback/?page_size=4").json()
    assert len(data["results"]) == 4 and data["next"] and "cursor=" in data["next"]
    second = api_client(everyone["member_a"]).get(data["next"]).json()
    ids = {r["id"] for r in data["results"] + second["results"]}
    assert len(ids) == 6 and globex_private.pk not in ids
    assert "revenue" not in data["results"][0] and "author" not in data["results"][0]
    staff = api_client(everyone["product_owner"]).get("/api/v1/feedback/").json()
    assert len(staff["results"]) == 7 and "revenue" in staff["results"][0]


def test_list_filters_and_search(api_client, everyone, org_b):
    make(everyone)
    api = api_client(everyone["product_owner"])
    assert len(api.get(f"/api/v1/feedback/?organization={org_b.pk}").json()["results"]) == 2
    assert [r["title"] for r in api.get("/api/v1/feedback/?search=private").json()["results"]] == [
        "Globex private thing"
    ]
    bad = api.get("/api/v1/feedback/?status=bogus")
    assert bad.status_code == 400 and "status" in bad.json()["error"]["fields"]


def test_list_query_count_does_not_grow(api_client, everyone):
    make(everyone)
    api = api_client(everyone["product_owner"])
    api.get("/api/v1/feedback/")
    with CaptureQueriesContext(connection) as few:
        api.get("/api/v1/feedback/?page_size=2")
    with CaptureQueriesContext(connection) as many:
        api.get("/api/v1/feedback/?page_size=7")
    assert len(few) == len(many) <= 6


def test_client_creates_for_own_org_and_cannot_set_internal_fields(api_client, member_a, org_b):
    api = api_client(member_a)
    created = api.post("/api/v1/feedback/", {"title": "Webhooks for new invoices", "kind": "idea"}, format="json")
    assert created.status_code == 201
    assert created.json()["organization"] == "acme" and Feedback.objects.get().source == "api"
    refused = api.post("/api/v1/feedback/", {"title": "Sneaky", "status": "planned", "assignee": 1}, format="json")
    assert refused.status_code == 400
    assert set(refused.json()["error"]["fields"]) == {"status", "assignee"}
    other = api.post("/api/v1/feedback/", {"title": "For Globex", "organization": "globex"}, format="json")
    assert other.status_code == 400 and "organization" in other.json()["error"]["fields"]
    assert Feedback.objects.count() == 1


def test_staff_create_on_behalf_needs_the_client_contact(api_client, contributor, member_b):
    api = api_client(contributor)
    assert api.post("/api/v1/feedback/", {"title": "From a sales call"}, format="json").status_code == 400
    created = api.post("/api/v1/feedback/", {"title": "From a sales call", "author": member_b.pk}, format="json")
    assert created.status_code == 201 and created.json()["organization"] == "globex"
    assert created.json()["submitted_by"] == contributor.pk


def test_detail_404_for_other_company_and_patch_rules(api_client, everyone):
    acme, globex_private, globex_public = make(everyone)
    client_api = api_client(everyone["admin_a"])
    assert client_api.get(f"/api/v1/feedback/{globex_private.pk}/").status_code == 404
    assert client_api.get(f"/api/v1/feedback/{globex_public.pk}/").status_code == 200
    assert (
        client_api.patch(f"/api/v1/feedback/{globex_private.pk}/", {"status": "planned"}, format="json").status_code
        == 404
    )
    own = client_api.patch(f"/api/v1/feedback/{acme[0].pk}/", {"status": "planned"}, format="json")
    assert own.status_code == 403  # the documented role refusal: clients change nothing through PATCH
    staff_api = api_client(everyone["product_owner"])
    declined = staff_api.patch(f"/api/v1/feedback/{acme[0].pk}/", {"status": "declined"}, format="json")
    assert declined.status_code == 400
    assert "public_message" in declined.json()["error"]["fields"]
    assert "Tell the clients why" in declined.json()["error"]["message"]
    ok = staff_api.patch(
        f"/api/v1/feedback/{acme[0].pk}/", {"status": "declined", "public_message": "Not planned."}, format="json"
    )
    assert ok.status_code == 200 and ok.json()["status"] == "declined"
    contributor = api_client(everyone["contributor"]).patch(
        f"/api/v1/feedback/{acme[1].pk}/", {"status": "planned"}, format="json"
    )
    assert contributor.status_code == 403


def test_comments_hide_internal_notes_from_clients(api_client, everyone):
    acme, _private, _public = make(everyone)
    services.comment_add(feedback=acme[0], author=everyone["product_owner"], body="internal only", is_internal=True)
    services.comment_add(feedback=acme[0], author=everyone["product_owner"], body="hello client")
    client_view = api_client(everyone["member_a"]).get(f"/api/v1/feedback/{acme[0].pk}/comments/").json()
    assert [c["body"] for c in client_view["results"]] == ["hello client"]
    staff_view = api_client(everyone["contributor"]).get(f"/api/v1/feedback/{acme[0].pk}/comments/").json()
    assert len(staff_view["results"]) == 2
    refused = api_client(everyone["member_a"]).post(
        f"/api/v1/feedback/{acme[0].pk}/comments/", {"body": "x", "is_internal": True}, format="json"
    )
    assert refused.status_code == 400
    assert api_client(everyone["member_b"]).get(f"/api/v1/feedback/{acme[0].pk}/comments/").status_code == 404
    posted = api_client(everyone["member_a"]).post(
        f"/api/v1/feedback/{acme[0].pk}/comments/", {"body": "More detail"}, format="json"
    )
    assert posted.status_code == 201


def test_vote_and_unvote(api_client, everyone):
    _acme, globex_private, globex_public = make(everyone)
    api = api_client(everyone["member_a"])
    voted = api.post(f"/api/v1/feedback/{globex_public.pk}/vote/", {"importance": "critical"}, format="json")
    assert voted.status_code == 200 and voted.json()["vote_count"] == 2
    assert (
        api.post(f"/api/v1/feedback/{globex_public.pk}/vote/", {"importance": "huge"}, format="json").status_code == 400
    )
    assert api.post(f"/api/v1/feedback/{globex_private.pk}/vote/", {}, format="json").status_code == 404
    assert api.delete(f"/api/v1/feedback/{globex_public.pk}/vote/").status_code == 204
    assert not Vote.objects.filter(user=everyone["member_a"], feedback=globex_public).exists()


def test_similar_endpoint(api_client, everyone):
    make(everyone)
    api = api_client(everyone["member_a"])
    assert api.get("/api/v1/feedback/similar/?title=ab").status_code == 400
    titles = [r["title"] for r in api.get("/api/v1/feedback/similar/?title=Globex private thing").json()["results"]]
    assert "Globex private thing" not in titles and "Globex public thing" in titles


def test_clients_do_not_learn_which_company_asked_for_a_public_idea(api_client, everyone):
    acme, _private, globex_public = make(everyone)
    api = api_client(everyone["member_a"])
    assert api.get(f"/api/v1/feedback/{globex_public.pk}/").json()["organization"] is None
    assert api.get(f"/api/v1/feedback/{acme[0].pk}/").json()["organization"] == "acme"
    listed = {r["id"]: r["organization"] for r in api.get("/api/v1/feedback/").json()["results"]}
    assert listed[globex_public.pk] is None
    assert (
        api_client(everyone["product_owner"]).get(f"/api/v1/feedback/{globex_public.pk}/").json()["organization"]
        == "globex"
    )
