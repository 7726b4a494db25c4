"""Clubs' services: membership, agenda wording, votes under concurrency, club priority, calendar
files, reminders once, and what the other company received."""

import threading
from datetime import timedelta

import icalendar
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from clubs import notifications, services
from clubs.models import Ballot, BallotPoints, Invitation, Mailing, VoteResult
from clubs.selectors import agenda_suggestions, meeting_history
from core.models import OutboundEmail
from feedback.models import Feedback, Vote
from roadmap import services as roadmap_services
from tests.clubs.conftest import present
from tests.factories import client_user, feedback_for

SECRET = "Globex confidential payroll rework"


def _send_mailings():
    for mailing_id in Mailing.objects.filter(done_at=None).values_list("pk", flat=True):
        notifications.mailing_send(mailing_id=mailing_id)


def _emails_to(user):
    return OutboundEmail.objects.filter(to_email=user.email)


def _blob(emails) -> str:
    return "\n".join(
        e.subject + e.text_body + e.html_body + "".join(a["content"] for a in e.attachments) for e in emails
    )


def test_only_product_owners_create_clubs_and_organizers_manage(contributor, product_owner, club, member_a):
    with pytest.raises(PermissionDenied):
        services.club_create(actor=contributor, name="Nope")
    with pytest.raises(PermissionDenied):
        services.club_update(club=club, actor=contributor, name="Renamed")
    club.organizers.add(contributor)
    assert services.club_update(club=club, actor=contributor, name="Renamed").name == "Renamed"
    with pytest.raises(PermissionDenied):
        services.member_add(club=club, actor=member_a, user=member_a)


def test_member_count_follows_joins_and_leaves(club, member_a):
    club.refresh_from_db()
    assert club.member_count == 3
    services.member_leave(club=club, user=member_a)
    club.refresh_from_db()
    assert club.member_count == 2


def test_a_private_request_goes_on_the_agenda_only_with_a_summary(meeting, product_owner, member_b):
    private_b = feedback_for(author=member_b, title=SECRET)
    with pytest.raises(ValidationError) as error:
        services.agenda_add(meeting=meeting, actor=product_owner, feedback=private_b)
    assert "summary" in str(error.value)
    topic = services.agenda_add(
        meeting=meeting, actor=product_owner, feedback=private_b, title="Payroll reconciliation needs"
    )
    assert topic.title == "Payroll reconciliation needs"
    public = feedback_for(author=member_b, title="Public export idea", visibility=Feedback.Visibility.PUBLIC)
    assert services.agenda_add(meeting=meeting, actor=product_owner, feedback=public).title == "Public export idea"


def test_invitations_reach_members_in_their_language_without_another_companys_private_request(
    meeting, product_owner, member_a, member_b, admin_a
):
    private_b = feedback_for(author=member_b, title=SECRET)
    services.agenda_add(meeting=meeting, actor=product_owner, feedback=private_b, title="Payroll needs")
    assert services.invitations_send(meeting=meeting, actor=product_owner) == 3
    _send_mailings()
    french = _emails_to(member_b).get(template="clubs/emails/invitation")
    assert french.language == "fr" and french.text_body.startswith("Bonjour Greta Globex")
    acme = _blob(_emails_to(member_a)) + _blob(_emails_to(admin_a))
    assert SECRET not in acme
    assert f"/portal/feedback/{private_b.pk}/" not in acme
    # Globex's own member gets a link to their own request; Acme's never do.
    assert f"/portal/feedback/{private_b.pk}/" in _blob(_emails_to(member_b))
    # Sending again invites nobody twice.
    assert services.invitations_send(meeting=meeting, actor=product_owner) == 0
    _send_mailings()
    assert OutboundEmail.objects.filter(template="clubs/emails/invitation").count() == 3


