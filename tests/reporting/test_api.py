"""The reporting API: /api/v1/digests/, /api/v1/reports/summary/ and the company dossier, through HTTP
with real API tokens. Staff only: a client gets 404 for every one of them."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.models import OutboundEmail
from reporting import services
from reporting.digests import digest_build, digest_send
from reporting.models import Digest, DigestSubscription
from tests.factories import feedback_for

SECRET_B = "Globex wants payroll in Klingon 5d2a"
PARTNER = "advisor@partner-consulting.example"
SUMMARY = "/api/v1/reports/summary/"
LIST_QUERIES = 3  # the token (with its user), the token's last use, the page of digests
DETAIL_QUERIES = 4  # the token, its last use, the digest with its subscription, the deliveries


def _assert_error(response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:400])
    error = response.json()["error"]
    assert error["status"] == status and error["message"]
    if field is not None:
        assert field in error["fields"], error
    return error


def _this_week() -> dt.date:
    """Monday of this week: the requests created by the test fall in the digest's period."""
    today = timezone.localdate()
    return today - dt.timedelta(days=today.weekday())


@pytest.fixture
def sales_team(product_owner, contributor, org_a, org_b):
    # org_a and org_b exist first: their email domains are known when the outside address is checked.
    return services.team_save(
        actor=product_owner,
        data={"name": "Sales", "members": [product_owner, contributor], "extra_emails": [PARTNER]},
    )


@pytest.fixture
def sales_weekly(product_owner, sales_team) -> DigestSubscription:
    return services.subscription_save(actor=product_owner, data={"name": "Sales weekly", "team": sales_team})


def _digest(subscription, start: dt.date, *, send: bool = True) -> Digest:
    digest = Digest.objects.create(
        subscription=subscription,
        period_start=start,
        period_end=start + dt.timedelta(days=7),
        due_at=timezone.now(),
        language=subscription.language,
    )
    digest_build(digest_id=digest.pk)
    if send:
        digest_send(digest_id=digest.pk)
    digest.refresh_from_db()
    return digest


@pytest.fixture
def sent_digest(sales_weekly, member_a, member_b):
    feedback_for(author=member_a, title="Acme wants a darker theme")
    feedback_for(author=member_b, title=SECRET_B)
    return _digest(sales_weekly, _this_week())


# Who may read -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["member_a", "admin_a", "member_b", "admin_b"])
def test_a_client_gets_404_for_every_reporting_endpoint(api_client, everyone, org_b, sent_digest, role):
    api = api_client(everyone[role])
    for path, params in (
        ("/api/v1/digests/", {}),
        ("/api/v1/digests/", {"status": "sent"}),
        (f"/api/v1/digests/{sent_digest.pk}/", {}),
        (SUMMARY, {}),
        (SUMMARY, {"organization": org_b.pk}),
        (f"/api/v1/organizations/{org_b.pk}/dossier/", {}),
        (f"/api/v1/organizations/{everyone[role].organization.pk}/dossier/", {}),
    ):
        response = api.get(path, params)
        _assert_error(response, 404)
        assert SECRET_B.encode() not in response.content and b"Sales weekly" not in response.content


def test_signed_out_the_api_asks_to_authenticate(api_client, sent_digest):
    for path in ("/api/v1/digests/", f"/api/v1/digests/{sent_digest.pk}/", SUMMARY):
        assert api_client().get(path).status_code == 401


def test_a_contributor_reads_digests_and_the_summary(api_client, contributor, sent_digest):
    api = api_client(contributor)
    assert api.get("/api/v1/digests/").json()["results"][0]["id"] == sent_digest.pk
    assert api.get(f"/api/v1/digests/{sent_digest.pk}/").status_code == 200
    assert api.get(SUMMARY).status_code == 200


# Digests ----------------------------------------------------------------------------------------


