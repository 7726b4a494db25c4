"""The clubs' pages through HTTP: each page for each role, the agenda builder and the meeting day,
the portal with RSVP and the ballot, another company's private request never shown to a member,
404 for non-members, 403 for a contributor who does not organize, bad input as a form error, and
pinned query counts."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from clubs import services
from clubs.models import (
    ActionItem,
    AgendaItem,
    Ballot,
    CapturedRequest,
    Club,
    ClubMembership,
    Invitation,
    Meeting,
    MeetingVote,
    Minutes,
)
from feedback import services as feedback_services
from tests.clubs.conftest import membership, present
from tests.factories import feedback_for

SECRET_B = "Globex payroll secret 77q"


@pytest.fixture
def topics(meeting, product_owner, member_b, admin_a):
    """A topic about Globex's private request (with a summary), one about Acme's public request, one by hand."""
    private_b = feedback_for(author=member_b, title=SECRET_B)
    public_a = feedback_for(author=admin_a, title="Acme public export idea", visibility="public")
    return {
        "private_b": services.agenda_add(
            meeting=meeting, actor=product_owner, feedback=private_b, title="Payroll, summarized"
        ),
        "public_a": services.agenda_add(meeting=meeting, actor=product_owner, feedback=public_a),
        "manual": services.agenda_add(meeting=meeting, actor=product_owner, title="Welcome coffee", minutes_allotted=5),
        "private_b_request": private_b,
        "public_a_request": public_a,
    }


@pytest.fixture
def open_vote(meeting, product_owner, topics):
    vote = services.vote_create(
        meeting=meeting,
        actor=product_owner,
        title="Priorities",
        budget=5,
        topics=[topics["private_b"], topics["public_a"]],
    )
    return services.vote_open(vote=vote, actor=product_owner)


@pytest.fixture
def other_club(product_owner, admin_b):
    """Globex only: Acme's users are not members."""
    club = services.club_create(actor=product_owner, name="Globex circle")
    services.member_add(club=club, actor=product_owner, user=admin_b)
    start = timezone.now() + timedelta(days=3)
    meeting = services.meeting_create(
        club=club, actor=product_owner, title="Globex meeting", starts_at=start, ends_at=start + timedelta(hours=1)
    )
    return {"club": club, "meeting": meeting}


# Staff pages -------------------------------------------------------------------------------------


def test_index_lists_clubs_and_only_product_owners_see_new_club(login, club, product_owner, contributor):
    page = login(product_owner).get(reverse("clubs:index"))
    assert page.status_code == 200
    assert b"Finance club" in page.content and b'data-testid="club-new"' in page.content
    page = login(contributor).get(reverse("clubs:index"))
    assert page.status_code == 200 and b'data-testid="club-new"' not in page.content


@pytest.mark.parametrize("role", ["member_a", "admin_b"])
def test_staff_pages_are_404_for_clients(request, login, club, meeting, role):
    client = login(request.getfixturevalue(role))
    for url in (
        reverse("clubs:index"),
        reverse("clubs:club", args=[club.pk]),
        reverse("clubs:meeting", args=[meeting.pk]),
        reverse("clubs:meeting_run", args=[meeting.pk]),
        reverse("clubs:meeting_history", args=[meeting.pk]),
    ):
        assert client.get(url).status_code == 404, url


def test_product_owner_creates_a_club(login, product_owner, contributor):
    client = login(product_owner)
    response = client.post(
        reverse("clubs:club_new"),
        {"name": "Payroll club", "language": "fr", "visibility": "open", "organizers": [contributor.pk]},
    )
    club = Club.objects.get(name="Payroll club")
    assert response.status_code == 302 and response["Location"] == reverse("clubs:club", args=[club.pk])
    assert list(club.organizers.all()) == [contributor] and club.visibility == "open"


def test_club_form_errors_are_shown_and_nothing_is_written(login, product_owner):
    client = login(product_owner)
    response = client.post(reverse("clubs:club_new"), {"name": "A", "language": "en", "visibility": "x"})
    assert response.status_code == 400
    assert b"Select a valid choice" in response.content and b"errorlist" in response.content
    # A NUL byte is refused before the view (400), never a 500.
    response = client.post(reverse("clubs:club_new"), {"name": "Bad\x00name", "language": "en", "visibility": "open"})
    assert response.status_code == 400
    assert not Club.objects.exists()