def test_calendar_file_keeps_its_uid_raises_its_sequence_and_cancels(meeting, product_owner, member_a):
    services.invitations_send(meeting=meeting, actor=product_owner)
    _send_mailings()
    first = icalendar.Calendar.from_ical(
        _emails_to(member_a).get(template="clubs/emails/invitation").attachments[0]["content"]
    )
    event = first.walk("VEVENT")[0]
    assert first["METHOD"] == "REQUEST"
    assert str(event["UID"]) == meeting.ical_uid and int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTART").tzinfo.key == "Europe/Paris"
    assert event.decoded("DTSTART") == meeting.starts_at
    assert first.walk("VTIMEZONE")[0]["TZID"] == "Europe/Paris"

    services.meeting_update(meeting=meeting, actor=product_owner, starts_at=meeting.starts_at + timedelta(hours=1))
    _send_mailings()
    update = icalendar.Calendar.from_ical(
        _emails_to(member_a).get(template="clubs/emails/update").attachments[0]["content"]
    )
    assert str(update.walk("VEVENT")[0]["UID"]) == meeting.ical_uid
    assert int(update.walk("VEVENT")[0]["SEQUENCE"]) == 1
    # A change that does not touch the calendar sends nothing.
    services.meeting_update(meeting=meeting, actor=product_owner, description="More details")
    _send_mailings()
    assert _emails_to(member_a).filter(template="clubs/emails/update").count() == 1

    services.meeting_cancel(meeting=meeting, actor=product_owner)
    _send_mailings()
    cancel_email = _emails_to(member_a).get(template="clubs/emails/cancel")
    cancel = icalendar.Calendar.from_ical(cancel_email.attachments[0]["content"])
    assert cancel["METHOD"] == "CANCEL"
    assert str(cancel.walk("VEVENT")[0]["UID"]) == meeting.ical_uid
    assert int(cancel.walk("VEVENT")[0]["SEQUENCE"]) == 2
    assert cancel.walk("VEVENT")[0]["STATUS"] == "CANCELLED"
    assert cancel_email.attachments[0]["content_type"] == "text/calendar; method=CANCEL"


def test_declining_stops_updates_and_the_reminder_goes_once(meeting, product_owner, member_a, member_b):
    services.invitations_send(meeting=meeting, actor=product_owner)
    services.rsvp_set(meeting=meeting, user=member_a, rsvp="yes", comment="Will bring a colleague")
    services.rsvp_set(meeting=meeting, user=member_b, rsvp="no")
    with pytest.raises(ValidationError):
        services.rsvp_set(meeting=meeting, user=member_a, rsvp="perhaps")
    the_day_before = meeting.starts_at - timedelta(hours=20)
    assert notifications.reminders_send(now=the_day_before) == 1
    assert notifications.reminders_send(now=the_day_before) == 0
    assert notifications.reminders_send(now=the_day_before + timedelta(hours=1)) == 0
    assert OutboundEmail.objects.filter(template="clubs/emails/reminder").count() == 1
    assert _emails_to(member_a).filter(template="clubs/emails/reminder").count() == 1
    # Too early: nothing.
    Invitation.objects.update(reminded_at=None)
    assert notifications.reminders_send(now=meeting.starts_at - timedelta(days=3)) == 0


def _open_vote(meeting, product_owner, budget=5):
    first = services.agenda_add(meeting=meeting, actor=product_owner, title="Faster exports")
    second = services.agenda_add(meeting=meeting, actor=product_owner, title="Mobile approvals")
    vote = services.vote_create(
        meeting=meeting, actor=product_owner, title="What matters most?", budget=budget, topics=[first, second]
    )
    return services.vote_open(vote=vote, actor=product_owner), first, second


def test_an_attendee_spends_at_most_the_budget_once_while_open(meeting, product_owner, member_a, member_b):
    vote, first, second = _open_vote(meeting, product_owner)
    with pytest.raises(ValidationError):  # not marked present
        services.ballot_cast(vote=vote, user=member_a, points={first.pk: 1})
    present(meeting, product_owner, member_a, member_b)
    with pytest.raises(ValidationError) as error:
        services.ballot_cast(vote=vote, user=member_a, points={first.pk: 4, second.pk: 2})
    assert "5" in str(error.value)
    with pytest.raises(ValidationError):
        services.ballot_cast(vote=vote, user=member_a, points={first.pk: -1, second.pk: 6})
    with pytest.raises(ValidationError):
        services.ballot_cast(vote=vote, user=member_a, points={999999: 1})
    services.ballot_cast(vote=vote, user=member_a, points={first.pk: 3, second.pk: 2})
    with pytest.raises(ValidationError) as twice:
        services.ballot_cast(vote=vote, user=member_a, points={first.pk: 1})
    assert "already" in str(twice.value)
    services.vote_close(vote=vote, actor=product_owner)
    with pytest.raises(ValidationError) as closed:
        services.ballot_cast(vote=vote, user=member_b, points={first.pk: 1})
    assert "closed" in str(closed.value)
    assert Ballot.objects.count() == 1 and BallotPoints.objects.count() == 2


