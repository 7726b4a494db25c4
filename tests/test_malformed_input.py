"""Malformed input gets a clear 4xx — 400 with `{"error": {...}}` on the API, a form error or a 400
on pages — never a 500, and nothing is written.

The API's write operations are read from the OpenAPI schema, so a new endpoint is covered here
without being listed."""

import base64
import re
from urllib.parse import quote, urlencode

import pytest
from django.urls import reverse

from accounts.models import ApiToken, Invitation, Membership
from core.models import OutboundEmail
from feedback.models import Comment, Feedback, FeedbackEvent, ProductArea, SavedView, Tag, Vote
from tests.factories import feedback_for
from tests.test_route_matrix import schema_operations

WATCHED = (Feedback, Vote, Comment, FeedbackEvent, SavedView, Membership, Invitation, ApiToken, OutboundEmail)

NON_OBJECT_BODIES = {"null": "null", "number": "42", "true": "true", "list": "[]", "list_of_object": '[{"a": 1}]'}
NON_OBJECT_BODIES["string"] = '"Export the dashboard"'


def _rows() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in WATCHED}


def _assert_api_error(response, status: int = 400) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:300])
    error = response.json()["error"]
    assert error["status"] == status and error["message"]
    return error


@pytest.fixture
def world(everyone, org_a, org_b):
    feedback = feedback_for(author=everyone["member_a"], title="Acme wants dark mode")
    feedback_for(author=everyone["member_b"], title="Globex private wish")
    area = ProductArea.objects.create(name="Reporting", slug="reporting")
    tag = Tag.objects.create(name="ux")
    return {**everyone, "feedback": feedback, "area": area, "tag": tag}


def _write_operations():
    for path, method, _name in schema_operations():
        if method in ("POST", "PATCH", "PUT"):
            yield path, method


WRITE_OPERATIONS = list(_write_operations())


def _url(path: str, world) -> str:
    """Every id of the path (`{pk}`, `{topic_id}` ...) is a real row's: the body is refused before any lookup."""
    return re.sub(r"\{[a-z_]+\}", str(world["feedback"].pk), path)


# --- JSON bodies --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["member_a", "product_owner"])
@pytest.mark.parametrize("body", list(NON_OBJECT_BODIES.values()), ids=list(NON_OBJECT_BODIES))
@pytest.mark.parametrize(("path", "method"), WRITE_OPERATIONS, ids=[f"{m} {p}" for p, m in WRITE_OPERATIONS])
def test_a_json_body_that_is_not_an_object_is_refused(api_client, world, path, method, body, role):
    assert len(WRITE_OPERATIONS) >= 4
    http = api_client(world[role])
    before = _rows()
    response = getattr(http, method.lower())(_url(path, world), data=body, content_type="application/json")
    # A role refused the method outright (a client's PATCH) may hear so before its body is read.
    error = _assert_api_error(response, status=403 if response.status_code == 403 else 400)
    assert error["code"] == ("parse_error" if response.status_code == 400 else "permission_denied")
    assert _rows() == before


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("[" * 50_000 + "]" * 50_000, id="array-50000-deep"),
        pytest.param('{"a":' * 50_000 + "1" + "}" * 50_000, id="object-50000-deep"),
        pytest.param('{"title": ' + '{"a": ' * 40 + "1" + "}" * 40 + "}", id="object-40-deep"),
        pytest.param('{"title": "x", "description": ' + "[" * 33 + "]" * 33 + "}", id="array-34-deep"),
    ],
)
@pytest.mark.parametrize(("path", "method"), WRITE_OPERATIONS, ids=[f"{m} {p}" for p, m in WRITE_OPERATIONS])
def test_deeply_nested_json_is_refused(api_client, world, path, method, body):
    http = api_client(world["product_owner"])
    before = _rows()
    response = getattr(http, method.lower())(_url(path, world), data=body, content_type="application/json")
    _assert_api_error(response)
    assert _rows() == before