def test_the_digest_list_shows_each_digest_with_its_recipient_count(api_client, product_owner, sent_digest):
    pending = _digest(sent_digest.subscription, _this_week() - dt.timedelta(days=7), send=False)
    results = api_client(product_owner).get("/api/v1/digests/").json()["results"]
    assert [(d["id"], d["status"], d["recipient_count"]) for d in results] == [
        (pending.pk, "built", 0),
        (sent_digest.pk, "sent", 3),
    ]
    assert results[1]["subscription"] == {"id": sent_digest.subscription.pk, "name": "Sales weekly"}
    assert results[1]["subject"] == sent_digest.subject and results[1]["period_start"] == _this_week().isoformat()
    assert "text_body" not in results[1] and "figures" not in results[1]  # the detail's


def test_the_digest_list_filters(api_client, product_owner, sent_digest):
    older = _digest(sent_digest.subscription, _this_week() - dt.timedelta(days=14), send=False)
    other = services.subscription_save(
        actor=product_owner, data={"name": "Mine", "user": product_owner, "frequency": "daily"}
    )
    mine = _digest(other, _this_week())
    api = api_client(product_owner)

    def ids(**params):
        response = api.get("/api/v1/digests/", params)
        assert response.status_code == 200, response.content[:300]
        return [d["id"] for d in response.json()["results"]]

    assert ids() == [mine.pk, older.pk, sent_digest.pk]
    assert ids(subscription=other.pk) == [mine.pk]
    assert ids(status="built") == [older.pk]
    assert ids(status=["built", "sent"]) == [mine.pk, older.pk, sent_digest.pk]
    assert ids(period_to=(_this_week() - dt.timedelta(days=1)).isoformat()) == [older.pk]
    assert ids(period_from=_this_week().isoformat()) == [mine.pk, sent_digest.pk]
    assert ids(subscription=other.pk + 1000) == []
    _assert_error(api.get("/api/v1/digests/", {"status": "lost"}), 400, "status")
    _assert_error(api.get("/api/v1/digests/", {"period_from": "2024-02-30"}), 400, "period_from")
    _assert_error(api.get("/api/v1/digests/", {"subscriptoin": other.pk}), 400, "subscriptoin")


def test_the_digest_list_pages_with_a_cursor(api_client, product_owner, sales_weekly):
    made = [_digest(sales_weekly, _this_week() - dt.timedelta(days=7 * i), send=False) for i in range(3)]
    api = api_client(product_owner)
    first = api.get("/api/v1/digests/", {"page_size": 2}).json()
    second = api.get(first["next"]).json()
    assert [d["id"] for d in first["results"] + second["results"]] == [d.pk for d in reversed(made)]
    assert second["next"] is None


def test_the_digest_list_query_count_does_not_grow_with_the_page(api_client, product_owner, sent_digest):
    for weeks in range(1, 6):
        _digest(sent_digest.subscription, _this_week() - dt.timedelta(days=7 * weeks))
    api = api_client(product_owner)
    api.get("/api/v1/digests/")  # the token's first use writes its last-used time
    with CaptureQueriesContext(connection) as few:
        assert len(api.get("/api/v1/digests/?page_size=1").json()["results"]) == 1
    with CaptureQueriesContext(connection) as many:
        assert len(api.get("/api/v1/digests/?page_size=6").json()["results"]) == 6
    assert len(few) == len(many) == LIST_QUERIES, [q["sql"][:120] for q in many.captured_queries]


def test_the_digest_detail_says_what_was_told_to_whom(api_client, product_owner, contributor, sent_digest):
    OutboundEmail.objects.filter(to_email=PARTNER).update(status=OutboundEmail.Status.SENT, sent_at=timezone.now())
    body = api_client(product_owner).get(f"/api/v1/digests/{sent_digest.pk}/").json()
    assert body["subject"] == sent_digest.subject and body["status"] == "sent" and body["error"] == ""
    assert SECRET_B in body["text_body"]
    assert "unsubscribe-placeholder" not in body["text_body"]  # the personal link is neutralized
    assert body["figures"]["incoming"]["total"]["current"] == 2
    recipients = {r["email"]: r for r in body["recipients"]}
    assert set(recipients) == {PARTNER, product_owner.email, contributor.email}
    assert recipients[PARTNER]["user"] is None and recipients[PARTNER]["status"] == "sent"
    assert recipients[PARTNER]["sent_at"] is not None
    assert recipients[contributor.email] == {
        "email": contributor.email,
        "user": {"id": contributor.pk, "name": contributor.name},
        "status": "pending",
        "sent_at": None,
    }
    assert body["recipient_count"] == 3