def test_contributor_cannot_create_or_edit_a_club_they_do_not_organize(login, contributor, club):
    client = login(contributor)
    assert client.post(reverse("clubs:club_new"), {"name": "Mine", "language": "en"}).status_code == 403
    response = client.post(
        reverse("clubs:club_edit", args=[club.pk]), {"name": "Renamed", "language": "en", "visibility": "open"}
    )
    assert response.status_code == 403
    club.refresh_from_db()
    assert club.name == "Finance club" and not Club.objects.filter(name="Mine").exists()


def test_contributor_who_organizes_edits_their_club(login, contributor, club, product_owner):
    services.club_update(club=club, actor=product_owner, organizers=[contributor])
    response = login(contributor).post(
        reverse("clubs:club_edit", args=[club.pk]),
        {"name": "Finance circle", "language": "en", "visibility": "invitation", "organizers": [contributor.pk]},
    )
    assert response.status_code == 302
    club.refresh_from_db()
    assert club.name == "Finance circle"


def test_club_page_shows_members_with_company_and_role(login, product_owner, club, member_b):
    page = login(product_owner).get(reverse("clubs:club", args=[club.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Greta Globex" in text and "Globex" in text and "Acme" in text
    assert "3 members" in text


def test_member_search_finds_client_users_of_any_company_bounded(login, product_owner, club, org_b, contributor):
    from tests.factories import client_user

    for i in range(25):
        client_user(organization=org_b, email=f"zed{i}@globex.test", name=f"Zed {i}")
    client = login(product_owner)
    page = client.get(reverse("clubs:member_search", args=[club.pk]), {"q": "Zed"})
    assert page.status_code == 200
    assert page.content.count(b'data-testid="member-add-') == 20
    page = client.get(reverse("clubs:member_search", args=[club.pk]), {"q": "globex"})
    assert b"zed0@globex.test" in page.content
    assert b"Greta Globex" not in page.content  # already a member
    page = client.get(reverse("clubs:member_search", args=[club.pk]), {"q": "Sacha"})
    assert b"sales@retour.test" in page.content  # staff too
    assert client.get(reverse("clubs:member_search", args=[club.pk]), {"q": "a\x00b"}).status_code == 400


def test_members_add_from_search_by_email_role_remove_and_join_requests(
    login, product_owner, club, admin_b, member_a, org_a
):
    from tests.factories import client_user

    client = login(product_owner)
    url = reverse("clubs:members", args=[club.pk])
    assert client.post(url, {"action": "add", "user": admin_b.pk, "role": "ambassador"}).status_code == 302
    assert membership(club, admin_b).role == "ambassador"
    response = client.post(url, {"action": "add_email", "email": "nobody@nowhere.test", "role": "member"})
    assert response.status_code == 400 and b"Nobody has an account" in response.content
    newcomer = client_user(organization=org_a, email="new@acme.test")
    assert client.post(url, {"action": "add_email", "email": "NEW@acme.test", "role": "member"}).status_code == 302
    assert membership(club, newcomer).is_active
    m = membership(club, member_a)
    client.post(url, {"action": "role", "membership": m.pk, "role": "chair"})
    assert membership(club, member_a).role == "chair"
    client.post(url, {"action": "remove", "membership": m.pk})
    assert membership(club, member_a).status == ClubMembership.Status.LEFT
    services.join_request(
        club=Club.objects.filter(pk=club.pk).update(visibility="open") and Club.objects.get(pk=club.pk), user=member_a
    )
    client.post(url, {"action": "approve", "membership": m.pk})
    assert membership(club, member_a).is_active
    # Huge numbers and unknown actions are messages, never 500.
    assert client.post(url, {"action": "role", "membership": "9" * 30, "role": "chair"}).status_code == 302
    assert client.post(url, {"action": "explode"}).status_code == 302


# The agenda builder ------------------------------------------------------------------------------


def test_agenda_builder_from_suggestions_asks_a_summary_for_private_requests(
    login, product_owner, club, meeting, member_b, member_a
):
    private_b = feedback_for(author=member_b, title=SECRET_B)
    feedback_services.vote_cast(feedback=private_b, user=member_b, importance="critical")
    client = login(product_owner)
    url = reverse("clubs:meeting", args=[meeting.pk])
    page = client.get(url)
    assert page.status_code == 200 and b'data-testid="suggestion-summary"' in page.content
    # Without a summary: the form says so, nothing on the agenda.
    response = client.post(
        url, {"action": "topic_add", "source": "feedback", "source_id": private_b.pk, "origin": "demand", "title": ""}
    )
    assert response.status_code == 400 and b"write a summary" in response.content
    assert not meeting.agenda.exists()
    response = client.post(
        url,
        {
            "action": "topic_add",
            "source": "feedback",
            "source_id": private_b.pk,
            "origin": "demand",
            "title": "Payroll reconciliation",
            "minutes_allotted": "15",
        },
    )
    assert response.status_code == 302
    topic = meeting.agenda.get()
    assert (topic.title, topic.feedback, topic.origin, topic.minutes_allotted) == (
        "Payroll reconciliation",
        private_b,
        "demand",
        15,
    )


def test_agenda_builder_reorders_updates_removes(login, product_owner, meeting, topics):
    client = login(product_owner)
    url = reverse("clubs:meeting", args=[meeting.pk])
    client.post(url, {"action": "topic_down", "topic": topics["private_b"].pk})
    assert list(meeting.agenda.values_list("pk", flat=True)) == [
        topics["public_a"].pk,
        topics["private_b"].pk,
        topics["manual"].pk,
    ]
    client.post(
        url, {"action": "topic_update", "topic": topics["manual"].pk, "title": "Coffee", "minutes_allotted": "7"}
    )
    topics["manual"].refresh_from_db()
    assert (topics["manual"].title, topics["manual"].minutes_allotted) == ("Coffee", 7)
    response = client.post(
        url,
        {
            "action": "topic_update",
            "topic": topics["manual"].pk,
            "title": "x",
            "minutes_allotted": "99999999999999999999",
        },
    )
    assert response.status_code == 302
    client.post(url, {"action": "topic_remove", "topic": topics["manual"].pk})
    assert not AgendaItem.objects.filter(pk=topics["manual"].pk).exists()
    response = client.post(url, {"action": "topic_add", "title": "By\x00hand", "minutes_allotted": "10"})
    assert response.status_code == 400 and meeting.agenda.count() == 2
    response = client.post(url, {"action": "topic_add", "title": "Roadmap review", "minutes_allotted": "100000"})
    assert response.status_code == 400 and b"errorlist" in response.content


def test_send_invitations_then_rsvp_are_listed(login, product_owner, meeting, member_a):
    client = login(product_owner)
    response = client.post(reverse("clubs:meeting", args=[meeting.pk]), {"action": "invite"})
    assert response.status_code == 302
    assert Invitation.objects.filter(meeting=meeting, invited_at__isnull=False).count() == 3
    services.rsvp_set(meeting=meeting, user=member_a, rsvp="yes", comment="With a colleague")
    page = client.get(reverse("clubs:meeting", args=[meeting.pk]))
    assert b"With a colleague" in page.content


def test_contributor_reads_the_meeting_but_gets_403_on_writes(login, contributor, meeting, topics):
    client = login(contributor)
    assert client.get(reverse("clubs:meeting", args=[meeting.pk])).status_code == 200
    assert client.get(reverse("clubs:meeting_run", args=[meeting.pk])).status_code == 200
    for url, data in (
        (reverse("clubs:meeting", args=[meeting.pk]), {"action": "topic_remove", "topic": topics["manual"].pk}),
        (reverse("clubs:meeting", args=[meeting.pk]), {"action": "invite"}),
        (reverse("clubs:meeting_run", args=[meeting.pk]), {"action": "minutes_save", "body": "x"}),
        (reverse("clubs:meeting_new", args=[meeting.club_id]), {"title": "x"}),
        (reverse("clubs:members", args=[meeting.club_id]), {"action": "remove"}),
    ):
        assert client.post(url, data).status_code == 403, url
    assert meeting.agenda.count() == 3 and not Invitation.objects.filter(meeting=meeting).exists()


def test_meeting_new_and_edit(login, product_owner, club):
    client = login(product_owner)
    response = client.post(
        reverse("clubs:meeting_new", args=[club.pk]),
        {
            "title": "Autumn",
            "starts_at": "2030-10-01T14:00",
            "ends_at": "2030-10-01T16:00",
            "timezone": "America/New_York",
        },
    )
    meeting = Meeting.objects.get(title="Autumn")
    assert response.status_code == 302
    assert meeting.starts_at.isoformat() == "2030-10-01T18:00:00+00:00"  # 14:00 in New York
    response = client.post(
        reverse("clubs:meeting_new", args=[club.pk]),
        {"title": "Backwards", "starts_at": "2030-10-01T14:00", "ends_at": "2030-10-01T13:00", "timezone": "UTC"},
    )
    assert response.status_code == 400 and b"must end after it starts" in response.content
    response = client.post(
        reverse("clubs:meeting", args=[meeting.pk]),
        {
            "action": "edit",
            "title": "Autumn meeting",
            "starts_at": "2030-10-01T14:00",
            "ends_at": "2030-10-01T17:00",
            "timezone": "America/New_York",
        },
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.title == "Autumn meeting"


# The meeting day ---------------------------------------------------------------------------------


def test_meeting_run_query_count_is_pinned(
    login, product_owner, meeting, topics, open_vote, member_a, admin_a, django_assert_num_queries
):
    client = login(product_owner)
    url = reverse("clubs:meeting_run", args=[meeting.pk])
    present(meeting, product_owner, member_a)
    services.action_item_create(club=meeting.club, actor=product_owner, title="Send the deck", owner=member_a)
    client.get(url)
    with django_assert_num_queries(9):
        response = client.get(url)
    assert response.status_code == 200
    # More members, votes and action items: the same count.
    from tests.factories import client_user

    for i in range(4):
        services.member_add(
            club=meeting.club, actor=product_owner, user=client_user(organization=member_a.organization)
        )
        services.action_item_create(club=meeting.club, actor=product_owner, title=f"Task {i}", owner=admin_a)
    services.vote_create(
        meeting=meeting, actor=product_owner, title="Second", budget=3, topics=[topics["manual"], topics["public_a"]]
    )
    with django_assert_num_queries(9):
        assert client.get(url).status_code == 200


def test_meeting_day_attendance_vote_minutes_capture_actions(
    login, product_owner, meeting, topics, member_a, member_b, admin_a
):
    client = login(product_owner)
    url = reverse("clubs:meeting_run", args=[meeting.pk])
    # Attendance, with members who never answered.
    assert client.post(url, {"action": "attendance", "present": [member_a.pk, member_b.pk]}).status_code == 302
    assert set(Invitation.objects.filter(meeting=meeting, attended=True).values_list("user_id", flat=True)) == {
        member_a.pk,
        member_b.pk,
    }
    client.post(url, {"action": "attendance", "present": [member_a.pk]})
    assert not Invitation.objects.get(meeting=meeting, user=member_b).attended
    assert client.post(url, {"action": "attendance", "present": ["99999999999999999999"]}).status_code == 302
    # A vote over two topics, opened at once.
    response = client.post(
        url,
        {
            "action": "vote_create",
            "title": "Top",
            "budget": "4",
            "topics": [topics["public_a"].pk, topics["manual"].pk],
            "open_now": "1",
        },
    )
    assert response.status_code == 302
    vote = MeetingVote.objects.get(meeting=meeting)
    assert vote.status == "open"
    response = client.post(
        url, {"action": "vote_create", "title": "Top", "budget": "1000", "topics": [topics["public_a"].pk]}
    )
    assert response.status_code == 400 and MeetingVote.objects.count() == 1
    services.ballot_cast(vote=vote, user=member_a, points={topics["public_a"].pk: 3})
    tally = client.get(reverse("clubs:vote_tally", args=[vote.pk]))
    assert b"Acme: 3" in tally.content
    client.post(url, {"action": "vote_close", "vote": vote.pk})
    vote.refresh_from_db()
    assert vote.status == "closed" and vote.ballot_count == 1
    # Minutes: save, then publish.
    client.post(url, {"action": "minutes_save", "body": "# Notes\n\nDraft"})
    assert Minutes.objects.get(meeting=meeting).published_at is None
    response = client.post(url, {"action": "minutes_publish", "body": ""})
    assert response.status_code == 400 and b"Write the minutes before publishing" in response.content
    client.post(url, {"action": "minutes_publish", "body": "# Notes\n\nWe agreed."})
    minutes = Minutes.objects.get(meeting=meeting)
    assert minutes.published_at is not None and minutes.body == "# Notes\n\nWe agreed."
    # A request captured in a member's name.
    assert (
        client.post(
            url, {"action": "capture", "author": member_b.pk, "title": "Bulk payslips", "kind": "idea"}
        ).status_code
        == 302
    )
    captured = CapturedRequest.objects.get(meeting=meeting)
    assert captured.feedback.author == member_b and captured.feedback.source == "club"
    response = client.post(
        url, {"action": "capture", "author": product_owner.pk, "title": "Staff idea", "kind": "idea"}
    )
    assert response.status_code == 400 and CapturedRequest.objects.count() == 1
    # Action items.
    client.post(
        url, {"action": "action_add", "title": "Send the slides", "owner": admin_a.pk, "due_date": "2030-01-01"}
    )
    item = ActionItem.objects.get(title="Send the slides")
    assert item.owner == admin_a and item.meeting == meeting
    client.post(url, {"action": "action_status", "action_item": item.pk, "status": "done"})
    item.refresh_from_db()
    assert item.status == "done" and item.closed_at is not None
    response = client.post(url, {"action": "action_add", "title": "x" * 400, "owner": "abc"})
    assert response.status_code == 400


def test_meeting_history_shows_what_was_promised(login, product_owner, club, member_a):
    start = timezone.now() - timedelta(days=30)
    previous = services.meeting_create(
        club=club, actor=product_owner, title="Winter", starts_at=start, ends_at=start + timedelta(hours=1)
    )
    services.action_item_create(
        club=club, actor=product_owner, meeting=previous, title="Fix the export", owner=member_a
    )
    start = timezone.now() + timedelta(days=2)
    nxt = services.meeting_create(
        club=club, actor=product_owner, title="Spring", starts_at=start, ends_at=start + timedelta(hours=1)
    )
    page = login(product_owner).get(reverse("clubs:meeting_history", args=[nxt.pk]))
    assert page.status_code == 200 and b"Fix the export" in page.content


# The portal --------------------------------------------------------------------------------------


def test_mine_lists_meetings_actions_and_open_clubs(login, club, meeting, member_a, product_owner, other_club):
    services.invitations_send(meeting=meeting, actor=product_owner)
    services.action_item_create(club=club, actor=product_owner, title="Bring numbers", owner=member_a)
    services.club_update(club=other_club["club"], actor=product_owner, visibility="open")
    page = login(member_a).get(reverse("clubs:mine"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Spring meeting" in text and "Bring numbers" in text and "Finance club" in text
    assert "Globex circle" in text  # open: Acme may ask to join
    assert "Globex meeting" not in text


def test_mine_query_count_is_pinned(login, club, meeting, member_a, product_owner, django_assert_num_queries):
    services.invitations_send(meeting=meeting, actor=product_owner)
    client = login(member_a)
    client.get(reverse("clubs:mine"))
    with django_assert_num_queries(8):
        assert client.get(reverse("clubs:mine")).status_code == 200


def test_staff_are_sent_to_the_staff_pages(login, product_owner, club, meeting):
    client = login(product_owner)
    assert client.get(reverse("clubs:mine"))["Location"] == reverse("clubs:index")
    assert client.get(reverse("clubs:portal_club", args=[club.pk]))["Location"] == reverse("clubs:club", args=[club.pk])
    assert client.get(reverse("clubs:portal_meeting", args=[meeting.pk]))["Location"] == reverse(
        "clubs:meeting", args=[meeting.pk]
    )


def test_non_member_gets_404_everywhere(login, member_a, other_club, product_owner):
    meeting = other_club["meeting"]
    topic_a = services.agenda_add(meeting=meeting, actor=product_owner, title="One")
    topic_b = services.agenda_add(meeting=meeting, actor=product_owner, title="Two")
    vote = services.vote_create(
        meeting=meeting, actor=product_owner, title="Question", budget=3, topics=[topic_a, topic_b]
    )
    client = login(member_a)
    for url in (
        reverse("clubs:portal_club", args=[other_club["club"].pk]),
        reverse("clubs:portal_meeting", args=[meeting.pk]),
        reverse("clubs:portal_meeting", args=[meeting.pk]) + "?part=vote",
        reverse("clubs:portal_vote", args=[vote.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("clubs:portal_vote", args=[vote.pk]), {f"topic_{topic_a.pk}": "1"}).status_code == 404
    assert client.post(reverse("clubs:portal_meeting", args=[meeting.pk]), {"rsvp": "yes"}).status_code == 404
    assert client.post(reverse("clubs:portal_join", args=[other_club["club"].pk])).status_code == 404


def test_member_answers_the_invitation(login, product_owner, meeting, member_a):
    services.invitations_send(meeting=meeting, actor=product_owner)
    client = login(member_a)
    url = reverse("clubs:portal_meeting", args=[meeting.pk])
    assert b'data-testid="rsvp-form"' in client.get(url).content
    assert client.post(url, {"rsvp": "yes", "comment": "See you"}).status_code == 302
    invitation = Invitation.objects.get(meeting=meeting, user=member_a)
    assert (invitation.rsvp, invitation.comment) == ("yes", "See you")
    response = client.post(url, {"rsvp": "pending", "comment": "x"})
    assert response.status_code == 400 and b"errorlist" in response.content
    assert Invitation.objects.get(meeting=meeting, user=member_a).rsvp == "yes"


def test_member_joins_an_open_club(login, product_owner, member_a, other_club):
    club = other_club["club"]
    services.club_update(club=club, actor=product_owner, visibility="open")
    assert login(member_a).post(reverse("clubs:portal_join", args=[club.pk])).status_code == 302
    assert ClubMembership.objects.get(club=club, user=member_a).status == "requested"


def test_member_never_sees_globex_private_request(
    login, product_owner, meeting, topics, open_vote, member_a, member_b, admin_a
):
    """Through the meeting page, the agenda, the minutes and the vote fragment."""
    services.minutes_save(meeting=meeting, actor=product_owner, body="We discussed payroll.", publish=True)
    present(meeting, product_owner, member_a)
    client = login(member_a)
    pages = [
        client.get(reverse("clubs:portal_meeting", args=[meeting.pk])),
        client.get(reverse("clubs:portal_meeting", args=[meeting.pk]) + "?part=vote"),
        client.get(reverse("clubs:portal_vote", args=[open_vote.pk])),
        client.get(reverse("clubs:portal_club", args=[meeting.club_id])),
        client.get(reverse("clubs:mine")),
    ]
    for page in pages:
        assert page.status_code == 200
        assert SECRET_B.encode() not in page.content
    meeting_page = pages[0].content.decode()
    assert "Payroll, summarized" in meeting_page
    # The public request of Acme links; Globex's private one does not.
    assert reverse("feedback:portal_detail", args=[topics["public_a_request"].pk]) in meeting_page
    assert reverse("feedback:portal_detail", args=[topics["private_b_request"].pk]) not in meeting_page
    # Globex's member gets the link to their own request.
    page = login(member_b).get(reverse("clubs:portal_meeting", args=[meeting.pk]))
    assert reverse("feedback:portal_detail", args=[topics["private_b_request"].pk]) in page.content.decode()
    # The staff's suggestions show it to the organizer, flagged private.
    staff_page = login(product_owner).get(reverse("clubs:meeting", args=[meeting.pk]))
    assert SECRET_B.encode() in staff_page.content


def test_draft_minutes_are_not_shown_and_published_minutes_are_sanitized(login, product_owner, meeting, member_a):
    services.minutes_save(meeting=meeting, actor=product_owner, body="Draft 12ab")
    client = login(member_a)
    assert b"Draft 12ab" not in client.get(reverse("clubs:portal_meeting", args=[meeting.pk])).content
    services.minutes_save(
        meeting=meeting, actor=product_owner, body="**Agreed** <script>alert(1)</script>", publish=True
    )
    page = client.get(reverse("clubs:portal_meeting", args=[meeting.pk])).content.decode()
    assert "<strong>Agreed</strong>" in page and "<script>alert(1)" not in page


def test_portal_meeting_query_count_is_pinned(
    login, product_owner, meeting, topics, member_a, django_assert_num_queries
):
    services.invitations_send(meeting=meeting, actor=product_owner)
    services.minutes_save(meeting=meeting, actor=product_owner, body="Done", publish=True)
    client = login(member_a)
    url = reverse("clubs:portal_meeting", args=[meeting.pk])
    client.get(url)
    with django_assert_num_queries(6):
        assert client.get(url).status_code == 200


def test_vote_fragment_form_then_voted_then_results(login, product_owner, meeting, topics, open_vote, member_a):
    client = login(member_a)
    url = reverse("clubs:portal_vote", args=[open_vote.pk])
    assert b'data-testid="vote-not-present"' in client.get(url).content
    present(meeting, product_owner, member_a)
    fragment = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert 'data-testid="ballot-form"' in fragment and "hx-trigger" not in fragment.split("<form")[0]
    points = {f"topic_{topics['public_a'].pk}": "3", f"topic_{topics['private_b'].pk}": "2"}
    response = client.post(url, points, headers={"HX-Request": "true"})
    assert response.status_code == 200 and b'data-testid="vote-done"' in response.content
    assert Ballot.objects.get(vote=open_vote, user=member_a).total == 5
    # Twice: refused, still one ballot.
    response = client.post(url, points)
    assert response.status_code in (302, 400) and Ballot.objects.filter(user=member_a).count() == 1
    services.vote_close(vote=open_vote, actor=product_owner)
    fragment = client.get(url).content
    assert b'data-testid="vote-results"' in fragment and b"hx-trigger" not in fragment


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"topic_{public}": "3", "topic_{private}": "3"}, b"You have 5 points and gave 6"),
        ({"topic_{public}": "6"}, b"less than or equal to 5"),
        ({"topic_{public}": "99999999999999999999999"}, b"errorlist"),
        ({"topic_{public}": "-1"}, b"errorlist"),
        ({"topic_{public}": "a\x00"}, b"NUL"),
        ({"topic_999999": "1"}, b"this vote&#x27;s topics only"),
        ({"topic_{public}": "0"}, b"Give at least one point"),
    ],
)
def test_bad_ballots_are_form_errors(login, product_owner, meeting, topics, open_vote, member_a, data, message):
    present(meeting, product_owner, member_a)
    data = {
        key.replace("{public}", str(topics["public_a"].pk)).replace("{private}", str(topics["private_b"].pk)): value
        for key, value in data.items()
    }
    response = login(member_a).post(reverse("clubs:portal_vote", args=[open_vote.pk]), data)
    assert response.status_code == 400
    assert message in response.content
    assert not Ballot.objects.exists()


def test_vote_on_a_closed_vote_is_refused(login, product_owner, meeting, topics, open_vote, member_a):
    present(meeting, product_owner, member_a)
    services.vote_close(vote=open_vote, actor=product_owner)
    response = login(member_a).post(
        reverse("clubs:portal_vote", args=[open_vote.pk]), {f"topic_{topics['public_a'].pk}": "1"}
    )
    assert response.status_code == 400 and b"This vote is closed" in response.content
    assert not Ballot.objects.exists()


def test_index_query_count_is_pinned(login, product_owner, club, meeting, django_assert_num_queries):
    client = login(product_owner)
    client.get(reverse("clubs:index"))
    with django_assert_num_queries(3):
        assert client.get(reverse("clubs:index")).status_code == 200
    for i in range(5):
        services.club_create(actor=product_owner, name=f"Club {i}")
    with django_assert_num_queries(3):
        assert client.get(reverse("clubs:index")).status_code == 200