def test_json_nesting_within_the_limit_reaches_the_view(api_client, world):
    body = '{"title": "A title of a request", "description": ' + "[" * 20 + "]" * 20 + "}"
    response = api_client(world["member_a"]).post("/api/v1/feedback/", data=body, content_type="application/json")
    error = _assert_api_error(response)
    assert error["code"] == "invalid" and "description" in error["fields"]  # the serializer's answer, not the parser's


@pytest.mark.parametrize(
    "body",
    [
        pytest.param('{"title": "Export\\u0000 the dashboard"}', id="escaped-in-value"),
        pytest.param('{"title": "Export the dashboard", "descr\\u0000iption": "x"}', id="escaped-in-key"),
        pytest.param('{"title": "Export the dashboard", "product_area": "repo\\u0000rting"}', id="in-area-slug"),
    ],
)
def test_nul_in_a_json_string_is_refused(api_client, world, body):
    http = api_client(world["member_a"])
    before = _rows()
    response = http.post("/api/v1/feedback/", data=body, content_type="application/json")
    error = _assert_api_error(response)
    assert "NUL" in error["message"]
    assert _rows() == before


@pytest.mark.parametrize(
    "data",
    [{"product_area": "repo\x00rting"}, {"tags": ["u\x00x"]}, {"public_message": "\x00", "status": "planned"}],
    ids=["area-slug", "tag", "message"],
)
def test_nul_in_a_staff_patch_is_refused(api_client, world, data):
    http = api_client(world["product_owner"])
    before = _rows()
    response = http.patch(f"/api/v1/feedback/{world['feedback'].pk}/", data, format="json")
    _assert_api_error(response)
    assert _rows() == before
    world["feedback"].refresh_from_db()
    assert world["feedback"].product_area is None and world["feedback"].status == Feedback.Status.NEW


def test_invalid_json_is_refused(api_client, world):
    response = api_client(world["member_a"]).post(
        "/api/v1/feedback/", data='{"title": "x",', content_type="application/json"
    )
    assert _assert_api_error(response)["code"] == "parse_error"


# --- NUL in query and form parameters ----------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "path", "params"),
    [
        ("member_a", "/api/v1/feedback/similar/", {"title": "Export\x00 the dashboard"}),
        ("member_a", "/api/v1/feedback/", {"search": "dash\x00board"}),
        ("product_owner", "/api/v1/feedback/", {"status": "new\x00"}),
        ("member_a", "/api/v1/feedback/", {"cursor": "\x00"}),
        ("member_a", "/api/v1/organizations/", {"page\x00": "1"}),
    ],
    ids=["similar-title", "search", "status", "cursor", "in-a-name"],
)
def test_nul_in_an_api_query_parameter_is_a_400(api_client, world, role, path, params):
    response = api_client(world[role]).get(f"{path}?{urlencode(params)}")
    error = _assert_api_error(response)
    assert "NUL" in error["message"]


PAGE_FILTERS = [
    ("member_a", "feedback:portal_home", "product_area"),
    ("member_a", "feedback:portal_home", "q"),
    ("member_a", "feedback:portal_home", "status"),
    ("member_a", "feedback:portal_home", "page"),
    ("member_a", "feedback:portal_similar", "title"),
    ("product_owner", "feedback:triage_inbox", "product_area"),
    ("product_owner", "feedback:triage_inbox", "organization"),
    ("product_owner", "feedback:triage_inbox", "tag"),
    ("product_owner", "feedback:triage_inbox", "q"),
    ("product_owner", "feedback:triage_inbox", "assignee"),
    ("product_owner", "feedback:triage_counts", "organization"),
    ("product_owner", "feedback:triage_counts", "product_area"),
    ("product_owner", "core:email_list", "q"),
]


@pytest.mark.parametrize("value", ["\x00", "reporting\x00", "1\x00"], ids=["nul", "slug-nul", "id-nul"])
@pytest.mark.parametrize(("role", "route", "param"), PAGE_FILTERS, ids=[f"{r}?{p}" for _, r, p in PAGE_FILTERS])
def test_nul_in_a_page_filter_is_a_400(login, world, role, route, param, value):
    response = login(world[role]).get(f"{reverse(route)}?{param}={quote(value)}")
    assert response.status_code == 400
    assert b"NUL" in response.content