def test_a_failed_digest_shows_its_error_and_no_recipient(api_client, product_owner, sales_weekly):
    failed = Digest.objects.create(
        subscription=sales_weekly,
        period_start=_this_week(),
        period_end=_this_week() + dt.timedelta(days=7),
        due_at=timezone.now(),
        status=Digest.Status.FAILED,
        error="RuntimeError: boom",
    )
    body = api_client(product_owner).get(f"/api/v1/digests/{failed.pk}/").json()
    assert (body["status"], body["error"], body["recipients"], body["text_body"]) == (
        "failed",
        "RuntimeError: boom",
        [],
        "",
    )


def test_the_digest_detail_query_count_does_not_grow_with_the_recipients(
    api_client, product_owner, sales_team, sales_weekly, sent_digest
):
    from tests.factories import StaffFactory

    api = api_client(product_owner)
    url = f"/api/v1/digests/{sent_digest.pk}/"
    api.get(url)
    with CaptureQueriesContext(connection) as few:
        assert len(api.get(url).json()["recipients"]) == 3
    sales_team.members.add(*(StaffFactory(email=f"seller{i}@retour.test") for i in range(4)))
    bigger = _digest(sales_weekly, _this_week() - dt.timedelta(days=7))
    with CaptureQueriesContext(connection) as many:
        assert len(api.get(f"/api/v1/digests/{bigger.pk}/").json()["recipients"]) == 7
    assert len(few) == len(many) == DETAIL_QUERIES, [q["sql"][:120] for q in many.captured_queries]


def test_an_unknown_digest_is_a_404_for_staff_too(api_client, product_owner):
    _assert_error(api_client(product_owner).get("/api/v1/digests/999999/"), 404)


# The summary ------------------------------------------------------------------------------------


@pytest.fixture
def requests_this_week(member_a, admin_a, member_b):
    """Acme asks three times, Globex once (uneven: a leak between them shows as a wrong count)."""
    for i in range(3):
        feedback_for(author=member_a if i else admin_a, title=f"Acme request {i}")
    feedback_for(author=member_b, title=SECRET_B)


def test_the_summary_equals_the_dashboard_for_the_same_query(
    api_client, login, product_owner, org_b, requests_this_week
):
    today = timezone.localdate()
    start, end = (today - dt.timedelta(days=20)).isoformat(), (today + dt.timedelta(days=1)).isoformat()
    api, page = api_client(product_owner), login(product_owner)
    for api_query, page_query in (
        ({"from": start, "to": end}, {"from": start, "to": end}),
        (
            {"from": start, "to": end, "organization": org_b.pk, "section": ["incoming", "rising"]},
            {"from": start, "to": end, "organizations": str(org_b.pk), "sections": ["incoming", "rising"]},
        ),
        ({}, {}),
    ):
        response = api.get(SUMMARY, api_query)
        assert response.status_code == 200, response.content[:400]
        body = response.json()
        dates = body.pop("dates")
        shown = page.get(reverse("reporting:index"), page_query)
        assert shown.status_code == 200
        assert body == _json(shown.context["figures"])
        assert dates["granularity"] == ("day" if api_query else "week")


def _json(value):
    import json

    from rest_framework.utils.encoders import JSONEncoder

    return json.loads(json.dumps(value, cls=JSONEncoder))