def test_a_staff_member_cannot_vote_and_a_stranger_is_refused(meeting, product_owner, org_b):
    vote, first, _second = _open_vote(meeting, product_owner)
    stranger = client_user(organization=org_b, email="stranger@globex.test")
    with pytest.raises(PermissionDenied):
        services.ballot_cast(vote=vote, user=stranger, points={first.pk: 1})
    with pytest.raises(PermissionDenied):
        services.ballot_cast(vote=vote, user=product_owner, points={first.pk: 1})


@pytest.mark.django_db(transaction=True)
def test_concurrent_ballots_lose_no_point_and_count_none_twice(org_a, org_b, product_owner):
    club = services.club_create(actor=product_owner, name="Busy club")
    start = timezone.now() + timedelta(minutes=5)
    meeting = services.meeting_create(
        club=club, actor=product_owner, title="Busy", starts_at=start, ends_at=start + timedelta(hours=1)
    )
    people = [client_user(organization=org_a if i % 2 else org_b, email=f"p{i}@x.test") for i in range(12)]
    for person in people:
        services.member_add(club=club, actor=product_owner, user=person)
    present(meeting, product_owner, *people)
    vote, first, second = _open_vote(meeting, product_owner, budget=3)
    errors: list = []
    barrier = threading.Barrier(len(people) + 2)

    def cast(person):
        try:
            barrier.wait()
            services.ballot_cast(vote=vote, user=person, points={first.pk: 2, second.pk: 1})
        except ValidationError as exc:
            errors.append(exc)
        finally:
            connection.close()

    def twice(person):  # the same person again, at the same moment
        cast(person)

    threads = [threading.Thread(target=cast, args=(p,)) for p in people]
    threads += [threading.Thread(target=twice, args=(people[0],)), threading.Thread(target=twice, args=(people[1],))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(errors) == 2 and all("already" in str(e) for e in errors)
    services.vote_close(vote=vote, actor=product_owner)
    vote.refresh_from_db()
    assert vote.ballot_count == 12
    tally = {row["topic"].pk: row["points"] for row in services.vote_tally(vote=vote)}
    assert tally == {first.pk: 24, second.pk: 12}
    by_org = {(r.topic_id, r.organization_id): r.points for r in VoteResult.objects.filter(vote=vote)}
    assert by_org[(first.pk, org_a.pk)] == 12 and by_org[(first.pk, org_b.pk)] == 12


def test_the_tally_reaches_the_roadmap_business_case_and_the_request_gets_meeting_votes(
    meeting, product_owner, member_a, member_b
):
    public = feedback_for(author=member_b, title="Public export idea", visibility=Feedback.Visibility.PUBLIC)
    private_b = feedback_for(author=member_b, title=SECRET)
    item = roadmap_services.item_create(actor=product_owner, title="Exports")
    roadmap_services.item_link_feedback(item=item, feedback=public, actor=product_owner)
    other_item = roadmap_services.item_create(actor=product_owner, title="Payroll")
    t1 = services.agenda_add(meeting=meeting, actor=product_owner, feedback=public)
    t2 = services.agenda_add(meeting=meeting, actor=product_owner, roadmap_item=other_item, title="Payroll ideas")
    t3 = services.agenda_add(meeting=meeting, actor=product_owner, feedback=private_b, title="Payroll needs")
    vote = services.vote_create(meeting=meeting, actor=product_owner, title="Priorities", budget=6, topics=[t1, t2, t3])
    services.vote_open(vote=vote, actor=product_owner)
    present(meeting, product_owner, member_a, member_b)
    services.ballot_cast(vote=vote, user=member_a, points={t1.pk: 3, t2.pk: 1, t3.pk: 2})
    services.ballot_cast(vote=vote, user=member_b, points={t1.pk: 1, t2.pk: 5})
    # Acme's member now votes for the public request ("club meeting", critical: half the budget).
    vote_a = Vote.objects.get(feedback=public, user=member_a)
    assert vote_a.provenance == Vote.Provenance.MEETING and vote_a.importance == Feedback.Importance.CRITICAL
    # ...but never on Globex's private request, though their points count in the tally.
    assert not Vote.objects.filter(feedback=private_b, user=member_a).exists()
    # Globex's requester keeps their own vote and importance (never lowered).
    assert Vote.objects.get(feedback=public, user=member_b).provenance == Vote.Provenance.DIRECT
    # A vote staff cast on a client's behalf is raised, and stays "on behalf".
    from feedback import services as feedback_services

    admin_b = client_user(organization=member_b.organization, email="admin-b@globex.test")
    feedback_services.vote_cast(
        feedback=public, user=admin_b, importance="nice_to_have", provenance="on_behalf", cast_by=product_owner
    )
    services.member_add(club=meeting.club, actor=product_owner, user=admin_b)
    present(meeting, product_owner, admin_b)
    services.ballot_cast(vote=vote, user=admin_b, points={t1.pk: 1})
    raised = Vote.objects.get(feedback=public, user=admin_b)
    assert (raised.provenance, raised.importance) == (Vote.Provenance.ON_BEHALF, Feedback.Importance.IMPORTANT)
    item.refresh_from_db()
    assert item.club_priority == 0  # only closed votes count
    services.vote_close(vote=vote, actor=product_owner)
    item.refresh_from_db()
    other_item.refresh_from_db()
    assert item.club_priority == 5 and other_item.club_priority == 6  # 3 + 1 + 1 (Globex's admin) and 1 + 5
    assert item.votes_meeting == 1


def test_minutes_go_to_attendees_once_and_stay_free_of_private_titles(
    meeting, product_owner, member_a, member_b, admin_a
):
    services.invitations_send(meeting=meeting, actor=product_owner)
    present(meeting, product_owner, member_a, member_b)
    with pytest.raises(ValidationError):
        services.minutes_save(meeting=meeting, actor=product_owner, body="", publish=True)
    services.minutes_save(meeting=meeting, actor=product_owner, body="# Notes\n\n- We agreed on **exports**")
    assert not OutboundEmail.objects.filter(template="clubs/emails/minutes").exists()
    services.minutes_save(
        meeting=meeting, actor=product_owner, body="# Notes\n\n- We agreed on **exports**", publish=True
    )
    _send_mailings()
    services.minutes_save(meeting=meeting, actor=product_owner, body="# Notes (fixed)", publish=True)
    _send_mailings()  # a correction is read in the portal; nobody gets the minutes twice
    minutes = OutboundEmail.objects.filter(template="clubs/emails/minutes")
    assert sorted(minutes.values_list("to_email", flat=True)) == sorted([member_a.email, member_b.email])
    assert "<strong>exports</strong>" in minutes.get(to_email=member_a.email).html_body
    meeting.refresh_from_db()
    assert meeting.status == "held"


def test_captured_request_is_ordinary_feedback_from_the_member(meeting, product_owner, member_b, contributor):
    request = services.request_capture(
        meeting=meeting, actor=product_owner, author=member_b, title="Bulk approve expense reports"
    )
    assert request.source == Feedback.Source.CLUB and request.author == member_b
    assert request.organization == member_b.organization and request.club_meeting.meeting == meeting
    with pytest.raises(ValidationError):
        services.request_capture(meeting=meeting, actor=product_owner, author=contributor, title="Staff cannot")


def test_suggestions_and_history(club, meeting, product_owner, member_a, member_b):
    old_start = timezone.now() - timedelta(days=20)
    past = services.meeting_create(
        club=club, actor=product_owner, title="Winter", starts_at=old_start, ends_at=old_start + timedelta(hours=1)
    )
    services.meeting_mark_held(meeting=past, actor=product_owner)
    asked = feedback_for(author=member_a, title="Approve from the phone")
    feedback_for(author=member_b, title=SECRET)
    late = services.action_item_create(
        club=club,
        actor=product_owner,
        meeting=past,
        title="Send the export spec",
        owner=member_a,
        due_date=timezone.localdate() - timedelta(days=2),
        feedback=asked,
    )
    from feedback import services as feedback_services

    feedback_services.feedback_change_status(feedback=asked, actor=product_owner, status="planned")
    suggestions = agenda_suggestions(club=club, meeting=meeting)
    assert suggestions["previous"] == past
    assert [s["feedback"].pk for s in suggestions["demand"]][:1]
    assert any(s["feedback"].pk == asked.pk for s in suggestions["changed"])
    assert suggestions["actions"][0]["action_item"] == late and suggestions["actions"][0]["late"]
    private_suggestion = next(s for s in suggestions["demand"] if s["feedback"].title == SECRET)
    assert private_suggestion["wording"] == ""  # the organizer must write a summary
    history_a = meeting_history(meeting=meeting, user=member_a)
    assert history_a["promised"] == [late]
    assert [(h["old"], h["new"]) for h in history_a["happened"]] == [("new", "planned")]
    # Globex's member cannot open Acme's private request: the change is not shown to them.
    assert meeting_history(meeting=meeting, user=member_b)["happened"] == []