def test_nul_in_the_portal_submission_form_writes_nothing(login, world):
    before = _rows()
    response = login(world["member_a"]).post(
        reverse("feedback:portal_submit"),
        {"title": "Export\x00 the dashboard", "description": "x", "kind": "idea", "importance": "important"},
    )
    assert response.status_code == 400
    assert _rows() == before


def test_nul_in_a_triage_form_writes_nothing(login, world):
    before = _rows()
    response = login(world["product_owner"]).post(
        reverse("feedback:triage_detail", kwargs={"pk": world["feedback"].pk}),
        {"action": "comment", "body": "Internal\x00 note", "is_internal": "on"},
    )
    assert response.status_code == 400
    assert _rows() == before


# --- pagination ---------------------------------------------------------------------------------


def _cursor(raw: str) -> str:
    return base64.b64encode(raw.encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    ["abc", _cursor("p=abc"), _cursor("p=1.5"), _cursor("p=1e309"), _cursor("p=-"), _cursor("r=x")],
    ids=["garbage", "p-abc", "p-1.5", "p-1e309", "p-dash", "reverse-x"],
)
@pytest.mark.parametrize("role", ["member_a", "product_owner"])
def test_a_malformed_cursor_is_a_clear_4xx(api_client, world, cursor, role):
    response = api_client(world[role]).get("/api/v1/feedback/", {"cursor": cursor})
    assert 400 <= response.status_code < 500, response.content[:300]
    assert response.json()["error"]["message"]


@pytest.mark.parametrize(
    "cursor", [_cursor("o=999999999999999999999"), _cursor("p=999999999999999999999")], ids=["offset", "position"]
)
def test_a_huge_number_in_a_cursor_is_not_a_500(api_client, world, cursor):
    response = api_client(world["member_a"]).get("/api/v1/feedback/", {"cursor": cursor})
    assert response.status_code in (200, 404), response.content[:300]


@pytest.mark.parametrize("value", ["abc", "1.5", "1e309"])
def test_a_stray_p_parameter_never_breaks_the_list(api_client, world, value):
    response = api_client(world["member_a"]).get("/api/v1/feedback/", {"p": value})
    assert response.status_code in (200, 400), response.content[:300]


BAD_PAGES = ["abc", "0", "-1", "1.5", "1e309", "999999999999999999999", "9" * 5000]


@pytest.mark.parametrize("page", BAD_PAGES)
@pytest.mark.parametrize(
    "path", ["/api/v1/organizations/", "/api/v1/feedback/{id}/comments/"], ids=["organizations", "comments"]
)
def test_a_bad_page_number_on_the_api_is_a_404(api_client, world, path, page):
    response = api_client(world["member_a"]).get(_url(path, world), {"page": page})
    _assert_api_error(response, status=404)


@pytest.mark.parametrize("page", ["2", *BAD_PAGES])
@pytest.mark.parametrize(
    ("role", "route"),
    [
        ("member_a", "feedback:portal_home"),
        ("member_a", "feedback:portal_activity"),
        ("product_owner", "feedback:triage_inbox"),
        ("product_owner", "core:email_list"),
    ],
)
def test_a_bad_page_number_on_a_page_shows_a_real_page(login, world, role, route, page):
    response = login(world[role]).get(reverse(route), {"page": page})
    assert response.status_code == 200
    assert response.context["page"].number >= 1


def test_light_page_clamps_what_it_cannot_use():
    from core.pagination import light_page

    rows = list(range(120))
    assert light_page(rows, page="abc", per_page=50).number == 1
    assert light_page(rows, page="1e309", per_page=50).number == 1
    assert light_page(rows, page="9" * 5000, per_page=50).number == 1
    last = light_page(rows, page="999999999999999999999", per_page=50, max_page=3)
    assert last.number == 3 and last.object_list == rows[100:] and not last.has_next