def test_the_summary_counts_by_hand(api_client, product_owner, org_a, org_b, requests_this_week):
    today = timezone.localdate()
    window = {"from": (today - dt.timedelta(days=6)).isoformat(), "to": (today + dt.timedelta(days=1)).isoformat()}
    api = api_client(product_owner)
    everything = api.get(SUMMARY, window).json()
    assert everything["incoming"]["total"] == {"current": 4, "previous": 0, "delta": 4}
    assert everything["dates"] == {"start": window["from"], "end": window["to"], "granularity": "day"}
    assert len(everything["incoming"]["trend"]) == 7 and sum(b["count"] for b in everything["incoming"]["trend"]) == 4
    globex = api.get(SUMMARY, {**window, "organization": org_b.pk, "section": "incoming"}).json()
    assert globex["incoming"]["total"]["current"] == 1 and globex["sections"] == ["incoming"]
    assert "rising" not in globex and globex["scope"]["organizations"] == [org_b.pk]
    both = api.get(f"{SUMMARY}?from={window['from']}&to={window['to']}&organization={org_a.pk}&organization={org_b.pk}")
    assert both.json()["incoming"]["total"]["current"] == 4


@pytest.mark.parametrize(
    ("days", "granularity", "buckets"), [(31, "day", 31), (32, "week", 5), (26 * 7, "week", 26), (365, "month", 12)]
)
def test_the_summary_trend_is_daily_weekly_or_monthly(api_client, product_owner, days, granularity, buckets):
    start = dt.date(2025, 1, 1)
    body = api_client(product_owner).get(
        SUMMARY, {"from": start.isoformat(), "to": (start + dt.timedelta(days=days)).isoformat()}
    )
    assert body.status_code == 200, body.content[:300]
    assert body.json()["dates"]["granularity"] == granularity
    assert len(body.json()["incoming"]["trend"]) == buckets


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2025-02-30", "to": "2025-03-10"}, "from"),
        ({"from": "2025-03-10", "to": "2025-03-01"}, "non_field_errors"),
        ({"from": "2022-01-01", "to": "2025-01-01"}, "non_field_errors"),
        ({"product_area": "999999"}, "product_area"),
        ({"club": "999999"}, "club"),
        ({"organization": "999999"}, "organization"),
        ({"segment": "galactic"}, "segment"),
        ({"scope": "all"}, "scope"),
        ({"areas": "1"}, "areas"),
    ],
)
def test_the_summary_refuses_what_it_cannot_use(api_client, product_owner, params, field):
    _assert_error(api_client(product_owner).get(SUMMARY, params), 400, field)


# The company dossier ----------------------------------------------------------------------------


DOSSIER_QUERIES = 16  # the token, its last use, the organization, the dossier's 13


def test_the_dossier_endpoint_says_what_the_page_says(
    api_client, product_owner, contributor, member_a, org_a, org_b, member_b, admin_b
):
    from reporting.dossier import dossier_for

    for author in (member_b, admin_b):
        feedback_for(author=author, title=SECRET_B)
    for i in range(3):
        feedback_for(author=member_a, title=f"Acme request {i}")
    api = api_client(contributor)
    url = f"/api/v1/organizations/{org_b.pk}/dossier/"
    response = api.get(url)
    assert response.status_code == 200, response.content[:400]
    body = response.json()
    assert body["organization"] == {
        "id": org_b.pk,
        "name": "Globex",
        "slug": "globex",
        "email_domains": org_b.email_domains,
    }
    assert body == _json(dossier_for(org_b))
    assert body["contacts"]["total"] == 2  # Globex's two people, none of Acme's
    assert {p["email"] for p in body["contacts"]["people"]} == {member_b.email, admin_b.email}
    assert body["revenue"]["annual_contract_value"] == 45000
    with CaptureQueriesContext(connection) as queries:
        assert api.get(url).status_code == 200
    assert len(queries) == DOSSIER_QUERIES, [q["sql"][:120] for q in queries.captured_queries]
    _assert_error(api_client(product_owner).get("/api/v1/organizations/999999/dossier/"), 404)


# The fan-out: what the other company received ---------------------------------------------------


