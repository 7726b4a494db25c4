"""The clubs API: /api/v1/clubs/ and /api/v1/meetings/, through HTTP with real API tokens."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clubs import services
from clubs.models import Ballot, ClubMembership, Invitation, Mailing, Meeting
from feedback.models import Feedback
from roadmap import services as roadmap_services
from tests.clubs.conftest import membership, present
from tests.factories import feedback_for

SECRET = "Globex confidential payroll rework"
SECRET_ITEM = "Walrus internal codename for Globex"
SUMMARY = "Payroll reconciliation, as summarized"


def _assert_error(response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:400])
    error = response.json()["error"]
    assert error["status"] == status and error["message"]
    if field is not None:
        assert field in error["fields"], error
    return error


@pytest.fixture
def agenda(meeting, product_owner, member_b):
    """A topic about Globex's private request (with the organizer's summary), one about Globex's
    public request, one about a private roadmap item; an open vote over them."""
    private_b = feedback_for(author=member_b, title=SECRET)
    public_b = feedback_for(author=member_b, title="Public export idea", visibility=Feedback.Visibility.PUBLIC)
    item = roadmap_services.item_create(actor=product_owner, title=SECRET_ITEM)
    topics = {
        "private": services.agenda_add(meeting=meeting, actor=product_owner, feedback=private_b, title=SUMMARY),
        "public": services.agenda_add(meeting=meeting, actor=product_owner, feedback=public_b),
        "item": services.agenda_add(meeting=meeting, actor=product_owner, roadmap_item=item, title="Offline mode"),
    }
    vote = services.vote_create(
        meeting=meeting, actor=product_owner, title="Priorities", budget=5, topics=list(topics.values())
    )
    services.vote_open(vote=vote, actor=product_owner)
    return {"private_b": private_b, "public_b": public_b, "item": item, "topics": topics, "vote": vote}


def _base(meeting) -> str:
    return f"/api/v1/meetings/{meeting.pk}"


# Who sees what ---------------------------------------------------------------------------------


def test_a_non_member_gets_404_for_the_club_and_everything_under_it(
    api_client, club, meeting, agenda, product_owner, admin_b, member_b
):
    action = services.action_item_create(club=club, actor=product_owner, title="Send the figures", owner=member_b)
    services.minutes_save(meeting=meeting, actor=product_owner, body="Minutes", publish=True)
    api = api_client(admin_b)  # Globex's admin, not in the club (their colleague is)
    vote = agenda["vote"]
    for path in (
        f"/api/v1/clubs/{club.pk}/",
        f"/api/v1/clubs/{club.pk}/members/",
        f"/api/v1/clubs/{club.pk}/action-items/",
        f"/api/v1/clubs/{club.pk}/action-items/{action.pk}/",
        f"{_base(meeting)}/",
        f"{_base(meeting)}/votes/",
        f"{_base(meeting)}/votes/{vote.pk}/",
        f"{_base(meeting)}/minutes/",
    ):
        _assert_error(api.get(path), 404)
    for path, body in (
        (f"{_base(meeting)}/rsvp/", {"rsvp": "yes"}),
        (f"{_base(meeting)}/votes/{vote.pk}/ballot/", {"points": {str(agenda["topics"]["public"].pk): 1}}),
        (f"/api/v1/clubs/{club.pk}/members/", {"user": admin_b.pk}),
    ):
        _assert_error(api.post(path, body, format="json"), 404)
    assert api.get("/api/v1/clubs/").json()["results"] == []
    assert api.get("/api/v1/meetings/").json()["results"] == []


def test_members_list_their_clubs_only_and_staff_all(api_client, club, product_owner, member_a, contributor):
    other = services.club_create(actor=product_owner, name="Another club")
    assert [c["id"] for c in api_client(member_a).get("/api/v1/clubs/").json()["results"]] == [club.pk]
    staff = {c["id"] for c in api_client(contributor).get("/api/v1/clubs/").json()["results"]}
    assert staff == {club.pk, other.pk}
    detail = api_client(member_a).get(f"/api/v1/clubs/{club.pk}/").json()
    assert detail["name"] == "Finance club" and detail["member_count"] == 3
    assert detail["organizers"] == [{"id": product_owner.pk, "name": product_owner.name}]


def test_members_see_each_others_names_and_companies_but_not_their_addresses(
    api_client, club, member_a, member_b, product_owner
):
    response = api_client(member_a).get(f"/api/v1/clubs/{club.pk}/members/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert {(r["user"]["name"], r["organization"]["name"]) for r in rows} >= {
        (member_b.name, "Globex"),
        (member_a.name, "Acme"),
    }
    assert len(rows) == 3 and "email" not in rows[0]
    assert member_b.email.encode() not in response.content
    staff = api_client(product_owner).get(f"/api/v1/clubs/{club.pk}/members/").json()["results"]
    assert {r["email"] for r in staff} >= {member_a.email, member_b.email}


def test_an_acme_member_never_receives_globexs_private_request_through_the_club(
    api_client, club, meeting, agenda, product_owner, member_a, member_b
):
    services.minutes_save(meeting=meeting, actor=product_owner, body=f"We discussed: {SUMMARY}", publish=True)
    services.action_item_create(
        club=club, actor=product_owner, title="Send the payroll summary", feedback=agenda["private_b"]
    )
    present(meeting, product_owner, member_a, member_b)
    topics = agenda["topics"]
    services.ballot_cast(vote=agenda["vote"], user=member_b, points={topics["private"].pk: 3})
    vote = agenda["vote"]
    api = api_client(member_a)
    paths = (
        f"{_base(meeting)}/",
        "/api/v1/meetings/",
        f"{_base(meeting)}/votes/",
        f"{_base(meeting)}/votes/{vote.pk}/",
        f"{_base(meeting)}/minutes/",
        f"/api/v1/clubs/{club.pk}/action-items/",
    )
    for path in paths:
        response = api.get(path)
        assert response.status_code == 200, (path, response.content[:300])
        private_link = f'{{"kind":"feedback","id":{agenda["private_b"].pk}}}'
        for secret in (SECRET, SECRET_ITEM, private_link):
            assert secret not in response.content.decode(), (path, secret)
    agenda_out = {t["id"]: t for t in api.get(f"{_base(meeting)}/").json()["agenda"]}
    assert agenda_out[topics["private"].pk]["title"] == SUMMARY
    assert agenda_out[topics["private"].pk]["link"] is None
    assert agenda_out[topics["item"].pk]["link"] is None  # a private roadmap item
    assert agenda_out[topics["public"].pk]["link"] == {"kind": "feedback", "id": agenda["public_b"].pk}
    assert "internal_title" not in agenda_out[topics["private"].pk]
    actions = api.get(f"/api/v1/clubs/{club.pk}/action-items/").json()["results"]
    assert [a["link"] for a in actions] == [None]
    tally = api.get(f"{_base(meeting)}/votes/{vote.pk}/").json()
    assert "by_organization" not in tally
    assert {row["title"] for row in tally["tally"]} == {SUMMARY, "Public export idea", "Offline mode"}

    # Globex's member follows the link to their own request; staff read the internal titles.
    own = {t["id"]: t for t in api_client(member_b).get(f"{_base(meeting)}/").json()["agenda"]}
    assert own[topics["private"].pk]["link"] == {"kind": "feedback", "id": agenda["private_b"].pk}
    staff = {t["id"]: t for t in api_client(product_owner).get(f"{_base(meeting)}/").json()["agenda"]}
    assert staff[topics["private"].pk]["internal_title"] == SECRET
    assert staff[topics["item"].pk]["internal_title"] == SECRET_ITEM


def test_a_private_request_needs_a_summary_on_the_agenda(api_client, meeting, agenda, product_owner):
    response = api_client(product_owner).post(
        f"{_base(meeting)}/agenda/", {"feedback": agenda["private_b"].pk}, format="json"
    )
    assert "summary" in _assert_error(response, 400, "title")["message"]
    created = api_client(product_owner).post(
        f"{_base(meeting)}/agenda/", {"feedback": agenda["public_b"].pk, "minutes_allotted": 15}, format="json"
    )
    assert created.status_code == 201, created.content
    assert created.json()["title"] == "Public export idea" and created.json()["minutes_allotted"] == 15


# Roles -----------------------------------------------------------------------------------------


def test_a_member_doing_an_organizers_act_gets_403_with_the_reason(api_client, club, meeting, member_a, contributor):
    api = api_client(member_a)
    for method, path, body in (
        ("patch", f"/api/v1/clubs/{club.pk}/", {"name": "Renamed"}),
        ("patch", f"{_base(meeting)}/", {"title": "Renamed"}),
        ("post", f"{_base(meeting)}/agenda/", {"title": "A topic"}),
        ("post", f"{_base(meeting)}/invitations/", {}),
        ("put", f"{_base(meeting)}/minutes/", {"body": "x"}),
        ("post", f"/api/v1/clubs/{club.pk}/action-items/", {"title": "x"}),
    ):
        error = _assert_error(getattr(api, method)(path, body, format="json"), 403)
        assert "organizers" in error["message"]
    _assert_error(api_client(contributor).post("/api/v1/clubs/", {"name": "A club"}, format="json"), 403)
    meeting.refresh_from_db()
    assert meeting.title == "Spring meeting"


# Meetings, invitations, answers ----------------------------------------------------------------


def test_an_organizer_plans_a_meeting_and_a_calendar_change_after_invitations_sends_an_update(
    api_client, club, product_owner, member_a
):
    api = api_client(product_owner)
    start = (timezone.now() + timedelta(days=10)).replace(microsecond=0)
    response = api.post(
        "/api/v1/meetings/",
        {
            "club": club.pk,
            "title": "Autumn meeting",
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=2)).isoformat(),
            "timezone": "Europe/Paris",
            "video_url": "https://meet.example/autumn",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    meeting = Meeting.objects.get(pk=response.json()["id"])
    assert response.json()["agenda"] == [] and response.json()["sequence"] == 0
    assert api.post(f"{_base(meeting)}/invitations/", {}, format="json").json() == {"invited": 3}
    answer = api_client(member_a).put(f"{_base(meeting)}/rsvp/", {"rsvp": "yes", "comment": "With Ann"}, format="json")
    assert answer.status_code == 200 and answer.json()["rsvp"] == "yes"
    listed = api_client(member_a).get("/api/v1/meetings/?upcoming=true").json()["results"]
    assert listed[0]["my_invitation"] == {"rsvp": "yes", "comment": "With Ann", "invited": True, "attended": False}

    moved = api.patch(f"{_base(meeting)}/", {"starts_at": (start + timedelta(hours=1)).isoformat()}, format="json")
    assert moved.status_code == 200 and moved.json()["sequence"] == 1
    assert Mailing.objects.filter(meeting=meeting, kind=Mailing.Kind.UPDATE, sequence=1).exists()
    bad = api.patch(f"{_base(meeting)}/", {"ends_at": start.isoformat()}, format="json")
    _assert_error(bad, 400, "ends_at")
    cancelled = api.post(f"{_base(meeting)}/cancel/", {}, format="json")
    assert cancelled.json()["status"] == "cancelled"
    assert Mailing.objects.filter(meeting=meeting, kind=Mailing.Kind.CANCEL).exists()


def test_meetings_are_filtered_by_club_status_and_upcoming(api_client, club, meeting, product_owner, member_a):
    past = services.meeting_create(
        club=club,
        actor=product_owner,
        title="Last spring",
        starts_at=timezone.now() - timedelta(days=30),
        ends_at=timezone.now() - timedelta(days=30) + timedelta(hours=1),
    )
    services.meeting_mark_held(meeting=past, actor=product_owner)
    api = api_client(member_a)

    def ids(query: str) -> list[int]:
        response = api.get(f"/api/v1/meetings/?{query}")
        assert response.status_code == 200, response.content
        return [m["id"] for m in response.json()["results"]]

    assert ids("") == [meeting.pk, past.pk]
    assert ids("upcoming=true") == [meeting.pk]
    assert ids("upcoming=false") == [past.pk]
    assert ids("status=held") == [past.pk]
    assert ids(f"club={club.pk}&status=planned&status=held") == [meeting.pk, past.pk]
    assert ids("club=999999") == []
    _assert_error(api.get("/api/v1/meetings/?status=someday"), 400, "status")


def test_attendance_by_the_organizer(api_client, meeting, product_owner, member_a, admin_b):
    api = api_client(product_owner)
    marked = api.post(f"{_base(meeting)}/attendance/", {"user": member_a.pk, "attended": True}, format="json")
    assert marked.status_code == 200 and marked.json()["attended"] is True
    assert marked.json()["invited_at"] is None  # came without an invitation
    refused = api.post(f"{_base(meeting)}/attendance/", {"user": admin_b.pk, "attended": True}, format="json")
    _assert_error(refused, 400, "user")
    rows = api.get(f"{_base(meeting)}/invitations/").json()["results"]
    assert [(r["user"]["id"], r["attended"]) for r in rows] == [(member_a.pk, True)]


# Votes -----------------------------------------------------------------------------------------


def test_a_ballot_over_budget_twice_or_on_a_closed_vote_is_a_400_with_a_message(
    api_client, meeting, agenda, product_owner, member_a, member_b, admin_a
):
    present(meeting, product_owner, member_a, member_b)
    vote, topics = agenda["vote"], agenda["topics"]
    url = f"{_base(meeting)}/votes/{vote.pk}/ballot/"
    api = api_client(member_a)
    over = api.post(url, {"points": {str(topics["public"].pk): 4, str(topics["item"].pk): 2}}, format="json")
    assert "You have 5 points and gave 6." in _assert_error(over, 400, "points")["message"]
    negative = api.post(url, {"points": {str(topics["public"].pk): -1}}, format="json")
    _assert_error(negative, 400, "points")
    as_text = api.post(url, {"points": {str(topics["public"].pk): "3"}}, format="json")
    _assert_error(as_text, 400, "points")
    assert not Ballot.objects.exists()

    cast = api.post(url, {"points": {str(topics["public"].pk): 3, str(topics["private"].pk): 2}}, format="json")
    assert cast.status_code == 201, cast.content
    assert cast.json()["my_points"] == {str(topics["public"].pk): 3, str(topics["private"].pk): 2}
    twice = api.post(url, {"points": {str(topics["public"].pk): 1}}, format="json")
    assert "already voted" in _assert_error(twice, 400)["message"]
    absent = api_client(admin_a).post(url, {"points": {str(topics["public"].pk): 1}}, format="json")
    assert _assert_error(absent, 400)["message"]  # in admin_a's language (French once the catalog has it)

    api_client(member_b).post(url, {"points": {str(topics["public"].pk): 5}}, format="json")
    closed = api_client(product_owner).post(f"{_base(meeting)}/votes/{vote.pk}/close/", {}, format="json")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    late = api.post(url, {"points": {str(topics["public"].pk): 1}}, format="json")  # closed is said first
    assert "closed" in _assert_error(late, 400)["message"]
    assert Ballot.objects.count() == 2

    tally = {row["topic"]: row for row in api.get(f"{_base(meeting)}/votes/{vote.pk}/").json()["tally"]}
    assert (tally[topics["public"].pk]["points"], tally[topics["public"].pk]["voters"]) == (8, 2)
    assert tally[topics["private"].pk]["points"] == 2 and tally[topics["item"].pk]["points"] == 0
    staff = api_client(product_owner).get(f"{_base(meeting)}/votes/{vote.pk}/").json()
    by_org = {(r["organization"]["name"], r["topic"]): r["points"] for r in staff["by_organization"]}
    assert by_org == {
        ("Acme", topics["public"].pk): 3,
        ("Acme", topics["private"].pk): 2,
        ("Globex", topics["public"].pk): 5,
    }
    assert staff["ballots"] == 2 and "my_points" not in staff


def test_an_organizer_creates_and_opens_a_vote(api_client, meeting, agenda, product_owner, member_a):
    api = api_client(product_owner)
    topics = agenda["topics"]
    response = api.post(
        f"{_base(meeting)}/votes/",
        {"title": "Second round", "budget": 3, "topics": [topics["public"].pk, topics["item"].pk]},
        format="json",
    )
    assert response.status_code == 201, response.content
    vote = response.json()
    assert (vote["status"], vote["budget"], sorted(vote["topics"])) == (
        "draft",
        3,
        sorted([topics["public"].pk, topics["item"].pk]),
    )
    opened = api.post(f"{_base(meeting)}/votes/{vote['id']}/open/", {}, format="json")
    assert opened.json()["status"] == "open"
    _assert_error(api.post(f"{_base(meeting)}/votes/{vote['id']}/open/", {}, format="json"), 400)
    other = services.meeting_create(
        club=meeting.club, actor=product_owner, title="Other", starts_at=meeting.starts_at, ends_at=meeting.ends_at
    )
    foreign = api.post(
        f"/api/v1/meetings/{other.pk}/votes/",
        {"title": "Q", "budget": 3, "topics": [topics["public"].pk, topics["item"].pk]},
        format="json",
    )
    _assert_error(foreign, 400, "topics")
    assert len(api_client(member_a).get(f"{_base(meeting)}/votes/").json()["results"]) == 2


# Minutes, action items, members ----------------------------------------------------------------


def test_members_read_the_minutes_once_published(api_client, meeting, product_owner, member_a):
    url = f"{_base(meeting)}/minutes/"
    api = api_client(product_owner)
    draft = api.put(url, {"body": "Draft of the minutes"}, format="json")
    assert draft.status_code == 200 and draft.json()["published_at"] is None
    _assert_error(api_client(member_a).get(url), 404)
    assert api.get(url).json()["body"] == "Draft of the minutes"
    _assert_error(api.put(url, {"body": "", "publish": True}, format="json"), 400, "body")
    published = api.put(url, {"body": "Final minutes", "publish": True}, format="json")
    assert published.json()["published_at"] is not None
    read = api_client(member_a).get(url).json()
    assert read["body"] == "Final minutes" and "written_by" not in read
    assert Mailing.objects.filter(meeting=meeting, kind=Mailing.Kind.MINUTES).count() == 1


def test_action_items_are_recorded_and_closed_by_organizers(
    api_client, club, meeting, product_owner, member_b, admin_b
):
    api = api_client(product_owner)
    url = f"/api/v1/clubs/{club.pk}/action-items/"
    due = (timezone.localdate() - timedelta(days=1)).isoformat()
    created = api.post(
        url, {"title": "Send the figures", "owner": member_b.pk, "due_date": due, "meeting": meeting.pk}, format="json"
    )
    assert created.status_code == 201, created.content
    assert created.json()["late"] is True and created.json()["owner"]["id"] == member_b.pk
    _assert_error(api.post(url, {"title": "x", "owner": admin_b.pk}, format="json"), 400, "owner")
    done = api.patch(f"{url}{created.json()['id']}/", {"status": "done"}, format="json")
    assert done.json()["status"] == "done" and done.json()["closed_at"] and done.json()["late"] is False
    assert [a["status"] for a in api.get(f"{url}?status=done").json()["results"]] == ["done"]


def test_a_client_asks_to_join_an_open_club_and_an_organizer_approves(api_client, product_owner, admin_b, member_a):
    club = services.club_create(actor=product_owner, name="Open club", visibility="open")
    api = api_client(admin_b)
    asked = api.post(f"/api/v1/clubs/{club.pk}/join/", {}, format="json")
    assert asked.status_code == 201 and asked.json()["status"] == "requested"
    _assert_error(api.get(f"/api/v1/clubs/{club.pk}/"), 404)  # not a member yet
    staff = api_client(product_owner)
    requests = staff.get(f"/api/v1/clubs/{club.pk}/members/?status=requested").json()["results"]
    assert [r["user"]["id"] for r in requests] == [admin_b.pk]
    _assert_error(api_client(member_a).get(f"/api/v1/clubs/{club.pk}/members/?status=requested"), 404)
    approved = staff.patch(f"/api/v1/clubs/{club.pk}/members/{requests[0]['id']}/", {"status": "active"}, format="json")
    assert approved.status_code == 200 and approved.json()["status"] == "active"
    assert api.get(f"/api/v1/clubs/{club.pk}/").status_code == 200
    invitation_only = services.club_create(actor=product_owner, name="Closed club")
    _assert_error(api.post(f"/api/v1/clubs/{invitation_only.pk}/join/", {}, format="json"), 404)


def test_an_organizer_adds_members_by_id_or_email_and_removes_them(
    api_client, club, product_owner, admin_b, member_a, member_b
):
    api = api_client(product_owner)
    url = f"/api/v1/clubs/{club.pk}/members/"
    added = api.post(url, {"email": admin_b.email.upper(), "role": "ambassador"}, format="json")
    assert added.status_code == 201 and added.json()["role"] == "ambassador"
    _assert_error(api.post(url, {"email": "nobody@nowhere.test"}, format="json"), 400, "email")
    _assert_error(api.post(url, {"user": member_a.pk, "email": member_a.email}, format="json"), 400, "user")
    _assert_error(api.post(url, {"user": 999_999_999}, format="json"), 400, "user")
    removed = api.delete(f"{url}{membership(club, member_b).pk}/")
    assert removed.status_code == 204
    assert membership(club, member_b).status == ClubMembership.Status.LEFT
    assert api_client(member_b).get(f"/api/v1/clubs/{club.pk}/").status_code == 404


def test_an_organizer_creates_and_edits_a_club(api_client, product_owner, contributor):
    api = api_client(product_owner)
    created = api.post(
        "/api/v1/clubs/",
        {"name": "Lyon users", "language": "fr", "organizers": [contributor.pk], "region": "Rhône"},
        format="json",
    )
    assert created.status_code == 201, created.content
    club_id = created.json()["id"]
    assert created.json()["organizers"] == [{"id": contributor.pk, "name": contributor.name}]
    # The contributor organizes it now: they manage it.
    edited = api_client(contributor).patch(f"/api/v1/clubs/{club_id}/", {"visibility": "open"}, format="json")
    assert edited.status_code == 200 and edited.json()["visibility"] == "open"
    _assert_error(api.patch(f"/api/v1/clubs/{club_id}/", {"organizers": []}, format="json"), 400, "organizers")
    _assert_error(api.post("/api/v1/clubs/", {"name": "X", "organizers": [999_999]}, format="json"), 400, "organizers")


# Strict fields ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body", "unknown"),
    [
        ("post", "/api/v1/clubs/", {"name": "A club", "colour": "red"}, "colour"),
        ("patch", "/api/v1/clubs/{club}/", {"nmae": "Renamed"}, "nmae"),
        ("patch", "/api/v1/meetings/{meeting}/", {"titel": "Renamed", "status": "held"}, "titel"),
        ("post", "/api/v1/meetings/{meeting}/agenda/", {"title": "A topic", "origin": "demand"}, "origin"),
        ("post", "/api/v1/meetings/{meeting}/invitations/", {"everyone": True}, "everyone"),
        ("put", "/api/v1/meetings/{meeting}/minutes/", {"body": "x", "published_at": "2020-01-01"}, "published_at"),
        ("post", "/api/v1/clubs/{club}/action-items/", {"title": "x", "club": 1}, "club"),
    ],
)
def test_an_unknown_field_is_a_400_naming_it(api_client, club, meeting, product_owner, method, path, body, unknown):
    url = path.format(club=club.pk, meeting=meeting.pk)
    response = getattr(api_client(product_owner), method)(url, body, format="json")
    assert unknown in _assert_error(response, 400, unknown)["fields"]
    meeting.refresh_from_db()
    assert meeting.title == "Spring meeting" and meeting.invitations_sent_at is None


def test_an_unknown_field_in_a_members_answer_or_ballot_is_a_400(api_client, meeting, agenda, product_owner, member_a):
    services.invitations_send(meeting=meeting, actor=product_owner)
    api = api_client(member_a)
    _assert_error(api.put(f"{_base(meeting)}/rsvp/", {"rsvp": "yes", "guests": 2}, format="json"), 400, "guests")
    ballot = api.post(
        f"{_base(meeting)}/votes/{agenda['vote'].pk}/ballot/", {"points": {}, "budget": 100}, format="json"
    )
    _assert_error(ballot, 400, "budget")
    assert Invitation.objects.get(meeting=meeting, user=member_a).rsvp == Invitation.Rsvp.PENDING


# Query counts ----------------------------------------------------------------------------------

# The token (with its user and company), staff's second factor, the meetings with their clubs, the
# caller's invitations (and the agenda with its requests and items): pinned exactly.
LIST_QUERIES = {"member_a": 3, "product_owner": 4}
DETAIL_QUERIES = {"member_a": 4, "product_owner": 5}


def _more_meetings(club, product_owner, count: int) -> None:
    for i in range(count):
        start = timezone.now() + timedelta(days=20 + i)
        services.meeting_create(
            club=club, actor=product_owner, title=f"Meeting {i}", starts_at=start, ends_at=start + timedelta(hours=1)
        )


@pytest.mark.parametrize("role", ["member_a", "product_owner"])
def test_the_meetings_list_query_count_does_not_grow_with_the_page(
    api_client, club, meeting, product_owner, member_a, role
):
    _more_meetings(club, product_owner, 5)
    services.invitations_send(meeting=meeting, actor=product_owner)
    api = api_client({"member_a": member_a, "product_owner": product_owner}[role])
    api.get("/api/v1/meetings/")  # the token's first use writes its last-used time
    with CaptureQueriesContext(connection) as few:
        assert len(api.get("/api/v1/meetings/?page_size=1").json()["results"]) == 1
    with CaptureQueriesContext(connection) as many:
        assert len(api.get("/api/v1/meetings/?page_size=6").json()["results"]) == 6
    assert len(few) == len(many) == LIST_QUERIES[role], [q["sql"][:120] for q in many.captured_queries]


@pytest.mark.parametrize("role", ["member_a", "product_owner"])
def test_the_meeting_detail_query_count_does_not_grow_with_the_agenda(
    api_client, meeting, agenda, product_owner, member_a, role
):
    api = api_client({"member_a": member_a, "product_owner": product_owner}[role])
    url = f"{_base(meeting)}/"
    api.get(url)
    with CaptureQueriesContext(connection) as few:
        assert api.get(url).status_code == 200
    for i in range(5):
        services.agenda_add(meeting=meeting, actor=product_owner, feedback=agenda["private_b"], title=f"Summary {i}")
        services.agenda_add(meeting=meeting, actor=product_owner, roadmap_item=agenda["item"], title=f"Item {i}")
    with CaptureQueriesContext(connection) as many:
        assert len(api.get(url).json()["agenda"]) == 13
    assert len(few) == len(many) == DETAIL_QUERIES[role], [q["sql"][:120] for q in many.captured_queries]