# --- numbers out of range -----------------------------------------------------------------------


@pytest.mark.parametrize("route", ["feedback:triage_inbox", "feedback:triage_counts"])
@pytest.mark.parametrize("days", ["999999999", "99999999999999999999", "-5", "abc"])
def test_waiting_days_out_of_range_is_a_form_error(login, world, route, days):
    response = login(world["product_owner"]).get(reverse(route), {"waiting_days": days})
    assert response.status_code in (200, 400)
    if route == "feedback:triage_inbox" and response.status_code == 200:
        assert "waiting_days" in response.context["form"].errors


HUGE = "99999999999999999999"


@pytest.mark.parametrize("param", ["organization", "product_area", "assignee", "tag"])
def test_a_huge_id_in_an_api_filter_is_not_a_500(api_client, world, param):
    response = api_client(world["product_owner"]).get("/api/v1/feedback/", {param: HUGE})
    assert response.status_code in (200, 400), response.content[:300]
    if response.status_code == 200:
        assert response.json()["results"] == []


@pytest.mark.parametrize(
    ("role", "route", "param"),
    [
        ("member_a", "feedback:portal_home", "product_area"),
        ("product_owner", "feedback:triage_inbox", "product_area"),
        ("product_owner", "feedback:triage_inbox", "organization"),
        ("product_owner", "feedback:triage_inbox", "tag"),
        ("product_owner", "feedback:triage_inbox", "assignee"),
        ("product_owner", "feedback:triage_counts", "tag"),
    ],
)
def test_a_huge_id_in_a_page_filter_is_not_a_500(login, world, role, route, param):
    response = login(world[role]).get(reverse(route), {param: HUGE})
    assert response.status_code in (200, 400)


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/feedback/{HUGE}/",
        f"/api/v1/feedback/{HUGE}/comments/",
        f"/api/v1/organizations/{HUGE}/",
    ],
)
def test_a_huge_id_in_an_api_path_is_a_404(api_client, world, path):
    _assert_api_error(api_client(world["member_a"]).get(path), status=404)


@pytest.mark.parametrize(
    "route", ["feedback:portal_detail", "feedback:triage_detail", "feedback:attachment", "core:email_detail"]
)
def test_a_huge_id_in_a_page_path_is_a_404(login, world, route):
    role = "member_a" if route.startswith("feedback:portal") or route == "feedback:attachment" else "product_owner"
    response = login(world[role]).get(reverse(route, kwargs={"pk": int(HUGE)}))
    assert response.status_code == 404


@pytest.mark.parametrize("position", ["abc", "1.5", "1e309", "-", "99999999999999999999999"])
def test_the_strict_cursor_pagination_refuses_a_position_that_is_not_an_id(rf, world, position):
    """core.api.StrictCursorPagination: what an API list should paginate with."""
    from rest_framework.exceptions import NotFound
    from rest_framework.request import Request

    from core.api import StrictCursorPagination

    paginator = StrictCursorPagination()
    paginator.ordering = "-id"
    request = Request(rf.get("/api/v1/feedback/", {"cursor": _cursor(f"p={position}")}))
    if position.isdigit():
        assert paginator.paginate_queryset(Feedback.objects.all(), request) == list(Feedback.objects.order_by("-id"))
    else:
        with pytest.raises(NotFound):
            paginator.paginate_queryset(Feedback.objects.all(), request)


# --- clubs: huge numbers, points that are not whole numbers, bad cursors ---------------------------