def test_a_digest_reaches_no_client_even_if_the_team_names_one(
    api_client, product_owner, contributor, member_a, admin_a, member_b, admin_b, org_a, org_b
):
    """A team's outside addresses that now belong to a client company (its domain registered after the
    address was added) and a member who is now a client user: building and sending the digest skips
    both, and afterwards no client — Acme's or Globex's users, any address at a client domain — has an
    outbox row, while the staff member and the partner do."""
    from django.core.exceptions import ValidationError

    from accounts.models import Organization, Team
    from feedback.models import Feedback, Vote
    from reporting.policy import client_domains

    secret = feedback_for(author=member_b, title=SECRET_B)
    two_days_ago = timezone.now() - dt.timedelta(days=2)  # inside the period that ends today
    Feedback.objects.filter(pk=secret.pk).update(created_at=two_days_ago)
    Vote.objects.filter(feedback=secret).update(created_at=two_days_ago)
    with pytest.raises(ValidationError, match="client"):
        services.team_save(actor=product_owner, data={"name": "Leaky", "extra_emails": ["boss@globex.example"]})
    team = Team.objects.create(name="Sales", extra_emails=[PARTNER, "cfo@initech.example", member_b.email])
    team.members.set([contributor, member_a])  # member_a is Acme's: never a digest reader
    subscription = DigestSubscription.objects.create(name="Sales weekly", team=team, created_by=product_owner)
    Organization.objects.create(name="Initech", slug="initech", email_domains=["initech.example"])

    digest = services.digest_send_now(actor=product_owner, subscription=subscription)
    digest_build(digest_id=digest.pk)
    assert digest_send(digest_id=digest.pk) == 2
    digest.refresh_from_db()
    assert digest.status == Digest.Status.SENT and SECRET_B in digest.text_body

    clients = {u.email.lower() for u in (member_a, admin_a, member_b, admin_b)}
    domains = client_domains()
    received = sorted(OutboundEmail.objects.values_list("to_email", flat=True))
    assert received == sorted([PARTNER, contributor.email])
    leaked = [e for e in received if e.lower() in clients or e.lower().rpartition("@")[2] in domains]
    assert not leaked
    assert sorted(digest.deliveries.values_list("email", flat=True)) == sorted([PARTNER, contributor.email])
    # And the API's record of the fan-out says the same.
    recipients = api_client(product_owner).get(f"/api/v1/digests/{digest.pk}/").json()["recipients"]
    assert {r["email"] for r in recipients} == {PARTNER, contributor.email}


# Subscriptions ----------------------------------------------------------------------------------

SUBSCRIPTIONS = "/api/v1/digest-subscriptions/"


