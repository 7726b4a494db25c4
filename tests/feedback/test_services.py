"""The feedback workflow through its services: submit, vote, reply, decide, merge, notify."""

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import close_old_connections

from core.models import OutboundEmail
from feedback import services
from feedback.models import Feedback, FeedbackEvent, Follow, Notification, NotificationPreference, ProductArea, Vote
from tests.factories import client_user, feedback_for


def test_submit_counts_the_requester_and_assigns_the_area_owner(member_a, org_a, product_owner):
    area = ProductArea.objects.create(name="Reporting", slug="reporting", default_owner=product_owner)
    feedback = feedback_for(author=member_a, product_area=area, importance="critical")
    assert (feedback.vote_count, feedback.organization_count, feedback.revenue) == (1, 1, org_a.annual_contract_value)
    assert feedback.assignee == product_owner
    assert feedback.status == Feedback.Status.NEW
    assert Vote.objects.get(feedback=feedback).importance == "critical"
    assert Follow.objects.filter(feedback=feedback, user=member_a).exists()
    assert feedback.events.get().kind == FeedbackEvent.Kind.CREATED


def test_submit_validates_and_writes_nothing(member_a, org_b):
    with pytest.raises(ValidationError) as error:
        services.feedback_submit(author=member_a, organization=member_a.organization, title="ab", kind="nope")
    assert set(error.value.message_dict) == {"title", "kind"}
    with pytest.raises(ValidationError):
        services.feedback_submit(author=member_a, organization=org_b, title="Another company's request")
    assert not Feedback.objects.exists()


def test_staff_logs_feedback_on_behalf_of_a_client(contributor, member_b):
    feedback = services.feedback_submit(
        author=member_b,
        organization=member_b.organization,
        title="Bulk edit of invoices",
        source=Feedback.Source.STAFF,
        submitted_by=contributor,
    )
    vote = Vote.objects.get(feedback=feedback)
    assert (feedback.submitted_by, vote.provenance, vote.cast_by) == (contributor, "on_behalf", contributor)
    assert feedback.language == "fr"  # the requester's language


def test_votes_counters_organizations_and_revenue(member_a, admin_a, member_b, org_a, org_b, contributor):
    feedback = feedback_for(author=member_a, visibility="public")
    services.vote_cast(feedback=feedback, user=admin_a, importance="nice_to_have")
    services.vote_cast(feedback=feedback, user=member_b, provenance="on_behalf", cast_by=contributor)
    feedback.refresh_from_db()
    assert (feedback.vote_count, feedback.organization_count) == (3, 2)
    assert feedback.revenue == org_a.annual_contract_value + org_b.annual_contract_value
    services.vote_cast(feedback=feedback, user=admin_a, importance="critical")  # a change, not a second vote
    services.vote_remove(feedback=feedback, user=member_b)
    feedback.refresh_from_db()
    assert (feedback.vote_count, feedback.organization_count, feedback.revenue) == (2, 1, org_a.annual_contract_value)
    assert Vote.objects.get(feedback=feedback, user=admin_a).importance == "critical"


def test_staff_cannot_vote_as_themselves(member_a, product_owner):
    with pytest.raises(ValidationError):
        services.vote_cast(feedback=feedback_for(author=member_a), user=product_owner)


@pytest.mark.django_db(transaction=True)
def test_counters_stay_exact_under_concurrent_votes(org_a):
    feedback = feedback_for(author=client_user(organization=org_a, email="author@acme.test"))
    voters = [client_user(organization=org_a, email=f"voter{i}@acme.test") for i in range(8)]
    barrier = threading.Barrier(len(voters))
    errors = []

    def vote(user):
        try:
            barrier.wait()
            services.vote_cast(feedback=feedback, user=user)
        except Exception as exc:
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=vote, args=[user]) for user in voters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    feedback.refresh_from_db()
    assert feedback.vote_count == 9 == Vote.objects.filter(feedback=feedback).count()


def test_decline_requires_a_public_reason_and_contributors_cannot_decide(member_a, product_owner, contributor):
    feedback = feedback_for(author=member_a)
    with pytest.raises(ValidationError) as error:
        services.feedback_change_status(feedback=feedback, actor=product_owner, status="declined")
    assert "public_message" in error.value.message_dict
    with pytest.raises(PermissionDenied):
        services.feedback_change_status(feedback=feedback, actor=contributor, status="planned")
    feedback.refresh_from_db()
    assert feedback.status == "new" and feedback.events.count() == 1