@pytest.fixture
def club_world(world):
    from datetime import timedelta

    from django.utils import timezone

    from clubs import services as club_services

    po, member_a = world["product_owner"], world["member_a"]
    club = club_services.club_create(actor=po, name="Finance club")
    club_services.member_add(club=club, actor=po, user=member_a)
    start = timezone.now() + timedelta(days=3)
    meeting = club_services.meeting_create(
        club=club, actor=po, title="Spring", starts_at=start, ends_at=start + timedelta(hours=1)
    )
    topics = [club_services.agenda_add(meeting=meeting, actor=po, title=f"Topic {i}") for i in range(2)]
    vote = club_services.vote_create(meeting=meeting, actor=po, title="Priorities", budget=5, topics=topics)
    club_services.vote_open(vote=vote, actor=po)
    club_services.attendance_set(meeting=meeting, actor=po, user=member_a, attended=True)
    return {**world, "club": club, "meeting": meeting, "topics": topics, "vote": vote}


def _club_rows() -> dict[str, int]:
    from clubs.models import ActionItem, AgendaItem, Ballot, BallotPoints, ClubMembership, Meeting, MeetingVote

    return {
        m.__name__: m.objects.count()
        for m in (ActionItem, AgendaItem, Ballot, BallotPoints, ClubMembership, Meeting, MeetingVote)
    }


@pytest.mark.parametrize(
    "points",
    [
        '{"TOPIC": "3"}',
        '{"TOPIC": [3]}',
        '{"TOPIC": -1}',
        '{"TOPIC": 2.5}',
        '{"TOPIC": true}',
        '{"TOPIC": 1e309}',
        '{"TOPIC": 99999999999999999999}',
        '{"abc": 1}',
        '{"99999999999999999999": 1}',
        '{"TOPIC": null}',
        '"TOPIC"',
        "[1, 2]",
        "null",
        "1e309",
    ],
)
def test_a_ballot_with_points_that_are_not_whole_numbers_is_a_400(api_client, club_world, points):
    topic = club_world["topics"][0].pk
    body = '{"points": ' + points.replace("TOPIC", str(topic)) + "}"
    before = _club_rows()
    response = api_client(club_world["member_a"]).post(
        f"/api/v1/meetings/{club_world['meeting'].pk}/votes/{club_world['vote'].pk}/ballot/",
        data=body,
        content_type="application/json",
    )
    _assert_api_error(response)
    assert _club_rows() == before


@pytest.mark.parametrize("value", ["1e309", "99999999999999999999", "-1", '"abc"', "[1]", "null"])
@pytest.mark.parametrize(
    ("path", "method", "template"),
    [
        (
            "/api/v1/meetings/",
            "post",
            '{"club": V, "title": "A meeting", "starts_at": "2030-01-01T10:00:00Z", "ends_at": "2030-01-01T11:00:00Z"}',
        ),
        ("/api/v1/clubs/{club}/members/", "post", '{"user": V}'),
        ("/api/v1/clubs/{club}/action-items/", "post", '{"title": "Call back", "owner": V}'),
        ("/api/v1/meetings/{meeting}/attendance/", "post", '{"user": V, "attended": true}'),
        ("/api/v1/meetings/{meeting}/agenda/", "post", '{"title": "A topic", "feedback": V}'),
        ("/api/v1/meetings/{meeting}/agenda/", "post", '{"title": "A topic", "minutes_allotted": V}'),
        ("/api/v1/meetings/{meeting}/votes/", "post", '{"title": "Q", "budget": V, "topics": [1, 2]}'),
        ("/api/v1/meetings/{meeting}/votes/", "post", '{"title": "Q", "budget": 5, "topics": [V]}'),
        ("/api/v1/clubs/", "post", '{"name": "A club", "organizers": [V]}'),
    ],
    ids=[
        "meeting-club",
        "member-user",
        "action-owner",
        "attendance-user",
        "topic-feedback",
        "topic-minutes",
        "vote-budget",
        "vote-topics",
        "club-organizers",
    ],
)
def test_a_huge_or_wrong_number_in_a_clubs_body_is_a_400(api_client, club_world, path, method, template, value):
    url = path.format(club=club_world["club"].pk, meeting=club_world["meeting"].pk)
    before = _club_rows()
    response = getattr(api_client(club_world["product_owner"]), method)(
        url, data=template.replace("V", value), content_type="application/json"
    )
    if value == "null" and ('"feedback"' in template or '"owner"' in template):
        assert response.status_code == 201  # no request linked, no owner: allowed
        return
    _assert_api_error(response)
    assert _club_rows() == before


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/clubs/{HUGE}/",
        f"/api/v1/clubs/{HUGE}/members/",
        f"/api/v1/clubs/{HUGE}/action-items/",
        f"/api/v1/meetings/{HUGE}/",
        f"/api/v1/meetings/{HUGE}/minutes/",
        f"/api/v1/meetings/{HUGE}/votes/",
        "/api/v1/meetings/{meeting}/votes/" + HUGE + "/",
        "/api/v1/clubs/{club}/action-items/" + HUGE + "/",
    ],
)
def test_a_huge_id_in_a_clubs_path_is_a_404(api_client, club_world, path):
    url = path.replace("{meeting}", str(club_world["meeting"].pk)).replace("{club}", str(club_world["club"].pk))
    _assert_api_error(api_client(club_world["member_a"]).get(url), status=404)