def test_a_product_owner_subscribes_a_team_and_changes_it(api_client, product_owner, sales_team, org_b):
    api = api_client(product_owner)
    response = api.post(
        SUBSCRIPTIONS,
        {
            "name": "Globex watch",
            "team": sales_team.pk,
            "language": "fr",
            "frequency": "monthly",
            "day_of_month": 3,
            "hour": 7,
            "minute": 30,
            "timezone": "America/Montreal",
            "organizations": [org_b.pk],
            "segments": ["enterprise"],
            "sections": ["rising", "incoming"],
        },
        format="json",
    )
    assert response.status_code == 201, response.content[:400]
    body = response.json()
    subscription = DigestSubscription.objects.get(pk=body["id"])
    assert body["team"] == {"id": sales_team.pk, "name": "Sales"} and body["user"] is None
    assert body["organizations"] == [org_b.pk] and body["sections"] == ["incoming", "rising"]
    assert (subscription.frequency, subscription.day_of_month, subscription.timezone) == (
        "monthly",
        3,
        "America/Montreal",
    )
    assert subscription.created_by == product_owner

    # From the team to one person: the new recipient and null for the other.
    response = api.patch(
        f"{SUBSCRIPTIONS}{subscription.pk}/",
        {"team": None, "user": product_owner.pk, "organizations": []},
        format="json",
    )
    assert response.status_code == 200, response.content[:400]
    assert response.json()["user"]["id"] == product_owner.pk and response.json()["organizations"] == []
    assert [s["id"] for s in api.get(SUBSCRIPTIONS, {"user": product_owner.pk}).json()["results"]] == [subscription.pk]

    assert api.delete(f"{SUBSCRIPTIONS}{subscription.pk}/").status_code == 204
    assert not DigestSubscription.objects.filter(pk=subscription.pk).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "team": "TEAM", "importnce": "high"}, "importnce"),
        ({"name": "x", "team": "TEAM", "user": "STAFF"}, "team"),
        ({"name": "x"}, "team"),
        ({"name": "x", "user": "CLIENT"}, "user"),
        ({"name": "x", "team": 999999}, "team"),
        ({"name": "x", "team": "TEAM", "organizations": [999999]}, "organizations"),
        ({"name": "x", "team": "TEAM", "timezone": "Mars/Olympus"}, "timezone"),
        ({"name": "x", "team": "TEAM", "hour": 24}, "hour"),
        ({"name": "x", "team": "TEAM", "sections": []}, "sections"),
        ({"name": "x", "team": "TEAM", "sections": ["gossip"]}, "sections"),
        ({"name": "x", "team": "TEAM", "waiting_days": 99999999999999999999}, "waiting_days"),
        ({"name": "x", "team": "LEAKY"}, "team"),
    ],
    ids=[
        "unknown-field",
        "team-and-user",
        "neither",
        "client-user",
        "unknown-team",
        "unknown-organization",
        "time-zone",
        "hour",
        "no-section",
        "unknown-section",
        "huge-number",
        "team-with-a-client-address",
    ],
)
def test_a_subscription_the_service_would_refuse_is_a_400_and_writes_nothing(
    api_client, product_owner, sales_team, member_a, org_b, body, field
):
    from accounts.models import Team

    leaky = Team.objects.create(name="Leaky", extra_emails=["boss@globex.example"])  # written before the check
    ids = {"TEAM": sales_team.pk, "STAFF": product_owner.pk, "CLIENT": member_a.pk, "LEAKY": leaky.pk}
    body = {k: ids.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    before = DigestSubscription.objects.count()
    _assert_error(api_client(product_owner).post(SUBSCRIPTIONS, body, format="json"), 400, field)
    assert DigestSubscription.objects.count() == before


def test_a_contributor_reads_subscriptions_and_may_not_change_them(api_client, contributor, sales_weekly, sales_team):
    api = api_client(contributor)
    assert [s["id"] for s in api.get(SUBSCRIPTIONS).json()["results"]] == [sales_weekly.pk]
    assert api.get(f"{SUBSCRIPTIONS}{sales_weekly.pk}/").json()["name"] == "Sales weekly"
    _assert_error(api.post(SUBSCRIPTIONS, {"name": "Mine", "team": sales_team.pk}, format="json"), 403)
    _assert_error(api.patch(f"{SUBSCRIPTIONS}{sales_weekly.pk}/", {"is_active": False}, format="json"), 403)
    _assert_error(api.delete(f"{SUBSCRIPTIONS}{sales_weekly.pk}/"), 403)
    sales_weekly.refresh_from_db()
    assert sales_weekly.is_active and DigestSubscription.objects.count() == 1


@pytest.mark.parametrize("role", ["member_a", "admin_b"])
def test_a_client_gets_404_for_subscriptions(api_client, everyone, sales_weekly, sales_team, role):
    api = api_client(everyone[role])
    detail = f"{SUBSCRIPTIONS}{sales_weekly.pk}/"
    for response in (
        api.get(SUBSCRIPTIONS),
        api.get(detail),
        api.post(SUBSCRIPTIONS, {"name": "Mine", "team": sales_team.pk}, format="json"),
        api.patch(detail, {"is_active": False}, format="json"),
        api.delete(detail),
    ):
        _assert_error(response, 404)
    sales_weekly.refresh_from_db()
    assert sales_weekly.is_active