def test_status_change_notifies_author_voters_followers_in_their_language(
    member_a, admin_a, member_b, product_owner, django_capture_on_commit_callbacks
):
    feedback = feedback_for(author=member_a, visibility="public")
    services.vote_cast(feedback=feedback, user=member_b)
    services.follow_set(feedback=feedback, user=admin_a, following=True)
    services.comment_add(feedback=feedback, author=product_owner, body="Secret: big client pushing", is_internal=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.feedback_change_status(
            feedback=feedback, actor=product_owner, status="declined", public_message="Out of scope for this year."
        )
    emails = {e.to_email: e for e in OutboundEmail.objects.filter(template="feedback/emails/status")}
    assert set(emails) == {member_a.email, member_b.email, admin_a.email}
    assert emails[member_b.email].language == "fr" and "Refusée" in emails[member_b.email].subject
    assert emails[member_a.email].language == "en" and "Declined" in emails[member_a.email].subject
    for email in emails.values():
        assert "Out of scope for this year." in email.text_body
        assert "Secret" not in email.text_body + email.html_body
    assert Notification.objects.filter(feedback=feedback).count() == 3
    feedback.refresh_from_db()
    assert feedback.first_response_at is not None


def test_notifications_respect_preferences_and_are_idempotent(
    member_a, member_b, product_owner, django_capture_on_commit_callbacks
):
    from feedback.notifications import event_notify

    feedback = feedback_for(author=member_a, visibility="public")
    services.vote_cast(feedback=feedback, user=member_b)
    NotificationPreference.objects.create(user=member_b, event="reply", email=False)
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(feedback=feedback, author=product_owner, body="We are looking at it.")
    event = FeedbackEvent.objects.get(kind="reply")
    event_notify(event_id=event.pk)  # a second run adds nothing
    assert list(OutboundEmail.objects.values_list("to_email", flat=True)) == [member_a.email]
    assert Notification.objects.filter(event=event).count() == 2  # the portal still shows it


def test_needs_info_requires_a_question_and_the_answer_puts_it_back(member_a, product_owner):
    feedback = feedback_for(author=member_a)
    with pytest.raises(ValidationError):
        services.feedback_change_status(feedback=feedback, actor=product_owner, status="needs_info")
    services.feedback_change_status(
        feedback=feedback, actor=product_owner, status="needs_info", public_message="Which export format?"
    )
    services.comment_add(feedback=feedback, author=member_a, body="PDF, landscape.")
    feedback.refresh_from_db()
    assert feedback.status == Feedback.Status.UNDER_REVIEW
    assert feedback.events.filter(kind=FeedbackEvent.Kind.INFO_PROVIDED).exists()


def test_clients_cannot_write_internal_notes(member_a):
    with pytest.raises(PermissionDenied):
        services.comment_add(feedback=feedback_for(author=member_a), author=member_a, body="x", is_internal=True)


def test_merge_moves_votes_without_doubles_and_tells_requesters(
    member_a, admin_a, member_b, product_owner, django_capture_on_commit_callbacks
):
    target = feedback_for(author=member_b, title="Dark mode for the dashboard", visibility="public")
    source = feedback_for(author=member_a, title="Night theme please")
    services.vote_cast(feedback=source, user=admin_a, importance="critical")
    services.vote_cast(feedback=target, user=admin_a, importance="nice_to_have")
    with django_capture_on_commit_callbacks(execute=True):
        services.feedback_merge(source=source, target=target, actor=product_owner)
    source.refresh_from_db()
    target.refresh_from_db()
    assert (source.status, source.merged_into, source.vote_count) == ("merged", target, 0)
    assert target.vote_count == 3 == Vote.objects.filter(feedback=target).count()
    assert Vote.objects.get(feedback=target, user=admin_a).importance == "critical"
    assert target.organization_count == 2
    assert Follow.objects.filter(feedback=target, user=member_a).exists()
    merged_emails = OutboundEmail.objects.filter(template="feedback/emails/merged")
    assert {e.to_email for e in merged_emails} == {member_a.email, admin_a.email}
    assert all(f"/portal/feedback/{target.pk}/" in e.text_body for e in merged_emails)


def test_merge_refuses_private_target_of_another_company_and_self(member_a, member_b, product_owner):
    target = feedback_for(author=member_b, title="Private Globex request")
    source = feedback_for(author=member_a, title="Acme request")
    with pytest.raises(ValidationError):
        services.feedback_merge(source=source, target=target, actor=product_owner)
    with pytest.raises(ValidationError):
        services.feedback_merge(source=source, target=source, actor=product_owner)
    source.refresh_from_db()
    assert source.status == "new" and Vote.objects.filter(feedback=source).count() == 1


def test_trending_is_votes_weighed_by_freshness(member_a, admin_a, member_b):
    from datetime import timedelta

    from django.utils import timezone

    from feedback.selectors import feedback_portal_list

    old_popular = feedback_for(author=member_a, title="Old but popular request")
    feedback_for(author=member_a, title="Fresh request of today")
    Feedback.objects.filter(pk=old_popular.pk).update(created_at=timezone.now() - timedelta(days=3))
    services.vote_cast(feedback=old_popular, user=admin_a)  # recount refreshes the stored score
    titles = [f.title for f in feedback_portal_list(user=member_a, sort="trending")]
    assert titles.index("Old but popular request") > titles.index("Fresh request of today")  # 2 votes < 3 days
    for i in range(9):
        from tests.factories import client_user

        services.vote_cast(
            feedback=old_popular, user=client_user(organization=member_a.organization, email=f"fan{i}@acme.test")
        )
    titles = [f.title for f in feedback_portal_list(user=member_a, sort="trending")]
    assert titles.index("Old but popular request") < titles.index("Fresh request of today")  # 11 votes > 3 days


def test_a_refusal_speaks_the_language_active_when_refused(member_a, contributor):
    from django.utils import translation

    feedback = feedback_for(author=member_a)
    with translation.override("fr"), pytest.raises(PermissionDenied) as refused:
        services.feedback_change_status(feedback=feedback, actor=contributor, status="planned")
    assert str(refused.value) == "Seuls les responsables produit peuvent statuer sur les demandes."