@pytest.mark.parametrize(
    "cursor",
    ["abc", _cursor("p=abc"), _cursor("p=1e309"), _cursor("p=99999999999999999999999"), _cursor("o=99999999999999999")],
    ids=["garbage", "p-abc", "p-1e309", "p-huge", "offset-huge"],
)
@pytest.mark.parametrize(
    "path", ["/api/v1/clubs/", "/api/v1/meetings/", "/api/v1/meetings/?upcoming=true", "/api/v1/clubs/{club}/members/"]
)
def test_a_malformed_cursor_on_a_clubs_list_is_not_a_500(api_client, club_world, path, cursor):
    url = path.replace("{club}", str(club_world["club"].pk))
    response = api_client(club_world["member_a"]).get(url, {"cursor": cursor})
    assert response.status_code in (200, 404), response.content[:300]
    if response.status_code == 404:
        assert response.json()["error"]["message"]


@pytest.mark.parametrize(
    "params",
    [{"club": HUGE}, {"club": "1e309"}, {"status": "planned\x00"}, {"upcoming": "perhaps"}, {"club": "\x00"}],
    ids=["club-huge", "club-1e309", "status-nul", "upcoming-word", "club-nul"],
)
def test_a_bad_meetings_filter_is_a_clear_answer(api_client, club_world, params):
    response = api_client(club_world["member_a"]).get(f"/api/v1/meetings/?{urlencode(params)}")
    assert response.status_code in (200, 400), response.content[:300]
    if response.status_code == 200:
        assert response.json()["results"] == []
    else:
        assert response.json()["error"]["message"]


# --- reporting: the digests and the summary (GET only: their parameters are the input) ---------


@pytest.fixture
def digest_world(world):
    import datetime as dt

    from django.utils import timezone

    from reporting import services as reporting_services
    from reporting.models import Digest

    po = world["product_owner"]
    team = reporting_services.team_save(actor=po, data={"name": "Sales", "members": [po]})
    subscription = reporting_services.subscription_save(actor=po, data={"name": "Sales weekly", "team": team})
    start = timezone.localdate() - dt.timedelta(days=7)
    digest = Digest.objects.create(
        subscription=subscription, period_start=start, period_end=start + dt.timedelta(days=7), due_at=timezone.now()
    )
    return {**world, "digest": digest}


