"""Roadmap services: business case, decisions, releases told once."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.models import OutboundEmail
from feedback import services as feedback_services
from feedback.models import Feedback, Notification
from roadmap import services
from roadmap.models import Decision, Release, RoadmapItem
from roadmap.notifications import release_fanout
from tests.factories import feedback_for


@pytest.fixture
def item(product_owner):
    return services.item_create(actor=product_owner, title="Offline mode", impact="2", confidence=80, effort=2)


def test_business_case_follows_links_and_votes(product_owner, item, member_a, admin_a, member_b, org_a, org_b):
    org_a.renewal_date = timezone.localdate() + timedelta(days=90)  # inside the window (edge included)
    org_a.save(update_fields=["renewal_date"])
    org_b.renewal_date = timezone.localdate() + timedelta(days=91)  # just outside
    org_b.save(update_fields=["renewal_date"])
    a = feedback_for(author=member_a, title="Work offline in basements", visibility="public")
    b = feedback_for(author=member_b, title="Offline sync for tablets")
    services.item_link_feedback(item=item, feedback=a, actor=product_owner)
    services.item_link_feedback(item=item, feedback=b, actor=product_owner)
    feedback_services.vote_cast(feedback=a, user=admin_a, importance="critical")
    item.refresh_from_db()
    assert (item.request_count, item.vote_count, item.organization_count) == (2, 3, 2)
    assert (item.votes_critical, item.votes_important) == (1, 2)
    assert item.revenue == org_a.annual_contract_value + org_b.annual_contract_value
    assert item.revenue_at_risk == org_a.annual_contract_value
    assert item.rice_score == pytest.approx(2 * 2 * 0.8 / 2)
    services.item_unlink_feedback(item=item, feedback=b, actor=product_owner)
    item.refresh_from_db()
    assert (item.request_count, item.organization_count, item.main_request_id) == (1, 1, a.pk)


def test_a_request_belongs_to_one_item(product_owner, item, member_a):
    other = services.item_create(actor=product_owner, title="Something else")
    a = feedback_for(author=member_a, title="Work offline in basements")
    services.item_link_feedback(item=item, feedback=a, actor=product_owner)
    with pytest.raises(ValidationError):
        services.item_link_feedback(item=other, feedback=a, actor=product_owner)


def test_contributors_do_not_decide_roadmap_matters(contributor, item):
    with pytest.raises(PermissionDenied):
        services.item_move(item=item, actor=contributor, status="now")
    with pytest.raises(PermissionDenied):
        services.decision_record(actor=contributor, kind="accepted", item=item, expected_outcome="x")


def test_decline_tells_the_requesters_and_needs_a_reason(
    django_capture_on_commit_callbacks, product_owner, item, member_a
):
    a = feedback_for(author=member_a, title="Work offline in basements")
    services.item_link_feedback(item=item, feedback=a, actor=product_owner)
    with pytest.raises(ValidationError):
        services.decision_record(actor=product_owner, kind="declined", item=item)
    with django_capture_on_commit_callbacks(execute=True):
        decision = services.decision_record(
            actor=product_owner, kind="declined", item=item, public_message="Not in our product's scope."
        )
    a.refresh_from_db()
    item.refresh_from_db()
    assert a.status == Feedback.Status.DECLINED and item.status == RoadmapItem.Status.CANCELLED
    assert decision.clients_told_at and decision.told_events.count() == 1
    assert OutboundEmail.objects.filter(to_email=member_a.email).count() == 1


def test_release_announces_once_per_person(
    django_capture_on_commit_callbacks, product_owner, item, member_a, admin_a, member_b
):
    a = feedback_for(author=member_a, title="Work offline in basements", visibility="public")
    b = feedback_for(author=member_a, title="Offline sync for tablets")
    feedback_services.vote_cast(feedback=a, user=member_b, importance="important")
    feedback_services.vote_cast(feedback=b, user=admin_a, importance="important")
    for request in (a, b):
        services.item_link_feedback(item=item, feedback=request, actor=product_owner)
    release = services.release_save(
        actor=product_owner, title="Spring release", release_date=timezone.localdate(), items=[item]
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.release_publish(release=release, actor=product_owner)
        services.release_publish(release=release, actor=product_owner)  # twice: nothing more
    release.refresh_from_db()
    assert release.status == Release.Status.PUBLISHED and release.fanned_out_at
    assert release_fanout(release_id=release.pk) == 0  # a retried task: nothing more
    emails = OutboundEmail.objects.filter(template="roadmap/emails/release")
    assert sorted(e.to_email for e in emails) == sorted([member_a.email, admin_a.email, member_b.email])
    # member_a asked for both requests: one email naming both; member_b (Globex) hears only of the public one.
    assert "Offline sync for tablets" in emails.get(to_email=member_a.email).text_body
    assert "Offline sync for tablets" not in emails.get(to_email=member_b.email).text_body
    assert Notification.objects.filter(user=member_a).count() == 2
    assert not OutboundEmail.objects.filter(template="feedback/emails/status").exists()
    a.refresh_from_db()
    assert a.status == Feedback.Status.SHIPPED


def test_outcome_is_recorded_once_shipped(product_owner, item, member_a):
    decision = services.decision_record(
        actor=product_owner, kind="accepted", item=item, expected_outcome="Technicians stop losing data."
    )
    with pytest.raises(ValidationError):
        services.decision_record_outcome(decision=decision, actor=product_owner, outcome="reached", actual_outcome="x")
    services.item_move(item=item, actor=product_owner, status="shipped")
    with pytest.raises(ValidationError):  # a missed outcome needs its lesson
        services.decision_record_outcome(decision=decision, actor=product_owner, outcome="missed", actual_outcome="x")
    decision = services.decision_record_outcome(
        decision=decision, actor=product_owner, outcome="missed", actual_outcome="Still losing data", lesson="Ask."
    )
    assert decision.outcome == Decision.Outcome.MISSED
