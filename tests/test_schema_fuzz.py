"""Schemathesis against /api/schema/, in process through the WSGI application: for every operation,
generated requests (valid and invalid) with a client's token and with a product owner's token must
never cost a server error, and every documented answer must match its schema.

Bounded (25 examples per operation, derandomized) so it runs in `make test`. status_code_conformance
is not among the checks: the schema documents successes only, so every refusal (400, 403, 404) would
count as a failure; the error shape is asserted for each refusal instead.
"""

from datetime import timedelta

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from accounts.models import Membership
from accounts.services import api_token_create
from config.wsgi import application
from feedback.models import Comment
from roadmap import services as roadmap_services
from roadmap.models import Decision
from tests.factories import OrganizationFactory, StaffFactory, client_user, feedback_for


@pytest.fixture(autouse=True)
def _keep_the_test_transaction(db):
    """Requests go through the WSGI application itself, not Django's test client: like the test
    client, keep Django from closing the connection (and the test's transaction) after each one."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# Loaded at collection through the application itself: serving the schema touches no database.
# (schemathesis.pytest.from_fixture would load it inside a test, but its lazy loader does not work
# with pytest 9 yet: it sets `request.node._nodeid`, which pytest 9 no longer has.)
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture
def fuzz_world(db):
    """Two companies with uneven data; the ids of some real requests, so that generated ids hit
    existing rows too (own, public, and another company's private one)."""
    acme = OrganizationFactory(name="Acme", slug="acme")
    globex = OrganizationFactory(name="Globex", slug="globex")
    member_a = client_user(organization=acme, email="member@acme.test")
    admin_b = client_user(organization=globex, role=Membership.Role.ADMIN, email="admin@globex.test")
    own = [feedback_for(author=member_a, title=f"Acme request number {i}") for i in range(3)]
    public_b = feedback_for(author=admin_b, title="Globex public idea", visibility="public")
    private_b = feedback_for(author=admin_b, title="Globex private wish")
    Comment.objects.create(feedback=own[0], author=admin_b, body="Note", is_internal=True)
    product_owner = StaffFactory(email="po@retour.test")  # with TOTP, as staff must be
    roadmap_ids = _roadmap(product_owner, public_b=public_b, private_b=private_b, own=own[0])
    club_ids = _clubs(product_owner, member_a=member_a, admin_b=admin_b, private_b=private_b, public_b=public_b)
    reporting_ids = _reporting(product_owner, globex=globex)
    return {
        "ids": [f.pk for f in (*own, public_b, private_b)]
        + [acme.pk, globex.pk]
        + roadmap_ids
        + club_ids
        + reporting_ids,
        "tokens": {
            "client": api_token_create(user=member_a, name="fuzz")[1],
            "product_owner": api_token_create(user=product_owner, name="fuzz")[1],
        },
    }


def _roadmap(product_owner, *, public_b, private_b, own) -> list[int]:
    """A public item and a private one with linked requests, decisions, a draft and a published release."""
    public = roadmap_services.item_create(
        actor=product_owner, title="Offline mode", is_public=True, public_title="Work offline", status="next"
    )
    private = roadmap_services.item_create(actor=product_owner, title="Globex retention deal")
    roadmap_services.item_link_feedback(item=public, feedback=public_b, actor=product_owner)
    roadmap_services.item_link_feedback(item=private, feedback=private_b, actor=product_owner)
    roadmap_services.item_link_feedback(item=public, feedback=own, actor=product_owner)
    decisions = [
        Decision.objects.create(feedback=private_b, kind="declined", public_message="No.", rationale="Internal"),
        Decision.objects.create(item=public, kind="accepted", expected_outcome="Fewer calls", rationale="Internal"),
    ]
    today = timezone.localdate()
    draft = roadmap_services.release_save(actor=product_owner, title="Spring", release_date=today, items=[public])
    shipped = roadmap_services.release_save(actor=product_owner, title="Winter", release_date=today, items=[private])
    roadmap_services.release_publish(release=shipped, actor=product_owner)
    return [public.pk, private.pk, draft.pk, shipped.pk] + [d.pk for d in decisions]


def _clubs(product_owner, *, member_a, admin_b, private_b, public_b) -> list[int]:
    """A club of both companies (a topic on Globex's private request, an open vote, minutes, an action
    item) and a Globex-only club with a closed vote: ids that a client may and may not reach."""
    from datetime import timedelta

    from clubs import services as club_services

    ids = []
    for name, members in (("Shared club", (member_a, admin_b)), ("Globex club", (admin_b,))):
        club = club_services.club_create(actor=product_owner, name=name, visibility="open")
        for user in members:
            club_services.member_add(club=club, actor=product_owner, user=user)
        start = timezone.now() + timedelta(days=5)
        meeting = club_services.meeting_create(
            club=club, actor=product_owner, title="Session", starts_at=start, ends_at=start + timedelta(hours=1)
        )
        topics = [
            club_services.agenda_add(meeting=meeting, actor=product_owner, feedback=private_b, title="Summary"),
            club_services.agenda_add(meeting=meeting, actor=product_owner, feedback=public_b),
        ]
        club_services.invitations_send(meeting=meeting, actor=product_owner)
        vote = club_services.vote_create(
            meeting=meeting, actor=product_owner, title="Priorities", budget=5, topics=topics
        )
        club_services.vote_open(vote=vote, actor=product_owner)
        for user in members:
            club_services.attendance_set(meeting=meeting, actor=product_owner, user=user, attended=True)
        if len(members) == 1:
            club_services.vote_close(vote=vote, actor=product_owner)
        club_services.minutes_save(meeting=meeting, actor=product_owner, body="Minutes", publish=len(members) == 1)
        action = club_services.action_item_create(
            club=club, actor=product_owner, title="Follow up", owner=admin_b, feedback=private_b
        )
        ids += [club.pk, meeting.pk, vote.pk, action.pk, *(t.pk for t in topics)]
        ids += list(club.memberships.values_list("pk", flat=True))
    return ids


def _reporting(product_owner, *, globex) -> list[int]:
    """A team's subscription scoped to Globex, with a digest sent (its recipients' emails in the outbox)
    and a failed one: ids of digests and subscriptions that a client must never reach."""
    from reporting.digests import digest_build, digest_send
    from reporting.models import Digest
    from reporting.services import subscription_save, team_save

    team = team_save(actor=product_owner, data={"name": "Sales", "members": [product_owner]})
    subscription = subscription_save(
        actor=product_owner, data={"name": "Sales weekly", "team": team, "organizations": [globex]}
    )
    start = timezone.localdate() - timedelta(days=7)
    sent = Digest.objects.create(
        subscription=subscription, period_start=start, period_end=start + timedelta(days=7), due_at=timezone.now()
    )
    digest_build(digest_id=sent.pk)
    digest_send(digest_id=sent.pk)
    failed = Digest.objects.create(
        subscription=subscription,
        period_start=start - timedelta(days=7),
        period_end=start,
        due_at=timezone.now(),
        status=Digest.Status.FAILED,
        error="RuntimeError",
    )
    return [team.pk, subscription.pk, sent.pk, failed.pk]


FUZZ_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def _call(case, fuzz_world, role: str) -> None:
    ids = fuzz_world["ids"]
    for name, value in (case.path_parameters or {}).items():
        if isinstance(value, int) and value % 2 == 0:  # half the generated ids point at real rows
            case.path_parameters[name] = ids[(value // 2) % len(ids)]
    response = case.call_and_validate(
        headers={"Authorization": f"Token {fuzz_world['tokens'][role]}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
    if response.status_code >= 400:
        # Every refusal speaks the API's error shape, whatever part of the stack refused.
        described = f"{case.method} {case.formatted_path} -> {response.status_code} {response.text[:200]!r}"
        assert response.headers.get("content-type", [""])[0].startswith("application/json"), described
        error = response.json()["error"]
        assert error["status"] == response.status_code and error["message"], described


@schema.parametrize()
@FUZZ_SETTINGS
def test_api_with_a_client_token(case, fuzz_world):
    _call(case, fuzz_world, "client")


@schema.parametrize()
@FUZZ_SETTINGS
def test_api_with_a_product_owner_token(case, fuzz_world):
    _call(case, fuzz_world, "product_owner")