SUMMARY = "/api/v1/reports/summary/"


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2024-01-01\x00", "to": "2024-02-01"},
        {"product_area": "1\x00"},
        {"segment": "\x00"},
        {"organization": "\x00"},
        {"sec\x00tion": "incoming"},
    ],
    ids=["date", "area", "segment", "organization", "in-a-name"],
)
def test_nul_in_a_summary_parameter_is_a_400(api_client, digest_world, params):
    error = _assert_api_error(api_client(digest_world["product_owner"]).get(f"{SUMMARY}?{urlencode(params)}"))
    assert "NUL" in error["message"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2024-13-01", "to": "2024-14-01"}, "from"),
        ({"from": "abc", "to": "2024-02-01"}, "from"),
        ({"from": "1e309", "to": "2024-02-01"}, "from"),
        ({"from": "99999-01-01", "to": "2024-02-01"}, "from"),
        ({"from": "0001-01-01", "to": "0001-02-01"}, "non_field_errors"),
        ({"from": "2024-02-01", "to": "2024-02-01"}, "non_field_errors"),
        ({"from": "2024-03-01", "to": "2024-02-01"}, "non_field_errors"),
        ({"from": "2020-01-01", "to": "2024-02-01"}, "non_field_errors"),
        ({"product_area": HUGE}, "product_area"),
        ({"organization": HUGE}, "organization"),
        ({"club": HUGE}, "club"),
        ({"organization": "-1"}, "organization"),
        ({"organization": "1.5"}, "organization"),
        ({"organization": ",".join(str(i) for i in range(1, 200))}, "organization"),
        ({"segment": "galactic"}, "segment"),
        ({"section": "gossip"}, "section"),
        ({"waiting_days": "99999999999999999999"}, "waiting_days"),
        ({"organizations": "1"}, "organizations"),
        ({"page": "2"}, "page"),
    ],
    ids=[
        "month-13",
        "word",
        "1e309",
        "year-99999",
        "year-1",
        "empty-period",
        "from-after-to",
        "over-two-years",
        "area-huge",
        "organization-huge",
        "club-huge",
        "organization-negative",
        "organization-decimal",
        "organization-too-many",
        "segment-unknown",
        "section-unknown",
        "waiting-days-huge",
        "the-dashboard-name",
        "unknown-parameter",
    ],
)
def test_a_bad_summary_parameter_is_a_400_naming_it(api_client, digest_world, params, field):
    response = api_client(digest_world["product_owner"]).get(SUMMARY, params)
    error = _assert_api_error(response)
    assert field in error["fields"], error


def test_a_client_hears_404_on_the_summary_whatever_the_parameters(api_client, digest_world):
    http = api_client(digest_world["member_a"])
    for params in ({"from": "abc"}, {"organization": HUGE}, {"unknown": "1"}, {}):
        _assert_api_error(http.get(SUMMARY, params), status=404)


@pytest.mark.parametrize(
    "params",
    [
        {"subscription": HUGE},
        {"subscription": "1e309"},
        {"subscription": "abc"},
        {"status": "gossip"},
        {"period_from": "2024-13-01"},
        {"period_to": "99999-01-01"},
        {"unknown": "1"},
    ],
    ids=["subscription-huge", "subscription-1e309", "subscription-word", "status", "month-13", "year", "unknown"],
)
def test_a_bad_digests_filter_is_a_clear_answer(api_client, digest_world, params):
    response = api_client(digest_world["product_owner"]).get(f"/api/v1/digests/?{urlencode(params)}")
    assert response.status_code in (200, 400), response.content[:300]
    if response.status_code == 200:
        assert response.json()["results"] == []
    else:
        assert response.json()["error"]["fields"]


@pytest.mark.parametrize(
    "cursor",
    ["abc", _cursor("p=abc"), _cursor("p=1e309"), _cursor("p=99999999999999999999999"), _cursor("o=99999999999999999")],
    ids=["garbage", "p-abc", "p-1e309", "p-huge", "offset-huge"],
)
def test_a_malformed_cursor_on_the_digests_is_not_a_500(api_client, digest_world, cursor):
    response = api_client(digest_world["product_owner"]).get("/api/v1/digests/", {"cursor": cursor})
    assert response.status_code in (200, 404), response.content[:300]
    if response.status_code == 404:
        assert response.json()["error"]["message"]


@pytest.mark.parametrize("role", ["member_a", "product_owner"])
@pytest.mark.parametrize("path", [f"/api/v1/digests/{HUGE}/", f"/api/v1/organizations/{HUGE}/dossier/"])
def test_a_huge_id_in_a_reporting_path_is_a_404(api_client, digest_world, path, role):
    _assert_api_error(api_client(digest_world[role]).get(path), status=404)
